package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/postmortem"
)

// whysValues is the Five Whys form as the page posts it for w, with some
// fields changed.
func whysValues(w postmortem.Whys, version int64, edit map[string]string) url.Values {
	v := url.Values{"version": {strconv.FormatInt(version, 10)}, "problem": {w.Problem}}
	for _, s := range w.Steps {
		v.Add("step", s.ID)
		v.Set("parent_"+s.ID, s.ParentID)
		v.Set("why_"+s.ID, s.Why)
		v.Set("because_"+s.ID, s.Because)
		for _, e := range s.Evidence {
			v.Add("evidence_"+s.ID, strconv.FormatInt(e, 10))
		}
	}
	for k, val := range edit {
		v.Set(k, val)
	}
	return v
}

// outline is the tree as "number id" in display order: "1 w1, 1.1 w2".
func outline(w postmortem.Whys) string {
	var parts []string
	for _, f := range w.Flatten() {
		parts = append(parts, f.Number+" "+f.ID)
	}
	return strings.Join(parts, ", ")
}

func TestFiveWhysAndFactors(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			app.User("root@example.com", models.RoleAdmin)
			ana := app.SignedIn("ana@example.com", models.RoleEditor)
			bo := app.SignedIn("bo@example.com", models.RoleEditor)
			viewer := app.SignedIn("vic@example.com", models.RoleViewer)
			ctx := context.Background()
			inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Checkout failed", Severity: "SEV1", Status: "draft",
				StartedAt: mustTime("2022-11-17T10:45:00Z")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			pool, err := app.Store.AddNote(ctx, inc.ID, models.NoteInput{At: mustTime("2022-11-17T10:50:00Z"), Title: "Pool at 100/100 connections"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			mail, err := app.Store.AddNote(ctx, inc.ID, models.NoteInput{At: mustTime("2022-11-17T10:40:00Z"), Title: "Marketing e-mail sent"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			base := fmt.Sprintf("/incidents/%d", inc.ID)
			steps := base + "/write/whys/steps"
			load := func() (postmortem.Whys, int64) {
				t.Helper()
				w, sec, err := app.Store.Whys(ctx, inc.ID)
				if err != nil {
					t.Fatal(err)
				}
				return w, sec.Version
			}
			expect303 := func(res *apptest.Response, location string) {
				t.Helper()
				if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != location {
					t.Fatalf("status %d to %q, want 303 to %q\n%s", res.StatusCode, res.Header.Get("Location"), location, res.Body)
				}
			}

			// An empty Five Whys offers the first step.
			page := ana.Get(base + "/write/whys")
			if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "Add a top-level why") || !strings.Contains(page.Body, `formaction="`+steps+`"`) {
				t.Fatalf("empty whys page: %d", page.StatusCode)
			}

			// The problem typed and the first step added, in one version.
			expect303(ana.PostForm(steps, url.Values{"version": {"0"}, "problem": {"Checkout failed for 40 minutes."}}), base+"/write/whys#why-w1")
			w, version := load()
			if version != 1 || w.Problem != "Checkout failed for 40 minutes." || outline(w) != "1 w1" || w.Steps[0].Why == "" {
				t.Fatalf("after the first step: v%d %+v", version, w)
			}

			// A cause of 1, with 1's text and evidence typed meanwhile: both saved.
			expect303(ana.PostForm(steps+"?parent=w1", whysValues(w, version, map[string]string{
				"why_w1": "Why did checkout fail?", "because_w1": "The payments pool was exhausted.", "evidence_w1": itoa(pool.ID)})),
				base+"/write/whys#why-w2")
			w, version = load()
			if version != 2 || outline(w) != "1 w1, 1.1 w2" || w.Steps[0].Because != "The payments pool was exhausted." ||
				!slices.Equal(w.Steps[0].Evidence, []int64{pool.ID}) || w.Steps[1].ParentID != "w1" {
				t.Fatalf("after adding a cause: v%d %+v", version, w)
			}

			// A second cause of 1 (a branch), then a top-level step and a cause of 1.1.
			expect303(ana.PostForm(steps+"?parent=w1", whysValues(w, version, map[string]string{"because_w2": "Traffic doubled.",
				"evidence_w2": itoa(mail.ID)})), base+"/write/whys#why-w3")
			w, version = load()
			expect303(ana.PostForm(steps, whysValues(w, version, map[string]string{"because_w3": "Retries amplified the load."})), base+"/write/whys#why-w4")
			w, version = load()
			expect303(ana.PostForm(steps+"?parent=w2", whysValues(w, version, map[string]string{"because_w4": "Nobody was paged for 20 minutes."})), base+"/write/whys#why-w5")
			w, version = load()
			if outline(w) != "1 w1, 1.1 w2, 1.1.1 w5, 1.2 w3, 2 w4" || version != 5 {
				t.Fatalf("tree: %s v%d", outline(w), version)
			}
			for id, want := range map[string]string{"w2": "Traffic doubled.", "w3": "Retries amplified the load.", "w4": "Nobody was paged for 20 minutes."} {
				if s, _ := w.Find(id); s.Because != want {
					t.Errorf("%s's because: %q, want %q (typed before a structure button)", id, s.Because, want)
				}
			}
			page = ana.Get(base + "/write/whys")
			for _, want := range []string{`id="why-w5"`, `class="why depth-2"`, `class="why depth-1" id="why-w3"`, `<span class="why-num">1.1.1</span>`,
				`formaction="` + steps + `/w2/delete"`, "Delete 1.1 and the 1 step below it", `formaction="` + steps + `?parent=w3"`,
				`name="evidence_w1" value="` + itoa(pool.ID) + `" checked`, "Marketing e-mail sent",
				`href="` + base + `/actions/new?cause=why:w3"`, "Add a corrective action for this cause"} {
				if !strings.Contains(page.Body, want) {
					t.Errorf("the whys page lacks %s", want)
				}
			}

			// Reorder: 1.2 goes up, with an edit typed on the way; at the edge nothing moves.
			expect303(ana.PostForm(steps+"/w3/move?dir=up", whysValues(w, version, map[string]string{"because_w3": "Client retries amplified the load."})),
				base+"/write/whys#why-w3")
			w, version = load()
			if outline(w) != "1 w1, 1.1 w3, 1.2 w2, 1.2.1 w5, 2 w4" || version != 6 {
				t.Fatalf("after moving w3 up: %s v%d", outline(w), version)
			}
			if s, _ := w.Find("w3"); s.Because != "Client retries amplified the load." {
				t.Errorf("the text typed before moving was lost: %q", s.Because)
			}
			expect303(ana.PostForm(steps+"/w4/move?dir=down", whysValues(w, version, map[string]string{"because_w5": "A newsletter went out."})),
				base+"/write/whys#why-w4")
			w, version = load()
			if outline(w) != "1 w1, 1.1 w3, 1.2 w2, 1.2.1 w5, 2 w4" || version != 7 {
				t.Fatalf("moving the last step down: %s v%d", outline(w), version)
			}
			if res := ana.PostForm(steps+"/w4/move?dir=sideways", whysValues(w, version, nil)); res.StatusCode != http.StatusBadRequest {
				t.Errorf("an unknown direction: %d", res.StatusCode)
			}
			if res := ana.PostForm(steps+"/w99/delete", whysValues(w, version, nil)); res.StatusCode != http.StatusUnprocessableEntity ||
				!strings.Contains(res.Body, "that step no longer exists") {
				t.Errorf("deleting an unknown step: %d", res.StatusCode)
			}

			// A step with neither why nor because is refused; nothing is saved.
			res := ana.PostForm(steps, whysValues(w, version, map[string]string{"why_w4": "", "because_w4": ""}))
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "write the why or the because") {
				t.Fatalf("an empty step: %d", res.StatusCode)
			}
			if _, v := load(); v != version {
				t.Fatalf("an invalid form was saved: v%d", v)
			}

			// Stale: Bo saves first; Ana's structure change gets the merge page and the stored tree is intact.
			expect303(bo.PostForm(base+"/write/whys", whysValues(w, version, map[string]string{"because_w4": "The alert went to an old channel."})),
				base+"/write/whys")
			stored, storedVersion := load()
			res = ana.PostForm(steps+"?parent=w4", whysValues(w, version, map[string]string{"because_w4": "Ana's wording"}))
			if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "Someone else saved") || !strings.Contains(res.Body, "<del>") ||
				!strings.Contains(res.Body, `name="version" value="`+strconv.FormatInt(storedVersion, 10)+`"`) || !strings.Contains(res.Body, "Ana&#39;s wording") {
				t.Fatalf("stale structure change: %d\n%s", res.StatusCode, res.Body)
			}
			if w2, v2 := load(); v2 != storedVersion || outline(w2) != outline(stored) || w2.Steps[4].Because != "The alert went to an old channel." {
				t.Fatalf("the stored tree changed: %s v%d %+v", outline(w2), v2, w2)
			}
			w, version = load()

			// An autosave that htmx sends to a structure button's address saves the text only.
			auto := hx(app, ana, http.MethodPost, steps+"/w4/delete", whysValues(w, version, map[string]string{"because_w4": "The alert went to an old Slack channel."}))
			if auto.StatusCode != http.StatusOK || !strings.Contains(auto.Body, "Saved") {
				t.Fatalf("autosave via a button's address: %d %s", auto.StatusCode, auto.Body)
			}
			w, version = load()
			if s, ok := w.Find("w4"); !ok || s.Because != "The alert went to an old Slack channel." {
				t.Fatalf("the autosave deleted or lost w4: %+v", w)
			}

			// The timeline links each cited entry back to its steps.
			tl := ana.Get(base + "/timeline")
			if !strings.Contains(tl.Body, `<a href="`+base+`/write/whys#why-w1">Five Whys 1</a>`) ||
				!strings.Contains(tl.Body, `<a href="`+base+`/write/whys#why-w2">Five Whys 1.2</a>`) || strings.Count(tl.Body, "Cited in") != 2 {
				t.Errorf("timeline citations missing:\n%s", tl.Body)
			}

			// A corrective action for a cause: the form knows what it addresses, and the step lists it.
			form := ana.Get(base + "/actions/new?cause=why:w3")
			if form.StatusCode != http.StatusOK || !strings.Contains(form.Body, `name="cause" value="why:w3"`) || !strings.Contains(form.Body, "Addresses:") ||
				!strings.Contains(form.Body, "Five Whys 1.1") || !strings.Contains(form.Body, "Client retries amplified the load.") {
				t.Fatalf("action form for a cause: %d\n%s", form.StatusCode, form.Body)
			}
			expect303(ana.PostForm(base+"/actions", url.Values{"title": {"Cap client retries at 3 with jitter"}, "priority": {"P2"}, "kind": {"prevent"},
				"status": {"open"}, "cause": {"why:w3"}}), base+"/write/whys#why-w3")
			if res := ana.PostForm(base+"/actions", url.Values{"title": {"Something"}, "cause": {"why:not valid!"}}); res.StatusCode != http.StatusUnprocessableEntity ||
				!strings.Contains(res.Body, "link a Five Whys step") {
				t.Errorf("an invalid cause: %d", res.StatusCode)
			}
			acts, _ := app.Store.IncidentActions(ctx, inc.ID)
			if len(acts) != 1 || acts[0].Cause != "why:w3" {
				t.Fatalf("actions: %+v", acts)
			}
			page = ana.Get(base + "/write/whys")
			if i, j := strings.Index(page.Body, `id="why-w3"`), strings.Index(page.Body, "Cap client retries at 3 with jitter"); i < 0 || j < i ||
				j > strings.Index(page.Body, `id="why-w2"`) {
				t.Errorf("the action is not listed under its cause")
			}
			// Editing the action keeps its cause.
			edit := ana.Get(fmt.Sprintf("/actions/%d/edit", acts[0].ID))
			if !strings.Contains(edit.Body, `name="cause" value="why:w3"`) || !strings.Contains(edit.Body, "Addresses:") {
				t.Errorf("the edit form drops the cause")
			}

			// Factors: the leaves are offered; one added from a suggestion needs a category.
			fpage := ana.Get(base + "/write/factors")
			for _, want := range []string{"Suggested from the Five Whys", `formaction="` + base + `/write/factors/suggested/w3"`,
				`formaction="` + base + `/write/factors/suggested/w5"`, `<optgroup label="Triggers">`, `<optgroup label="Gaps">`} {
				if !strings.Contains(fpage.Body, want) {
					t.Errorf("the factors page lacks %s", want)
				}
			}
			if strings.Contains(fpage.Body, "/write/factors/suggested/w1") {
				t.Errorf("a step with causes below it is offered as a factor")
			}
			if res := ana.PostForm(base+"/write/factors/suggested/w3", url.Values{"version": {"0"}}); res.StatusCode != http.StatusUnprocessableEntity ||
				!strings.Contains(res.Body, "choose a category for this factor") {
				t.Fatalf("a suggestion without a category: %d", res.StatusCode)
			}
			expect303(ana.PostForm(base+"/write/factors/suggested/w3", url.Values{"version": {"0"}, "suggest_category_w3": {"capacity"}}),
				base+"/write/factors#factor-f1")
			expect303(ana.PostForm(base+"/write/factors/suggested/w5", url.Values{"version": {"1"}, "factor": {"f1"}, "category_f1": {"capacity"},
				"note_f1": {"Client retries amplified the load."}, "from_f1": {"w3"}, "suggest_category_w5": {"dependency"}}), base+"/write/factors#factor-f2")
			factors, fsec, _ := app.Store.Factors(ctx, inc.ID)
			if fsec.Version != 2 || len(factors.Items) != 2 || factors.Items[0].WhyStepID != "w3" || factors.Items[0].Note != "Client retries amplified the load." ||
				factors.Items[1].WhyStepID != "w5" || factors.Items[1].Category != "dependency" {
				t.Fatalf("factors from suggestions: v%d %+v", fsec.Version, factors)
			}
			factorValues := func(f postmortem.Factors, version int64, edit map[string]string) url.Values {
				v := url.Values{"version": {strconv.FormatInt(version, 10)}}
				for _, it := range f.Items {
					v.Add("factor", it.ID)
					v.Set("category_"+it.ID, it.Category)
					v.Set("note_"+it.ID, it.Note)
					v.Set("from_"+it.ID, it.WhyStepID)
				}
				for k, val := range edit {
					v.Set(k, val)
				}
				return v
			}
			fpage = ana.Get(base + "/write/factors")
			if !strings.Contains(fpage.Body, `<a href="`+base+`/write/whys#why-w3">Five Whys 1.1</a> — Client retries amplified the load.`) ||
				strings.Contains(fpage.Body, "/write/factors/suggested/w3") || !strings.Contains(fpage.Body, "/write/factors/suggested/w4") || !strings.Contains(fpage.Body, `href="`+base+`/actions/new?cause=factor:f1"`) {
				t.Errorf("factors page after adding the suggestions:\n%s", fpage.Body)
			}
			// An archived category stays on the factor using it, and is offered nowhere else.
			cats := postmortem.DefaultCategories()
			for i := range cats {
				cats[i].Archived = cats[i].Key == "capacity"
			}
			if err := app.Store.SaveFactorCategories(ctx, cats); err != nil {
				t.Fatal(err)
			}
			fpage = ana.Get(base + "/write/factors")
			if !strings.Contains(fpage.Body, `<option value="capacity" selected>Capacity (archived)</option>`) || strings.Count(fpage.Body, `value="capacity"`) != 1 {
				t.Errorf("the archived category is not offered only where it is used")
			}
			// A factor added by hand, and an unknown category refused.
			expect303(ana.PostForm(base+"/write/factors", factorValues(factors, 2, map[string]string{"new_category": "detection_gap",
				"new_note": "No alert on pool saturation."})), base+"/write/factors")
			factors, fsec, _ = app.Store.Factors(ctx, inc.ID)
			if len(factors.Items) != 3 || factors.Items[2].Category != "detection_gap" || factors.Items[2].WhyStepID != "" || factors.Items[2].ID != "f3" {
				t.Fatalf("factor added by hand: %+v", factors)
			}
			res = ana.PostForm(base+"/write/factors", factorValues(factors, fsec.Version, map[string]string{"category_f3": "bad_luck"}))
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "this category does not exist") {
				t.Fatalf("unknown category: %d", res.StatusCode)
			}
			// An action for a factor, then the factor removed: the action stays, unlinked.
			expect303(ana.PostForm(base+"/actions", url.Values{"title": {"Alert when the pool is 80% used for 5 minutes"}, "cause": {"factor:f3"}}),
				base+"/write/factors#factor-f3")
			vals := factorValues(factors, fsec.Version, nil)
			vals.Add("remove", "f3")
			expect303(ana.PostForm(base+"/write/factors", vals), base+"/write/factors")
			factors, fsec, _ = app.Store.Factors(ctx, inc.ID)
			if len(factors.Items) != 2 || factors.Items[1].ID != "f2" {
				t.Fatalf("after removing f3: %+v", factors)
			}
			acts, _ = app.Store.IncidentActions(ctx, inc.ID)
			for _, a := range acts {
				if a.Cause == "factor:f3" {
					t.Errorf("an action still points at the removed factor")
				}
			}

			// Deleting 1.2 takes 1.2.1 along; the factor from 1.2.1 stays, unlinked.
			w, version = load()
			res = ana.PostForm(steps+"/w2/delete", whysValues(w, version, map[string]string{"because_w1": "The payments DB pool was exhausted."}))
			expect303(res, base+"/write/whys#why-w1")
			w, version = load()
			if outline(w) != "1 w1, 1.1 w3, 2 w4" || w.Steps[0].Because != "The payments DB pool was exhausted." {
				t.Fatalf("after deleting w2: %s %+v", outline(w), w)
			}
			factors, _, _ = app.Store.Factors(ctx, inc.ID)
			if len(factors.Items) != 2 || factors.Items[1].WhyStepID != "" || factors.Items[0].WhyStepID != "w3" {
				t.Errorf("factors after deleting w2: %+v", factors)
			}
			if tl := ana.Get(base + "/timeline"); strings.Count(tl.Body, "Cited in") != 1 {
				t.Errorf("the deleted step is still cited on the timeline")
			}

			// Viewers read the steps without buttons, and cannot post them.
			vpage := viewer.Get(base + "/write/whys")
			if vpage.StatusCode != http.StatusOK || !strings.Contains(vpage.Body, "Client retries amplified the load.") || strings.Contains(vpage.Body, "formaction=") {
				t.Errorf("viewer's whys page: %d", vpage.StatusCode)
			}
			if res := viewer.PostForm(steps, whysValues(w, version, nil)); res.StatusCode != http.StatusForbidden {
				t.Errorf("viewer adding a step: %d", res.StatusCode)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A long timeline is not repeated under every why step: each step offers
// the highlighted entries and the ones it cites, and saving keeps every
// citation.
func TestWhysEvidenceOnLongTimeline(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.User("root@example.com", models.RoleAdmin)
	ed := app.SignedIn("ed@example.com", models.RoleEditor)
	ctx := context.Background()
	inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Alert storm", Severity: "SEV2", Status: "draft",
		StartedAt: mustTime("2022-11-17T10:00:00Z")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var entries []*models.TimelineEntry
	for i := range 70 {
		e, err := app.Store.AddNote(ctx, inc.ID, models.NoteInput{At: mustTime("2022-11-17T10:00:00Z").Add(time.Duration(i) * time.Minute),
			Title: fmt.Sprintf("note %02d", i), Highlight: i == 5}, nil)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	cited := entries[40]
	whys := postmortem.Whys{Problem: "Alerts everywhere", Steps: []postmortem.WhyStep{
		{ID: "w1", Why: "Why?", Because: "A loop.", Evidence: []int64{cited.ID}},
		{ID: "w2", Why: "Why else?", Because: "No limit."}}}
	if _, err := app.Store.SaveWhys(ctx, inc.ID, whys, 0, "ed"); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/incidents/%d/write/whys", inc.ID)
	page := ed.Get(base)
	if n := strings.Count(page.Body, `name="evidence_w1"`); n != 2 {
		t.Errorf("step 1 offers %d entries, want 2 (the highlighted one and the cited one)", n)
	}
	if n := strings.Count(page.Body, `name="evidence_w2"`); n != 1 {
		t.Errorf("step 2 offers %d entries, want the highlighted one", n)
	}
	if !strings.Contains(page.Body, "The 70 entries are too many") {
		t.Error("the page does not say why only some entries are offered")
	}
	form := url.Values{"version": {"1"}, "problem": {"Alerts everywhere"}, "step": {"w1", "w2"}, "parent_w1": {""}, "parent_w2": {""},
		"why_w1": {"Why?"}, "because_w1": {"A loop, again."}, "evidence_w1": {fmt.Sprint(cited.ID)},
		"why_w2": {"Why else?"}, "because_w2": {"No limit."}, "evidence_w2": {fmt.Sprint(entries[5].ID)}}
	if res := ed.PostForm(base, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	got, _, _ := app.Store.Whys(ctx, inc.ID)
	if len(got.Steps) != 2 || fmt.Sprint(got.Steps[0].Evidence) != fmt.Sprint([]int64{cited.ID}) ||
		fmt.Sprint(got.Steps[1].Evidence) != fmt.Sprint([]int64{entries[5].ID}) {
		t.Errorf("after the save: %+v", got.Steps)
	}
}
