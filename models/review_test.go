package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/postmortem"
)

func TestReviewWorkflow(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		user := func(email, role string) *models.User {
			u, err := s.CreateUser(ctx, models.NewUser{Email: email, Name: strings.Split(email, "@")[0], Role: role})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		bo, cy, vic := user("bo@example.com", models.RoleEditor), user("cy@example.com", models.RoleAdmin), user("vic@example.com", models.RoleViewer)
		inc, err := s.CreateIncident(ctx, newIncident("Chatbot errors"), nil)
		if err != nil {
			t.Fatal(err)
		}
		stateIs := func(want string) {
			t.Helper()
			r, err := s.Review(ctx, inc.ID)
			if err != nil || r.State != want {
				t.Fatalf("state: %+v %v, want %s", r, err, want)
			}
			if got, _ := s.Incident(ctx, inc.ID); got.Status != want || got.Version != 1 {
				t.Fatalf("incident: status %s v%d, want %s v1 (the workflow leaves the version alone)", got.Status, got.Version, want)
			}
		}
		refused := func(err error, state, needs string) {
			t.Helper()
			var re *models.ReviewError
			if !errors.As(err, &re) || re.State != state || !strings.Contains(err.Error(), needs) {
				t.Fatalf("got %v, want a review error in %s saying %q", err, state, needs)
			}
		}

		// A draft is neither approved nor published.
		stateIs(models.StatusDraft)
		_, err = s.Approve(ctx, inc.ID, bo.ID, bo.Email)
		refused(err, models.StatusDraft, "asked for a review")
		_, err = s.Publish(ctx, inc.ID, "ana@example.com")
		refused(err, models.StatusDraft, "ask for a review first")
		_, err = s.Reopen(ctx, inc.ID, "ana@example.com", "typo")
		refused(err, models.StatusDraft, "only a published postmortem")
		if !strings.Contains(err.Error(), "is a draft (draft)") {
			t.Errorf("the message names the state: %v", err)
		}

		// Reviewers must exist and be editors or admins; nothing changes otherwise.
		var ve *models.ValidationError
		if _, err := s.RequestReview(ctx, inc.ID, nil, "ana@example.com"); !errors.As(err, &ve) || ve.Fields["reviewers"] == "" {
			t.Errorf("no reviewer: %v", err)
		}
		if _, err := s.RequestReview(ctx, inc.ID, []int64{bo.ID, vic.ID}, "ana@example.com"); !errors.As(err, &ve) || !strings.Contains(ve.Fields["reviewers"], "vic@example.com is a viewer") {
			t.Errorf("a viewer: %v", err)
		}
		if _, err := s.RequestReview(ctx, inc.ID, []int64{9999}, "ana@example.com"); !errors.As(err, &ve) || !strings.Contains(ve.Fields["reviewers"], "9999") {
			t.Errorf("unknown user: %v", err)
		}
		if _, err := s.RequestReview(ctx, 9999, []int64{bo.ID}, "ana@example.com"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown incident: %v", err)
		}
		stateIs(models.StatusDraft)

		r, err := s.RequestReview(ctx, inc.ID, []int64{bo.ID, cy.ID, bo.ID}, "ana@example.com")
		if err != nil || r.State != models.StatusInReview || len(r.Reviewers) != 2 || r.Reviewers[0].RequestedBy != "ana@example.com" {
			t.Fatalf("request: %+v %v", r, err)
		}
		stateIs(models.StatusInReview)

		// Only a requested reviewer approves, once.
		var nr *models.NotReviewerError
		if _, err := s.Approve(ctx, inc.ID, vic.ID, vic.Email); !errors.As(err, &nr) || !strings.Contains(err.Error(), "bo@example.com, cy@example.com") {
			t.Errorf("approval by someone not asked: %v", err)
		}
		_, err = s.Publish(ctx, inc.ID, "ana@example.com")
		refused(err, models.StatusInReview, "0 of 2 so far; waiting for bo@example.com, cy@example.com")
		if r, err = s.Approve(ctx, inc.ID, bo.ID, bo.Email); err != nil || r.State != models.StatusInReview || r.Approvals() != 1 {
			t.Fatalf("first approval: %+v %v", r, err)
		}
		_, err = s.Approve(ctx, inc.ID, bo.ID, bo.Email)
		refused(err, models.StatusInReview, "bo@example.com approved already; it waits for cy@example.com")
		if r, err = s.Approve(ctx, inc.ID, cy.ID, cy.Email); err != nil || r.State != models.StatusApproved || len(r.Pending()) != 0 {
			t.Fatalf("last approval: %+v %v", r, err)
		}
		stateIs(models.StatusApproved)
		_, err = s.Approve(ctx, inc.ID, cy.ID, cy.Email)
		refused(err, models.StatusApproved, "can be published")

		// Asking one more reviewer sends it back to review; asking again an
		// approving one changes nothing.
		dee := user("dee@example.com", models.RoleEditor)
		if r, err = s.RequestReview(ctx, inc.ID, []int64{dee.ID}, "ana@example.com"); err != nil || r.State != models.StatusInReview || r.Approvals() != 2 {
			t.Fatalf("another reviewer: %+v %v", r, err)
		}
		if r, err = s.Approve(ctx, inc.ID, dee.ID, dee.Email); err != nil || r.State != models.StatusApproved {
			t.Fatalf("dee approves: %+v %v", r, err)
		}

		// Published: read-only, for the incident's fields and the sections.
		if r, err = s.Publish(ctx, inc.ID, "ana@example.com"); err != nil || r.State != models.StatusPublished {
			t.Fatalf("publish: %+v %v", r, err)
		}
		_, err = s.Publish(ctx, inc.ID, "ana@example.com")
		refused(err, models.StatusPublished, "published already")
		_, err = s.RequestReview(ctx, inc.ID, []int64{bo.ID}, "ana@example.com")
		refused(err, models.StatusPublished, "reopen it")
		cur, _ := s.Incident(ctx, inc.ID)
		edit := models.InputOf(cur)
		edit.Title = "Edited after publishing"
		if _, err := s.UpdateIncident(ctx, inc.ID, cur.Version, edit); !errors.Is(err, models.ErrPublished) {
			t.Errorf("edit of a published incident: %v", err)
		}
		if _, err := s.SaveLessons(ctx, inc.ID, postmortem.Lessons{WentWrong: []string{"x"}}, 0, "ana"); !errors.Is(err, models.ErrPublished) {
			t.Errorf("save of a published section: %v", err)
		}

		// Reopening needs a reason; it clears the approvals and is logged.
		if _, err := s.Reopen(ctx, inc.ID, "ana@example.com", "  "); !errors.As(err, &ve) || ve.Fields["reason"] == "" {
			t.Errorf("reopen without a reason: %v", err)
		}
		if r, err = s.Reopen(ctx, inc.ID, "bo@example.com", "The customer count was wrong"); err != nil || r.State != models.StatusDraft ||
			r.Approvals() != 0 || len(r.Reviewers) != 3 {
			t.Fatalf("reopen: %+v %v", r, err)
		}
		if _, err := s.UpdateIncident(ctx, inc.ID, cur.Version, edit); err != nil {
			t.Errorf("edit after reopening: %v", err)
		}
		// Sent back to the same reviewers: they approve again.
		if r, err = s.RequestReview(ctx, inc.ID, nil, "ana@example.com"); err != nil || r.State != models.StatusInReview || len(r.Pending()) != 3 {
			t.Fatalf("sent back: %+v %v", r, err)
		}

		var events []string
		for _, e := range r.Log {
			events = append(events, e.Event+":"+e.Actor)
			if e.At.IsZero() || e.At.Location().String() != "UTC" {
				t.Errorf("log time: %v", e.At)
			}
		}
		want := "requested:ana@example.com approved:bo@example.com approved:cy@example.com requested:ana@example.com approved:dee@example.com " +
			"published:ana@example.com reopened:bo@example.com requested:ana@example.com"
		if strings.Join(events, " ") != want {
			t.Errorf("log:\n%s\nwant\n%s", strings.Join(events, " "), want)
		}
		if n := r.Log[6].Note; n != "The customer count was wrong" {
			t.Errorf("the reason is the reopening's note: %q", n)
		}
		if n := r.Log[0].Note; n != "review by bo@example.com, cy@example.com" {
			t.Errorf("the request names the reviewers: %q", n)
		}
		if n := r.Log[2].Note; !strings.Contains(n, "every reviewer approved") {
			t.Errorf("the last approval says so: %q", n)
		}

		// Editors and admins may review.
		cands, err := s.ReviewCandidates(ctx)
		if err != nil || len(cands) != 3 || cands[0].Email != "bo@example.com" {
			t.Errorf("candidates: %+v %v", cands, err)
		}

		// Loaders set the state directly, without a log entry.
		if err := s.SetReviewState(ctx, inc.ID, models.StatusPublished); err != nil {
			t.Fatal(err)
		}
		if r2, _ := s.Review(ctx, inc.ID); r2.State != models.StatusPublished || len(r2.Log) != len(r.Log) {
			t.Errorf("set state: %+v", r2)
		}
		if err := s.SetReviewState(ctx, inc.ID, "closed"); !errors.As(err, &ve) {
			t.Errorf("bad state: %v", err)
		}
	})
}

// TestConcurrentApprovals: the last two reviewers approving at the same
// time still leave the postmortem approved.
func TestConcurrentApprovals(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var ids []int64
		for _, e := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
			u, err := s.CreateUser(ctx, models.NewUser{Email: e, Name: e, Role: models.RoleEditor})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		for round := 0; round < 5; round++ {
			inc, err := s.CreateIncident(ctx, newIncident("Race"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.RequestReview(ctx, inc.ID, ids, "x"); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for _, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Approve(ctx, inc.ID, id, "x"); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if r, _ := s.Review(ctx, inc.ID); r.State != models.StatusApproved || r.Approvals() != 4 {
				t.Fatalf("round %d: %s with %d approvals", round, r.State, r.Approvals())
			}
		}
	})
}
