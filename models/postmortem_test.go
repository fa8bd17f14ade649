package models_test

import (
	"context"
	"errors"
	"testing"

	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/postmortem"
)

func TestPostmortemSections(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		inc, err := s.CreateIncident(ctx, newIncident("Chatbot errors"), nil)
		if err != nil {
			t.Fatal(err)
		}
		impact, sec, err := s.Impact(ctx, inc.ID)
		if err != nil || sec.Version != 0 || impact.WhatUsersSaw != "" {
			t.Fatalf("never saved: %+v %+v %v", impact, sec, err)
		}
		if _, _, err := s.Impact(ctx, 999); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown incident: %v", err)
		}

		// Two authors start from version 0 of the same section: the second is stale.
		n := int64(1200)
		mine := postmortem.Impact{WhatUsersSaw: "  The chatbot answered with an error.  ", UsersAffected: postmortem.UsersAffected{Count: &n, Qualifier: "estimate"}}
		saved, err := s.SaveImpact(ctx, inc.ID, mine, 0, "ana@example.com")
		if err != nil || saved.Version != 1 {
			t.Fatalf("first save: %+v %v", saved, err)
		}
		if _, err := s.SaveImpact(ctx, inc.ID, postmortem.Impact{WhatUsersSaw: "theirs"}, 0, "bo@example.com"); !errors.Is(err, models.ErrStale) {
			t.Fatalf("second save from version 0: %v", err)
		}
		// Another section is independent of the impact's version.
		whys := postmortem.Whys{Problem: "Users got errors from the chatbot", Steps: []postmortem.WhyStep{
			{ID: "w1", Why: "Why did the chatbot fail?", Because: "The new code read a column that did not exist yet."},
			{ID: "w2", ParentID: "w1", Why: "Why did the column not exist?", Because: "The migration ran after the deploy."}}}
		if sec, err := s.SaveWhys(ctx, inc.ID, whys, 0, "bo@example.com"); err != nil || sec.Version != 1 {
			t.Fatalf("whys: %+v %v", sec, err)
		}
		got, sec, _ := s.Impact(ctx, inc.ID)
		if got.WhatUsersSaw != "The chatbot answered with an error." || sec.Version != 1 || sec.UpdatedBy != "ana@example.com" {
			t.Errorf("impact after both saves: %+v %+v", got, sec)
		}

		// Invalid documents are refused with field paths.
		var ve *models.ValidationError
		bad := postmortem.Impact{UsersAffected: postmortem.UsersAffected{Qualifier: "roughly"}}
		if _, err := s.SaveImpact(ctx, inc.ID, bad, 1, "ana@example.com"); !errors.As(err, &ve) || ve.Fields["users_affected.qualifier"] == "" {
			t.Errorf("bad qualifier: %v", err)
		}
		cycle := postmortem.Whys{Steps: []postmortem.WhyStep{{ID: "w1", ParentID: "w2", Because: "a"}, {ID: "w2", ParentID: "w1", Because: "b"}}}
		if _, err := s.SaveWhys(ctx, inc.ID, cycle, 1, "bo@example.com"); !errors.As(err, &ve) {
			t.Errorf("a cycle is refused: %v", err)
		}

		// History and restore.
		second := mine
		second.WhatUsersSaw = "Every chatbot answer was an error for an hour."
		if _, err := s.SaveImpact(ctx, inc.ID, second, 1, "bo@example.com"); err != nil {
			t.Fatal(err)
		}
		revs, _ := s.SectionRevisions(ctx, inc.ID, models.SectionImpact)
		if len(revs) != 2 || revs[0].Version != 2 || revs[0].Author != "bo@example.com" || revs[1].Author != "ana@example.com" {
			t.Fatalf("revisions: %+v", revs)
		}
		if _, err := s.RestoreSection(ctx, inc.ID, models.SectionImpact, 1, 1, "ana@example.com"); !errors.Is(err, models.ErrStale) {
			t.Errorf("restore on a stale version: %v", err)
		}
		restored, err := s.RestoreSection(ctx, inc.ID, models.SectionImpact, 1, 2, "ana@example.com")
		if err != nil || restored.Version != 3 {
			t.Fatalf("restore: %+v %v", restored, err)
		}
		got, _, _ = s.Impact(ctx, inc.ID)
		revs, _ = s.SectionRevisions(ctx, inc.ID, models.SectionImpact)
		if got.WhatUsersSaw != "The chatbot answered with an error." || revs[0].RestoredFrom == nil || *revs[0].RestoredFrom != 1 {
			t.Errorf("after restore: %+v %+v", got, revs[0])
		}
		if _, err := s.RestoreSection(ctx, inc.ID, models.SectionImpact, 99, 3, "ana@example.com"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("restoring an unknown version: %v", err)
		}
		history, _ := s.PostmortemHistory(ctx, inc.ID, 10)
		if len(history) != 4 || history[0].Section != models.SectionImpact || history[0].Version != 3 {
			t.Errorf("history: %+v", history)
		}

		// A published postmortem is read-only.
		if err := s.SetReviewState(ctx, inc.ID, models.StatusPublished); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveLessons(ctx, inc.ID, postmortem.Lessons{WentWell: []string{"Rollback took 4 minutes"}}, 0, "ana@example.com"); !errors.Is(err, models.ErrPublished) {
			t.Errorf("saving a published postmortem: %v", err)
		}
	})
}

func TestCustomFieldsAndTaxonomy(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		inc, _ := s.CreateIncident(ctx, newIncident("Chatbot errors"), nil)
		var ve *models.ValidationError
		if err := s.SaveCustomFields(ctx, []postmortem.CustomField{{Key: "Bad Key", Label: "x", Kind: "text"}}); !errors.As(err, &ve) {
			t.Errorf("bad key: %v", err)
		}
		fields := []postmortem.CustomField{
			{Key: "region", Label: "Region", Kind: "select", Options: []string{"eu", "us"}},
			{Key: "revenue_lost", Label: "Revenue lost (EUR)", Kind: "number", Internal: true},
		}
		if err := s.SaveCustomFields(ctx, fields); err != nil {
			t.Fatal(err)
		}
		got, _ := s.CustomFields(ctx)
		if len(got) != 2 || got[0].Key != "region" || len(got[0].Options) != 2 || !got[1].Internal {
			t.Fatalf("custom fields: %+v", got)
		}
		doc := postmortem.Impact{Custom: map[string]any{"region": "mars"}}
		if _, err := s.SaveImpact(ctx, inc.ID, doc, 0, "a"); !errors.As(err, &ve) || ve.Fields["custom.region"] == "" {
			t.Errorf("a value outside the options: %v", err)
		}
		doc.Custom = map[string]any{"region": "eu", "revenue_lost": 1200.5}
		if _, err := s.SaveImpact(ctx, inc.ID, doc, 0, "a"); err != nil {
			t.Errorf("valid custom values: %v", err)
		}

		cats, _ := s.FactorCategories(ctx)
		if len(cats) != len(postmortem.DefaultCategories()) {
			t.Fatalf("default taxonomy: %+v", cats)
		}
		factors := postmortem.Factors{Items: []postmortem.Factor{{ID: "f1", Category: "migration", Note: "The migration ran after the deploy."}}}
		if _, err := s.SaveFactors(ctx, inc.ID, factors, 0, "a"); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveFactorCategories(ctx, cats[:1]); !errors.As(err, &ve) {
			t.Errorf("removing a used category: %v", err)
		}
		for i := range cats {
			cats[i].Archived = cats[i].Key == "migration"
		}
		cats = append(cats, postmortem.Category{Key: "feature_flag", Label: "Feature flag", Group: "trigger"})
		if err := s.SaveFactorCategories(ctx, cats); err != nil {
			t.Fatal(err)
		}
		again, _ := s.FactorCategories(ctx)
		if len(again) != len(cats) || again[len(again)-1].Key != "feature_flag" {
			t.Errorf("saved taxonomy: %+v", again)
		}
		if _, err := s.SaveFactors(ctx, inc.ID, factors, 1, "a"); err != nil {
			t.Errorf("an archived category stays valid on its factors: %v", err)
		}
	})
}

// Saving exactly what is stored — a page left without typing, a Save racing
// its own autosave — is no conflict and writes no new version.
func TestSectionSameTextTwice(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		inc, _ := s.CreateIncident(ctx, newIncident("Chatbot errors"), nil)
		doc := postmortem.Lessons{WentWell: []string{"Rollback took four minutes"}}
		if _, err := s.SaveLessons(ctx, inc.ID, doc, 0, "ana"); err != nil {
			t.Fatal(err)
		}
		sec, err := s.SaveLessons(ctx, inc.ID, doc, 0, "ana")
		if err != nil || sec.Version != 1 {
			t.Fatalf("the same text from version 0 again: %+v %v", sec, err)
		}
		if revs, _ := s.SectionRevisions(ctx, inc.ID, models.SectionLessons); len(revs) != 1 {
			t.Errorf("%d revisions, want 1", len(revs))
		}
		if sec, err := s.SaveLessons(ctx, inc.ID, doc, 1, "ana"); err != nil || sec.Version != 1 {
			t.Fatalf("the same text from the current version: %+v %v", sec, err)
		}
		other := postmortem.Lessons{WentWell: []string{"Rollback took twenty minutes"}}
		if _, err := s.SaveLessons(ctx, inc.ID, other, 0, "bo"); !errors.Is(err, models.ErrStale) {
			t.Errorf("a different text from version 0: %v", err)
		}
	})
}

func TestSummaryUnchangedIsNoVersion(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		inc, _ := s.CreateIncident(ctx, newIncident("Chatbot errors"), nil)
		same := models.Summary{Title: inc.Title + " ", Summary: inc.Summary, Severity: inc.Severity}
		got, err := s.SaveSummary(ctx, inc, same, inc.Version, "ana")
		if err != nil || got.Version != inc.Version {
			t.Fatalf("unchanged summary: %+v %v", got, err)
		}
		if revs, _ := s.SectionRevisions(ctx, inc.ID, models.SectionSummary); len(revs) != 0 {
			t.Errorf("an unchanged summary made %d revisions", len(revs))
		}
		changed := same
		changed.Severity = "SEV1"
		if got, err = s.SaveSummary(ctx, inc, changed, inc.Version, "ana"); err != nil || got.Version != inc.Version+1 {
			t.Fatalf("changed summary: %+v %v", got, err)
		}
	})
}
