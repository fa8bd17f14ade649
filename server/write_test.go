package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

func TestGuidedWriting(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			app.User("root@example.com", models.RoleAdmin)
			ana := app.SignedIn("ana@example.com", models.RoleEditor)
			bo := app.SignedIn("bo@example.com", models.RoleEditor)
			viewer := app.SignedIn("vic@example.com", models.RoleViewer)
			ctx := context.Background()
			resolved := mustTime("2022-11-17T11:45:00Z")
			inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2", Status: "draft",
				StartedAt: mustTime("2022-11-17T10:45:00Z"), MitigatedAt: &resolved, ResolvedAt: &resolved}, nil)
			if err != nil {
				t.Fatal(err)
			}
			base := fmt.Sprintf("/incidents/%d", inc.ID)

			// The first incomplete step; every step page renders with the progress.
			res := ana.Get(base + "/write")
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != base+"/write/summary" {
				t.Fatalf("start: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			for _, step := range []string{"summary", "impact", "timeline", "whys", "factors", "lessons", "actions", "review"} {
				page := ana.Get(base + "/write/" + step)
				if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, `aria-current="step"`) || !strings.Contains(page.Body, "steps complete") {
					t.Fatalf("step %s: %d", step, page.StatusCode)
				}
			}
			if res := ana.Get(base + "/write/epilogue"); res.StatusCode != http.StatusNotFound {
				t.Errorf("unknown step: %d", res.StatusCode)
			}
			impact := ana.Get(base + "/write/impact")
			if !strings.Contains(impact.Body, `value="2022-11-17T10:45"`) || !strings.Contains(impact.Body, "Proposed from the key moments") {
				t.Errorf("the impact window defaults to the key moments (UTC viewer)")
			}

			// Summary: a plain save is a 303 back to the step.
			res = ana.PostForm(base+"/write/summary", url.Values{"version": {"1"}, "title": {"Chatbot errors after a deploy"},
				"severity": {"SEV2"}, "summary": {"The chatbot failed for an hour."}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("summary: %d %s", res.StatusCode, res.Body)
			}
			// Impact: values that are no numbers come back with 422 and what was typed.
			res = ana.PostForm(base+"/write/impact", url.Values{"version": {"0"}, "users_count": {"about a thousand"}, "users_qualifier": {"estimate"},
				"what_users_saw": {"Every answer was an error."}})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "enter a whole number") || !strings.Contains(res.Body, "about a thousand") {
				t.Fatalf("bad impact: %d", res.StatusCode)
			}
			res = ana.PostForm(base+"/write/impact", url.Values{"version": {"0"}, "start": {"2022-11-17T10:45"}, "end": {"2022-11-17T11:45"},
				"users_count": {"1,200"}, "users_qualifier": {"estimate"}, "what_users_saw": {"Every answer was an error."}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("impact: %d %s", res.StatusCode, res.Body)
			}
			im, sec, _ := app.Store.Impact(ctx, inc.ID)
			if sec.Version != 1 || *im.UsersAffected.Count != 1200 || im.Start == nil || !im.Start.Equal(mustTime("2022-11-17T10:45:00Z")) {
				t.Errorf("impact stored: %+v", im)
			}

			// Autosave with htmx answers a fragment carrying the new version.
			auto := hx(app, ana, http.MethodPost, base+"/write/lessons", url.Values{"version": {"0"}, "went_wrong": {"The deploy ran before the migration"}})
			if auto.StatusCode != http.StatusOK || !strings.Contains(auto.Body, `value="1"`) || !strings.Contains(auto.Body, "Saved") {
				t.Fatalf("autosave: %d %s", auto.StatusCode, auto.Body)
			}
			// Bo edits the same section from version 1 and saves first…
			if res := bo.PostForm(base+"/write/lessons", url.Values{"version": {"1"}, "went_wrong": {"The deploy ran before the migration\nNo alert on chatbot errors"},
				"went_well": {"Rollback took minutes"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("bo's save: %d", res.StatusCode)
			}
			// …so Ana's autosave from version 1 is refused, and her plain save shows the merge page.
			stale := hx(app, ana, http.MethodPost, base+"/write/lessons", url.Values{"version": {"1"}, "went_wrong": {"Ana's wording"}})
			if stale.StatusCode != http.StatusConflict || !strings.Contains(stale.Body, "Someone else saved") {
				t.Fatalf("stale autosave: %d %s", stale.StatusCode, stale.Body)
			}
			merge := ana.PostForm(base+"/write/lessons", url.Values{"version": {"1"}, "went_wrong": {"Ana's wording"}})
			if merge.StatusCode != http.StatusConflict || !strings.Contains(merge.Body, "saved version 2") ||
				!strings.Contains(merge.Body, "<del>") || !strings.Contains(merge.Body, "Ana&#39;s wording") || !strings.Contains(merge.Body, `name="version" value="2"`) {
				t.Fatalf("merge page: %d %s", merge.StatusCode, merge.Body)
			}
			lessons, _, _ := app.Store.Lessons(ctx, inc.ID)
			if len(lessons.WentWrong) != 2 || lessons.WentWell[0] != "Rollback took minutes" {
				t.Fatalf("Bo's work was overwritten: %+v", lessons)
			}
			// Saving from the merge page is a conscious choice based on version 2.
			if res := ana.PostForm(base+"/write/lessons", url.Values{"version": {"2"}, "went_wrong": {"Ana's wording\nNo alert on chatbot errors"},
				"went_well": {"Rollback took minutes"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("merged save: %d", res.StatusCode)
			}

			// History, a version's diff, and restoring it.
			hist := ana.Get(base + "/history")
			if !strings.Contains(hist.Body, "lessons") || !strings.Contains(hist.Body, "version 3") || !strings.Contains(hist.Body, "summary") {
				t.Fatalf("history: %s", hist.Body)
			}
			rev := ana.Get(base + "/history/lessons/2")
			if rev.StatusCode != http.StatusOK || !strings.Contains(rev.Body, "<ins>") || !strings.Contains(rev.Body, "Restore version 2") {
				t.Fatalf("revision page: %d", rev.StatusCode)
			}
			if res := ana.PostForm(base+"/history/lessons/2/restore", url.Values{"version": {"2"}}); res.StatusCode != http.StatusConflict {
				t.Errorf("restore from a stale page: %d", res.StatusCode)
			}
			if res := ana.PostForm(base+"/history/lessons/2/restore", url.Values{"version": {"3"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("restore: %d %s", res.StatusCode, res.Body)
			}
			lessons, sec, _ = app.Store.Lessons(ctx, inc.ID)
			if sec.Version != 4 || lessons.WentWrong[1] != "No alert on chatbot errors" || lessons.WentWrong[0] != "The deploy ran before the migration" {
				t.Errorf("after restore: %+v v%d", lessons, sec.Version)
			}
			if res := ana.Get(base + "/history/lessons/99"); res.StatusCode != http.StatusNotFound {
				t.Errorf("unknown version: %d", res.StatusCode)
			}

			// The summary has its history too, and restores through the incident.
			cur, _ := app.Store.Incident(ctx, inc.ID)
			if res := ana.PostForm(base+"/write/summary", url.Values{"version": {fmt.Sprint(cur.Version)}, "title": {"Chatbot errors"},
				"severity": {"SEV3"}, "summary": {"Rewritten."}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("second summary: %d %s", res.StatusCode, res.Body)
			}
			summaries, _ := app.Store.SectionRevisions(ctx, inc.ID, models.SectionSummary)
			first := summaries[len(summaries)-1]
			page := ana.Get(fmt.Sprintf("%s/history/summary/%d", base, first.Version))
			if !strings.Contains(page.Body, "<del>Chatbot errors after a deploy</del>") && !strings.Contains(page.Body, "<ins>Chatbot errors after a deploy</ins>") {
				t.Errorf("the first summary's diff: %s", page.Body)
			}
			cur, _ = app.Store.Incident(ctx, inc.ID)
			if res := ana.PostForm(fmt.Sprintf("%s/history/summary/%d/restore", base, first.Version), url.Values{"version": {fmt.Sprint(cur.Version)}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("restore the summary: %d %s", res.StatusCode, res.Body)
			}
			if cur, _ = app.Store.Incident(ctx, inc.ID); cur.Title != "Chatbot errors after a deploy" || cur.Severity != "SEV2" || cur.Summary != "The chatbot failed for an hour." {
				t.Errorf("after restoring the summary: %q %q %q", cur.Title, cur.Severity, cur.Summary)
			}

			// The step lists what the blameless checker flags in its saved text, without refusing it.
			if res := ana.PostForm(base+"/write/lessons", url.Values{"version": {"4"}, "went_wrong": {"Ana forgot to run the migration; human error"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("a blaming lesson is still saved: %d %s", res.StatusCode, res.Body)
			}
			if page := ana.Get(base + "/write/lessons"); !strings.Contains(page.Body, "Blameless language in this step") ||
				!strings.Contains(page.Body, "<mark>human error</mark>") || !strings.Contains(page.Body, "<mark>Ana forgot</mark>") {
				t.Errorf("the lessons step does not flag its saved text")
			}

			// Preview renders Markdown without raw HTML.
			prev := hx(app, ana, http.MethodPost, base+"/preview?field=summary", url.Values{"summary": {"**bold** <script>alert(1)</script>"}})
			if !strings.Contains(prev.Body, "<strong>bold</strong>") || strings.Contains(prev.Body, "<script>") {
				t.Errorf("preview: %s", prev.Body)
			}

			// Viewers read; they cannot save.
			if page := viewer.Get(base + "/write/lessons"); page.StatusCode != http.StatusOK || strings.Contains(page.Body, `<button type="submit">Save</button>`) {
				t.Errorf("viewer page: %d", page.StatusCode)
			}
			if res := viewer.PostForm(base+"/write/lessons", url.Values{"version": {"4"}}); res.StatusCode != http.StatusForbidden {
				t.Errorf("viewer save: %d", res.StatusCode)
			}

			// A published postmortem is read-only.
			if err := app.Store.SetReviewState(ctx, inc.ID, models.StatusPublished); err != nil {
				t.Fatal(err)
			}
			if page := ana.Get(base + "/write/lessons"); !strings.Contains(page.Body, "published and read-only") {
				t.Errorf("published page is not marked read-only")
			}
			if res := ana.PostForm(base+"/write/lessons", url.Values{"version": {"4"}, "went_wrong": {"x"}}); res.StatusCode != http.StatusConflict {
				t.Errorf("saving a published postmortem: %d", res.StatusCode)
			}
		})
	}
}

var _ = apptest.Password
