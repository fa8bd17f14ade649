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
)

// TestReviewPages walks the workflow through the review step's forms: ask
// a reviewer, approve as them, publish, find every step read-only, reopen
// with a reason; and comments from a step to the review step's list.
func TestReviewPages(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			ctx := context.Background()
			app.User("root@example.com", models.RoleAdmin)
			ana := app.SignedIn("ana@example.com", models.RoleEditor)
			bo := app.SignedIn("bo@example.com", models.RoleEditor)
			viewer := app.SignedIn("vic@example.com", models.RoleViewer)
			boUser, _ := app.Store.UserByEmail(ctx, "bo@example.com")
			vicUser, _ := app.Store.UserByEmail(ctx, "vic@example.com")
			inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2",
				StartedAt: mustTime("2022-11-17T10:45:00Z")}, nil)
			if err != nil || inc.Status != models.StatusDraft {
				t.Fatalf("create: %+v %v", inc, err)
			}
			base := fmt.Sprintf("/incidents/%d", inc.ID)
			review := base + "/write/review"

			// The incident page: state, incomplete steps, the way in.
			show := ana.Get(base)
			for _, want := range []string{`href="` + base + `/write"`, "Write the postmortem", "Review state", "Draft", `id="incomplete-steps"`, base + "/write/impact"} {
				if !strings.Contains(show.Body, want) {
					t.Errorf("incident page lacks %q", want)
				}
			}

			// The review step of a draft: incomplete steps, editors to ask (not viewers), no approve or publish.
			page := ana.Get(review)
			if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, `id="request-form"`) ||
				!strings.Contains(page.Body, fmt.Sprintf(`name="reviewer" value="%d"`, boUser.ID)) ||
				strings.Contains(page.Body, fmt.Sprintf(`name="reviewer" value="%d"`, vicUser.ID)) ||
				strings.Contains(page.Body, `id="approve-form"`) || strings.Contains(page.Body, `id="publish-form"`) ||
				!strings.Contains(page.Body, "Steps still incomplete") || !strings.Contains(page.Body, base+"/write/summary") {
				t.Fatalf("review step of a draft: %d\n%s", page.StatusCode, page.Body)
			}
			if strings.Contains(viewer.Get(review).Body, `id="request-form"`) {
				t.Error("a viewer gets the request form")
			}

			// Nobody chosen: 422 on the step. A viewer as reviewer: 422 naming them.
			if res := ana.PostForm(base+"/review/request", url.Values{}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "choose at least one reviewer") {
				t.Errorf("request without reviewers: %d", res.StatusCode)
			}
			if res := ana.PostForm(base+"/review/request", url.Values{"reviewer": {fmt.Sprint(vicUser.ID)}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "vic@example.com is a viewer") {
				t.Errorf("a viewer as reviewer: %d", res.StatusCode)
			}
			// Publishing a draft: 409 naming the state and what it needs.
			if res := ana.PostForm(base+"/review/publish", nil); res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "is a draft (draft)") || !strings.Contains(res.Body, "ask for a review first") {
				t.Errorf("publish a draft: %d", res.StatusCode)
			}

			res := ana.PostForm(base+"/review/request", url.Values{"reviewer": {fmt.Sprint(boUser.ID)}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != review {
				t.Fatalf("request: %d %s", res.StatusCode, res.Body)
			}
			page = ana.Get(review)
			if !strings.Contains(page.Body, "Review requested from bo") || !strings.Contains(page.Body, `aria-current="step"`) ||
				!strings.Contains(page.Body, "0 of 1 reviewers approved") || strings.Contains(page.Body, `id="approve-form"`) {
				t.Errorf("in review, as the author:\n%s", page.Body)
			}
			// Ana was not asked: 403 on the step.
			if res := ana.PostForm(base+"/review/approve", nil); res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "only a requested reviewer can approve") {
				t.Errorf("approval by the author: %d", res.StatusCode)
			}
			if page := bo.Get(review); !strings.Contains(page.Body, `id="approve-form"`) {
				t.Error("the reviewer gets no Approve button")
			}
			if res := bo.PostForm(base+"/review/approve", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("approve: %d %s", res.StatusCode, res.Body)
			}
			page = ana.Get(review)
			if !strings.Contains(page.Body, `id="publish-form"`) || !strings.Contains(page.Body, "Every reviewer approved") || !strings.Contains(page.Body, "approved</span>") {
				t.Errorf("approved:\n%s", page.Body)
			}
			if res := ana.PostForm(base+"/review/publish", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("publish: %d %s", res.StatusCode, res.Body)
			}

			// Published: every step read-only, no comment forms, the edit form refused.
			for _, step := range []string{"summary", "impact", "lessons", "review"} {
				page := ana.Get(base + "/write/" + step)
				if !strings.Contains(page.Body, "published and read-only") || strings.Contains(page.Body, `<button type="submit">Save</button>`) ||
					strings.Contains(page.Body, `id="comment-form"`) {
					t.Errorf("published step %s is not read-only", step)
				}
			}
			if res := ana.PostForm(base+"/write/summary", url.Values{"version": {"1"}, "title": {"x"}, "severity": {"SEV2"}}); res.StatusCode != http.StatusConflict {
				t.Errorf("saving a published summary: %d", res.StatusCode)
			}
			edit := url.Values{"version": {"1"}, "title": {"Edited"}, "severity": {"SEV2"}, "started_at": {"2022-11-17T10:45"}}
			if res := ana.PostForm(base, edit); res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "published and read-only") {
				t.Errorf("the edit form of a published incident: %d", res.StatusCode)
			}
			if page := ana.Get(base + "/edit"); !strings.Contains(page.Body, "published and read-only") || strings.Contains(page.Body, `<select id="status"`) {
				t.Errorf("the edit form of a published incident does not say so, or offers the status")
			}
			if show := ana.Get(base); strings.Contains(show.Body, `href="`+base+`/edit"`) || !strings.Contains(show.Body, "Published") {
				t.Errorf("the incident page of a published incident offers Edit")
			}

			// Reopen needs a reason; with one it is logged and the step editable again.
			if res := ana.PostForm(base+"/review/reopen", url.Values{"reason": {" "}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "say why the postmortem is reopened") {
				t.Errorf("reopen without a reason: %d", res.StatusCode)
			}
			if res := ana.PostForm(base+"/review/reopen", url.Values{"reason": {"The user count was wrong"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("reopen: %d %s", res.StatusCode, res.Body)
			}
			page = ana.Get(review)
			log := regexp.MustCompile(`(?s)<table id="review-log">.*?</table>`).FindString(page.Body)
			for _, want := range []string{"requested", "approved", "published", "reopened", "The user count was wrong", "ana@example.com", "bo@example.com"} {
				if !strings.Contains(log, want) {
					t.Errorf("the review log lacks %q:\n%s", want, log)
				}
			}
			if !strings.Contains(page.Body, "Send for review") || !strings.Contains(page.Body, "waiting") {
				t.Errorf("a reopened draft is sent back to its reviewers:\n%s", page.Body)
			}
			// The edit form no longer changes the status.
			edit.Set("status", "published")
			if res := ana.PostForm(base, edit); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("edit after reopening: %d %s", res.StatusCode, res.Body)
			}
			if cur, _ := app.Store.Incident(ctx, inc.ID); cur.Status != models.StatusDraft || cur.Title != "Edited" {
				t.Errorf("the edit form changed the status: %s %q", cur.Status, cur.Title)
			}

			// Comments: on the impact step, listed unresolved on the review step.
			impact := base + "/write/impact"
			if res := ana.PostForm(base+"/comments", url.Values{"section": {"impact"}, "body": {" "}}); res.StatusCode != http.StatusUnprocessableEntity ||
				!strings.Contains(res.Body, "write the comment") || !strings.Contains(res.Body, `id="comment-form"`) {
				t.Errorf("empty comment: %d", res.StatusCode)
			}
			res = ana.PostForm(base+"/comments", url.Values{"section": {"impact"}, "body": {"Is **1,200** users right?"}})
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, impact+"#comment-") {
				t.Fatalf("comment: %d %s", res.StatusCode, loc)
			}
			cid := strings.TrimPrefix(loc, impact+"#comment-")
			if res := bo.PostForm(base+"/comments", url.Values{"section": {"impact"}, "parent_id": {cid}, "body": {"From the support tickets."}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("reply: %d", res.StatusCode)
			}
			page = ana.Get(impact)
			if !strings.Contains(page.Body, `id="comment-`+cid+`"`) || !strings.Contains(page.Body, "<strong>1,200</strong>") ||
				!strings.Contains(page.Body, "From the support tickets.") || !strings.Contains(page.Body, "/comments/"+cid+"/resolve") {
				t.Errorf("the impact step's thread:\n%s", page.Body)
			}
			if strings.Contains(ana.Get(base+"/write/whys").Body, "From the support tickets.") {
				t.Error("another step shows the impact's comments")
			}
			list := func() string {
				return regexp.MustCompile(`(?s)id="unresolved-comments".*?</(ul|p)>`).FindString(ana.Get(review).Body)
			}
			if l := list(); !strings.Contains(l, impact+"#comment-"+cid) || !strings.Contains(l, "Is 1,200 users right?") || !strings.Contains(l, "1 reply") {
				t.Errorf("unresolved list: %s", l)
			}
			if res := viewer.PostForm(base+"/comments/"+cid+"/resolve", nil); res.StatusCode != http.StatusForbidden {
				t.Errorf("a viewer resolves: %d", res.StatusCode)
			}
			if res := ana.PostForm(fmt.Sprintf("/incidents/%d/comments/%s/resolve", inc.ID+1, cid), nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("resolve through another incident: %d", res.StatusCode)
			}
			res = bo.PostForm(base+"/comments/"+cid+"/resolve", url.Values{"back": {"review"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != review+"#unresolved" {
				t.Fatalf("resolve: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			if l := list(); strings.Contains(l, "Is 1,200 users right?") || !strings.Contains(l, "No unresolved comments") {
				t.Errorf("a resolved thread is still listed: %s", l)
			}
			if page := ana.Get(impact); !strings.Contains(page.Body, "Resolved by bo@example.com") || !strings.Contains(page.Body, "/comments/"+cid+"/unresolve") {
				t.Errorf("the resolved thread on its step:\n%s", page.Body)
			}
			if res := ana.PostForm(base+"/comments/"+cid+"/unresolve", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != impact+"#comment-"+cid {
				t.Errorf("unresolve: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			if l := list(); !strings.Contains(l, "Is 1,200 users right?") {
				t.Errorf("an unresolved thread is listed again: %s", l)
			}
			if res := ana.PostForm(base+"/comments/999999/resolve", nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("unknown comment: %d", res.StatusCode)
			}
		})
	}
}
