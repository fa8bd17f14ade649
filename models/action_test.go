package models_test

import (
	"context"
	"errors"
	"testing"

	"hindsight/internal/testdb"
	"hindsight/models"
)

func TestActionLifecycle(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, c := withClock(t, d)
			ctx := context.Background()
			owner, _ := s.CreateUser(ctx, models.NewUser{Email: "owner@example.com", Name: "Owner", Role: models.RoleEditor})
			inc, err := s.CreateIncident(ctx, newIncident("Chatbot errors"), nil)
			if err != nil {
				t.Fatal(err)
			}
			due, _ := models.ParseDate("2026-01-20")
			in := models.ActionInput{Title: "Add integration tests for every primary endpoint", OwnerID: &owner.ID, DueDate: &due,
				Priority: "P2", Kind: "prevent", Verification: "CI fails when an endpoint breaks",
				TrackerURL: "https://github.com/reading-co/bookbot/issues/88"}
			a, err := s.CreateAction(ctx, inc.ID, in, owner)
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != "open" || a.Owner == nil || a.Owner.Email != "owner@example.com" || a.DueDate.String() != "2026-01-20" ||
				a.Tracker().Key != "reading-co/bookbot#88" || a.Version != 1 || a.ClosedAt != nil {
				t.Fatalf("created %+v (tracker %+v)", a, a.Tracker())
			}

			// Blocked needs a reason; the transition is recorded.
			blocked := models.ActionInputOf(a)
			blocked.Status = "blocked"
			var ve *models.ValidationError
			if _, err := s.UpdateAction(ctx, a.ID, 1, blocked, owner); !errors.As(err, &ve) || ve.Fields["reason"] == "" {
				t.Fatalf("blocked without a reason: %v", err)
			}
			blocked.Reason = "waiting for a staging database"
			c.Add(3600e9)
			a2, err := s.UpdateAction(ctx, a.ID, 1, blocked, owner)
			if err != nil || a2.Status != "blocked" || a2.Version != 2 {
				t.Fatalf("block: %+v %v", a2, err)
			}
			if _, err := s.UpdateAction(ctx, a.ID, 1, blocked, owner); !errors.Is(err, models.ErrStale) {
				t.Errorf("stale update: %v", err)
			}
			done := models.ActionInputOf(a2)
			done.Status = "done"
			a3, err := s.UpdateAction(ctx, a.ID, 2, done, owner)
			if err != nil || a3.ClosedAt == nil || a3.Reason != "" {
				t.Fatalf("done: %+v %v", a3, err)
			}
			reopened := models.ActionInputOf(a3)
			reopened.Status = "open"
			a4, err := s.UpdateAction(ctx, a.ID, 3, reopened, owner)
			if err != nil || a4.ClosedAt != nil {
				t.Fatalf("reopen: %+v %v", a4, err)
			}
			hist, _ := s.ActionHistory(ctx, a.ID)
			var steps []string
			for _, h := range hist {
				steps = append(steps, h.FromStatus+">"+h.ToStatus)
			}
			if len(hist) != 4 || steps[1] != "open>blocked" || hist[1].Reason != "waiting for a staging database" || hist[1].Actor != "Owner" {
				t.Errorf("history = %v %+v", steps, hist)
			}

			for name, bad := range map[string]models.ActionInput{
				"title":       {Title: " "},
				"priority":    {Title: "x", Priority: "P9"},
				"kind":        {Title: "x", Kind: "hope"},
				"tracker_url": {Title: "x", TrackerURL: "javascript:alert(1)"},
				"reason":      {Title: "x", Status: "wont_do"},
			} {
				if _, err := s.CreateAction(ctx, inc.ID, bad, owner); !errors.As(err, &ve) || ve.Fields[name] == "" {
					t.Errorf("%s: %v", name, err)
				}
			}
			missing := int64(424242)
			if _, err := s.CreateAction(ctx, inc.ID, models.ActionInput{Title: "x", OwnerID: &missing}, owner); !errors.As(err, &ve) || ve.Fields["owner"] == "" {
				t.Errorf("unknown owner: %v", err)
			}
			if _, err := s.CreateAction(ctx, 999, models.ActionInput{Title: "x"}, owner); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("unknown incident: %v", err)
			}
			list, _ := s.IncidentActions(ctx, inc.ID)
			if len(list) != 1 {
				t.Errorf("incident actions: %d", len(list))
			}
			if err := s.DeleteAction(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Action(ctx, a.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("after delete: %v", err)
			}
		})
	}
}

func TestListActionsFilters(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ana, _ := s.CreateUser(ctx, models.NewUser{Email: "ana@example.com", Name: "Ana", Role: models.RoleEditor})
		bo, _ := s.CreateUser(ctx, models.NewUser{Email: "bo@example.com", Name: "Bo", Role: models.RoleEditor})
		sev1 := newIncident("Redis flushed")
		sev1.Severity, sev1.Services = "SEV1", []string{"redis"}
		i1, _ := s.CreateIncident(ctx, sev1, nil)
		i2, _ := s.CreateIncident(ctx, newIncident("Cron string"), nil)
		date := func(s string) *models.Date { d, _ := models.ParseDate(s); return &d }
		mk := func(inc int64, title string, owner *int64, team, due, prio, status, reason string) {
			t.Helper()
			var d *models.Date
			if due != "" {
				d = date(due)
			}
			if _, err := s.CreateAction(ctx, inc, models.ActionInput{Title: title, OwnerID: owner, Team: team, DueDate: d,
				Priority: prio, Status: status, Reason: reason}, nil); err != nil {
				t.Fatal(err)
			}
		}
		mk(i1.ID, "Read-only production consoles", &ana.ID, "platform", "2026-01-10", "P1", "open", "")
		mk(i1.ID, "Alert on missing caches", &bo.ID, "platform", "2026-02-01", "P2", "in_progress", "")
		mk(i2.ID, "Validate the schedule YAML in CI", &ana.ID, "workers", "2026-01-05", "P2", "done", "")
		mk(i2.ID, "Rewrite the scheduler", nil, "", "", "P4", "wont_do", "the YAML check covers it")
		titles := func(f models.ActionFilter) []string {
			t.Helper()
			page, err := s.ListActions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, a := range page.Actions {
				out = append(out, a.Title)
			}
			return out
		}
		today := *date("2026-01-15")
		for name, c := range map[string]struct {
			f    models.ActionFilter
			want int
		}{
			"all":           {models.ActionFilter{}, 4},
			"open-like":     {models.ActionFilter{Status: []string{"open", "in_progress", "blocked"}}, 2},
			"ana":           {models.ActionFilter{OwnerID: &ana.ID}, 2},
			"team":          {models.ActionFilter{Team: "platform"}, 2},
			"overdue":       {models.ActionFilter{Overdue: true, Today: today}, 1},
			"due before":    {models.ActionFilter{DueBefore: date("2026-01-10")}, 2},
			"due after":     {models.ActionFilter{DueAfter: date("2026-01-11")}, 1},
			"severity SEV1": {models.ActionFilter{Severity: "SEV1"}, 2},
			"service redis": {models.ActionFilter{Service: "redis"}, 2},
			"incident 2":    {models.ActionFilter{IncidentID: &i2.ID}, 2},
			"priority P2":   {models.ActionFilter{Priority: "P2"}, 2},
		} {
			if got := titles(c.f); len(got) != c.want {
				t.Errorf("%s: %d actions %v, want %d", name, len(got), got, c.want)
			}
		}
		if got := titles(models.ActionFilter{}); got[0] != "Validate the schedule YAML in CI" || got[3] != "Rewrite the scheduler" {
			t.Errorf("due order (undated last): %v", got)
		}
		if got := titles(models.ActionFilter{Sort: "priority"}); got[0] != "Read-only production consoles" {
			t.Errorf("priority order: %v", got)
		}
	})
}

func TestActionCountsByIncident(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, _ := s.CreateIncident(ctx, newIncident("A"), nil)
		b, _ := s.CreateIncident(ctx, newIncident("B"), nil)
		past, _ := models.ParseDate("2026-01-01")
		s.CreateAction(ctx, a.ID, models.ActionInput{Title: "one", DueDate: &past}, nil)
		s.CreateAction(ctx, a.ID, models.ActionInput{Title: "two", Status: "blocked", Reason: "waiting"}, nil)
		s.CreateAction(ctx, b.ID, models.ActionInput{Title: "three", Status: "done"}, nil)
		today, _ := models.ParseDate("2026-02-01")
		counts, err := s.ActionCountsByIncident(ctx, []int64{a.ID, b.ID, 999}, today)
		if err != nil {
			t.Fatal(err)
		}
		if c := counts[a.ID]; c.Total != 2 || c.Open != 2 || c.Overdue != 1 || c.FollowUpComplete() {
			t.Errorf("A = %+v", c)
		}
		if c := counts[b.ID]; c.Total != 1 || c.Open != 0 || !c.FollowUpComplete() {
			t.Errorf("B = %+v", c)
		}
		if c := counts[999]; c.Total != 0 || c.FollowUpComplete() {
			t.Errorf("unknown = %+v", c)
		}
	})
}
