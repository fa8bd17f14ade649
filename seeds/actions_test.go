package seeds

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"hindsight/actions"
	"hindsight/internal/testdb"
	"hindsight/models"
)

// actionTotal is how many actions a first load of set creates.
func actionTotal(set *Set) int {
	n := 0
	for _, ev := range set.Evidence {
		n += len(ev.Actions)
	}
	return n
}

// TestEmbeddedActions checks the demo's actions without a database: every
// incident has some, and together they show every status, with some
// overdue.
func TestEmbeddedActions(t *testing.T) {
	set, err := Parse()
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	bySlug := map[string]*Evidence{}
	for i := range set.Evidence {
		bySlug[set.Evidence[i].Slug] = &set.Evidence[i]
	}
	statuses := map[string]int{}
	overdue := 0
	today, _ := models.ParseDate("2026-11-01")
	for _, inc := range set.Incidents {
		ev := bySlug[inc.Slug]
		if ev == nil || len(ev.Actions) == 0 {
			t.Errorf("%s has no actions", inc.Slug)
			continue
		}
		for _, a := range ev.Actions {
			statuses[a.Status]++
			if a.Owner == "" || a.due == nil || a.Team == "" {
				t.Errorf("%s: action %q needs an owner, a team and a due date", inc.Slug, a.Title)
			}
			if !actions.IsClosed(a.Status) && a.due != nil && a.due.Before(today) {
				overdue++
			}
		}
	}
	for _, s := range actions.Statuses {
		if statuses[s] == 0 {
			t.Errorf("no %s action in the demo data", s)
		}
	}
	if done := statuses[actions.StatusDone]; 2*done <= actionTotal(set) {
		t.Errorf("%d of %d actions are done; most should be", done, actionTotal(set))
	}
	if overdue == 0 {
		t.Error("no open action is overdue")
	}
	t.Logf("%d actions, by status %v, %d overdue on %s", actionTotal(set), statuses, overdue, today)
}

func TestLoadActions(t *testing.T) {
	ctx := context.Background()
	set, err := Parse()
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		res, err := Load(ctx, store)
		if err != nil {
			t.Fatalf("first Load: %v", err)
		}
		if want := actionTotal(set); res.ActionsCreated != want {
			t.Errorf("first Load created %d actions, want %d", res.ActionsCreated, want)
		}
		for _, ev := range set.Evidence {
			inc, err := store.IncidentBySlug(ctx, ev.Slug)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := store.IncidentActions(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(stored) != len(ev.Actions) {
				t.Errorf("%s has %d actions, want %d", ev.Slug, len(stored), len(ev.Actions))
			}
			byTitle := map[string]models.Action{}
			for _, a := range stored {
				byTitle[a.Title] = a
			}
			for i, want := range ev.Actions {
				got, ok := byTitle[want.Title]
				if !ok {
					t.Errorf("%s: actions[%d] %q not stored", ev.Slug, i, want.Title)
					continue
				}
				if got.Status != want.Status || got.Priority != want.Priority || got.Kind != want.Kind ||
					got.Reason != want.Reason || got.Team != want.Team || got.TrackerURL != want.TrackerURL {
					t.Errorf("%s: %q stored as %s/%s/%s reason=%q team=%q tracker=%q", ev.Slug, want.Title,
						got.Status, got.Priority, got.Kind, got.Reason, got.Team, got.TrackerURL)
				}
				if got.DueDate == nil || got.DueDate.String() != want.Due {
					t.Errorf("%s: %q due %v, want %s", ev.Slug, want.Title, got.DueDate, want.Due)
				}
				if got.Owner == nil || got.Owner.Email != want.Owner {
					t.Errorf("%s: %q owned by %+v, want %s", ev.Slug, want.Title, got.Owner, want.Owner)
				}
				if (got.ClosedAt != nil) != actions.IsClosed(want.Status) {
					t.Errorf("%s: %q closed_at %v for status %s", ev.Slug, want.Title, got.ClosedAt, want.Status)
				}
			}
		}

		res, err = Load(ctx, store)
		if err != nil {
			t.Fatalf("second Load: %v", err)
		}
		if res.ActionsCreated != 0 {
			t.Errorf("second Load created %d actions", res.ActionsCreated)
		}
	})
}

const goodActions = `actions:
  - title: Add a smoke test of the API after each deploy
    description: Call the health endpoint and one read endpoint.
    owner: ana@example.com
    team: API
    due: 2024-02-01
    priority: P2
    kind: detect
    status: done
    verification: A broken deploy is rolled back by the pipeline.
    tracker_url: https://github.com/example-org/api/issues/3
  - title: Block deploys during an open incident
    status: blocked
    reason: Needs the deploy tool upgrade.
`

// TestLoadActionsIdempotent checks that actions are matched by title: an
// action changed in the app is left alone and one added to the file is
// created on the next load.
func TestLoadActionsIdempotent(t *testing.T) {
	ctx := context.Background()
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		fsys := fstest.MapFS{
			"users.yaml":        {Data: []byte(goodUsers)},
			"incidents/a.yaml":  {Data: []byte(goodIncident)},
			"evidence/a.yaml":   {Data: []byte(goodEvidence + goodActions)},
			"evidence/read.txt": {Data: []byte("not a seed")},
		}
		res, err := load(ctx, store, fsys)
		if err != nil {
			t.Fatal(err)
		}
		if res.ActionsCreated != 2 {
			t.Errorf("first load created %d actions, want 2", res.ActionsCreated)
		}
		inc, err := store.IncidentBySlug(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		list, err := store.IncidentActions(ctx, inc.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("actions = %d, %v", len(list), err)
		}
		var smoke models.Action
		for _, a := range list {
			if strings.HasPrefix(a.Title, "Add a smoke test") {
				smoke = a
			}
		}
		if smoke.Owner == nil || smoke.Owner.Email != "ana@example.com" || smoke.Tracker().Key != "example-org/api#3" {
			t.Errorf("smoke test action = %+v", smoke)
		}
		in := models.ActionInputOf(&smoke)
		in.Status, in.Reason = actions.StatusWontDo, "Covered by the synthetic checks."
		if _, err := store.UpdateAction(ctx, smoke.ID, smoke.Version, in, nil); err != nil {
			t.Fatal(err)
		}

		res, err = load(ctx, store, fsys)
		if err != nil {
			t.Fatal(err)
		}
		if res.ActionsCreated != 0 {
			t.Errorf("second load created %d actions", res.ActionsCreated)
		}
		got, err := store.Action(ctx, smoke.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != actions.StatusWontDo {
			t.Errorf("second load changed the edited action's status to %s", got.Status)
		}

		fsys["evidence/a.yaml"] = &fstest.MapFile{Data: []byte(goodEvidence + goodActions +
			"  - title: Page the API owner on deploy failures\n    kind: detect\n")}
		res, err = load(ctx, store, fsys)
		if err != nil {
			t.Fatal(err)
		}
		if res.ActionsCreated != 1 {
			t.Errorf("load of the grown file created %d actions, want 1", res.ActionsCreated)
		}
		if list, _ := store.IncidentActions(ctx, inc.ID); len(list) != 3 {
			t.Errorf("%d actions after the grown file, want 3", len(list))
		}
	})
}

func TestLoadBadActions(t *testing.T) {
	ctx := context.Background()
	replace := func(old, new string) string {
		if !strings.Contains(goodActions, old) {
			panic("goodActions has no " + old)
		}
		return goodEvidence + strings.Replace(goodActions, old, new, 1)
	}
	cases := []struct {
		name     string
		evidence string
		want     []string
	}{
		{"unknown key", replace("    team: API\n", "    team: API\n    assignee: ana\n"), []string{"assignee"}},
		{"unknown owner", replace("owner: ana@example.com", "owner: bob@example.com"), []string{"actions[0] (line 31)", "owner", "bob@example.com"}},
		{"bad date", replace("due: 2024-02-01", "due: 2024-02-30"), []string{"actions[0] (line 31)", "due", "2024-02-30"}},
		{"date with a time", replace("due: 2024-02-01", "due: 2024-02-01T10:00:00Z"), []string{"actions[0]", "due"}},
		{"bad status", replace("status: done", "status: finished"), []string{"actions[0]", "status", "finished"}},
		{"bad priority", replace("priority: P2", "priority: high"), []string{"actions[0]", "priority", "high"}},
		{"bad kind", replace("kind: detect", "kind: monitor"), []string{"actions[0]", "kind", "monitor"}},
		{"blocked without reason", replace("    reason: Needs the deploy tool upgrade.\n", ""), []string{"actions[1] (line 41)", "reason", "blocked"}},
		{"won't do without reason", replace("    status: blocked\n    reason: Needs the deploy tool upgrade.\n", "    status: wont_do\n"), []string{"actions[1]", "reason", "wont_do"}},
		{"reason on a done action", replace("    status: done\n", "    status: done\n    reason: Shipped.\n"), []string{"actions[0]", "reason"}},
		{"missing title", replace("title: Block deploys during an open incident", "title: ' '"), []string{"actions[1]", "title"}},
		{"duplicate title", replace("title: Block deploys during an open incident", "title: Add a smoke test of the API after each deploy"), []string{"actions[1]", "actions[0]", "title"}},
		{"bad tracker URL", replace("https://github.com/example-org/api/issues/3", "javascript:alert(1)"), []string{"actions[0]", "tracker_url"}},
		{"not a list", goodEvidence + "actions:\n  title: x\n", []string{"line 31", "EvidenceAction"}},
	}
	// A failed load writes nothing, so one database per dialect serves
	// every case, and it must still be empty after all of them.
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				fsys := fstest.MapFS{
					"users.yaml":       {Data: []byte(goodUsers)},
					"incidents/a.yaml": {Data: []byte(goodIncident)},
					"evidence/a.yaml":  {Data: []byte(c.evidence)},
				}
				_, err := load(ctx, store, fsys)
				if err == nil {
					t.Fatal("load succeeded")
				}
				t.Logf("error: %v", err)
				if !strings.Contains(err.Error(), "seeds/evidence/a.yaml: ") {
					t.Errorf("error %q should name seeds/evidence/a.yaml", err)
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q should mention %q", err, w)
					}
				}
			})
		}
		if _, err := store.UserByEmail(ctx, "ana@example.com"); err == nil {
			t.Error("a failed load created the seed user")
		}
		if n := countIncidents(t, store); n != 0 {
			t.Errorf("%d incidents created by failed loads", n)
		}
	})
}
