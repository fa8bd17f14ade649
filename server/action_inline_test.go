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

// hx sends a request as htmx does: with the HX-Request header.
func hx(app *apptest.App, b *apptest.Browser, method, path string, form url.Values) *apptest.Response {
	var req *http.Request
	if method == http.MethodPost {
		req, _ = http.NewRequest(method, app.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", app.URL)
	} else {
		req, _ = http.NewRequest(method, app.URL+path, nil)
	}
	req.Header.Set("HX-Request", "true")
	return b.Do(req)
}

func TestActionInlineEdit(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			app.User("root@example.com", models.RoleAdmin)
			editor := app.SignedIn("maya@example.com", models.RoleEditor)
			viewer := app.SignedIn("vic@example.com", models.RoleViewer)
			ctx := context.Background()
			maya, _ := app.Store.UserByEmail(ctx, "maya@example.com")
			inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2", Status: "draft",
				StartedAt: mustTime("2022-11-17T10:45:00Z")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			due, _ := models.ParseDate("2022-12-15")
			a, err := app.Store.CreateAction(ctx, inc.ID, models.ActionInput{Title: "Alert on the reply error rate", Team: "chat",
				Kind: "detect", Priority: "P2", DueDate: &due, TrackerURL: "https://github.com/reading-co/bookbot/issues/88",
				Verification: "the alert fires in the game day"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			row, edit := fmt.Sprintf("/actions/%d/row", a.ID), fmt.Sprintf("/actions/%d/row/edit", a.ID)

			// The read-only row, as a viewer: no Edit control.
			res := hx(app, viewer, "GET", row, nil)
			if res.StatusCode != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(res.Body), fmt.Sprintf(`<tr id="action-%d">`, a.ID)) ||
				!strings.Contains(res.Body, "Alert on the reply error rate") || !strings.Contains(res.Body, "reading-co/bookbot#88") ||
				strings.Contains(res.Body, "hx-get") || strings.Contains(res.Body, "<html") {
				t.Fatalf("row as viewer: %d\n%s", res.StatusCode, res.Body)
			}
			// As an editor on the dashboard: the incident column and the Edit control.
			res = hx(app, editor, "GET", row+"?view=dashboard", nil)
			if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, inc.Key()) ||
				!strings.Contains(res.Body, `hx-get="`+edit+`?view=dashboard"`) || !strings.Contains(res.Body, fmt.Sprintf(`href="/actions/%d/edit"`, a.ID)) {
				t.Fatalf("dashboard row as editor: %d\n%s", res.StatusCode, res.Body)
			}
			// Without htmx the row's URL leads to the incident page.
			if res := viewer.Get(row); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/incidents/%d#actions", inc.ID) {
				t.Fatalf("row without htmx: %d to %q", res.StatusCode, res.Header.Get("Location"))
			}

			// The inline form: the few fields, the version, a label for each.
			res = hx(app, editor, "GET", edit, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("edit partial: %d %s", res.StatusCode, res.Body)
			}
			for _, want := range []string{`hx-post="` + row + `"`, `action="` + row + `"`, `method="post"`, `name="version" value="1"`,
				`<option value="open" selected>open</option>`, `value="2022-12-15"`, `<option selected>P2</option>`} {
				if !strings.Contains(res.Body, want) {
					t.Errorf("edit partial lacks %s", want)
				}
			}
			for _, field := range []string{"status", "reason", "owner", "due", "priority"} {
				id := fmt.Sprintf("ia-%s-%d", field, a.ID)
				if !strings.Contains(res.Body, `<label for="`+id+`"`) || !strings.Contains(res.Body, `id="`+id+`"`) {
					t.Errorf("the inline %s field has no label", field)
				}
			}
			if res := editor.Get(edit); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/actions/%d/edit", a.ID) {
				t.Errorf("edit partial without htmx: %d to %q, want the full edit page", res.StatusCode, res.Header.Get("Location"))
			}

			// Save: the row comes back with the new values; the other fields are kept.
			form := url.Values{"version": {"1"}, "status": {"in_progress"}, "reason": {""}, "owner": {fmt.Sprint(maya.ID)},
				"due_date": {"2023-01-10"}, "priority": {"P1"}}
			res = hx(app, editor, "POST", row, form)
			if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "in progress") || !strings.Contains(res.Body, "2023-01-10") ||
				!strings.Contains(res.Body, "<td>P1</td>") || !strings.Contains(res.Body, "maya") || strings.Contains(res.Body, "<form") {
				t.Fatalf("save: %d\n%s", res.StatusCode, res.Body)
			}
			got, _ := app.Store.Action(ctx, a.ID)
			if got.Status != "in_progress" || got.Priority != "P1" || got.DueDate == nil || got.DueDate.String() != "2023-01-10" ||
				got.OwnerID == nil || *got.OwnerID != maya.ID || got.Version != 2 ||
				got.Title != a.Title || got.Team != "chat" || got.Kind != "detect" || got.TrackerURL != a.TrackerURL || got.Verification != a.Verification {
				t.Fatalf("stored after save: %+v", got)
			}
			history, _ := app.Store.ActionHistory(ctx, a.ID)
			if last := history[len(history)-1]; len(history) != 2 || last.FromStatus != "open" || last.ToStatus != "in_progress" || last.Actor != "maya" {
				t.Fatalf("status history: %+v", history)
			}

			// Blocked without a reason: the form again, 422, with the message and the typed values.
			res = hx(app, editor, "POST", row, url.Values{"version": {"2"}, "status": {"blocked"}, "reason": {""}, "owner": {""},
				"due_date": {"2023-01-10"}, "priority": {"P1"}})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "say what it is waiting for") ||
				!strings.Contains(res.Body, `<option value="blocked" selected>`) || !strings.Contains(res.Body, `class="field-error"`) ||
				!strings.Contains(res.Body, `name="version" value="2"`) {
				t.Fatalf("blocked without a reason: %d\n%s", res.StatusCode, res.Body)
			}
			// A bad date is named too.
			res = hx(app, editor, "POST", row, url.Values{"version": {"2"}, "status": {"in_progress"}, "due_date": {"next week"}})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "YYYY-MM-DD") {
				t.Fatalf("bad date: %d\n%s", res.StatusCode, res.Body)
			}
			if got, _ := app.Store.Action(ctx, a.ID); got.Version != 2 || got.Status != "in_progress" {
				t.Fatalf("a refused save changed the action: %+v", got)
			}

			// Stale version: 409, the form reloaded with the current values.
			res = hx(app, editor, "POST", row, url.Values{"version": {"1"}, "status": {"done"}, "priority": {"P4"}})
			if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "changed by someone else — reloaded") ||
				!strings.Contains(res.Body, `<option value="in_progress" selected>`) || !strings.Contains(res.Body, `<option selected>P1</option>`) ||
				!strings.Contains(res.Body, `name="version" value="2"`) {
				t.Fatalf("stale save: %d\n%s", res.StatusCode, res.Body)
			}
			if got, _ := app.Store.Action(ctx, a.ID); got.Version != 2 || got.Status != "in_progress" {
				t.Fatalf("a stale save changed the action: %+v", got)
			}

			// Without htmx: 303 back to the incident page, or the dashboard it came from.
			res = editor.PostForm(row, url.Values{"version": {"2"}, "status": {"done"}, "priority": {"P1"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/incidents/%d#actions", inc.ID) {
				t.Fatalf("plain save: %d to %q", res.StatusCode, res.Header.Get("Location"))
			}
			if got, _ := app.Store.Action(ctx, a.ID); got.Status != "done" || got.ClosedAt == nil || got.Version != 3 {
				t.Fatalf("after the plain save: %+v", got)
			}
			req, _ := http.NewRequest("POST", app.URL+row, strings.NewReader(url.Values{"version": {"3"}, "status": {"done"}, "priority": {"P2"},
				"view": {"dashboard"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", app.URL)
			req.Header.Set("Referer", app.URL+"/actions?team=chat&sort=due")
			if res := editor.Do(req); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/actions?team=chat&sort=due" {
				t.Fatalf("plain save from the dashboard: %d to %q", res.StatusCode, res.Header.Get("Location"))
			}
			// A plain save that fails gets the full edit page, not a fragment.
			res = editor.PostForm(row, url.Values{"version": {"4"}, "status": {"wont_do"}})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "<html") || !strings.Contains(res.Body, "say why it won") ||
				!strings.Contains(res.Body, `value="Alert on the reply error rate"`) {
				t.Fatalf("plain save without a reason: %d\n%s", res.StatusCode, res.Body)
			}
			res = editor.PostForm(row, url.Values{"version": {"1"}, "status": {"open"}})
			if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "Someone else saved this action") {
				t.Fatalf("plain stale save: %d", res.StatusCode)
			}

			// Unknown action, and a viewer's save.
			for _, r := range []*apptest.Response{hx(app, editor, "GET", "/actions/999999/row", nil), hx(app, editor, "GET", "/actions/999999/row/edit", nil),
				hx(app, editor, "POST", "/actions/999999/row", url.Values{"version": {"1"}, "status": {"done"}})} {
				if r.StatusCode != http.StatusNotFound {
					t.Errorf("unknown action: %d, want 404", r.StatusCode)
				}
			}
			if res := hx(app, viewer, "POST", row, url.Values{"version": {"4"}, "status": {"open"}}); res.StatusCode != http.StatusForbidden {
				t.Errorf("viewer's save: %d, want 403", res.StatusCode)
			}
			if res := hx(app, viewer, "GET", edit, nil); res.StatusCode != http.StatusForbidden {
				t.Errorf("viewer's inline form: %d, want 403", res.StatusCode)
			}
			if got, _ := app.Store.Action(ctx, a.ID); got.Version != 4 || got.Status != "done" || got.Priority != "P2" {
				t.Fatalf("refused requests changed the action: %+v", got)
			}

			// The incident page and the dashboard render their rows with the
			// same partial: the Edit control for editors, none for viewers.
			inlineEdit := `hx-get="` + edit
			if body := editor.Get(fmt.Sprintf("/incidents/%d", inc.ID)).Body; !strings.Contains(body, inlineEdit+`"`) || !strings.Contains(body, fmt.Sprintf(`id="action-%d"`, a.ID)) {
				t.Errorf("the incident page has no inline Edit for the action")
			}
			if body := editor.Get("/actions").Body; !strings.Contains(body, inlineEdit+`?view=dashboard"`) {
				t.Errorf("the dashboard has no inline Edit for the action")
			}
			for _, path := range []string{fmt.Sprintf("/incidents/%d", inc.ID), "/actions"} {
				if body := viewer.Get(path).Body; strings.Contains(body, inlineEdit) || !strings.Contains(body, "Alert on the reply error rate") {
					t.Errorf("%s as a viewer: want the action without an inline Edit", path)
				}
			}
		})
	}
}
