package seeds

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"hindsight/ingest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

// evidenceTotals is what a first load of set adds: its events, and its
// events plus notes on the timelines.
func evidenceTotals(set *Set) (events, entries int) {
	for _, ev := range set.Evidence {
		events += len(ev.Events)
		entries += len(ev.Events) + len(ev.Notes)
	}
	return events, entries
}

// allEvents lists every stored event.
func allEvents(t *testing.T, store *models.Store) []models.Event {
	t.Helper()
	var out []models.Event
	f := models.EventFilter{Limit: models.MaxEventLimit}
	for {
		page, err := store.ListEvents(context.Background(), f)
		if err != nil {
			t.Fatalf("list events: %v", err)
		}
		out = append(out, page.Events...)
		if page.NextCursor == "" {
			return out
		}
		f.Cursor = page.NextCursor
	}
}

// timelineSnapshot describes an incident's timeline and trigger, to compare
// before and after a load.
func timelineSnapshot(t *testing.T, store *models.Store, slug string) string {
	t.Helper()
	ctx := context.Background()
	inc, err := store.IncidentBySlug(ctx, slug)
	if err != nil {
		t.Fatalf("%s: %v", slug, err)
	}
	entries, err := store.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "trigger=%v ack=%v version=%d\n", deref(inc.TriggerEventID), inc.AcknowledgedAt, inc.Version)
	for _, e := range entries {
		fmt.Fprintf(&b, "%d event=%v %s %q highlight=%v\n", e.ID, deref(e.EventID), e.When().Format(time.RFC3339), e.DisplayTitle(), e.Highlight)
	}
	return b.String()
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func TestParseEmbeddedEvidence(t *testing.T) {
	set, err := Parse()
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	names, err := fs.Glob(files, evidenceDir+"/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Evidence) != len(set.Incidents) || len(names) != len(set.Incidents) {
		t.Fatalf("%d evidence files for %d incidents: every incident needs one", len(names), len(set.Incidents))
	}
	for i, ev := range set.Evidence {
		inc := set.Incidents[i]
		if ev.Slug != inc.Slug || ev.File != evidenceDir+"/"+inc.Slug+".yaml" {
			t.Errorf("evidence %d is %s (%s), want incident %s", i, ev.Slug, ev.File, inc.Slug)
		}
		if n := len(ev.Events); n < 6 || n > 15 {
			t.Errorf("%s: %d events, want 6 to 15", ev.File, n)
		}
		kinds := map[string]int{}
		services := map[string]bool{}
		for _, e := range ev.events {
			kinds[e.Kind]++
			services[e.Service] = true
			if e.Kind == ingest.KindDeploy && e.Commit == "" {
				t.Errorf("%s: deploy %s has no commit", ev.File, e.DedupKey)
			}
			if e.Environment != inc.Environment {
				t.Errorf("%s: %s is in %s, the incident in %s", ev.File, e.DedupKey, e.Environment, inc.Environment)
			}
		}
		if kinds[ingest.KindAlert] == 0 || kinds[ingest.KindDeploy] < 2 {
			t.Errorf("%s: %v; want alerts and at least two deploys to rank", ev.File, kinds)
		}
		for _, s := range inc.Services {
			if !services[s] {
				t.Errorf("%s: no event on the incident's service %s", ev.File, s)
			}
		}
		if ev.Trigger == "" {
			t.Errorf("%s: no trigger", ev.File)
		}
	}
}

func TestLoadEvidence(t *testing.T) {
	ctx := context.Background()
	set, err := Parse()
	if err != nil {
		t.Fatal(err)
	}
	wantEvents, _ := evidenceTotals(set)
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		if _, err := Load(ctx, store); err != nil {
			t.Fatalf("Load: %v", err)
		}
		if n := len(allEvents(t, store)); n != wantEvents {
			t.Errorf("%d events stored, want %d", n, wantEvents)
		}

		snapshots := map[string]string{}
		for i, seed := range set.Incidents {
			ev := set.Evidence[i]
			inc, err := store.IncidentBySlug(ctx, seed.Slug)
			if err != nil {
				t.Fatal(err)
			}
			entries, err := store.Timeline(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			var events []*models.Event
			notes := 0
			for _, e := range entries {
				if e.IsNote() {
					notes++
					continue
				}
				if e.Event == nil {
					t.Fatalf("%s: entry %d has no event", seed.Slug, e.ID)
				}
				events = append(events, e.Event)
			}
			if len(events) != len(ev.Events) || notes != len(ev.Notes) {
				t.Errorf("%s: timeline has %d events and %d notes, want %d and %d", seed.Slug, len(events), notes, len(ev.Events), len(ev.Notes))
			}

			// The import view proposes exactly these events (and no other
			// incident's), already added.
			from, to := models.DefaultImportWindow(inc, store.Now())
			cands, err := store.ImportCandidates(ctx, inc.ID, models.ImportFilter{From: from, To: to})
			if err != nil {
				t.Fatal(err)
			}
			if len(cands) != len(events) {
				t.Errorf("%s: the import window %s – %s holds %d events, the timeline %d", seed.Slug,
					from.Format(time.RFC3339), to.Format(time.RFC3339), len(cands), len(events))
			}
			for _, c := range cands {
				if !c.AlreadyAdded {
					t.Errorf("%s: import candidate %q is not on the timeline", seed.Slug, c.Event.Title)
				}
			}
			for _, e := range events {
				if e.StartsAt.Before(from) || !e.StartsAt.Before(to) {
					t.Errorf("%s: %q starts at %v, outside the import window %v – %v", seed.Slug, e.Title, e.StartsAt, from, to)
				}
				if e.EndsAt != nil && inc.ResolvedAt != nil && e.EndsAt.After(to) {
					t.Errorf("%s: %q ends at %v, after the import window ends (%v)", seed.Slug, e.Title, *e.EndsAt, to)
				}
				if e.Scope != "api:"+e.Source {
					t.Errorf("%s: %q has scope %s", seed.Slug, e.Title, e.Scope)
				}
			}

			// Trigger and acknowledgement.
			if inc.TriggerEventID == nil {
				t.Errorf("%s: no trigger", seed.Slug)
			} else {
				trig, err := store.EventByID(ctx, *inc.TriggerEventID)
				if err != nil {
					t.Fatal(err)
				}
				if trig.DedupKey != ev.Trigger {
					t.Errorf("%s: trigger is %s, want %s", seed.Slug, trig.DedupKey, ev.Trigger)
				}
				if trig.StartsAt.After(inc.StartedAt) {
					t.Errorf("%s: trigger %q starts after the impact", seed.Slug, trig.Title)
				}
			}
			switch {
			case ev.AcknowledgedAt == nil && inc.AcknowledgedAt != nil:
				t.Errorf("%s: acknowledged at %v", seed.Slug, *inc.AcknowledgedAt)
			case ev.AcknowledgedAt != nil && (inc.AcknowledgedAt == nil || !inc.AcknowledgedAt.Equal(*ev.AcknowledgedAt)):
				t.Errorf("%s: acknowledged at %v, want %v", seed.Slug, inc.AcknowledgedAt, *ev.AcknowledgedAt)
			}
			// The other moments are the incident file's.
			if !inc.StartedAt.Equal(seed.StartedAt) || !sameTime(inc.ResolvedAt, seed.ResolvedAt) || !sameTime(inc.MitigatedAt, seed.MitigatedAt) {
				t.Errorf("%s: key moments changed by the evidence", seed.Slug)
			}
			snapshots[seed.Slug] = timelineSnapshot(t, store, seed.Slug)
		}

		// The chatbot outage: the 11:30 deploy with its migration is the
		// trigger, on a timeline of at least six entries.
		bookbot, err := store.IncidentBySlug(ctx, "bookbot-errors-schema-behind-code")
		if err != nil {
			t.Fatal(err)
		}
		entries, err := store.Timeline(ctx, bookbot.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) < 6 {
			t.Errorf("bookbot timeline has %d entries, want at least 6", len(entries))
		}
		trig, err := store.EventByID(ctx, deref(bookbot.TriggerEventID))
		if err != nil {
			t.Fatalf("bookbot trigger: %v", err)
		}
		if want := time.Date(2022, 11, 17, 10, 30, 0, 0, time.UTC); trig.Kind != ingest.KindDeploy || !trig.StartsAt.Equal(want) ||
			!trig.HasMigrations || trig.Service != "bookbot-api" || trig.Status != ingest.StatusSucceeded {
			t.Errorf("bookbot trigger = %s %s %s at %v (migrations %v), want the succeeded bookbot-api deploy at %v with migrations",
				trig.Kind, trig.Service, trig.Status, trig.StartsAt, trig.HasMigrations, want)
		}
		var highlighted bool
		for _, e := range entries {
			if e.EventID != nil && *e.EventID == trig.ID {
				highlighted = e.Highlight
			}
		}
		if !highlighted {
			t.Error("the bookbot trigger's timeline entry is not highlighted")
		}

		// A resolved alert's history reads as the tool reported it: firing
		// at its start, resolved at its end; a deploy pending, then done.
		hist, err := store.EventHistories(ctx, []int64{trig.ID})
		if err != nil {
			t.Fatal(err)
		}
		if h := hist[trig.ID]; len(h) != 2 || h[0].Status != ingest.StatusPending || !h[0].At.Equal(trig.StartsAt) ||
			h[1].Status != ingest.StatusSucceeded || trig.EndsAt == nil || !h[1].At.Equal(*trig.EndsAt) {
			t.Errorf("trigger history = %+v", h)
		}
		for _, e := range entries {
			if e.Event == nil || e.Event.Kind != ingest.KindAlert || e.Event.Status != ingest.StatusResolved {
				continue
			}
			hist, err := store.EventHistory(ctx, e.Event.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 2 || hist[0].Status != ingest.StatusFiring || !hist[0].At.Equal(e.Event.StartsAt) ||
				hist[1].Status != ingest.StatusResolved || !hist[1].At.Equal(*e.Event.EndsAt) {
				t.Errorf("history of %q = %+v", e.Event.Title, hist)
			}
		}

		// Loading again changes nothing.
		res, err := Load(ctx, store)
		if err != nil {
			t.Fatalf("second Load: %v", err)
		}
		if res.EventsCreated != 0 || res.TimelineEntriesAdded != 0 {
			t.Errorf("second Load = %+v", res)
		}
		if n := len(allEvents(t, store)); n != wantEvents {
			t.Errorf("after the second Load %d events, want %d", n, wantEvents)
		}
		for _, seed := range set.Incidents {
			if got := timelineSnapshot(t, store, seed.Slug); got != snapshots[seed.Slug] {
				t.Errorf("%s changed on the second Load:\n%s\nwas:\n%s", seed.Slug, got, snapshots[seed.Slug])
			}
		}
	})
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

const goodEvidence = `events:
  - kind: deploy
    source: github
    dedup_key: deployment:1
    status: succeeded
    title: Deploy 00d5825 of api to production
    service: api
    environment: production
    starts_at: 2024-01-02T09:50:00+01:00
    ends_at: 2024-01-02T09:53:00+01:00
    commit: 00d5825fc7646c504de254c1f5b16e86272b1469
    has_migrations: true
  - kind: alert
    source: alertmanager
    dedup_key: f1@2024-01-02T09:00:00Z
    status: resolved
    title: API errors
    severity: critical
    service: api
    environment: production
    starts_at: 2024-01-02T10:00:00+01:00
    ends_at: 2024-01-02T10:20:00+01:00
    labels: {alertname: APIErrors}
notes:
  - at: 2024-01-02T10:10:00+01:00
    title: Rolled back
    note: By hand.
trigger: deployment:1
acknowledged_at: 2024-01-02T10:07:00+01:00
`

// extraEvent is an event added to goodEvidence's list.
const extraEvent = `  - kind: change
    source: github
    dedup_key: workflow_run:7
    title: Flag flipped
    service: api
    environment: production
    starts_at: 2024-01-02T10:15:00+01:00
`

func TestLoadEvidenceIdempotent(t *testing.T) {
	ctx := context.Background()
	fsysWith := func(evidence string) fstest.MapFS {
		return fstest.MapFS{
			"users.yaml":         {Data: []byte(goodUsers)},
			"incidents/a.yaml":   {Data: []byte(goodIncident)},
			"evidence/a.yaml":    {Data: []byte(evidence)},
			"evidence/README.md": {Data: []byte("not evidence")},
		}
	}
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		res, err := load(ctx, store, fsysWith(goodEvidence))
		if err != nil {
			t.Fatal(err)
		}
		if want := (Result{UsersCreated: 1, IncidentsCreated: 1, EventsCreated: 2, TimelineEntriesAdded: 3}); res != want {
			t.Errorf("first load = %+v, want %+v", res, want)
		}
		inc, err := store.IncidentBySlug(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if inc.AcknowledgedAt == nil || !inc.AcknowledgedAt.Equal(time.Date(2024, 1, 2, 9, 7, 0, 0, time.UTC)) {
			t.Errorf("acknowledged at %v", inc.AcknowledgedAt)
		}
		before := timelineSnapshot(t, store, "a")

		res, err = load(ctx, store, fsysWith(goodEvidence))
		if err != nil {
			t.Fatal(err)
		}
		if want := (Result{IncidentsSkipped: 1}); res != want {
			t.Errorf("second load = %+v, want %+v", res, want)
		}
		if after := timelineSnapshot(t, store, "a"); after != before {
			t.Errorf("second load changed the timeline:\n%s\nwas:\n%s", after, before)
		}

		// The authors' own trigger and the author's edit of a note's body
		// survive a load; a removed event comes back (the seed's evidence is
		// on the timeline after every load).
		entries, err := store.Timeline(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var other int64 // an alert is a poor trigger, but it is the authors' choice
		for _, e := range entries {
			switch {
			case e.Event != nil && e.Event.Kind == ingest.KindAlert:
				other = e.Event.ID
			case e.Event != nil && e.Event.Kind == ingest.KindDeploy:
				if err := store.DeleteTimelineEntry(ctx, inc.ID, e.ID, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := store.SetTrigger(ctx, inc.ID, &other, nil); err != nil {
			t.Fatal(err)
		}

		// Evidence added to the file after it was loaded goes in too: an
		// event and a note, and the removed deploy is back on the timeline.
		grown := strings.Replace(goodEvidence, "notes:\n", extraEvent+"notes:\n", 1)
		grown = strings.Replace(grown, "    note: By hand.\n", "    note: By hand.\n  - at: 2024-01-02T10:30:00+01:00\n    title: Watching\n", 1)
		res, err = load(ctx, store, fsysWith(grown))
		if err != nil {
			t.Fatal(err)
		}
		if want := (Result{IncidentsSkipped: 1, EventsCreated: 1, TimelineEntriesAdded: 3}); res != want {
			t.Errorf("load of the grown file = %+v, want %+v", res, want)
		}
		inc, err = store.IncidentBySlug(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if deref(inc.TriggerEventID) != other {
			t.Errorf("trigger %d replaced by the seed, want %d", deref(inc.TriggerEventID), other)
		}
		if n := len(allEvents(t, store)); n != 3 {
			t.Errorf("%d events, want 3", n)
		}
		before = timelineSnapshot(t, store, "a")
		if strings.Count(before, "\n") != 1+5 {
			t.Errorf("timeline:\n%s\nwant 3 events and 2 notes", before)
		}
		res, err = load(ctx, store, fsysWith(grown))
		if err != nil {
			t.Fatal(err)
		}
		if want := (Result{IncidentsSkipped: 1}); res != want {
			t.Errorf("second load of the grown file = %+v, want %+v", res, want)
		}
		if after := timelineSnapshot(t, store, "a"); after != before {
			t.Errorf("second load of the grown file changed the timeline:\n%s\nwas:\n%s", after, before)
		}
	})
}

func TestLoadBadEvidence(t *testing.T) {
	ctx := context.Background()
	replace := func(old, new string) string {
		if !strings.Contains(goodEvidence, old) {
			panic("goodEvidence has no " + old)
		}
		return strings.Replace(goodEvidence, old, new, 1)
	}
	dupKey := strings.Replace(goodEvidence, "notes:\n", strings.Replace(extraEvent, "workflow_run:7", "deployment:1", 1)+"notes:\n", 1)
	cases := []struct {
		name     string
		file     string // under evidence/
		evidence string
		want     []string
	}{
		{"unknown key", "a.yaml", replace("    has_migrations: true\n", "    has_migrations: true\n    colour: red\n"), []string{"colour"}},
		{"unknown top-level key", "a.yaml", goodEvidence + "moments: {}\n", []string{"moments"}},
		{"bad status for kind", "a.yaml", replace("status: succeeded", "status: firing"), []string{"events[0] (line 2)", `"firing" is not a status of a deploy`}},
		{"unknown slug", "b.yaml", goodEvidence, []string{"unknown incident slug", `"b"`}},
		{"unknown trigger", "a.yaml", replace("trigger: deployment:1", "trigger: deployment:2"), []string{"trigger", "deployment:2"}},
		{"alert as trigger", "a.yaml", replace("trigger: deployment:1", "trigger: f1@2024-01-02T09:00:00Z"), []string{"trigger", "events[1] is an alert"}},
		{"unknown kind", "a.yaml", replace("kind: alert", "kind: note"), []string{"events[1] (line 13)", "kind", "notes:"}},
		{"bad severity", "a.yaml", replace("severity: critical", "severity: apocalyptic"), []string{"events[1]", "severity"}},
		{"time without offset", "a.yaml", replace("starts_at: 2024-01-02T09:50:00+01:00", "starts_at: 2024-01-02 09:50"), []string{"line 9", "starts_at", "RFC 3339"}},
		{"note time without offset", "a.yaml", replace("at: 2024-01-02T10:10:00+01:00", "at: 2024-01-02"), []string{"at:", "RFC 3339"}},
		{"before the import window", "a.yaml", replace("starts_at: 2024-01-02T09:50:00+01:00", "starts_at: 2024-01-02T07:50:00+01:00"), []string{"events[0]", "import window"}},
		{"resolved without ends_at", "a.yaml", replace("    ends_at: 2024-01-02T10:20:00+01:00\n", ""), []string{"events[1]", "ends_at", "resolved alert"}},
		{"firing with ends_at", "a.yaml", replace("status: resolved", "status: firing"), []string{"events[1]", "ends_at"}},
		{"short commit", "a.yaml", replace("commit: 00d5825fc7646c504de254c1f5b16e86272b1469", "commit: 00d5825"), []string{"events[0]", "commit"}},
		{"missing title", "a.yaml", replace("title: API errors", "title: ' '"), []string{"events[1]", "title"}},
		{"duplicate dedup key", "a.yaml", dupKey, []string{"events[2]", "deployment:1", "events[0]"}},
		{"missing service", "a.yaml", replace("    service: api\n    environment: production\n    starts_at: 2024-01-02T10:00", "    environment: production\n    starts_at: 2024-01-02T10:00"), []string{"events[1]", "service"}},
		{"duplicate note title", "a.yaml", replace("    note: By hand.\n", "    note: By hand.\n  - at: 2024-01-02T10:11:00+01:00\n    title: Rolled back\n"), []string{"notes[1]", "Rolled back"}},
		{"acknowledged before detected", "a.yaml", replace("acknowledged_at: 2024-01-02T10:07:00+01:00", "acknowledged_at: 2024-01-02T10:01:00+01:00"), []string{"acknowledged_at"}},
		{"no events", "a.yaml", "events: []\n", []string{"events"}},
		{"two documents", "a.yaml", goodEvidence + "---\nevents: []\n", []string{"single YAML document"}},
	}
	// A failed load writes nothing, so one database per dialect serves
	// every case, and it must still be empty after all of them.
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				fsys := fstest.MapFS{
					"users.yaml":          {Data: []byte(goodUsers)},
					"incidents/a.yaml":    {Data: []byte(goodIncident)},
					"evidence/" + c.file:  {Data: []byte(c.evidence)},
					"evidence/other.json": {Data: []byte("{}")},
				}
				_, err := load(ctx, store, fsys)
				if err == nil {
					t.Fatal("load succeeded")
				}
				t.Logf("error: %v", err)
				if !strings.Contains(err.Error(), "seeds/evidence/"+c.file+": ") {
					t.Errorf("error %q should name seeds/evidence/%s", err, c.file)
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q should mention %q", err, w)
					}
				}
				if _, err := parse(fsys); err == nil {
					t.Error("parse succeeded")
				}
			})
		}
		if _, err := store.UserByEmail(ctx, "ana@example.com"); err == nil {
			t.Error("a failed load created the seed user")
		}
		if n := countIncidents(t, store); n != 0 {
			t.Errorf("%d incidents created by failed loads", n)
		}
		if n := len(allEvents(t, store)); n != 0 {
			t.Errorf("%d events created by failed loads", n)
		}
	})
}
