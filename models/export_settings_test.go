package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/postmortem"
)

func TestRedactionSection(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		inc, err := s.CreateIncident(ctx, newIncident("Checkout errors"), nil)
		if err != nil {
			t.Fatal(err)
		}
		red, sec, err := s.Redaction(ctx, inc.ID)
		if err != nil || sec.Version != 0 || red.Terms == nil || red.Keep == nil || len(red.Terms)+len(red.Keep) != 0 || red.Byline != "" {
			t.Fatalf("never saved: %+v %+v %v", red, sec, err)
		}
		if _, _, err := s.Redaction(ctx, 999); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown incident: %v", err)
		}

		// Normalised: trimmed, empty and repeated (ignoring case) terms dropped.
		in := models.Redaction{Terms: []string{" Falcon ", "", "falcon", "Globex"}, Keep: []string{"Kubernetes"}, Byline: "  The Payments team "}
		sec, err = s.SaveRedaction(ctx, inc.ID, in, 0, "ana@example.com")
		if err != nil || sec.Version != 1 {
			t.Fatalf("save: %+v %v", sec, err)
		}
		red, sec, _ = s.Redaction(ctx, inc.ID)
		want := models.Redaction{Terms: []string{"Falcon", "Globex"}, Keep: []string{"Kubernetes"}, Byline: "The Payments team"}
		if fmt.Sprint(red) != fmt.Sprint(want) || sec.Version != 1 || sec.UpdatedBy != "ana@example.com" {
			t.Errorf("read back %+v %+v, want %+v", red, sec, want)
		}
		if _, err := s.SaveRedaction(ctx, inc.ID, models.Redaction{}, 0, "bo@example.com"); !errors.Is(err, models.ErrStale) {
			t.Errorf("save from version 0 again: %v", err)
		}

		// Invalid choices are refused, naming the field.
		many := make([]string, models.MaxRedactionTerms+1)
		for i := range many {
			many[i] = fmt.Sprintf("term %d", i)
		}
		for name, c := range map[string]struct {
			doc   models.Redaction
			field string
		}{
			"too many terms":    {models.Redaction{Terms: many}, "terms"},
			"too many kept":     {models.Redaction{Keep: many}, "keep"},
			"long term":         {models.Redaction{Terms: []string{strings.Repeat("é", models.MaxRedactionTermLength+1)}}, "terms"},
			"two-line term":     {models.Redaction{Terms: []string{"Project\nFalcon"}}, "terms"},
			"long byline":       {models.Redaction{Byline: strings.Repeat("a", models.MaxBylineLength+1)}, "byline"},
			"two-line byline":   {models.Redaction{Byline: "The Payments\nteam"}, "byline"},
			"control character": {models.Redaction{Keep: []string{"a\x07b"}}, "keep"},
		} {
			var ve *models.ValidationError
			if _, err := s.SaveRedaction(ctx, inc.ID, c.doc, 1, "ana@example.com"); !errors.As(err, &ve) || ve.Fields[c.field] == "" {
				t.Errorf("%s: %v, want a problem with %s", name, err, c.field)
			}
		}
		// Exactly at the limits is fine.
		at := models.Redaction{Terms: many[:models.MaxRedactionTerms], Keep: []string{strings.Repeat("é", models.MaxRedactionTermLength)},
			Byline: strings.Repeat("b", models.MaxBylineLength)}
		if sec, err := s.SaveRedaction(ctx, inc.ID, at, 1, "ana@example.com"); err != nil || sec.Version != 2 {
			t.Fatalf("at the limits: %+v %v", sec, err)
		}

		// Published: the other sections refuse, the redaction is still saved.
		if err := s.SetReviewState(ctx, inc.ID, models.StatusPublished); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveLessons(ctx, inc.ID, postmortem.Lessons{WentWell: []string{"x"}}, 0, "ana@example.com"); !errors.Is(err, models.ErrPublished) {
			t.Errorf("lessons of a published postmortem: %v", err)
		}
		if sec, err := s.SaveRedaction(ctx, inc.ID, models.Redaction{Terms: []string{"Falcon"}}, 2, "bo@example.com"); err != nil || sec.Version != 3 {
			t.Errorf("redaction of a published postmortem: %+v %v", sec, err)
		}

		// Every version is a revision; the postmortem's history of the
		// guided sections leaves them out.
		revs, err := s.SectionRevisions(ctx, inc.ID, models.SectionRedaction)
		if err != nil || len(revs) != 3 || revs[0].Version != 3 || revs[0].Author != "bo@example.com" {
			t.Errorf("revisions: %+v %v", revs, err)
		}
		if _, err := s.SaveImpact(ctx, inc.ID, postmortem.Impact{}, 0, "x"); !errors.Is(err, models.ErrPublished) {
			t.Errorf("impact of a published postmortem: %v", err)
		}
		hist, err := s.PostmortemHistory(ctx, inc.ID, 50)
		if err != nil || slices.ContainsFunc(hist, func(r models.PostmortemRevision) bool { return r.Section == models.SectionRedaction }) {
			t.Errorf("history: %+v %v", hist, err)
		}
	})
}
