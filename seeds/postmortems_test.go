package seeds

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/postmortem"
)

// branches reports whether some step of w has two causes or more.
func branches(w postmortem.Whys) bool {
	for _, n := range w.Flatten() {
		children := 0
		for _, s := range w.Steps {
			if s.ParentID == n.ID {
				children++
			}
		}
		if children >= 2 {
			return true
		}
	}
	return false
}

// TestEmbeddedPostmortems checks the demo's postmortems without a
// database: every incident has one, its impact, Five Whys, factors and
// lessons are complete by the full template's rules, and they have the
// shape the demo promises.
func TestEmbeddedPostmortems(t *testing.T) {
	set, err := Parse()
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	names, err := fs.Glob(files, postmortemsDir+"/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Postmortems) != len(set.Incidents) || len(names) != len(set.Incidents) {
		t.Fatalf("%d postmortem files for %d incidents: every incident needs one", len(names), len(set.Incidents))
	}
	full, ok := postmortem.TemplateByKey(postmortem.DefaultTemplates(), models.DefaultTemplateKey)
	if !ok {
		t.Fatal("no full template")
	}
	categories := postmortem.DefaultCategories()
	for i, pm := range set.Postmortems {
		inc := set.Incidents[i]
		if pm.Slug != inc.Slug || pm.File != postmortemsDir+"/"+inc.Slug+".yaml" {
			t.Errorf("postmortem %d is %s (%s), want incident %s", i, pm.Slug, pm.File, inc.Slug)
			continue
		}
		if !slices.Contains(inc.Authors, pm.Author) {
			t.Errorf("%s: author %s is not one of %v", pm.File, pm.Author, inc.Authors)
		}

		im := pm.impact
		if im.Start == nil || !im.Start.Equal(inc.StartedAt) {
			t.Errorf("%s: impact starts at %v, the incident at %v", pm.File, im.Start, inc.StartedAt)
		}
		wantEnd := inc.MitigatedAt
		if wantEnd == nil {
			wantEnd = inc.ResolvedAt
		}
		if !sameTime(im.End, wantEnd) {
			t.Errorf("%s: impact ends at %v, want the incident's mitigation %v", pm.File, im.End, wantEnd)
		}
		if im.UsersAffected.Count == nil || im.UsersAffected.Qualifier == "" || len(im.Services) == 0 ||
			im.WhatUsersSaw == "" || im.Detection.Method == "" || im.DataLoss.Kind == "" {
			t.Errorf("%s: impact lacks users affected, services, what users saw, detection or data loss: %+v", pm.File, im)
		}

		if n := len(pm.whys.Steps); n < 4 || n > 8 {
			t.Errorf("%s: %d why steps, want 4 to 8", pm.File, n)
		}
		if !branches(pm.whys) {
			t.Errorf("%s: no why step has two causes", pm.File)
		}
		cited := 0
		for _, refs := range pm.refs {
			cited += len(refs)
		}
		if cited == 0 {
			t.Errorf("%s: no why step cites the timeline", pm.File)
		}

		if n := len(pm.factors.Items); n < 2 || n > 4 {
			t.Errorf("%s: %d factors, want 2 to 4", pm.File, n)
		}
		for _, f := range pm.factors.Items {
			if !slices.ContainsFunc(categories, func(c postmortem.Category) bool { return c.Key == f.Category }) {
				t.Errorf("%s: factor %s has category %q", pm.File, f.ID, f.Category)
			}
			if _, ok := pm.whys.Find(f.WhyStepID); f.WhyStepID == "" || !ok {
				t.Errorf("%s: factor %s comes from why step %q, which does not exist", pm.File, f.ID, f.WhyStepID)
			}
		}

		l := pm.lessons
		if len(l.WentWell) < 2 || len(l.WentWell) > 4 || len(l.WentWrong) < 2 || len(l.WentWrong) > 4 || len(l.Lucky) < 1 || len(l.Lucky) > 4 {
			t.Errorf("%s: %d went well, %d went wrong, %d lucky; want 2–4, 2–4 and 1–4", pm.File, len(l.WentWell), len(l.WentWrong), len(l.Lucky))
		}

		// Complete, with nothing left to hint at: every Five Whys cause is
		// a factor, no why is open, and the tree is three levels deep.
		snap := postmortem.Snapshot{Impact: pm.impact, Whys: pm.whys, Factors: pm.factors, Lessons: pm.lessons}
		for _, st := range postmortem.Progress(snap, full) {
			switch st.Step {
			case postmortem.StepImpact, postmortem.StepWhys, postmortem.StepFactors, postmortem.StepLessons:
				if !st.Complete || (st.Step != postmortem.StepImpact && len(st.Hints) > 0) {
					t.Errorf("%s: step %s: missing %v, hints %v", pm.File, st.Step, st.Missing, st.Hints)
				}
			}
		}
	}
}

// TestLoadPostmortems loads the demo and checks what the store holds: four
// valid sections per incident, saved once by one of its authors, with
// evidence on its own timeline; a second load saves nothing.
func TestLoadPostmortems(t *testing.T) {
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
		if want := 4 * len(set.Incidents); res.PostmortemSectionsSaved != want {
			t.Errorf("first Load saved %d sections, want %d", res.PostmortemSectionsSaved, want)
		}
		cats, err := store.FactorCategories(ctx)
		if err != nil {
			t.Fatal(err)
		}

		type state struct {
			incidentVersion int64
			sections        map[string]int64
		}
		before := map[string]state{}
		for _, seed := range set.Incidents {
			inc, err := store.IncidentBySlug(ctx, seed.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if inc.Status != seed.Status {
				t.Errorf("%s: status %s after the load, want %s", seed.Slug, inc.Status, seed.Status)
			}
			authors := map[string]bool{}
			for _, a := range inc.Authors {
				authors[a.Email] = true
			}
			st := state{incidentVersion: inc.Version, sections: map[string]int64{}}
			for _, section := range postmortemSections {
				sec, err := store.Section(ctx, inc.ID, section)
				if err != nil {
					t.Fatal(err)
				}
				if sec.Version != 1 || !authors[sec.UpdatedBy] {
					t.Errorf("%s: %s section at version %d by %q, want version 1 by an author", seed.Slug, section, sec.Version, sec.UpdatedBy)
				}
				st.sections[section] = sec.Version
			}
			before[seed.Slug] = st

			impact, _, err := store.Impact(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			whys, _, err := store.Whys(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			factors, _, err := store.Factors(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			lessons, _, err := store.Lessons(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			for name, fe := range map[string]postmortem.FieldErrors{"impact": impact.Validate(nil), "whys": whys.Validate(),
				"factors": factors.Validate(cats), "lessons": lessons.Validate()} {
				if fe != nil {
					t.Errorf("%s: stored %s is invalid: %v", seed.Slug, name, fe)
				}
			}
			if impact.Start == nil || !impact.Start.Equal(inc.StartedAt) || impact.UsersAffected.Count == nil || impact.WhatUsersSaw == "" {
				t.Errorf("%s: stored impact %+v", seed.Slug, impact)
			}

			if len(whys.Steps) < 4 || !branches(whys) || whys.Problem == "" {
				t.Errorf("%s: stored whys have %d steps, branching %v, problem %q", seed.Slug, len(whys.Steps), branches(whys), whys.Problem)
			}
			entries, err := store.Timeline(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			onTimeline := map[int64]bool{}
			for _, e := range entries {
				onTimeline[e.ID] = true
			}
			cited := whys.CitedEntries()
			if len(cited) == 0 {
				t.Errorf("%s: the whys cite no timeline entry", seed.Slug)
			}
			for id, steps := range cited {
				if !onTimeline[id] {
					t.Errorf("%s: steps %v cite entry %d, which is not on the incident's timeline", seed.Slug, steps, id)
				}
			}

			if len(factors.Items) < 2 {
				t.Errorf("%s: %d factors", seed.Slug, len(factors.Items))
			}
			for _, f := range factors.Items {
				if _, ok := whys.Find(f.WhyStepID); f.WhyStepID != "" && !ok {
					t.Errorf("%s: factor %s comes from the missing why step %s", seed.Slug, f.ID, f.WhyStepID)
				}
			}
			if len(lessons.WentWell) == 0 || len(lessons.WentWrong) == 0 || len(lessons.Lucky) == 0 {
				t.Errorf("%s: stored lessons %+v", seed.Slug, lessons)
			}
		}

		// The chatbot outage: the first why cites the trigger deploy and
		// the authors' note, by their ids on its timeline.
		bookbot, err := store.IncidentBySlug(ctx, "bookbot-errors-schema-behind-code")
		if err != nil {
			t.Fatal(err)
		}
		whys, _, _ := store.Whys(ctx, bookbot.ID)
		entries, _ := store.Timeline(ctx, bookbot.ID)
		var want []int64
		for _, e := range entries {
			if (e.Event != nil && e.Event.DedupKey == "deployment:8812034") || (e.IsNote() && e.Title == "Schema is behind the new code") {
				want = append(want, e.ID)
			}
		}
		w1, ok := whys.Find("w1")
		if len(want) != 2 || !ok || !slices.Contains(w1.Evidence, want[0]) || !slices.Contains(w1.Evidence, want[1]) {
			t.Errorf("bookbot w1 cites %v, want %v among them", w1.Evidence, want)
		}

		// Loading again saves nothing and changes no incident.
		res, err = Load(ctx, store)
		if err != nil {
			t.Fatalf("second Load: %v", err)
		}
		if res.PostmortemSectionsSaved != 0 {
			t.Errorf("second Load saved %d sections", res.PostmortemSectionsSaved)
		}
		for _, seed := range set.Incidents {
			inc, err := store.IncidentBySlug(ctx, seed.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if inc.Version != before[seed.Slug].incidentVersion {
				t.Errorf("%s: incident version %d after the second load, was %d", seed.Slug, inc.Version, before[seed.Slug].incidentVersion)
			}
			for _, section := range postmortemSections {
				revs, err := store.SectionRevisions(ctx, inc.ID, section)
				if err != nil {
					t.Fatal(err)
				}
				if len(revs) != 1 || revs[0].Version != 1 {
					t.Errorf("%s: %s has %d revisions after the second load, want version 1 only", seed.Slug, section, len(revs))
				}
			}
		}
	})
}

const goodPostmortem = `author: ana@example.com
impact:
  users_affected: {count: 40, qualifier: estimate}
  customers: {count: 2, names: [Acme]}
  services: [api]
  features: [checkout]
  what_users_saw: Every API call failed.
  detection: {method: alert, link: "https://alerts.example.com/1"}
  data_loss: {kind: none}
  support_tickets: 4
whys:
  problem: The API answered with errors.
  steps:
    - id: w1
      why: Why did the API fail?
      because: The deploy's migration dropped a column still in use.
      evidence:
        - event: deployment:1
        - note: Rolled back
    - id: w2
      parent: w1
      why: Why was the column still in use?
      because: The code that stopped using it had not been deployed.
    - id: w3
      parent: w1
      why: Why did review miss it?
      because: Nobody compared the migration with the code.
      evidence:
        - event: f1@2024-01-02T09:00:00Z
          source: alertmanager
factors:
  - id: f1
    category: deploy
    note: Migration shipped before the code.
    why_step: w2
  - id: f2
    category: process_gap
    note: Review did not compare the two.
    why_step: w3
lessons:
  went_well: [Rolled back by hand.]
  went_wrong: [The migration ran first.]
  lucky: [A quiet morning.]
`

// postmortemFS is a seed with one incident (status given), its evidence
// and, when pm is not empty, its postmortem.
func postmortemFS(status, pm string) fstest.MapFS {
	fsys := fstest.MapFS{
		"users.yaml":       {Data: []byte(goodUsers)},
		"incidents/a.yaml": {Data: []byte(strings.Replace(goodIncident, "status: draft", "status: "+status, 1))},
		"evidence/a.yaml":  {Data: []byte(goodEvidence)},
	}
	if pm != "" {
		fsys["postmortems/a.yaml"] = &fstest.MapFile{Data: []byte(pm)}
	}
	return fsys
}

// TestLoadPostmortemPublished loads a postmortem onto a published incident
// that a previous seed created without one: it is reopened for the saves
// and published again. A section edited in the app afterwards is kept.
func TestLoadPostmortemPublished(t *testing.T) {
	ctx := context.Background()
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		if _, err := load(ctx, store, postmortemFS(models.StatusPublished, "")); err != nil {
			t.Fatal(err)
		}
		inc, err := store.IncidentBySlug(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		res, err := load(ctx, store, postmortemFS(models.StatusPublished, goodPostmortem))
		if err != nil {
			t.Fatal(err)
		}
		if want := (Result{IncidentsSkipped: 1, PostmortemSectionsSaved: 4}); res != want {
			t.Errorf("load with the postmortem = %+v, want %+v", res, want)
		}
		after, err := store.IncidentBySlug(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if after.Status != models.StatusPublished || after.Title != inc.Title || len(after.Authors) != len(inc.Authors) {
			t.Errorf("incident became %s %q with %d authors, want published %q with %d", after.Status, after.Title,
				len(after.Authors), inc.Title, len(inc.Authors))
		}

		impact, sec, err := store.Impact(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sec.Version != 1 || sec.UpdatedBy != "ana@example.com" || impact.Start == nil || !impact.Start.Equal(inc.StartedAt) ||
			impact.End != nil || *impact.UsersAffected.Count != 40 || *impact.SupportTickets != 4 {
			t.Errorf("impact %+v saved as %+v", impact, sec)
		}
		entries, err := store.Timeline(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int64{}
		for _, e := range entries {
			ids[e.DisplayTitle()] = e.ID
		}
		whys, _, err := store.Whys(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		w1, _ := whys.Find("w1")
		w3, _ := whys.Find("w3")
		if !slices.Equal(w1.Evidence, []int64{ids["Deploy 00d5825 of api to production"], ids["Rolled back"]}) || !slices.Equal(w3.Evidence, []int64{ids["API errors"]}) {
			t.Errorf("evidence w1 %v, w3 %v; timeline %v", w1.Evidence, w3.Evidence, ids)
		}
		factors, _, err := store.Factors(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(factors.Items) != 2 || factors.Items[0].WhyStepID != "w2" || factors.Items[1].Category != "process_gap" {
			t.Errorf("factors %+v", factors)
		}

		// Nothing left to save: the published incident is not touched.
		res, err = load(ctx, store, postmortemFS(models.StatusPublished, goodPostmortem))
		if err != nil {
			t.Fatal(err)
		}
		if want := (Result{IncidentsSkipped: 1}); res != want {
			t.Errorf("second load = %+v, want %+v", res, want)
		}
		if again, _ := store.IncidentBySlug(ctx, "a"); again.Version != after.Version {
			t.Errorf("second load changed the incident: version %d, was %d", again.Version, after.Version)
		}

		// An editor reopens it and rewrites the lessons; the seed keeps them.
		if err := setReviewState(ctx, store, inc.ID, models.StatusInReview); err != nil {
			t.Fatal(err)
		}
		reopened, err := store.IncidentBySlug(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		mine := postmortem.Lessons{WentWrong: []string{"Ours, not the seed's."}}
		if _, err := store.SaveLessons(ctx, inc.ID, mine, 1, "ana@example.com"); err != nil {
			t.Fatal(err)
		}
		res, err = load(ctx, store, postmortemFS(models.StatusPublished, goodPostmortem))
		if err != nil {
			t.Fatal(err)
		}
		if res.PostmortemSectionsSaved != 0 {
			t.Errorf("load after the edit saved %d sections", res.PostmortemSectionsSaved)
		}
		lessons, sec, _ := store.Lessons(ctx, inc.ID)
		if sec.Version != 2 || !slices.Equal(lessons.WentWrong, mine.WentWrong) {
			t.Errorf("edited lessons became %+v at version %d", lessons, sec.Version)
		}
		if got, _ := store.IncidentBySlug(ctx, "a"); got.Status != models.StatusInReview || got.Version != reopened.Version {
			t.Errorf("the reopened incident became %s at version %d", got.Status, got.Version)
		}
	})
}

// TestLoadPostmortemKeepsAppWhys: whys written in the app before the seed
// are kept, the other sections are saved, and a factor linked to a step
// that the stored whys lack loses the link.
func TestLoadPostmortemKeepsAppWhys(t *testing.T) {
	ctx := context.Background()
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		if _, err := load(ctx, store, postmortemFS(models.StatusDraft, "")); err != nil {
			t.Fatal(err)
		}
		inc, err := store.IncidentBySlug(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		ours := postmortem.Whys{Problem: "Ours", Steps: []postmortem.WhyStep{{ID: "w3", Why: "Why?", Because: "Because."}}}
		if _, err := store.SaveWhys(ctx, inc.ID, ours, 0, "ana@example.com"); err != nil {
			t.Fatal(err)
		}
		res, err := load(ctx, store, postmortemFS(models.StatusDraft, goodPostmortem))
		if err != nil {
			t.Fatal(err)
		}
		if res.PostmortemSectionsSaved != 3 {
			t.Errorf("saved %d sections, want 3", res.PostmortemSectionsSaved)
		}
		whys, sec, _ := store.Whys(ctx, inc.ID)
		if sec.Version != 1 || whys.Problem != "Ours" {
			t.Errorf("whys written in the app became %+v", whys)
		}
		factors, _, _ := store.Factors(ctx, inc.ID)
		if len(factors.Items) != 2 || factors.Items[0].WhyStepID != "" || factors.Items[1].WhyStepID != "w3" {
			t.Errorf("factors %+v: want the link to w2 dropped and the one to w3 kept", factors.Items)
		}
		if got, _ := store.IncidentBySlug(ctx, "a"); got.Status != models.StatusDraft {
			t.Errorf("status %s", got.Status)
		}
	})
}

func TestLoadBadPostmortems(t *testing.T) {
	ctx := context.Background()
	replace := func(old, new string) string {
		if !strings.Contains(goodPostmortem, old) {
			panic("goodPostmortem has no " + old)
		}
		return strings.Replace(goodPostmortem, old, new, 1)
	}
	cases := []struct {
		name string
		file string // under postmortems/
		pm   string
		want []string
	}{
		{"unknown key", "a.yaml", replace("  services: [api]\n", "  services: [api]\n  colour: red\n"), []string{"colour"}},
		{"unknown slug", "b.yaml", goodPostmortem, []string{"unknown incident slug", `"b"`}},
		{"not an author", "a.yaml", replace("author: ana@example.com", "author: bob@example.com"), []string{"incident a", "author", "bob@example.com"}},
		{"bad qualifier", "a.yaml", replace("qualifier: estimate", "qualifier: roughly"), []string{"incident a", "impact", "users_affected.qualifier"}},
		{"count without qualifier", "a.yaml", replace("{count: 40, qualifier: estimate}", "{count: 40}"), []string{"impact", "users_affected.qualifier"}},
		{"bad link", "a.yaml", replace(`"https://alerts.example.com/1"`, `"javascript:alert(1)"`), []string{"impact", "detection.link"}},
		{"details without data loss", "a.yaml", replace("{kind: none}", "{kind: none, details: Some rows.}"), []string{"impact", "data_loss.details"}},
		{"time without offset", "a.yaml", replace("  services: [api]\n", "  services: [api]\n  start: 2024-01-02 10:00\n"), []string{"impact", "start", "RFC 3339"}},
		{"end before start", "a.yaml", replace("  services: [api]\n", "  services: [api]\n  end: 2024-01-02T09:00:00+01:00\n"), []string{"impact", "end"}},
		{"unknown event", "a.yaml", replace("event: deployment:1", "event: deployment:9"), []string{"incident a", "whys", "steps[0].evidence[0]", "deployment:9"}},
		{"event of another source", "a.yaml", replace("source: alertmanager", "source: grafana"), []string{"whys", "steps[2].evidence[0]", "f1@2024-01-02T09:00:00Z"}},
		{"unknown note", "a.yaml", replace("note: Rolled back", "note: Rolled forward"), []string{"whys", "steps[0].evidence[1]", "Rolled forward"}},
		{"event and note", "a.yaml", replace("        - note: Rolled back\n", "        - note: Rolled back\n          event: deployment:1\n"), []string{"steps[0].evidence[1]", "either"}},
		{"cited twice", "a.yaml", replace("        - note: Rolled back\n", "        - note: Rolled back\n        - event: deployment:1\n"), []string{"whys", "steps[0].evidence[2]", "already cited"}},
		{"unknown parent", "a.yaml", replace("parent: w1\n      why: Why was", "parent: w9\n      why: Why was"), []string{"whys", "steps[1].parent_id"}},
		{"duplicate step id", "a.yaml", replace("    - id: w3\n", "    - id: w2\n"), []string{"whys", "steps[2].id"}},
		{"empty step", "a.yaml", replace("      why: Why did review miss it?\n      because: Nobody compared the migration with the code.\n", ""), []string{"whys", "steps[2].because"}},
		{"unknown category", "a.yaml", replace("category: deploy", "category: gremlins"), []string{"incident a", "factors", "items[0].category"}},
		{"unknown why step", "a.yaml", replace("why_step: w2", "why_step: w9"), []string{"factors", "items[0].why_step_id", "w9"}},
		{"duplicate factor id", "a.yaml", replace("  - id: f2\n", "  - id: f1\n"), []string{"factors", "items[1].id"}},
		{"long lesson", "a.yaml", replace("[The migration ran first.]", "['"+strings.Repeat("x", 2001)+"']"), []string{"lessons", "went_wrong[0]"}},
		{"two documents", "a.yaml", goodPostmortem + "---\nauthor: ana@example.com\n", []string{"single YAML document"}},
	}
	// A failed parse writes nothing, so one database per dialect serves
	// every case, and it must still be empty after all of them.
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				fsys := postmortemFS(models.StatusDraft, "")
				fsys["postmortems/"+c.file] = &fstest.MapFile{Data: []byte(c.pm)}
				_, err := load(ctx, store, fsys)
				if err == nil {
					t.Fatal("load succeeded")
				}
				t.Logf("error: %v", err)
				if !strings.Contains(err.Error(), "seeds/postmortems/"+c.file+": ") {
					t.Errorf("error %q should name seeds/postmortems/%s", err, c.file)
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
		if n := countIncidents(t, store); n != 0 {
			t.Errorf("%d incidents created by failed loads", n)
		}
	})
}

// TestLoadPostmortemRefused: a section the store refuses (here, a factor
// category the admin's taxonomy lacks) fails the load naming the incident
// and the field, and a published incident is published again.
func TestLoadPostmortemRefused(t *testing.T) {
	ctx := context.Background()
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		cats := []postmortem.Category{{Key: "process_gap", Label: "Process gap", Group: postmortem.GroupGap}}
		if err := store.SaveFactorCategories(ctx, cats); err != nil {
			t.Fatal(err)
		}
		_, err := load(ctx, store, postmortemFS(models.StatusPublished, goodPostmortem))
		if err == nil {
			t.Fatal("load succeeded")
		}
		t.Logf("error: %v", err)
		var ve *models.ValidationError
		for _, w := range []string{"seeds/postmortems/a.yaml: ", "incident a", "factors", "items[0].category"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q should mention %q", err, w)
			}
		}
		if !errors.As(err, &ve) {
			t.Errorf("error %v is not the store's validation error", err)
		}
		inc, err := store.IncidentBySlug(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if inc.Status != models.StatusPublished {
			t.Errorf("incident left %s after the failed save", inc.Status)
		}
		for section, want := range map[string]int64{models.SectionImpact: 1, models.SectionWhys: 1, models.SectionFactors: 0, models.SectionLessons: 0} {
			if sec, _ := store.Section(ctx, inc.ID, section); sec.Version != want {
				t.Errorf("%s at version %d, want %d", section, sec.Version, want)
			}
		}
	})
}
