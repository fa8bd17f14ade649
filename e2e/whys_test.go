package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/models"
)

// TestFiveWhysTree builds a Five Whys tree in the browser with the
// structure buttons (each a submit button of the step's one form): steps,
// a branch (two causes of one because), a move; the text typed before each
// button is kept, causes are indented below their step, and all of it is
// still there after a reload.
func TestFiveWhysTree(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	admin := app.User("admin@example.com", models.RoleAdmin)
	app.User("ed@example.com", models.RoleEditor)
	ctx := context.Background()
	inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{
		Title: "Checkout failed", Severity: "SEV1", Status: models.StatusDraft,
		Environment: "production", StartedAt: time.Date(2022, 11, 17, 10, 45, 0, 0, time.UTC),
	}, &admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	note, err := app.Store.AddNote(ctx, inc.ID, models.NoteInput{At: time.Date(2022, 11, 17, 10, 50, 0, 0, time.UTC),
		Title: "Payments pool at 100/100 connections"}, admin)
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/incidents/%d/write/whys", inc.ID)
	addTop := fmt.Sprintf(`#main button[formaction="%s/steps"]`, page)
	addCause := func(id string) string {
		return fmt.Sprintf(`#why-%s button[formaction="%s/steps?parent=%s"]`, id, page, id)
	}

	b := newBrowser(t, app.URL)
	b.signIn("ed@example.com", apptest.Password)
	b.open(page)
	b.waitVisible("#f-problem")
	b.expectText("#whys", "No whys yet")

	// The problem statement, then the first step: one click saves both.
	b.typeInto("#f-problem", "Checkout failed for 40 minutes.")
	b.clickAndWaitForPage(addTop)
	b.expectPath(page + "#why-w1")
	b.expectText(".flash", "Step 1 added")
	b.expectValue("#f-problem", "Checkout failed for 40 minutes.")
	b.expectText("#why-w1 .why-num", "1")

	// Step 1's answer and evidence, then a cause of it.
	b.replaceText("#f-why_w1", "Why did checkout fail?")
	b.typeInto("#f-because_w1", "The payments pool was exhausted.")
	b.click("#why-w1 details.evidence summary")
	b.click(fmt.Sprintf(`#why-w1 input[name="evidence_w1"][value="%d"]`, note.ID))
	b.clickAndWaitForPage(addCause("w1"))
	b.expectPath(page + "#why-w2")
	b.expectText("#why-w2 .why-num", "1.1")
	b.expectText("#why-w2 legend", "a cause of 1")

	// A branch: a second cause of step 1; then another top-level step.
	b.typeInto("#f-because_w2", "Traffic doubled after a newsletter.")
	b.clickAndWaitForPage(addCause("w1"))
	b.expectPath(page + "#why-w3")
	b.typeInto("#f-because_w3", "Client retries amplified the load.")
	b.clickAndWaitForPage(addTop)
	b.expectPath(page + "#why-w4")
	b.expectText("#why-w3 .why-num", "1.2")
	b.expectText("#why-w4 .why-num", "2")
	b.expectCount("#whys li.why", 4)

	// Causes are indented below their step; siblings line up.
	left := func(id string) float64 {
		return eval[float64](b, fmt.Sprintf(`document.querySelector("#why-%s").getBoundingClientRect().left`, id))
	}
	if l1, l2, l3, l4 := left("w1"), left("w2"), left("w3"), left("w4"); l2 < l1+16 || l3 != l2 || l4 != l1 {
		t.Fatalf("left edges: 1 at %.0f, 1.1 at %.0f, 1.2 at %.0f, 2 at %.0f; want the causes of 1 indented and level with each other", l1, l2, l3, l4)
	}

	// Move 1.2 up: it becomes 1.1, with its subtree and its text.
	b.clickAndWaitForPage(fmt.Sprintf(`#why-w3 button[formaction="%s/steps/w3/move?dir=up"]`, page))
	b.expectPath(page + "#why-w3")
	b.expectText("#why-w3 .why-num", "1.1")
	b.expectText("#why-w2 .why-num", "1.2")
	if order := eval[string](b, `[...document.querySelectorAll("#whys li.why")].map(li => li.id).join(" ")`); order != "why-w1 why-w3 why-w2 why-w4" {
		t.Fatalf("the steps are in the order %q after moving w3 up", order)
	}
	if !eval[bool](b, `document.querySelector('#why-w3 button[formaction$="dir=up"]').disabled`) {
		t.Fatal("the first of its level can still move up")
	}

	// A reload shows the same tree and text.
	b.open(page)
	b.waitVisible("#f-problem")
	b.expectCount("#whys li.why", 4)
	b.expectValue("#f-problem", "Checkout failed for 40 minutes.")
	b.expectValue("#f-why_w1", "Why did checkout fail?")
	b.expectValue("#f-because_w1", "The payments pool was exhausted.")
	b.expectValue("#f-because_w2", "Traffic doubled after a newsletter.")
	b.expectValue("#f-because_w3", "Client retries amplified the load.")
	b.expectText("#why-w3 .why-num", "1.1")
	b.expectText("#why-w4 .why-num", "2")
	if !eval[bool](b, fmt.Sprintf(`document.querySelector('#why-w1 input[name="evidence_w1"][value="%d"]').checked`, note.ID)) {
		t.Fatal("the evidence cited on step 1 is not ticked after a reload")
	}
	if l1, l3 := left("w1"), left("w3"); l3 < l1+16 {
		t.Fatalf("after a reload 1.1 starts at %.0f, step 1 at %.0f: not indented", l3, l1)
	}

	// The timeline links the cited entry back to the step.
	b.open(fmt.Sprintf("/incidents/%d/timeline", inc.ID))
	b.expectText(fmt.Sprintf("#entry-%d .cited", note.ID), "Cited in Five Whys 1")
	b.clickAndWaitForPage(fmt.Sprintf(`#entry-%d .cited a`, note.ID))
	b.expectPath(page + "#why-w1")

	// Deleting step 1 takes its causes along.
	title := eval[string](b, `document.querySelector('#why-w1 button.danger').title`)
	if title != "Delete 1 and the 2 steps below it (its whole subtree)" {
		t.Fatalf("the delete button's title is %q", title)
	}
	b.clickAndWaitForPage("#why-w1 button.danger")
	b.expectText(".flash", "Step 1 and the 2 steps below it deleted")
	b.expectCount("#whys li.why", 1)
	b.expectText("#why-w4 .why-num", "1")
}
