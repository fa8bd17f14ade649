package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/postmortem"
)

// exportFixture is an incident whose free text names its people, a
// customer, an e-mail address, internal hosts, a private address and an
// internal link, with a hidden note, an internal custom field, a trigger
// from an event, a reviewer and an owned action.
type exportFixture struct {
	app     *apptest.App
	inc     *models.Incident
	base    string
	editor  *apptest.Browser
	viewer  *apptest.Browser
	token   string // viewer
	secrets []string
}

func newExportFixture(t *testing.T, d models.Dialect) *exportFixture {
	t.Helper()
	app := apptest.Start(t, d, map[string]string{"HINDSIGHT_INTERNAL_DOMAINS": "corp.example.com"})
	ctx := context.Background()
	app.User("root@example.com", models.RoleAdmin)
	f := &exportFixture{app: app, editor: app.SignedIn("ed@example.com", models.RoleEditor),
		viewer: app.SignedIn("vic@example.com", models.RoleViewer), token: app.Token(models.RoleViewer)}
	mk := func(email, name, role string) *models.User {
		u, err := app.Store.CreateUser(ctx, models.NewUser{Email: email, Name: name, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	ana := mk("ana.lima@example.com", "Ana Lima", models.RoleEditor)
	bo := mk("bo.chen@example.com", "Bo Chen", models.RoleEditor)
	carla := mk("carla.diaz@example.com", "Carla Diaz", models.RoleViewer)
	if err := app.Store.SaveCustomFields(ctx, []postmortem.CustomField{
		{Key: "region", Label: "Region", Kind: postmortem.CustomText},
		{Key: "revenue_lost", Label: "Revenue lost", Kind: postmortem.CustomNumber, Internal: true},
	}); err != nil {
		t.Fatal(err)
	}
	started := mustTime("2026-11-20T13:05:00Z")
	mitigated := mustTime("2026-11-20T13:52:00Z")
	resolved := mustTime("2026-11-20T15:00:00Z")
	inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{
		Slug: "checkout-errors-globex", Title: "Checkout errors for Globex", Severity: "SEV2",
		Summary: "Ana Lima rolled back the pool change on db-7.corp.example.com (10.20.3.7) after Globex wrote to " +
			"ops-oncall@example.com; see [the dashboard](https://grafana.corp.example.com/d/payments). " +
			"Project Falcon was paused and Carla checked cache-1.internal.",
		StartedAt: started, MitigatedAt: &mitigated, ResolvedAt: &resolved,
		Services: []string{"payments-api", "checkout"}, Tags: []string{"payments", "config"}, AuthorIDs: []int64{ana.ID},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.inc, f.base = inc, fmt.Sprintf("/incidents/%d", inc.ID)
	n := int64(37)
	if _, err := app.Store.SaveImpact(ctx, inc.ID, postmortem.Impact{
		Customers:    postmortem.Customers{Count: &n, Names: []string{"Globex"}},
		WhatUsersSaw: "Globex shoppers saw *Payment failed*; Bo Chen paged from 192.168.4.20.",
		Custom:       map[string]any{"region": "eu-west", "revenue_lost": 18250.0},
	}, 0, "ana.lima@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.SaveWhys(ctx, inc.ID, postmortem.Whys{Problem: "Checkout failed for 47 minutes.", Steps: []postmortem.WhyStep{
		{ID: "w1", Why: "Why did checkout fail?", Because: "The pool on db-7.corp.example.com had 5 connections; Bo Chen saw it first."}}}, 0, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.SaveLessons(ctx, inc.ID, postmortem.Lessons{WentWrong: []string{"Bo Chen had no runbook for Project Falcon."}}, 0, "x"); err != nil {
		t.Fatal(err)
	}
	editorToken := app.Token(models.RoleEditor)
	if res := app.API("POST", "/api/v1/events", editorToken, `[{"kind":"deploy","source":"ci","dedup_key":"d-1","status":"succeeded",
		"title":"Deploy pool_size 50 → 5","service":"payments-api","environment":"production","starts_at":"2026-11-20T13:03:00Z"}]`); res.StatusCode != http.StatusAccepted {
		t.Fatalf("event: %d %s", res.StatusCode, res.Body)
	}
	events, err := app.Store.ListEvents(ctx, models.EventFilter{Limit: 10})
	if err != nil || len(events.Events) != 1 {
		t.Fatalf("events: %v %v", events, err)
	}
	if err := app.Store.SetTrigger(ctx, inc.ID, &events.Events[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []models.NoteInput{
		{At: mustTime("2026-11-20T13:09:00Z"), Title: "Globex reports failed payments", Note: "Mail from ops-oncall@example.com"},
		{At: mustTime("2026-11-20T13:40:00Z"), Title: "Debug session on the primary", Note: "Bo ran psql against the primary: hidden-secret-xyz", Hidden: true},
		{At: mustTime("2026-11-20T13:52:00Z"), Title: "Config rolled back", Note: "By Ana Lima; errors stop", Highlight: true},
	} {
		if _, err := app.Store.AddNote(ctx, inc.ID, n, nil); err != nil {
			t.Fatal(err)
		}
	}
	due := models.Date{Year: 2026, Month: 12, Day: 15}
	if _, err := app.Store.CreateAction(ctx, inc.ID, models.ActionInput{Title: "Name the environment in config diffs (ask Carla Diaz)",
		OwnerID: &carla.ID, DueDate: &due, Priority: "P1", Kind: "prevent", Status: "open",
		TrackerURL: "https://github.com/hindsight-demo/infra/issues/812"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.RequestReview(ctx, inc.ID, []int64{bo.ID}, "ana.lima@example.com"); err != nil {
		t.Fatal(err)
	}
	f.secrets = []string{"Ana Lima", "Ana", "Bo Chen", "Carla", "Diaz", "ana.lima@example.com", "bo.chen@example.com",
		"carla.diaz@example.com", "ops-oncall@example.com", "Globex", "db-7.corp.example.com", "grafana.corp.example.com",
		"cache-1.internal", "10.20.3.7", "192.168.4.20", "hidden-secret-xyz", "Revenue lost", "18250", inc.Key()}
	return f
}

// redaction returns the redaction section's version.
func (f *exportFixture) redactionVersion(t *testing.T) int64 {
	t.Helper()
	_, sec, err := f.app.Store.Redaction(context.Background(), f.inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return sec.Version
}

func (f *exportFixture) redact(t *testing.T, action, value string, version int64) *apptest.Response {
	t.Helper()
	return f.editor.PostForm(f.base+"/export/redaction", url.Values{"action": {action}, "value": {value},
		"version": {fmt.Sprint(version)}, "q": {"tz=Europe/Paris"}})
}

func TestExportDownloads(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			f := newExportFixture(t, d)
			md := f.viewer.Get(f.base + "/export.md?tz=Europe/Paris")
			expect(t, "internal Markdown", md, http.StatusOK, "---\ntitle: \"Checkout errors for Globex\"", "## Timeline",
				"Ana Lima", "Globex", "db-7.corp.example.com", "| Time (Europe/Paris) |", "2026-11-20 14:03", "**Deploy pool_size 50 → 5** (trigger)",
				"## Corrective actions", "Carla Diaz", "## Five Whys", "Revenue lost")
			if ct := md.Header.Get("Content-Type"); ct != "text/markdown; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := md.Header.Get("Content-Disposition"); cd != `attachment; filename=checkout-errors-globex.md` {
				t.Errorf("Content-Disposition %q", cd)
			}
			if strings.Contains(md.Body, "hidden-secret-xyz") {
				t.Error("a hidden entry is in the internal Markdown")
			}
			pub := f.viewer.Get(f.base + "/export.md?audience=public")
			if cd := pub.Header.Get("Content-Disposition"); cd != `attachment; filename=checkout-errors-a-customer-public.md` {
				t.Errorf("public Content-Disposition %q", cd)
			}

			// The API: same options, with a token.
			api := f.app.API("GET", "/api/v1/incidents/"+f.inc.Key()+"/export.md?tz=Europe/Paris", f.token, "")
			if api.StatusCode != http.StatusOK || api.Body != md.Body || api.Header.Get("Content-Type") != "text/markdown; charset=utf-8" {
				t.Errorf("API Markdown: %d %q\n%s", api.StatusCode, api.Header.Get("Content-Type"), api.Body)
			}
			js := f.app.API("GET", "/api/v1/incidents/"+fmt.Sprint(f.inc.ID)+"/export.json", f.token, "")
			var doc struct {
				Audience string `json:"audience"`
				Key      string `json:"key"`
				Title    string `json:"title"`
				Authors  []struct {
					Name, Role string
				} `json:"authors"`
				Reviewers []struct{ Name string } `json:"reviewers"`
				Timeline  []struct {
					Hidden  bool `json:"hidden"`
					Trigger bool `json:"trigger"`
				} `json:"timeline"`
				Actions []struct {
					Owner struct{ Name string } `json:"owner"`
					Due   string                `json:"due"`
				} `json:"actions"`
			}
			js.JSON(t, &doc)
			if js.StatusCode != http.StatusOK || js.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
				doc.Audience != "internal" || doc.Key != f.inc.Key() || len(doc.Authors) != 1 || doc.Authors[0].Name != "Ana Lima" ||
				doc.Authors[0].Role != "author" || len(doc.Reviewers) != 1 || doc.Reviewers[0].Name != "Bo Chen" ||
				len(doc.Timeline) != 4 || !doc.Timeline[0].Trigger || !doc.Timeline[2].Hidden ||
				len(doc.Actions) != 1 || doc.Actions[0].Owner.Name != "Carla Diaz" || doc.Actions[0].Due != "2026-12-15" {
				t.Errorf("API JSON: %d %+v\n%s", js.StatusCode, doc, js.Body)
			}
			pubJSON := f.app.API("GET", "/api/v1/incidents/"+fmt.Sprint(f.inc.ID)+"/export.json?audience=public", f.token, "")
			for _, s := range f.secrets {
				if strings.Contains(pubJSON.Body, s) {
					t.Errorf("public JSON contains %q", s)
				}
			}
			web := f.viewer.Get(f.base + "/export.json")
			if web.StatusCode != http.StatusOK || !strings.Contains(web.Body, `"title": "Checkout errors for Globex"`) {
				t.Errorf("JSON for the browser: %d %s", web.StatusCode, web.Body)
			}

			// The pages: the incident's Export button, the form, the print view.
			expect(t, "incident page", f.viewer.Get(f.base), http.StatusOK, `href="`+f.base+`/export"`)
			expect(t, "write page", f.viewer.Get(f.base+"/write/summary"), http.StatusOK, `href="`+f.base+`/export"`)
			expect(t, "export form", f.viewer.Get(f.base+"/export"), http.StatusOK, `action="`+f.base+`/export.md"`,
				`formaction="`+f.base+`/export.json"`, `href="`+f.base+`/print"`, `href="`+f.base+`/export/preview"`, `name="sections" value="whys"`)
			pr := f.viewer.Get(f.base + "/print?tz=Europe/Paris&x=y")
			expect(t, "print view", pr, http.StatusOK, `href="`+f.base+`/export.md?tz=Europe%2FParis"`, `id="print-doc"`, "<h1>Checkout errors for Globex</h1>", "<table>", "Europe/Paris")
			if strings.Contains(pr.Body, "draft: true") || strings.Contains(pr.Body, "title: &#34;") {
				t.Error("the print view has front matter")
			}
			pp := f.viewer.Get(f.base + "/print?audience=public")
			expect(t, "public print view", pp, http.StatusOK, "a customer")
			if strings.Contains(pp.Body, "Ana Lima") {
				t.Error("the public print view names Ana Lima")
			}

			// Unknown incidents.
			for _, p := range []string{"/incidents/999999/export.md", "/incidents/999999/export", "/incidents/999999/print", "/incidents/999999/export/preview"} {
				if res := f.viewer.Get(p); res.StatusCode != http.StatusNotFound {
					t.Errorf("%s: %d", p, res.StatusCode)
				}
			}
			for _, p := range []string{"/api/v1/incidents/999999/export.md", "/api/v1/incidents/INC-999999/export.json"} {
				if res := f.app.API("GET", p, f.token, ""); res.StatusCode != http.StatusNotFound || !strings.Contains(res.Body, `"not_found"`) {
					t.Errorf("%s: %d %s", p, res.StatusCode, res.Body)
				}
			}
		})
	}
}

func TestExportOptions(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			f := newExportFixture(t, d)
			get := func(q string) string {
				t.Helper()
				res := f.viewer.Get(f.base + "/export.md?" + q)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s: %d %s", q, res.StatusCode, res.Body)
				}
				return res.Body
			}
			ny := get("tz=America/New_York")
			if !strings.Contains(ny, "| Time (America/New_York) |") || !strings.Contains(ny, "2026-11-20 08:03") {
				t.Errorf("tz: %s", ny)
			}
			utc := get("tz=UTC")
			if !strings.Contains(utc, "| Time (UTC) |") || !strings.Contains(utc, "2026-11-20 13:03") {
				t.Errorf("tz=UTC: %s", utc)
			}
			// The viewer's zone by default (the browser's cookie here).
			req, _ := http.NewRequest("GET", f.app.URL+f.base+"/export.md", nil)
			req.AddCookie(&http.Cookie{Name: "hindsight_tz", Value: "Asia/Tokyo"})
			if res := f.viewer.Do(req); !strings.Contains(res.Body, "| Time (Asia/Tokyo) |") {
				t.Errorf("default zone: %s", res.Body)
			}

			sub := get("sections=summary,actions&tz=UTC")
			headings := regexp.MustCompile(`(?m)^## .*$`).FindAllString(sub, -1)
			if strings.Join(headings, "|") != "## Summary|## Corrective actions" {
				t.Errorf("sections subset: headings %q", headings)
			}
			// The form's repeated checkboxes say the same.
			if rep := get("sections=summary&sections=actions&tz=UTC"); rep != sub {
				t.Errorf("repeated sections differ:\n%s", rep)
			}
			off := get("heading_offset=2&sections=summary")
			if !strings.Contains(off, "\n#### Summary\n") || strings.Contains(off, "\n## Summary") {
				t.Errorf("heading offset: %s", off)
			}
			toml := get("front_matter=toml")
			if !strings.HasPrefix(toml, "+++\ntitle = \"Checkout errors for Globex\"\n") {
				t.Errorf("toml: %s", toml)
			}
			none := get("front_matter=none")
			if !strings.HasPrefix(none, "# Checkout errors for Globex\n") || strings.Contains(none, "---\n") {
				t.Errorf("none: %s", none)
			}
			three := get("layout=public&audience=public")
			if !strings.Contains(three, "## What happened") || strings.Contains(three, "## Five Whys") {
				t.Errorf("public layout: %s", three)
			}

			for param, q := range map[string]string{
				"audience":       "audience=everyone",
				"tz":             "tz=Mars/Olympus_Mons",
				"sections":       "sections=summary,gossip",
				"heading_offset": "heading_offset=5",
				"front_matter":   "front_matter=json",
				"layout":         "layout=wide",
			} {
				res := f.viewer.Get(f.base + "/export.md?" + q)
				if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.Body, param+":") {
					t.Errorf("%s: %d %s", q, res.StatusCode, res.Body)
				}
				api := f.app.API("GET", "/api/v1/incidents/"+fmt.Sprint(f.inc.ID)+"/export.json?"+q, f.token, "")
				var eb errorBody
				api.JSON(t, &eb)
				if api.StatusCode != http.StatusBadRequest || eb.Error.Fields[param] == "" {
					t.Errorf("API %s: %d %s", q, api.StatusCode, api.Body)
				}
			}
			if res := f.viewer.Get(f.base + "/export.md?heading_offset=two"); res.StatusCode != http.StatusBadRequest {
				t.Errorf("heading_offset=two: %d", res.StatusCode)
			}
		})
	}
}

func TestExportPublicRedaction(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			f := newExportFixture(t, d)
			pub := f.viewer.Get(f.base + "/export.md?audience=public&tz=Europe/Paris")
			if pub.StatusCode != http.StatusOK {
				t.Fatalf("public: %d %s", pub.StatusCode, pub.Body)
			}
			for _, s := range f.secrets {
				if strings.Contains(pub.Body, s) {
					t.Errorf("the public export contains %q", s)
				}
			}
			for _, want := range []string{"The author rolled back", "an internal host", "an internal address", "a customer",
				"[the dashboard](#redacted)", "the reviewer", "the engineer", "Region", "eu-west", "Project Falcon"} {
				if !strings.Contains(pub.Body, want) {
					t.Errorf("the public export lacks %q", want)
				}
			}
			if !strings.Contains(pub.Body, "authors: []") {
				t.Errorf("anonymous by default, yet:\n%s", pub.Body)
			}

			// The preview: every removal highlighted, with the original for the editor.
			pv := f.editor.Get(f.base + "/export/preview?tz=Europe/Paris&front_matter=toml")
			expect(t, "preview", pv, http.StatusOK, `href="`+f.base+`/export.md?audience=public&amp;tz=Europe%2FParis"`,
				`name="q" value="tz=Europe%2FParis"`, `<mark class="removal kind-person" data-kind="person" data-original="Ana Lima" title="person: Ana Lima">The author</mark>`,
				`data-original="db-7.corp.example.com"`, `data-original="10.20.3.7"`, `title="customer: Globex"`,
				`name="action" value="keep"`, `id="term-form"`, `id="byline-form"`, `name="version" value="0"`)
			if v := f.viewer.Get(f.base + "/export/preview"); v.StatusCode != http.StatusOK || strings.Contains(v.Body, `id="term-form"`) ||
				strings.Contains(v.Body, `value="keep"`) || !strings.Contains(v.Body, `<mark class="removal`) {
				t.Errorf("viewer's preview: %d", v.StatusCode)
			}

			// A term of the author's own goes from the public export.
			res := f.redact(t, "add_term", "Project Falcon", 0)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != f.base+"/export/preview?tz=Europe%2FParis" {
				t.Fatalf("add a term: %d %q %s", res.StatusCode, res.Header.Get("Location"), res.Body)
			}
			pub = f.viewer.Get(f.base + "/export.md?audience=public")
			if strings.Contains(pub.Body, "Falcon") || !strings.Contains(pub.Body, "(redacted)") {
				t.Errorf("the term is still there:\n%s", pub.Body)
			}
			if !strings.Contains(f.viewer.Get(f.base+"/export.md").Body, "Project Falcon") {
				t.Error("the internal export lost the term")
			}
			expect(t, "preview with the term", f.editor.Get(f.base+"/export/preview"), http.StatusOK,
				`data-original="Project Falcon" title="your term: Project Falcon">(redacted)</mark>`, `name="version" value="1"`)

			// Keep brings a flagged text back.
			if res := f.redact(t, "keep", "Globex", 1); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("keep: %d %s", res.StatusCode, res.Body)
			}
			pub = f.viewer.Get(f.base + "/export.md?audience=public")
			if !strings.Contains(pub.Body, "Globex shoppers saw") || !strings.Contains(pub.Body, "Checkout errors for Globex") {
				t.Errorf("Globex kept, yet:\n%s", pub.Body)
			}
			if pv := f.editor.Get(f.base + "/export/preview"); strings.Contains(pv.Body, `data-original="Globex" title`) {
				t.Error("a kept text is still highlighted")
			}
			// ... and unkeep removes it again.
			if res := f.redact(t, "unkeep", "globex", 2); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("unkeep: %d %s", res.StatusCode, res.Body)
			}
			if pub = f.viewer.Get(f.base + "/export.md?audience=public"); strings.Contains(pub.Body, "Globex") {
				t.Error("Globex is back after unkeep")
			}

			// The byline.
			if res := f.redact(t, "byline", "The Payments team", 3); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("byline: %d %s", res.StatusCode, res.Body)
			}
			pub = f.viewer.Get(f.base + "/export.md?audience=public")
			if !strings.Contains(pub.Body, `authors: ["The Payments team"]`) {
				t.Errorf("byline:\n%s", pub.Body)
			}
			if !strings.Contains(f.viewer.Get(f.base+"/export.md").Body, `authors: ["Ana Lima"]`) {
				t.Error("the internal export lost its authors")
			}

			// A stale version is refused with 409 and nothing changes.
			stale := f.redact(t, "add_term", "payments", 3)
			expect(t, "stale", stale, http.StatusConflict, "not saved", `name="version" value="4"`)
			if v := f.redactionVersion(t); v != 4 {
				t.Errorf("version after a stale post: %d", v)
			}
			// Invalid: 422 with the message, the typed term kept in the field.
			long := strings.Repeat("x", models.MaxRedactionTermLength+1)
			expect(t, "too long", f.redact(t, "add_term", long, 4), http.StatusUnprocessableEntity, "longer than 200 characters", `value="`+long+`"`)
			expect(t, "empty", f.redact(t, "add_term", " ", 4), http.StatusUnprocessableEntity, "type a word or phrase")
			expect(t, "bad action", f.redact(t, "shred", "x", 4), http.StatusBadRequest, "action:")
			if res := f.editor.PostForm(f.base+"/export/redaction", url.Values{"action": {"add_term"}, "value": {"x"}}); res.StatusCode != http.StatusBadRequest {
				t.Errorf("no version: %d", res.StatusCode)
			}

			// A viewer cannot change the choices.
			if res := f.viewer.PostForm(f.base+"/export/redaction", url.Values{"action": {"add_term"}, "value": {"x"}, "version": {"4"}}); res.StatusCode != http.StatusForbidden {
				t.Errorf("viewer: %d", res.StatusCode)
			}

			// Published: the redaction choices still change (they shape only the public copy).
			if err := f.app.Store.SetReviewState(context.Background(), f.inc.ID, models.StatusPublished); err != nil {
				t.Fatal(err)
			}
			if res := f.redact(t, "remove_term", "project falcon", 4); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("remove a term when published: %d %s", res.StatusCode, res.Body)
			}
			if pub = f.viewer.Get(f.base + "/export.md?audience=public"); !strings.Contains(pub.Body, "Project Falcon") {
				t.Error("a removed term is still redacted")
			}
			red, _, _ := f.app.Store.Redaction(context.Background(), f.inc.ID)
			if len(red.Terms) != 0 || len(red.Keep) != 0 || red.Byline != "The Payments team" {
				t.Errorf("saved choices: %+v", red)
			}
		})
	}
}
