package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/models"
)

// TestActionsInlineEdit edits actions in their table rows with htmx: the
// row becomes a small form and comes back updated without a page load; a
// refused save (422) and a save over someone else's change (409) show the
// form in place with their messages; Cancel restores the row; the incident
// list's counts follow, and the dashboard's rows edit the same way.
func TestActionsInlineEdit(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	admin := app.User("admin@example.com", models.RoleAdmin)
	editor := app.User("ed@example.com", models.RoleEditor)
	ctx := context.Background()
	inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{
		Title: "Chat replies stalled", Severity: "SEV2", Status: models.StatusPublished,
		Environment: "production", StartedAt: time.Date(2022, 11, 17, 10, 45, 0, 0, time.UTC),
		Services: []string{"bookbot-chat"}, Summary: "Replies stalled for 40 minutes.",
	}, &admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	past, _ := models.ParseDate("2022-12-15")
	alert, err := app.Store.CreateAction(ctx, inc.ID, models.ActionInput{Title: "Alert when the chat reply error rate exceeds 2% for 5 minutes",
		OwnerID: &editor.ID, DueDate: &past, Priority: "P2", Kind: "detect"}, admin)
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.Store.CreateAction(ctx, inc.ID, models.ActionInput{Title: "Load-test the reply queue before each release", Priority: "P3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	incPath := fmt.Sprintf("/incidents/%d", inc.ID)
	row := fmt.Sprintf("#action-%d", alert.ID)
	status := fmt.Sprintf("#ia-status-%d", alert.ID)

	b := newBrowser(t, app.URL)
	b.signIn("ed@example.com", apptest.Password)

	// The incident list counts both actions, one of them overdue.
	b.open("/incidents")
	b.expectText("#incident-results tbody", "2 open, 1 overdue")

	b.open(incPath)
	b.waitVisible("#actions")
	if !eval[bool](b, `typeof htmx === "object"`) {
		t.Fatal("htmx did not load on the incident page")
	}
	b.expectText(row+" td:nth-child(5)", "open")
	// Without JavaScript the Edit control is the full edit page.
	if href := eval[string](b, fmt.Sprintf(`document.querySelector(%s).getAttribute("href")`, jsString(row+" td.row-edit a"))); href != fmt.Sprintf("/actions/%d/edit", alert.ID) {
		t.Fatalf("the row's Edit link goes to %q, want the full edit page", href)
	}

	// Edit → the inline form, focused on the status.
	b.markDocument()
	b.click(row + " td.row-edit a")
	b.waitVisible(status)
	b.expectValue(status, "open")
	b.expectValue(fmt.Sprintf("#ia-owner-%d", alert.ID), fmt.Sprint(editor.ID))
	b.expectValue(fmt.Sprintf("#ia-due-%d", alert.ID), "2022-12-15")
	b.expectValue(fmt.Sprintf("#ia-priority-%d", alert.ID), "P2")
	b.waitFor("the status select to have the focus", fmt.Sprintf(`document.activeElement === document.querySelector(%s)`, jsString(status)))

	// Blocked without a reason: the form stays, with the message (422).
	b.setValue(status, "blocked")
	b.click(row + ` button[type="submit"]`)
	b.waitFor("the reason's message", fmt.Sprintf(`(e => e !== null && e.textContent.includes("say what it is waiting for"))(document.querySelector(%s))`,
		jsString(row+" .field-error .error")))
	b.expectValue(status, "blocked")

	// Cancel: the read-only row again, unchanged.
	b.click(row + ` a.button.secondary[hx-get]`)
	b.waitFor("the read-only row", fmt.Sprintf(`document.querySelector(%s) === null && document.querySelector(%s) !== null`,
		jsString(row+" form"), jsString(row+" td.row-edit")))
	b.expectText(row+" td:nth-child(5)", "open")

	// Someone else saves in between: the form comes back reloaded (409).
	b.click(row + " td.row-edit a")
	b.waitVisible(status)
	if _, err := app.Store.UpdateAction(ctx, alert.ID, 1, withPriority(alert, "P1"), nil); err != nil {
		t.Fatal(err)
	}
	b.setValue(status, "done")
	b.click(row + ` button[type="submit"]`)
	b.waitFor("the conflict notice", fmt.Sprintf(`(e => e !== null && e.textContent.includes("changed by someone else — reloaded"))(document.querySelector(%s))`,
		jsString(row+" .notice")))
	b.expectValue(status, "open")
	b.expectValue(fmt.Sprintf("#ia-priority-%d", alert.ID), "P1")

	// Done, saved again: the row is updated in place.
	b.setValue(status, "done")
	b.click(row + ` button[type="submit"]`)
	b.waitFor("the row to show done", fmt.Sprintf(`document.querySelector(%s) === null && (c => c !== null && c.textContent.trim() === "done")(document.querySelector(%s))`,
		jsString(row+" form"), jsString(row+" td:nth-child(5)")))
	if !b.sameDocument() {
		t.Fatal("the inline edit loaded a new page; htmx should have swapped the row in place")
	}
	b.expectPath(incPath)
	b.expectText(row+" td:nth-child(4)", "P1")
	b.expectText(row+" td:nth-child(2)", "ed")
	b.expectCount("#actions tbody tr", 2)
	b.waitFor("the focus back on the row's Edit link", fmt.Sprintf(`document.activeElement === document.querySelector(%s)`, jsString(row+" td.row-edit a")))
	saved, err := app.Store.Action(ctx, alert.ID)
	if err != nil || saved.Status != "done" || saved.ClosedAt == nil {
		t.Fatalf("stored: %+v %v", saved, err)
	}

	// The incident list follows after navigation.
	b.clickAndWaitForPage(`header a[href="/incidents"]`)
	b.expectText("#incident-results tbody", "1 open")
	if text := b.text("#incident-results tbody"); strings.Contains(text, "overdue") {
		t.Fatalf("the incident list still counts an overdue action: %q", text)
	}

	// The dashboard's rows edit the same way, keeping its columns.
	b.clickAndWaitForPage(`header a[href="/actions"]`)
	b.expectFigure("open", "1")
	b.markDocument()
	b.click(row + " td.row-edit a")
	b.waitVisible(status)
	b.setValue(fmt.Sprintf("#ia-priority-%d", alert.ID), "P4")
	b.click(row + ` button[type="submit"]`)
	b.waitFor("the dashboard row to show P4", fmt.Sprintf(`document.querySelector(%s) === null && (c => c !== null && c.textContent.trim() === "P4")(document.querySelector(%s))`,
		jsString(row+" form"), jsString(row+" td:nth-child(5)")))
	if !b.sameDocument() {
		t.Fatal("the dashboard's inline edit loaded a new page")
	}
	b.expectText(row+" td:nth-child(2)", inc.Key())
	b.expectText(row+" td:nth-child(6)", "done")
}

func withPriority(a *models.Action, p string) models.ActionInput {
	in := models.ActionInputOf(a)
	in.Priority = p
	return in
}
