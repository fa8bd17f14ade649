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
	"hindsight/postmortem"
)

// expect fails the test unless the response has the status and every
// string in its body.
func expect(t *testing.T, what string, res *apptest.Response, status int, wants ...string) {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("%s: status %d, want %d: %s", what, res.StatusCode, status, res.Body)
	}
	for _, w := range wants {
		if !strings.Contains(res.Body, w) {
			t.Errorf("%s: the answer lacks %q", what, w)
		}
	}
}

func fieldKeys(fs []postmortem.CustomField) string {
	var keys []string
	for _, f := range fs {
		keys = append(keys, f.Key)
	}
	return strings.Join(keys, ",")
}

func TestPostmortemSettingsFields(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			admin := app.SignedIn("root@example.com", models.RoleAdmin)
			ctx := context.Background()
			const base = "/settings/postmortems"

			page := admin.Get(base)
			expect(t, "page", page, http.StatusOK, `href="/settings/postmortems"`, "Custom impact fields", "No custom fields yet",
				"Contributing factor taxonomy", "This is the built-in taxonomy", "Blameless language", "human-error", "person-subject",
				"Full review", "Short review", "fall back to the default template")

			// Add: a select with options, then a text field.
			res := admin.PostForm(base+"/fields", url.Values{"key": {"region"}, "label": {"Region"}, "kind": {"select"},
				"options": {"EU\r\n\r\n US \nAPAC"}, "internal": {"on"}})
			expect(t, "add region", res, http.StatusSeeOther)
			expect(t, "add notes", admin.PostForm(base+"/fields", url.Values{"key": {"notes"}, "label": {"Notes"}, "kind": {"text"},
				"options": {"ignored for a text field"}}), http.StatusSeeOther)
			fields, _ := app.Store.CustomFields(ctx)
			if fieldKeys(fields) != "region,notes" || strings.Join(fields[0].Options, "|") != "EU|US|APAC" || !fields[0].Internal || len(fields[1].Options) != 0 {
				t.Fatalf("fields: %+v", fields)
			}
			expect(t, "listed", admin.Get(base), http.StatusOK, "<code>region</code>", `value="Region"`, "APAC")

			// Refused additions come back with 422 and the messages by the new row.
			expect(t, "bad key", admin.PostForm(base+"/fields", url.Values{"key": {"Bad Key"}, "label": {"X"}, "kind": {"text"}}),
				http.StatusUnprocessableEntity, "use a lowercase letter", `value="Bad Key"`)
			expect(t, "duplicate key", admin.PostForm(base+"/fields", url.Values{"key": {"region"}, "label": {"Zone"}, "kind": {"text"}}),
				http.StatusUnprocessableEntity, "another field already uses this key", `value="Zone"`)
			expect(t, "select without options", admin.PostForm(base+"/fields", url.Values{"key": {"tier"}, "label": {"Tier"}, "kind": {"select"}, "options": {"gold"}}),
				http.StatusUnprocessableEntity, "give a select field at least two options")
			expect(t, "unknown kind", admin.PostForm(base+"/fields", url.Values{"key": {"tier"}, "label": {"Tier"}, "kind": {"colour"}}),
				http.StatusUnprocessableEntity, "choose text, number, select or date")

			// Edit a row: label, options, internal; problems next to that row.
			expect(t, "blank label", admin.PostForm(base+"/fields/region", url.Values{"label": {"  "}, "options": {"EU\nUS"}}),
				http.StatusUnprocessableEntity, "enter a label")
			expect(t, "repeated option", admin.PostForm(base+"/fields/region", url.Values{"label": {"Region"}, "options": {"EU\neu"}}),
				http.StatusUnprocessableEntity, "option 2: this option is already listed")
			expect(t, "edit region", admin.PostForm(base+"/fields/region", url.Values{"label": {"Cloud region"}, "options": {"EU\nUS"}}), http.StatusSeeOther)
			fields, _ = app.Store.CustomFields(ctx)
			if fields[0].Label != "Cloud region" || len(fields[0].Options) != 2 || fields[0].Internal || fields[0].Kind != "select" {
				t.Errorf("edited: %+v", fields[0])
			}

			// Move and remove.
			expect(t, "move up", admin.PostForm(base+"/fields/notes/move", url.Values{"dir": {"up"}}), http.StatusSeeOther)
			expect(t, "move the first up", admin.PostForm(base+"/fields/notes/move", url.Values{"dir": {"up"}}), http.StatusSeeOther)
			if fields, _ = app.Store.CustomFields(ctx); fieldKeys(fields) != "notes,region" {
				t.Errorf("after moving up: %s", fieldKeys(fields))
			}
			expect(t, "move down", admin.PostForm(base+"/fields/notes/move", url.Values{"dir": {"down"}}), http.StatusSeeOther)
			if fields, _ = app.Store.CustomFields(ctx); fieldKeys(fields) != "region,notes" {
				t.Errorf("after moving down: %s", fieldKeys(fields))
			}
			expect(t, "remove", admin.PostForm(base+"/fields/notes/delete", nil), http.StatusSeeOther)
			if fields, _ = app.Store.CustomFields(ctx); fieldKeys(fields) != "region" {
				t.Errorf("after remove: %s", fieldKeys(fields))
			}
			expect(t, "unknown field", admin.PostForm(base+"/fields/notes/delete", nil), http.StatusNotFound)
			expect(t, "unknown field edit", admin.PostForm(base+"/fields/nope", url.Values{"label": {"x"}}), http.StatusNotFound)
		})
	}
}

func TestPostmortemSettingsFactors(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			admin := app.SignedIn("root@example.com", models.RoleAdmin)
			ctx := context.Background()
			const base = "/settings/postmortems/factors"
			keys := func() string {
				cats, _ := app.Store.FactorCategories(ctx)
				var ks []string
				for _, c := range cats {
					ks = append(ks, c.Key)
				}
				return strings.Join(ks, ",")
			}
			defaults := "deploy,config_change,migration,infrastructure,dependency,capacity,detection_gap,response_gap,process_gap"

			expect(t, "add", admin.PostForm(base, url.Values{"key": {"feature_flag"}, "label": {"Feature flag"}, "group": {"trigger"}}), http.StatusSeeOther)
			if keys() != defaults+",feature_flag" {
				t.Fatalf("after add: %s", keys())
			}
			expect(t, "page", admin.Get("/settings/postmortems"), http.StatusOK, "<code>feature_flag</code>", `value="Feature flag"`)
			expect(t, "bad group", admin.PostForm(base, url.Values{"key": {"people"}, "label": {"People"}, "group": {"Who?"}}),
				http.StatusUnprocessableEntity, "use a lowercase letter", `value="People"`)
			expect(t, "duplicate", admin.PostForm(base, url.Values{"key": {"deploy"}, "label": {"Deploy again"}, "group": {"trigger"}}),
				http.StatusUnprocessableEntity, "another category already uses this key", `value="Deploy again"`)

			// Edit: label, group, archived.
			expect(t, "blank label", admin.PostForm(base+"/capacity", url.Values{"label": {""}, "group": {"trigger"}}),
				http.StatusUnprocessableEntity, "enter a label")
			expect(t, "archive", admin.PostForm(base+"/capacity", url.Values{"label": {"Capacity"}, "group": {"limits"}, "archived": {"on"}}), http.StatusSeeOther)
			cats, _ := app.Store.FactorCategories(ctx)
			if c := cats[5]; c.Key != "capacity" || !c.Archived || c.Group != "limits" {
				t.Errorf("archived: %+v", c)
			}
			expect(t, "archived on the page", admin.Get("/settings/postmortems"), http.StatusOK, "archived", `<option value="limits">`)

			// Reorder.
			expect(t, "up", admin.PostForm(base+"/feature_flag/move", url.Values{"dir": {"up"}}), http.StatusSeeOther)
			if !strings.HasSuffix(keys(), "response_gap,feature_flag,process_gap") {
				t.Errorf("after moving up: %s", keys())
			}
			expect(t, "down", admin.PostForm(base+"/deploy/move", url.Values{"dir": {"down"}}), http.StatusSeeOther)
			if !strings.HasPrefix(keys(), "config_change,deploy,") {
				t.Errorf("after moving down: %s", keys())
			}

			// A category a postmortem uses cannot be removed; an unused one can.
			inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2", Status: "draft",
				StartedAt: mustTime("2022-11-17T10:45:00Z")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := app.Store.SaveFactors(ctx, inc.ID, postmortem.Factors{Items: []postmortem.Factor{{ID: "f1", Category: "deploy"}}}, 0, "ana"); err != nil {
				t.Fatal(err)
			}
			expect(t, "remove a used one", admin.PostForm(base+"/deploy/delete", nil), http.StatusUnprocessableEntity,
				"is used by a postmortem: archive it instead of removing it")
			expect(t, "remove", admin.PostForm(base+"/feature_flag/delete", nil), http.StatusSeeOther)
			if strings.Contains(keys(), "feature_flag") || !strings.Contains(keys(), "deploy") {
				t.Errorf("after remove: %s", keys())
			}
			expect(t, "unknown", admin.PostForm(base+"/feature_flag/move", url.Values{"dir": {"up"}}), http.StatusNotFound)
		})
	}
}

func TestPostmortemSettingsBlameless(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			admin := app.SignedIn("root@example.com", models.RoleAdmin)
			ctx := context.Background()
			const base = "/settings/postmortems/blameless"

			expect(t, "add", admin.PostForm(base, url.Values{"phrase": {" cowboy  deploy "}, "suggestion": {"an unreviewed deploy"}}), http.StatusSeeOther)
			expect(t, "empty", admin.PostForm(base, url.Values{"phrase": {""}}), http.StatusUnprocessableEntity, "enter a word or phrase")
			expect(t, "again", admin.PostForm(base, url.Values{"phrase": {"Cowboy deploy"}, "suggestion": {"kept"}}),
				http.StatusUnprocessableEntity, "this phrase is already listed", `value="kept"`)
			rules, _ := app.Store.BlamelessRules(ctx)
			if len(rules) != 1 || rules[0].Phrase != "cowboy deploy" || rules[0].CreatedBy != "root@example.com" {
				t.Fatalf("rules: %+v", rules)
			}
			expect(t, "page", app.Browser().Get("/settings/postmortems"), http.StatusSeeOther) // signed out
			expect(t, "listed", admin.Get("/settings/postmortems"), http.StatusOK, "<mark>cowboy deploy</mark>", "an unreviewed deploy",
				fmt.Sprintf("/settings/postmortems/blameless/%d/delete", rules[0].ID))

			// Try it: the page without JavaScript, the notes alone with htmx.
			text := "Obviously it was a cowboy deploy; nobody is to blame."
			res := admin.PostForm(base+"/try", url.Values{"text": {text}})
			expect(t, "try", res, http.StatusOK, "<mark>cowboy deploy</mark>", "<mark>Obviously</mark>", "an unreviewed deploy", "Obviously it was a cowboy deploy")
			if strings.Contains(res.Body, "<mark>blame</mark>") {
				t.Errorf("“nobody is to blame” is blameless")
			}
			frag := hx(app, admin, http.MethodPost, base+"/try", url.Values{"text": {"The rollback worked."}})
			expect(t, "try, htmx", frag, http.StatusOK, "Nothing flagged")
			if strings.Contains(frag.Body, "<html") {
				t.Errorf("the htmx answer is a fragment")
			}

			expect(t, "delete", admin.PostForm(fmt.Sprintf("%s/%d/delete", base, rules[0].ID), nil), http.StatusSeeOther)
			expect(t, "delete again", admin.PostForm(fmt.Sprintf("%s/%d/delete", base, rules[0].ID), nil), http.StatusNotFound)
			expect(t, "delete nonsense", admin.PostForm(base+"/x/delete", nil), http.StatusNotFound)
			if res := admin.PostForm(base+"/try", url.Values{"text": {text}}); strings.Contains(res.Body, "<mark>cowboy deploy</mark>") {
				t.Errorf("a removed phrase is no longer flagged")
			}
		})
	}
}

func TestPostmortemSettingsTemplates(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			admin := app.SignedIn("root@example.com", models.RoleAdmin)
			ctx := context.Background()
			const base = "/settings/postmortems/templates"

			expect(t, "new", admin.Get(base+"/new"), http.StatusOK, `name="key"`, `name="step" value="whys"`, `name="prompt_whys"`, `name="impact_field" value="slo_budget_pct"`)
			expect(t, "copy", admin.Get(base+"/new?copy=short"), http.StatusOK, `value="short_copy"`, `value="Copy of Short review"`,
				"Two or three sentences")
			expect(t, "copy of nothing", admin.Get(base+"/new?copy=nope"), http.StatusNotFound)

			form := url.Values{"key": {"security"}, "name": {"Security review"}, "description": {"For security incidents."},
				"public": {""}, "step": {"summary", "impact", "whys", "actions"},
				"title_impact": {"Exposure"}, "title_summary": {"Summary"}, "prompt_whys": {"Which control failed?\r\nAnd why?"},
				"title_lessons": {"Not included, so dropped"},
				"impact_field":  {"start", "end", "data_loss"}}
			expect(t, "create", admin.PostForm(base, form), http.StatusSeeOther)
			tpl, err := app.Store.AdminTemplate(ctx, "security")
			if err != nil || fmt.Sprint(tpl.Steps) != "[summary impact whys actions review]" || tpl.Titles["impact"] != "Exposure" ||
				len(tpl.Titles) != 1 || tpl.Prompts["whys"] != "Which control failed?\nAnd why?" || fmt.Sprint(tpl.ImpactFields) != "[start end data_loss]" || tpl.Public {
				t.Fatalf("stored: %+v %v", tpl, err)
			}
			expect(t, "listed", admin.Get("/settings/postmortems"), http.StatusOK, "Security review", "Summary → Exposure → Five Whys → Corrective actions → Review &amp; publish",
				base+"/security/delete")

			// Refusals come back with 422 and the messages in place.
			expect(t, "same key", admin.PostForm(base, form), http.StatusUnprocessableEntity, "another template already uses this key")
			form.Set("key", "full")
			expect(t, "built-in key", admin.PostForm(base, form), http.StatusUnprocessableEntity, "is a built-in template")
			form.Set("key", "security2")
			form.Set("title_whys", strings.Repeat("x", 61))
			form.Set("name", "")
			expect(t, "long title", admin.PostForm(base, form), http.StatusUnprocessableEntity, "use at most 60 characters", "enter a name", `value="security2"`)

			// Edit: the key stays; fields without an impact step are dropped.
			expect(t, "edit page", admin.Get(base+"/security"), http.StatusOK, `value="Security review"`, "readonly", `value="Exposure"`)
			expect(t, "edit a built-in", admin.Get(base+"/full"), http.StatusNotFound)
			expect(t, "update a built-in", admin.PostForm(base+"/short", url.Values{"name": {"Mine"}}), http.StatusNotFound)
			expect(t, "bad update", admin.PostForm(base+"/security", url.Values{"name": {" "}, "step": {"summary"}}), http.StatusUnprocessableEntity, "enter a name")
			expect(t, "update", admin.PostForm(base+"/security", url.Values{"key": {"ignored"}, "name": {"Security incident"}, "public": {"on"},
				"step": {"summary", "timeline"}, "impact_field": {"start"}}), http.StatusSeeOther)
			tpl, _ = app.Store.AdminTemplate(ctx, "security")
			if tpl.Name != "Security incident" || !tpl.Public || fmt.Sprint(tpl.Steps) != "[summary timeline review]" || tpl.ImpactFields != nil {
				t.Errorf("updated: %+v", tpl)
			}
			if _, err := app.Store.AdminTemplate(ctx, "ignored"); err == nil {
				t.Errorf("the key is set at creation only")
			}

			// Delete, even in use: the incident falls back to the default.
			inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Leaked token", Severity: "SEV2", Status: "draft",
				StartedAt: mustTime("2022-11-17T10:45:00Z"), TemplateKey: "security"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, "in use", admin.Get(base+"/security"), http.StatusOK, "1 incident(s) use this template")
			expect(t, "delete", admin.PostForm(base+"/security/delete", nil), http.StatusSeeOther)
			expect(t, "delete again", admin.PostForm(base+"/security/delete", nil), http.StatusNotFound)
			expect(t, "delete a built-in", admin.PostForm(base+"/full/delete", nil), http.StatusNotFound)
			expect(t, "fallback", admin.Get(fmt.Sprintf("/incidents/%d/write/summary", inc.ID)), http.StatusOK, "Full review template")
		})
	}
}

func TestIncidentTemplateChoice(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			app.User("root@example.com", models.RoleAdmin)
			editor := app.SignedIn("ana@example.com", models.RoleEditor)
			token := app.Token(models.RoleEditor)
			ctx := context.Background()

			expect(t, "form", editor.Get("/incidents/new"), http.StatusOK, `<select id="template" name="template"`,
				`<option value="full" selected>Full review</option>`, `<option value="short" >Short review</option>`, "Fifteen minutes for the author")
			form := url.Values{"title": {"Search slow"}, "severity": {"SEV3"}, "status": {"draft"}, "started_at": {"2022-11-17T10:45"}, "template": {"nope"}}
			expect(t, "unknown template", editor.PostForm("/incidents", form), http.StatusUnprocessableEntity, "choose one of the postmortem templates")
			form.Set("template", "short")
			res := editor.PostForm("/incidents", form)
			expect(t, "create", res, http.StatusSeeOther)
			loc := res.Header.Get("Location")
			var id int64
			if _, err := fmt.Sscanf(loc, "/incidents/%d", &id); err != nil {
				t.Fatalf("location %q", loc)
			}
			inc, _ := app.Store.Incident(ctx, id)
			if inc.TemplateKey != "short" {
				t.Fatalf("template key %q", inc.TemplateKey)
			}
			// The guide walks the short template's steps only.
			res = editor.Get(loc + "/write")
			expect(t, "start", res, http.StatusSeeOther)
			page := editor.Get(res.Header.Get("Location"))
			expect(t, "guide", page, http.StatusOK, "Short review template")
			for _, step := range []string{"summary", "impact", "timeline", "whys", "actions", "review"} {
				if !strings.Contains(page.Body, fmt.Sprintf(`href="%s/write/%s"`, loc, step)) {
					t.Errorf("step %s missing", step)
				}
			}
			for _, step := range []string{"factors", "lessons"} {
				if strings.Contains(page.Body, fmt.Sprintf(`href="%s/write/%s"`, loc, step)) {
					t.Errorf("step %s is not in the short template", step)
				}
				expect(t, step, editor.Get(loc+"/write/"+step), http.StatusNotFound)
			}
			// Editing the incident keeps its template.
			edit := editor.Get(loc + "/edit")
			if strings.Contains(edit.Body, `name="template"`) {
				t.Errorf("the template is picked at creation only")
			}

			// The API: optional "template" on create, returned by GET; unknown 422.
			body := `{"title":"Checkout down","severity":"SEV1","started_at":"2022-11-17T10:45:00Z","template":"public"}`
			res = app.API("POST", "/api/v1/incidents", token, body)
			expect(t, "api create", res, http.StatusCreated, `"template":"public"`)
			var created struct {
				ID       int64
				Template string
			}
			res.JSON(t, &created)
			got := app.API("GET", fmt.Sprintf("/api/v1/incidents/%d", created.ID), token, "")
			expect(t, "api get", got, http.StatusOK, `"template":"public"`)
			expect(t, "api default", app.API("POST", "/api/v1/incidents", token, `{"title":"Other","severity":"SEV3","started_at":"2022-11-17T10:45:00Z"}`),
				http.StatusCreated, `"template":"full"`)
			bad := app.API("POST", "/api/v1/incidents", token, `{"title":"Other","severity":"SEV3","started_at":"2022-11-17T10:45:00Z","template":"nope"}`)
			expect(t, "api unknown", bad, http.StatusUnprocessableEntity, `"template":"choose one of the postmortem templates"`)
			expect(t, "api wrong type", app.API("POST", "/api/v1/incidents", token, `{"title":"Other","severity":"SEV3","started_at":"2022-11-17T10:45:00Z","template":3}`),
				http.StatusBadRequest, `"template":"must be a string"`)
			// A PATCH that sends the template back leaves it alone.
			patched := app.API("PATCH", fmt.Sprintf("/api/v1/incidents/%d", created.ID), token, `{"template":"short","title":"Checkout down for all"}`,
				"If-Match", got.Header.Get("ETag"))
			expect(t, "api patch", patched, http.StatusOK, `"template":"public"`, "Checkout down for all")
		})
	}
}

func TestPreviewBlamelessNotes(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			admin := app.SignedIn("root@example.com", models.RoleAdmin)
			editor := app.SignedIn("ana@example.com", models.RoleEditor)
			ctx := context.Background()
			if _, err := app.Store.CreateUser(ctx, models.NewUser{Email: "maya@example.com", Name: "Maya", Role: models.RoleEditor}); err != nil {
				t.Fatal(err)
			}
			inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2", Status: "draft",
				StartedAt: mustTime("2022-11-17T10:45:00Z")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			preview := fmt.Sprintf("/incidents/%d/preview?field=summary", inc.ID)
			text := "It was human error: Maya forgot to run the migration"

			res := hx(app, editor, http.MethodPost, preview, url.Values{"summary": {text}})
			expect(t, "preview", res, http.StatusOK, "<p>It was human error: Maya forgot to run the migration</p>", "Blameless language",
				"<mark>human error</mark>", "names a person as the cause", "Describe what the system allowed",
				"<mark>Maya forgot</mark>", "Make the system or the step the subject", "never stop you from saving")
			if strings.Contains(res.Body, "<html") {
				t.Errorf("the preview is a fragment")
			}
			clean := hx(app, editor, http.MethodPost, preview, url.Values{"summary": {"The migration ran after the deploy."}})
			if clean.StatusCode != http.StatusOK || strings.Contains(clean.Body, "Blameless language") {
				t.Errorf("no notes on blameless text: %d %s", clean.StatusCode, clean.Body)
			}

			// An admin's phrase is flagged once added.
			cowboy := url.Values{"summary": {"A cowboy deploy took the chatbot down."}}
			if res := hx(app, editor, http.MethodPost, preview, cowboy); strings.Contains(res.Body, "<mark>") {
				t.Errorf("not flagged before it is added: %s", res.Body)
			}
			expect(t, "add phrase", admin.PostForm("/settings/postmortems/blameless", url.Values{"phrase": {"cowboy deploy"},
				"suggestion": {"a deploy without review"}}), http.StatusSeeOther)
			expect(t, "flagged", hx(app, editor, http.MethodPost, preview, cowboy), http.StatusOK,
				"<mark>cowboy deploy</mark>", "Your team has listed this wording", "a deploy without review")

			// Never blocking: the same words save.
			save := editor.PostForm(fmt.Sprintf("/incidents/%d/write/summary", inc.ID), url.Values{"version": {"1"},
				"title": {"Chatbot errors"}, "severity": {"SEV2"}, "summary": {text}})
			expect(t, "save", save, http.StatusSeeOther)
			if got, _ := app.Store.Incident(ctx, inc.ID); got.Summary != text {
				t.Errorf("saved summary %q", got.Summary)
			}
		})
	}
}
