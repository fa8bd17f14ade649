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

// TestReviewAndComments takes a postmortem through its review in two
// browsers: the author asks a reviewer, the reviewer approves in their own
// browser context, the author publishes, every step is read-only, and an
// editor reopens it with a reason that shows in the log. Then a comment on
// the impact step shows unresolved on the review step, is resolved there
// from its step, and leaves the list.
func TestReviewAndComments(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.User("admin@example.com", models.RoleAdmin)
	app.User("ana@example.com", models.RoleEditor)
	bo := app.User("bo@example.com", models.RoleEditor)
	inc, err := app.Store.CreateIncident(context.Background(), models.IncidentInput{
		Title: "Chat replies stalled", Severity: "SEV2", Summary: "Replies stalled for 40 minutes.",
		StartedAt: time.Date(2022, 11, 17, 10, 45, 0, 0, time.UTC),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	incPath := fmt.Sprintf("/incidents/%d", inc.ID)
	review := incPath + "/write/review"

	author := newBrowser(t, app.URL)
	author.signIn("ana@example.com", apptest.Password)

	// The incident page leads to the guide and says where it stands.
	author.open(incPath)
	author.waitVisible("#postmortem")
	author.expectText("#review-state", "Draft")
	author.expectText("#incomplete-steps", "Impact")
	author.clickAndWaitForPage(`#postmortem a[href="` + incPath + `/write"]`)
	if p := author.path(); !strings.HasPrefix(p, incPath+"/write/") {
		t.Fatalf("the postmortem link led to %s", p)
	}

	// The author asks Bo.
	author.open(review)
	author.waitVisible("#request-form")
	author.expectText("#review-state", "Draft")
	author.expectText("#incomplete-steps", "Impact")
	author.click(fmt.Sprintf(`#request-form input[name="reviewer"][value="%d"]`, bo.ID))
	author.clickAndWaitForPage(`#request-form button[type="submit"]`)
	author.expectPath(review)
	author.expectText(".flash", "Review requested from bo")
	author.expectText("#review-state", "In review")
	author.expectText("#reviewers", "waiting")
	author.expectCount("#approve-form", 0)
	author.expectCount("#publish-form", 0)

	// Bo approves in his own browser context.
	reviewer := newBrowser(t, app.URL)
	reviewer.signIn("bo@example.com", apptest.Password)
	reviewer.open(review)
	reviewer.waitVisible("#approve-form")
	reviewer.clickAndWaitForPage(`#approve-form button[type="submit"]`)
	reviewer.expectText(".flash", "Approved")
	reviewer.expectText("#review-state", "Approved")
	reviewer.expectText("#reviewers", "approved")

	// The author publishes.
	author.open(review)
	author.waitVisible("#publish-form")
	author.clickAndWaitForPage(`#publish-form button[type="submit"]`)
	author.expectText(".flash", "Published")
	author.expectText("#review-state", "Published")
	author.expectCount("#request-form", 0)

	// Every step is read-only: no Save, no comment form, read-only fields.
	for _, step := range []string{"summary", "impact", "lessons"} {
		author.open(incPath + "/write/" + step)
		author.waitVisible("#step-form")
		author.expectText(".step .notice", "published and read-only")
		author.expectCount(`#step-form button[type="submit"]`, 0)
		author.expectCount(`#step-form[data-autosave]`, 0)
		author.expectCount("#comment-form", 0)
		if n := author.count(`#step-form textarea:not([readonly]), #step-form input[type="text"]:not([readonly])`); n != 0 {
			t.Errorf("the published %s step has %d editable fields", step, n)
		}
	}
	author.open(incPath)
	author.waitVisible("#postmortem")
	author.expectCount(`a[href="`+incPath+`/edit"]`, 0)

	// Reopened with a reason, which the log shows.
	author.open(review)
	author.waitVisible("#reopen-form")
	author.typeInto("#reopen-reason", "The number of users affected was wrong")
	author.clickAndWaitForPage(`#reopen-form button[type="submit"]`)
	author.expectText(".flash", "Reopened")
	author.expectText("#review-state", "Draft")
	author.expectText("#review-log", "reopened")
	author.expectText("#review-log", "The number of users affected was wrong")
	author.expectText("#review-log", "ana@example.com")
	author.expectText("#reviewers", "waiting")

	// A comment on the impact step…
	author.open(incPath + "/write/impact")
	author.waitVisible("#comment-form")
	author.typeInto("#comment-body", "Is **1,200 users** right? The tickets say more.")
	author.clickAndWaitForPage(`#comment-form button[type="submit"]`)
	author.expectText(".flash", "Comment added")
	p := author.path()
	if !strings.HasPrefix(p, incPath+"/write/impact#comment-") {
		t.Fatalf("after commenting the page is %s", p)
	}
	thread := "#" + p[strings.Index(p, "#")+1:]
	author.expectText(thread+" .comment-body strong", "1,200 users")

	// …is listed unresolved on the review step, with a link to it…
	author.open(review)
	author.waitVisible("#unresolved-comments")
	author.expectText("#unresolved-comments", "Impact")
	author.expectText("#unresolved-comments", "Is 1,200 users right?")
	author.clickAndWaitForPage(`#unresolved-comments a[href="` + incPath + `/write/impact` + thread + `"]`)

	// …is resolved on its step…
	author.waitVisible(thread)
	author.clickAndWaitForPage(thread + ` form[action$="/resolve"] button[type="submit"]`)
	author.expectText(".flash", "Thread resolved")
	author.expectText(thread+" .resolved-note", "Resolved by ana@example.com")
	author.expectCount(thread+` form[action$="/unresolve"]`, 1)

	// …and leaves the list.
	author.open(review)
	author.waitVisible("#unresolved-comments")
	author.expectText("#unresolved-comments", "No unresolved comments")
}
