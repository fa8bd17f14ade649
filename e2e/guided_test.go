package e2e

import (
	"fmt"
	"strings"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/models"
)

// TestFirstTimeAuthor walks a first-time author through the eight steps of
// the chatbot outage, as it arrived through the GitHub and Alertmanager
// webhooks: each step shows what good looks like, is filled in the browser
// (with a lesson autosaved, not submitted), and turns complete in the step
// bar; the last step sends the postmortem for review.
func TestFirstTimeAuthor(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	app := apptest.Start(t, models.Postgres, nil)
	app.User("admin@example.com", models.RoleAdmin)
	ed := app.User("ed@example.com", models.RoleEditor)
	rita := app.User("rita@example.com", models.RoleEditor)
	o := seedBookbotOutage(t, app)
	base := fmt.Sprintf("/incidents/%d", o.incidentID)

	b := newBrowser(t, app.URL)
	b.signIn("ed@example.com", apptest.Password)
	b.open(base)
	b.clickAndWaitForPage(fmt.Sprintf(`a[href=%q]`, base+"/write"))
	b.expectPath(base + "/write/summary")

	// completeStep checks the step bar marks the step complete.
	completeStep := func(step string) {
		t.Helper()
		b.expectCount(fmt.Sprintf(`nav.steps li.done a[href=%q]`, base+"/write/"+step), 1)
	}
	save := func() {
		t.Helper()
		b.clickAndWaitForPage(`#step-form .save-row button[type="submit"]`)
	}
	next := func(step string) {
		t.Helper()
		b.clickAndWaitForPage(fmt.Sprintf(`nav.pager a[href=%q]`, base+"/write/"+step))
		b.expectPath(base + "/write/" + step)
		if b.count(".prompt") != 1 {
			t.Fatalf("step %s shows no prompt of what good looks like", step)
		}
	}

	// 1 Summary: the rubric sits next to the severity.
	b.expectText(".rubric", "SEV2")
	b.typeInto("#f-summary", "For an hour the chatbot answered every question with an error: the 11:30 deploy shipped code that read a column its migration had not created yet.")
	save()
	b.expectPageText("Summary saved.")
	completeStep("summary")

	// 2 Impact: the window is proposed from the key moments (Berlin time).
	next("impact")
	b.expectValue("#f-start", "2022-11-17T11:45")
	b.expectValue("#f-end", "2022-11-17T12:45")
	b.typeInto("#f-users_count", "5")
	b.setValue("#f-users_qualifier", "at_least")
	b.typeInto("#f-what_users_saw", "Every chatbot answer was an error message.")
	b.setValue("#f-detection_method", "alert")
	b.setValue("#f-data_loss_kind", "none")
	save()
	completeStep("impact")

	// 3 Timeline: import the evidence and set the key moments.
	next("timeline")
	b.clickAndWaitForPage(fmt.Sprintf(`a.button[href=%q]`, base+"/timeline/import"))
	b.clickAndWaitForPage(fmt.Sprintf(`#main form[method="get"][action=%q] button[type="submit"]`, base+"/timeline/import"))
	b.clickAndWaitForPage(`#import-form button[type="submit"]:not([name])`)
	b.open(base + "/write/timeline")
	completeStep("timeline")

	// 4 Five Whys: a problem, a why, and a second cause under it.
	next("whys")
	b.typeInto("#f-problem", "The chatbot answered every question with an error for an hour.")
	b.clickAndWaitForPage(`button[formaction$="/write/whys/steps"]`)
	b.typeInto("#f-because_w1", "The new code queried a column that did not exist yet.")
	b.clickAndWaitForPage(`button[formaction$="/write/whys/steps?parent=w1"]`)
	b.typeInto("#f-because_w2", "The deploy ran the app before its migration.")
	save()
	completeStep("whys")
	b.expectCount("li.why.depth-1", 1)

	// 5 Factors: the Five Whys leaf is offered; take it as a migration factor.
	next("factors")
	b.setValue(`select[name="suggest_category_w2"]`, "migration")
	b.clickAndWaitForPage(`button[formaction$="/write/factors/suggested/w2"]`)
	completeStep("factors")

	// 6 Lessons: typed and left to the autosave.
	next("lessons")
	b.markDocument()
	b.typeInto("#f-went_wrong", "Nothing checked that the schema was ahead of the code")
	b.waitFor("the autosave", `document.querySelector("#save-status").textContent.includes("Saved")`)
	if !b.sameDocument() {
		t.Fatal("the autosave reloaded the page")
	}
	b.open(base + "/write/lessons")
	completeStep("lessons")

	// 7 Actions: one, owned, from the step.
	next("actions")
	b.clickAndWaitForPage(fmt.Sprintf(`a.button[href=%q]`, base+"/actions/new"))
	b.typeInto("#a-title", "Run migrations before the app deploy in the pipeline")
	b.setValue("#a-owner", fmt.Sprint(ed.ID))
	b.clickAndWaitForPage(`form.card button[type="submit"]`)
	b.open(base + "/write/actions")
	completeStep("actions")

	// 8 Review: every other step is complete; ask Rita to review.
	next("review")
	if got := b.count("nav.steps li.done"); got != 7 {
		t.Fatalf("%d steps complete before the review, want 7", got)
	}
	b.click(fmt.Sprintf(`#request-form input[name="reviewer"][value="%d"]`, rita.ID))
	b.clickAndWaitForPage(`#request-form button[type="submit"]`)
	if text := b.pageText(); !strings.Contains(text, "This postmortem is In review") || !strings.Contains(text, "review by rita@example.com") {
		t.Fatalf("after the request the review step reads:\n%s", b.pageText())
	}
}
