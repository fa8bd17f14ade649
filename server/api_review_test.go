package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

type reviewBody struct {
	State     string `json:"state"`
	Approvals int    `json:"approvals"`
	Reviewers []struct {
		Email       string  `json:"email"`
		RequestedBy string  `json:"requested_by"`
		ApprovedAt  *string `json:"approved_at"`
	} `json:"reviewers"`
	IncompleteSteps []struct {
		Step    string   `json:"step"`
		Missing []string `json:"missing"`
	} `json:"incomplete_steps"`
	UnresolvedComments int `json:"unresolved_comments"`
	Log                []struct {
		Event, Actor, Note, At string
	} `json:"log"`
}

type commentBody struct {
	ID       int64  `json:"id"`
	Section  string `json:"section"`
	ParentID *int64 `json:"parent_id"`
	Author   *struct {
		Email string `json:"email"`
	} `json:"author"`
	Body       string        `json:"body"`
	CreatedAt  string        `json:"created_at"`
	ResolvedAt *string       `json:"resolved_at"`
	ResolvedBy string        `json:"resolved_by"`
	Replies    []commentBody `json:"replies"`
}

// userToken is a token created by a user, as Settings → API tokens makes them.
func userToken(t *testing.T, app *apptest.App, u *models.User, role string) string {
	t.Helper()
	_, plain, err := app.Store.CreateAPIToken(context.Background(), u.Email+"'s token", role, &u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func TestAPIReview(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			ctx := context.Background()
			ana, bo := app.User("ana@example.com", models.RoleEditor), app.User("bo@example.com", models.RoleAdmin)
			app.User("vic@example.com", models.RoleViewer)
			anaTok, boTok := userToken(t, app, ana, models.RoleEditor), userToken(t, app, bo, models.RoleEditor)
			cli := app.Token(models.RoleEditor) // no user behind it
			viewer := app.Token(models.RoleViewer)
			inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2",
				StartedAt: mustTime("2022-11-17T10:45:00Z")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			base := fmt.Sprintf("/api/v1/incidents/%d", inc.ID)
			expect := func(res *apptest.Response, status int, code, field string) {
				t.Helper()
				var e errorBody
				if res.StatusCode != status {
					t.Fatalf("status %d, want %d: %s", res.StatusCode, status, res.Body)
				}
				if code != "" {
					res.JSON(t, &e)
					if e.Error.Code != code || (field != "" && e.Error.Fields[field] == "") {
						t.Fatalf("error %s, want %s naming %q", res.Body, code, field)
					}
				}
			}
			var r reviewBody
			res := app.API("GET", base+"/review", viewer, "")
			res.JSON(t, &r)
			if res.StatusCode != http.StatusOK || r.State != "draft" || len(r.Reviewers) != 0 || len(r.Log) != 0 || len(r.IncompleteSteps) == 0 {
				t.Fatalf("review of a draft: %d %s", res.StatusCode, res.Body)
			}
			expect(app.API("GET", "/api/v1/incidents/999/review", viewer, ""), http.StatusNotFound, "not_found", "")

			// Requests: unknown member 400, unknown e-mail 422 naming it, a viewer 422.
			expect(app.API("POST", base+"/review/request", anaTok, `{"reviewer": ["bo@example.com"]}`), http.StatusBadRequest, "bad_request", "reviewer")
			expect(app.API("POST", base+"/review/request", anaTok, `{"reviewers": "bo@example.com"}`), http.StatusBadRequest, "bad_request", "reviewers")
			res = app.API("POST", base+"/review/request", anaTok, `{"reviewers": ["nobody@example.com"]}`)
			expect(res, http.StatusUnprocessableEntity, "invalid", "reviewers")
			if !strings.Contains(res.Body, "nobody@example.com") {
				t.Errorf("the unknown address is not named: %s", res.Body)
			}
			expect(app.API("POST", base+"/review/request", anaTok, `{"reviewers": ["vic@example.com"]}`), http.StatusUnprocessableEntity, "invalid", "reviewers")
			expect(app.API("POST", base+"/review/request", anaTok, `{}`), http.StatusUnprocessableEntity, "invalid", "reviewers")
			expect(app.API("POST", base+"/review/request", viewer, `{"reviewers": ["bo@example.com"]}`), http.StatusForbidden, "forbidden", "")
			expect(app.API("POST", "/api/v1/incidents/999/review/request", anaTok, `{"reviewers": ["bo@example.com"]}`), http.StatusNotFound, "not_found", "")

			// Invalid transitions: 409 naming the state.
			res = app.API("POST", base+"/review/publish", anaTok, "")
			expect(res, http.StatusConflict, "review_state", "")
			if !strings.Contains(res.Body, "a draft (draft)") {
				t.Errorf("the 409 does not name the state: %s", res.Body)
			}
			expect(app.API("POST", base+"/review/approve", boTok, ""), http.StatusConflict, "review_state", "")
			expect(app.API("POST", base+"/review/reopen", anaTok, `{"reason": "x"}`), http.StatusConflict, "review_state", "")

			res = app.API("POST", base+"/review/request", anaTok, `{"reviewers": ["BO@example.com"]}`)
			res.JSON(t, &r)
			if res.StatusCode != http.StatusOK || r.State != "in_review" || len(r.Reviewers) != 1 || r.Reviewers[0].Email != "bo@example.com" ||
				r.Reviewers[0].RequestedBy != "API token ana@example.com's token" || r.Reviewers[0].ApprovedAt != nil {
				t.Fatalf("request: %d %s", res.StatusCode, res.Body)
			}
			// Only Bo approves: Ana's token is hers, a command-line token is nobody's.
			res = app.API("POST", base+"/review/approve", anaTok, "")
			expect(res, http.StatusForbidden, "not_reviewer", "")
			if !strings.Contains(res.Body, "bo@example.com") {
				t.Errorf("the 403 does not name the reviewers: %s", res.Body)
			}
			expect(app.API("POST", base+"/review/approve", cli, ""), http.StatusForbidden, "not_reviewer", "")
			expect(app.API("POST", base+"/review/publish", anaTok, ""), http.StatusConflict, "review_state", "")
			res = app.API("POST", base+"/review/approve", boTok, "")
			res.JSON(t, &r)
			if res.StatusCode != http.StatusOK || r.State != "approved" || r.Approvals != 1 || r.Reviewers[0].ApprovedAt == nil {
				t.Fatalf("approve: %d %s", res.StatusCode, res.Body)
			}
			res = app.API("POST", base+"/review/publish", cli, "")
			res.JSON(t, &r)
			if res.StatusCode != http.StatusOK || r.State != "published" {
				t.Fatalf("publish: %d %s", res.StatusCode, res.Body)
			}

			// Published: the incident's PATCH refuses; the status cannot be PATCHed anyway.
			get := app.API("GET", base, viewer, "")
			expect(app.API("PATCH", base, anaTok, `{"title": "Edited"}`, "If-Match", get.Header.Get("ETag")), http.StatusConflict, "published", "")
			expect(app.API("POST", base+"/comments", anaTok, `{"section": "impact", "body": "late"}`), http.StatusConflict, "published", "")

			expect(app.API("POST", base+"/review/reopen", anaTok, `{}`), http.StatusUnprocessableEntity, "invalid", "reason")
			expect(app.API("POST", base+"/review/reopen", anaTok, `{"reason": 4}`), http.StatusBadRequest, "bad_request", "reason")
			expect(app.API("POST", base+"/review/reopen", anaTok, `{"reason": "x", "why": "y"}`), http.StatusBadRequest, "bad_request", "why")
			res = app.API("POST", base+"/review/reopen", anaTok, `{"reason": "The user count was wrong"}`)
			res.JSON(t, &r)
			if res.StatusCode != http.StatusOK || r.State != "draft" || r.Approvals != 0 || len(r.Reviewers) != 1 {
				t.Fatalf("reopen: %d %s", res.StatusCode, res.Body)
			}
			var events []string
			for _, e := range r.Log {
				events = append(events, e.Event)
			}
			last := r.Log[len(r.Log)-1]
			if strings.Join(events, ",") != "requested,approved,published,reopened" || last.Note != "The user count was wrong" ||
				last.Actor != "API token ana@example.com's token" || r.Log[1].Actor != "bo@example.com (API token bo@example.com's token)" {
				t.Errorf("log: %+v", r.Log)
			}

			// PATCH: the status read back is fine, another one is a 409.
			get = app.API("GET", base, viewer, "")
			expect(app.API("PATCH", base, anaTok, `{"status": "published"}`, "If-Match", get.Header.Get("ETag")), http.StatusConflict, "review_state", "status")
			if res := app.API("PATCH", base, anaTok, get.Body, "If-Match", get.Header.Get("ETag")); res.StatusCode != http.StatusOK {
				t.Errorf("writing back what was read: %d %s", res.StatusCode, res.Body)
			}
			// Creation may still set it.
			res = app.API("POST", "/api/v1/incidents", anaTok, `{"title": "Old one", "severity": "SEV3", "status": "approved", "started_at": "2022-01-01T00:00:00Z"}`)
			if res.StatusCode != http.StatusCreated || !strings.Contains(res.Body, `"status":"approved"`) {
				t.Errorf("create approved: %d %s", res.StatusCode, res.Body)
			}
		})
	}
}

func TestAPIComments(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			ctx := context.Background()
			ana := app.User("ana@example.com", models.RoleEditor)
			anaTok := userToken(t, app, ana, models.RoleEditor)
			cli := app.Token(models.RoleEditor)
			viewer := app.Token(models.RoleViewer)
			inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2",
				StartedAt: mustTime("2022-11-17T10:45:00Z")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			base := fmt.Sprintf("/api/v1/incidents/%d", inc.ID)
			refused := func(res *apptest.Response, status int, field string) {
				t.Helper()
				var e errorBody
				res.JSON(t, &e)
				if res.StatusCode != status || (field != "" && e.Error.Fields[field] == "") {
					t.Errorf("status %d %s, want %d naming %q", res.StatusCode, res.Body, status, field)
				}
			}
			refused(app.API("POST", base+"/comments", anaTok, `{"section": "impact"}`), http.StatusUnprocessableEntity, "body")
			refused(app.API("POST", base+"/comments", anaTok, `{"section": "epilogue", "body": "x"}`), http.StatusUnprocessableEntity, "section")
			refused(app.API("POST", base+"/comments", anaTok, `{"section": "impact", "body": "x", "parent_id": 999}`), http.StatusUnprocessableEntity, "parent_id")
			refused(app.API("POST", base+"/comments", anaTok, `{"section": "impact", "body": "x", "parent_id": "one"}`), http.StatusBadRequest, "parent_id")
			refused(app.API("POST", base+"/comments", anaTok, `{"section": "impact", "text": "x"}`), http.StatusBadRequest, "text")
			refused(app.API("POST", base+"/comments", anaTok, `{"section": "impact", "body": "`+strings.Repeat("x", 10_001)+`"}`), http.StatusUnprocessableEntity, "body")
			refused(app.API("POST", "/api/v1/incidents/999/comments", anaTok, `{"section": "impact", "body": "x"}`), http.StatusNotFound, "")

			var c commentBody
			res := app.API("POST", base+"/comments", anaTok, `{"section": "impact", "body": "Is **1,200** right?"}`)
			res.JSON(t, &c)
			if res.StatusCode != http.StatusCreated || c.Section != "impact" || c.ParentID != nil || c.Author == nil || c.Author.Email != "ana@example.com" || c.CreatedAt == "" {
				t.Fatalf("comment: %d %s", res.StatusCode, res.Body)
			}
			var reply commentBody
			res = app.API("POST", base+"/comments", cli, fmt.Sprintf(`{"parent_id": %d, "body": "From the tickets."}`, c.ID))
			res.JSON(t, &reply)
			if res.StatusCode != http.StatusCreated || reply.Section != "impact" || reply.ParentID == nil || *reply.ParentID != c.ID || reply.Author != nil {
				t.Fatalf("reply: %d %s", res.StatusCode, res.Body)
			}
			app.API("POST", base+"/comments", anaTok, `{"section": "whys", "body": "Three levels?"}`)

			var list struct{ Threads []commentBody }
			res = app.API("GET", base+"/comments", viewer, "")
			res.JSON(t, &list)
			if res.StatusCode != http.StatusOK || len(list.Threads) != 2 || list.Threads[0].ID != c.ID || len(list.Threads[0].Replies) != 1 ||
				list.Threads[1].Section != "whys" || list.Threads[1].Replies == nil {
				t.Fatalf("list: %d %s", res.StatusCode, res.Body)
			}
			app.API("GET", base+"/comments?section=whys", viewer, "").JSON(t, &list)
			if len(list.Threads) != 1 || list.Threads[0].Section != "whys" {
				t.Errorf("?section=whys: %+v", list)
			}
			refused(app.API("GET", base+"/comments?section=nope", viewer, ""), http.StatusBadRequest, "section")
			refused(app.API("GET", base+"/comments?unresolved=yes", viewer, ""), http.StatusBadRequest, "unresolved")

			// Resolving a reply resolves its thread.
			var th commentBody
			res = app.API("POST", fmt.Sprintf("/api/v1/comments/%d/resolve", reply.ID), cli, "")
			res.JSON(t, &th)
			if res.StatusCode != http.StatusOK || th.ID != c.ID || th.ResolvedAt == nil || th.ResolvedBy != "API token test editor" || len(th.Replies) != 1 {
				t.Fatalf("resolve: %d %s", res.StatusCode, res.Body)
			}
			app.API("GET", base+"/comments?unresolved=true", viewer, "").JSON(t, &list)
			if len(list.Threads) != 1 || list.Threads[0].Section != "whys" {
				t.Errorf("unresolved: %+v", list)
			}
			var rv reviewBody
			app.API("GET", base+"/review", viewer, "").JSON(t, &rv)
			if rv.UnresolvedComments != 1 {
				t.Errorf("the review counts %d unresolved threads", rv.UnresolvedComments)
			}
			res = app.API("POST", fmt.Sprintf("/api/v1/comments/%d/unresolve", c.ID), anaTok, "")
			res.JSON(t, &th)
			if res.StatusCode != http.StatusOK || th.ResolvedAt != nil || th.ResolvedBy != "" {
				t.Errorf("unresolve: %d %s", res.StatusCode, res.Body)
			}
			refused(app.API("POST", "/api/v1/comments/999/resolve", anaTok, ""), http.StatusNotFound, "")
			refused(app.API("POST", "/api/v1/comments/x/resolve", anaTok, ""), http.StatusBadRequest, "")
			refused(app.API("POST", fmt.Sprintf("/api/v1/comments/%d/resolve", c.ID), viewer, ""), http.StatusForbidden, "")
		})
	}
}
