package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hindsight/internal/apptest"
	"hindsight/models"
)

// TestActionsFlow writes a corrective action in the browser: a vague,
// invalid first try comes back with the error and the hints, the fixed one
// shows on the incident and on the dashboard, whose filters, figures and
// CSV export follow the action to done.
func TestActionsFlow(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	admin := app.User("admin@example.com", models.RoleAdmin)
	editor := app.User("ed@example.com", models.RoleEditor)
	inc, err := app.Store.CreateIncident(context.Background(), models.IncidentInput{
		Title: "Chat replies stalled", Severity: "SEV2", Status: models.StatusPublished,
		Environment: "production", StartedAt: time.Date(2022, 11, 17, 10, 45, 0, 0, time.UTC),
		Services: []string{"bookbot-chat"}, Summary: "Replies stalled for 40 minutes.",
	}, &admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	incPath := fmt.Sprintf("/incidents/%d", inc.ID)

	b := newBrowser(t, app.URL)
	b.signIn("ed@example.com", apptest.Password)

	// The incident has no actions yet; the editor gets the button.
	b.open(incPath)
	b.waitVisible("#actions")
	b.expectText("#actions tbody", "No actions yet")
	b.clickAndWaitForPage(`#actions a.button[href="` + incPath + `/actions/new"]`)
	b.expectPath(incPath + "/actions/new")
	b.waitVisible("#a-title")
	b.expectValue("#a-status", "open")
	b.expectValue("#a-priority", "P3")

	// A vague title, closed as won't do without a reason.
	formSubmit := `#main form[action="` + incPath + `/actions"] button[type="submit"]`
	b.typeInto("#a-title", "Look into monitoring")
	b.setValue("#a-status", "wont_do")
	if status := b.clickStatus(formSubmit); status != http.StatusUnprocessableEntity {
		t.Fatalf("adding a won't-do action without a reason: status %d, want 422", status)
	}
	b.expectPath(incPath + "/actions")
	b.expectText(`#main > p.error[role="alert"]`, "Some fields need attention")
	b.expectText(`.field-error:has(#a-reason) .error`, "say why it won't be done")
	b.expectCount(`.field-error`, 1)
	b.expectText(`#main .notice`, "Make it actionable")
	b.expectText(`#main .notice li`, `Vague wording: "look into"`)
	b.expectValue("#a-title", "Look into monitoring")
	b.expectValue("#a-status", "wont_do")

	// Fix it: specific, owned, due (already past), tracked, open.
	b.replaceText("#a-title", "Alert when the chat reply error rate exceeds 2% for 5 minutes")
	b.setValue("#a-owner", fmt.Sprint(editor.ID))
	b.setValue("#a-due", "2022-12-15")
	b.setValue("#a-priority", "P2")
	b.typeInto("#a-tracker", "https://github.com/acme/bookbot/issues/42")
	b.setValue("#a-status", "open")
	if status := b.clickStatus(formSubmit); status != http.StatusOK {
		t.Fatalf("adding the fixed action: status %d, want 200 after the redirect", status)
	}
	b.expectPath(incPath + "#actions")
	b.expectText(".flash", "Action added")
	b.expectCount("#actions tbody tr", 1)
	row := "#actions tbody tr"
	b.expectText(row+" td:nth-child(1) a", "Alert when the chat reply error rate exceeds 2% for 5 minutes")
	b.expectText(row+" td:nth-child(2)", "ed")
	b.expectText(row+" td:nth-child(3)", "2022-12-15")
	b.expectText(row+" td:nth-child(4)", "P2")
	b.expectText(row+" td:nth-child(5)", "open")
	b.expectText(row+` td:nth-child(6) a[href="https://github.com/acme/bookbot/issues/42"]`, "acme/bookbot#42")

	// The dashboard, through the header's link.
	b.clickAndWaitForPage(`header a[href="/actions"]`)
	b.expectPath("/actions")
	b.expectText("#main h1", "Corrective actions")
	b.expectFigure("open", "1")
	b.expectFigure("overdue", "1")
	b.expectFigure("done in the last 30 days", "0")
	b.expectCount("#main table tbody tr", 1)

	// Filter: P2 and overdue.
	b.setValue(`form.filters select[name="priority"]`, "P2")
	b.click(`form.filters input[name="overdue"]`)
	b.clickAndWaitForPage(`form.filters button[type="submit"]`)
	if p := b.path(); !strings.Contains(p, "priority=P2") || !strings.Contains(p, "overdue=true") {
		t.Fatalf("after filtering the page is %s, want priority=P2 and overdue=true in the URL", p)
	}
	b.expectValue(`form.filters select[name="priority"]`, "P2")
	if !eval[bool](b, `document.querySelector('form.filters input[name="overdue"]').checked`) {
		t.Fatal("the overdue box is not checked after filtering")
	}
	b.expectPageText("1 matching")
	b.expectActionListed("Alert when the chat reply error rate exceeds 2% for 5 minutes")
	b.expectText("#main table tbody tr td:nth-child(2)", inc.Key())
	b.expectText("#main table tbody tr td:nth-child(3)", "ed")
	b.expectText("#main table tbody tr td:nth-child(4)", "2022-12-15")

	// A filter that matches nothing says so.
	b.setValue(`form.filters select[name="priority"]`, "P1")
	b.clickAndWaitForPage(`form.filters button[type="submit"]`)
	b.expectText("#main table tbody", "No actions match")

	// "My open actions".
	b.clickAndWaitForPage(`#main a.button[href^="/actions?owner=me"]`)
	b.expectPath("/actions?owner=me&status=open,in_progress,blocked")
	b.expectValue(`form.filters select[name="owner"]`, "me")
	b.expectActionListed("Alert when the chat reply error rate exceeds 2% for 5 minutes")

	// Edit it from the dashboard: done.
	b.clickAndWaitForPage(`#main table tbody tr td:nth-child(1) a[href$="/edit"]`)
	if p := b.path(); !strings.HasPrefix(p, "/actions/") || !strings.HasSuffix(p, "/edit") {
		t.Fatalf("the action's link led to %s, want /actions/<id>/edit", p)
	}
	b.waitVisible("#a-title")
	b.expectText("#main h1", "Edit action")
	b.expectValue("#a-title", "Alert when the chat reply error rate exceeds 2% for 5 minutes")
	b.expectValue("#a-owner", fmt.Sprint(editor.ID))
	b.expectValue("#a-due", "2022-12-15")
	b.expectValue("#a-priority", "P2")
	b.expectValue("#a-status", "open")
	b.expectValue("#a-tracker", "https://github.com/acme/bookbot/issues/42")
	// The past due date is pointed out while the action is open.
	b.expectText("#main .notice", "The due date 2022-12-15 has passed")
	b.setValue("#a-status", "done")
	if status := b.clickStatus(`#main form[action^="/actions/"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("saving the action as done: status %d, want 200 after the redirect", status)
	}
	b.expectPath(incPath + "#actions")
	b.expectText(".flash", "Action saved")
	b.expectText("#actions tbody tr td:nth-child(5)", "done")

	// The figures follow.
	b.clickAndWaitForPage(`header a[href="/actions"]`)
	b.expectFigure("open", "0")
	b.expectFigure("overdue", "0")
	b.expectFigure("done in the last 30 days", "1")
	b.expectFigure("completion rate", "100%")
	b.expectText("#main table tbody tr td:nth-child(6)", "done")
	// Nothing is left in "My open actions".
	b.clickAndWaitForPage(`#main a.button[href^="/actions?owner=me"]`)
	b.expectText("#main table tbody", "No actions match")

	// The CSV export of the current view: fetched by the page itself, so
	// that it carries the session cookie (a real download is not needed).
	b.clickAndWaitForPage(`header a[href="/actions"]`)
	b.setValue(`form.filters select[name="priority"]`, "P2")
	b.clickAndWaitForPage(`form.filters button[type="submit"]`)
	href := eval[string](b, `document.querySelector('#main a[href^="/actions.csv"]').getAttribute("href")`)
	if !strings.HasPrefix(href, "/actions.csv") || !strings.Contains(href, "priority=P2") {
		t.Fatalf("the export link is %q, want /actions.csv with the view's filters", href)
	}
	csv := b.fetch(href)
	if csv.Status != http.StatusOK || !strings.HasPrefix(csv.Type, "text/csv") || !strings.Contains(csv.Disposition, "attachment") {
		t.Fatalf("GET %s: status %d, type %q, disposition %q", href, csv.Status, csv.Type, csv.Disposition)
	}
	lines := strings.Split(strings.TrimSpace(csv.Body), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "id,incident,title,status") {
		t.Fatalf("the CSV has %d lines, want a header and one action:\n%s", len(lines), csv.Body)
	}
	for _, want := range []string{inc.Key(), "Alert when the chat reply error rate exceeds 2% for 5 minutes", ",done,", "ed@example.com", "2022-12-15", ",P2,", "https://github.com/acme/bookbot/issues/42"} {
		if !strings.Contains(lines[1], want) {
			t.Fatalf("the CSV's row %q lacks %q", lines[1], want)
		}
	}
}

// expectFigure checks one of the dashboard's figure cards, found by its label.
func (b *Browser) expectFigure(label, want string) {
	b.t.Helper()
	got := eval[string](b, fmt.Sprintf(`(() => {
		for (const card of document.querySelectorAll(".figures .card")) {
			const f = card.querySelector(".figure");
			if (f && card.textContent.replace(f.textContent, "").trim() === %s) return f.textContent.trim();
		}
		return "(no such figure)";
	})()`, jsString(label)))
	if got != want {
		b.t.Fatalf("the dashboard's %q figure is %q, want %q", label, got, want)
	}
}

// expectActionListed checks that the dashboard's table lists the action.
func (b *Browser) expectActionListed(title string) {
	b.t.Helper()
	titles := eval[[]string](b, `[...document.querySelectorAll("#main table tbody tr td:nth-child(1) a[href$='/edit']")].map(a => a.textContent.trim())`)
	for _, got := range titles {
		if got == title {
			return
		}
	}
	b.t.Fatalf("the dashboard lists %q, want %q among them", titles, title)
}

// fetched is what fetch() in the page answered.
type fetched struct {
	Status      int    `json:"status"`
	Type        string `json:"type"`
	Disposition string `json:"disposition"`
	Body        string `json:"body"`
}

// fetch GETs a path from the page with the tab's cookies, without loading it.
func (b *Browser) fetch(path string) fetched {
	b.t.Helper()
	js := fmt.Sprintf(`fetch(%s, {credentials: "same-origin"}).then(async r => ({
		status: r.status, type: r.headers.get("Content-Type") || "",
		disposition: r.headers.get("Content-Disposition") || "", body: await r.text()}))`, jsString(path))
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[fetched](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("fetch %s: %v", path, err)
	}
	return v
}
