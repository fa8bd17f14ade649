package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

type actionBody struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	DueDate    string `json:"due_date"`
	TrackerKey string `json:"tracker_key"`
	Version    int64  `json:"version"`
	Owner      *struct {
		Email string `json:"email"`
	} `json:"owner"`
	Hints []struct {
		Field string `json:"field"`
	} `json:"hints"`
}

func TestAPIActions(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			app.User("maya@example.com", models.RoleEditor)
			token := app.Token(models.RoleEditor)
			var inc incidentBody
			app.API("POST", "/api/v1/incidents", token, `{"title":"Chatbot errors","severity":"SEV2","started_at":"2022-11-17T10:45:00Z"}`).JSON(t, &inc)

			res := app.API("POST", fmt.Sprintf("/api/v1/incidents/%d/actions", inc.ID), token, `{
				"title": "Add integration tests for every primary endpoint", "owner": "maya@example.com",
				"due_date": "2022-12-15", "priority": "P2", "kind": "prevent",
				"verification": "CI fails when an endpoint breaks", "tracker_url": "https://github.com/reading-co/bookbot/issues/88"}`)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", res.StatusCode, res.Body)
			}
			var a actionBody
			res.JSON(t, &a)
			if a.Status != "open" || a.Owner == nil || a.Owner.Email != "maya@example.com" || a.DueDate != "2022-12-15" || a.TrackerKey != "reading-co/bookbot#88" {
				t.Fatalf("created %+v", a)
			}
			path := fmt.Sprintf("/api/v1/actions/%d", a.ID)
			get := app.API("GET", path, token, "")
			etag := get.Header.Get("ETag")

			// won't do needs a reason: 422 naming it, nothing changed.
			bad := app.API("PATCH", path, token, `{"status":"wont_do"}`, "If-Match", etag)
			var eb errorBody
			bad.JSON(t, &eb)
			if bad.StatusCode != http.StatusUnprocessableEntity || eb.Error.Fields["reason"] == "" {
				t.Fatalf("wont_do without reason: %d %s", bad.StatusCode, bad.Body)
			}
			ok := app.API("PATCH", path, token, `{"status":"blocked","reason":"waiting for staging"}`, "If-Match", etag)
			if ok.StatusCode != http.StatusOK {
				t.Fatalf("block: %d %s", ok.StatusCode, ok.Body)
			}
			if stale := app.API("PATCH", path, token, `{"title":"x"}`, "If-Match", etag); stale.StatusCode != http.StatusPreconditionFailed {
				t.Errorf("stale: %d", stale.StatusCode)
			}
			// Writing back what was read works.
			cur := app.API("GET", path, token, "")
			if back := app.API("PATCH", path, token, cur.Body, "If-Match", cur.Header.Get("ETag")); back.StatusCode != http.StatusOK {
				t.Errorf("write back: %d %s", back.StatusCode, back.Body)
			}

			vague := app.API("POST", fmt.Sprintf("/api/v1/incidents/%d/actions", inc.ID), token, `{"title":"Look into monitoring"}`)
			var v actionBody
			vague.JSON(t, &v)
			if vague.StatusCode != http.StatusCreated || len(v.Hints) < 2 {
				t.Errorf("vague action: %d hints %+v", vague.StatusCode, v.Hints)
			}

			for q, want := range map[string]int{"": 2, "?status=blocked": 1, "?owner=maya@example.com": 1, "?overdue=true": 1,
				"?due_before=2022-12-01": 0, "?incident_id=INC-" + fmt.Sprint(inc.ID): 2} {
				var list struct {
					Actions []actionBody `json:"actions"`
				}
				r := app.API("GET", "/api/v1/actions"+q, token, "")
				r.JSON(t, &list)
				if r.StatusCode != http.StatusOK || len(list.Actions) != want {
					t.Errorf("%q: %d, %d actions, want %d", q, r.StatusCode, len(list.Actions), want)
				}
			}
			for q, field := range map[string]string{"?status=closed": "status", "?owner=nobody@example.com": "owner",
				"?overdue=maybe": "overdue", "?due_before=soon": "due_before", "?sort=random": "sort"} {
				r := app.API("GET", "/api/v1/actions"+q, token, "")
				var e errorBody
				r.JSON(t, &e)
				if r.StatusCode != http.StatusBadRequest || e.Error.Fields[field] == "" {
					t.Errorf("%q: %d %s", q, r.StatusCode, r.Body)
				}
			}
			for body, field := range map[string]string{`{"title":"x","due_date":"next week"}`: "due_date", `{"title":"x","owner":"nobody@example.com"}`: "owner",
				`{"title":"x","colour":"red"}`: "colour", `{"title":"x","tracker_url":"javascript:alert(1)"}`: "tracker_url"} {
				r := app.API("POST", fmt.Sprintf("/api/v1/incidents/%d/actions", inc.ID), token, body)
				var e errorBody
				r.JSON(t, &e)
				if r.StatusCode/100 != 4 || e.Error.Fields[field] == "" || strings.Contains(r.Body, "internal") {
					t.Errorf("%s: %d %s", body, r.StatusCode, r.Body)
				}
			}
			if del := app.API("DELETE", path, token, ""); del.StatusCode != http.StatusNoContent {
				t.Errorf("delete: %d", del.StatusCode)
			}
			if gone := app.API("GET", path, token, ""); gone.StatusCode != http.StatusNotFound {
				t.Errorf("after delete: %d", gone.StatusCode)
			}
		})
	}
}

// An action's cause (the Five Whys step or factor it addresses) is read and
// written through the API like its other fields.
func TestAPIActionCause(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			token := app.Token(models.RoleEditor)
			var inc incidentBody
			app.API("POST", "/api/v1/incidents", token, `{"title":"Chatbot errors","severity":"SEV2","started_at":"2022-11-17T10:45:00Z"}`).JSON(t, &inc)
			res := app.API("POST", fmt.Sprintf("/api/v1/incidents/%d/actions", inc.ID), token,
				`{"title":"Run migrations before the app deploy","cause":"why:w2"}`)
			var a struct {
				ID    int64  `json:"id"`
				Cause string `json:"cause"`
			}
			res.JSON(t, &a)
			if res.StatusCode != http.StatusCreated || a.Cause != "why:w2" {
				t.Fatalf("create with a cause: %d %s", res.StatusCode, res.Body)
			}
			bad := app.API("PATCH", fmt.Sprintf("/api/v1/actions/%d", a.ID), token, `{"cause":"the deploy"}`, "If-Match", res.Header.Get("ETag"))
			if bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `"cause"`) {
				t.Errorf("a malformed cause: %d %s", bad.StatusCode, bad.Body)
			}
			ok := app.API("PATCH", fmt.Sprintf("/api/v1/actions/%d", a.ID), token, `{"cause":""}`, "If-Match", res.Header.Get("ETag"))
			if ok.JSON(t, &a); ok.StatusCode != http.StatusOK || a.Cause != "" {
				t.Errorf("clear the cause: %d %s", ok.StatusCode, ok.Body)
			}
		})
	}
}
