package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

type incidentBody struct {
	ID          int64    `json:"id"`
	Key         string   `json:"key"`
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Status      string   `json:"status"`
	StartedAt   string   `json:"started_at"`
	DetectedAt  *string  `json:"detected_at"`
	ResolvedAt  *string  `json:"resolved_at"`
	Services    []string `json:"services"`
	Tags        []string `json:"tags"`
	Environment string   `json:"environment"`
	Version     int64    `json:"version"`
	Authors     []struct {
		Email string `json:"email"`
	} `json:"authors"`
}

type errorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func TestAPIIncidentRoundTrip(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			app.User("maya@example.com", models.RoleEditor)
			token := app.Token(models.RoleEditor)

			res := app.API("POST", "/api/v1/incidents", token, `{
				"title": "Chatbot answered with errors", "severity": "SEV2",
				"started_at": "2022-11-17T11:45:00+01:00", "detected_at": "2022-11-17T11:47:00+01:00",
				"services": ["bookbot-api"], "tags": ["migration"], "environment": "production",
				"authors": ["maya@example.com"], "summary": "The schema lagged behind the code."}`)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", res.StatusCode, res.Body)
			}
			var created incidentBody
			res.JSON(t, &created)
			if created.Key != fmt.Sprintf("INC-%d", created.ID) || created.Status != "draft" || created.StartedAt != "2022-11-17T10:45:00Z" {
				t.Errorf("created = %+v", created)
			}
			if len(created.Authors) != 1 || created.Authors[0].Email != "maya@example.com" {
				t.Errorf("authors = %+v", created.Authors)
			}
			if res.Header.Get("Location") != fmt.Sprintf("/api/v1/incidents/%d", created.ID) {
				t.Errorf("Location = %q", res.Header.Get("Location"))
			}
			path := fmt.Sprintf("/api/v1/incidents/%d", created.ID)

			get := app.API("GET", path, token, "")
			etag := get.Header.Get("ETag")
			if get.StatusCode != http.StatusOK || etag == "" {
				t.Fatalf("get: %d etag %q", get.StatusCode, etag)
			}
			if byKey := app.API("GET", "/api/v1/incidents/"+created.Key, token, ""); byKey.StatusCode != http.StatusOK {
				t.Errorf("get by key: %d", byKey.StatusCode)
			}

			patched := app.API("PATCH", path, token, `{"title": "Chatbot errors after a deploy", "resolved_at": "2022-11-17T12:45:00+01:00"}`, "If-Match", etag)
			if patched.StatusCode != http.StatusOK {
				t.Fatalf("patch: %d %s", patched.StatusCode, patched.Body)
			}
			var after incidentBody
			patched.JSON(t, &after)
			if after.Title != "Chatbot errors after a deploy" || after.Version != 2 || after.ResolvedAt == nil ||
				len(after.Services) != 1 || after.DetectedAt == nil {
				t.Errorf("after patch = %+v (untouched fields must stay)", after)
			}
			if patched.Header.Get("ETag") == etag {
				t.Error("ETag did not change after a write")
			}

			// The same old ETag is now stale: refused, nothing lost.
			stale := app.API("PATCH", path, token, `{"title": "Overwrite"}`, "If-Match", etag)
			if stale.StatusCode != http.StatusPreconditionFailed {
				t.Fatalf("stale patch: %d %s", stale.StatusCode, stale.Body)
			}
			var eb errorBody
			stale.JSON(t, &eb)
			if eb.Error.Code != "stale" || eb.Error.Message == "" {
				t.Errorf("stale error body = %s", stale.Body)
			}
			var now incidentBody
			app.API("GET", path, token, "").JSON(t, &now)
			if now.Title != "Chatbot errors after a deploy" {
				t.Errorf("stale patch changed the title to %q", now.Title)
			}

			// Writing back exactly what was read works (read-only fields ignored).
			current := app.API("GET", path, token, "")
			back := app.API("PATCH", path, token, current.Body, "If-Match", current.Header.Get("ETag"))
			if back.StatusCode != http.StatusOK {
				t.Errorf("write back what was read: %d %s", back.StatusCode, back.Body)
			}

			// null clears an optional time.
			current = app.API("GET", path, token, "")
			cleared := app.API("PATCH", path, token, `{"resolved_at": null}`, "If-Match", current.Header.Get("ETag"))
			var c incidentBody
			cleared.JSON(t, &c)
			if cleared.StatusCode != http.StatusOK || c.ResolvedAt != nil {
				t.Errorf("clear resolved_at: %d %s", cleared.StatusCode, cleared.Body)
			}

			admin := app.Token(models.RoleAdmin)
			if del := app.API("DELETE", path, admin, "", "If-Match", etag); del.StatusCode != http.StatusPreconditionFailed {
				t.Errorf("delete with stale If-Match: %d", del.StatusCode)
			}
			if del := app.API("DELETE", path, admin, ""); del.StatusCode != http.StatusNoContent {
				t.Errorf("delete: %d %s", del.StatusCode, del.Body)
			}
			if gone := app.API("GET", path, token, ""); gone.StatusCode != http.StatusNotFound {
				t.Errorf("after delete: %d", gone.StatusCode)
			}
		})
	}
}

func TestAPIBadInput(t *testing.T) {
	app := apptest.Start(t, models.SQLite, map[string]string{"HINDSIGHT_MAX_BODY_BYTES": "2048"})
	token := app.Token(models.RoleEditor)
	res := app.API("POST", "/api/v1/incidents", token, `{"title":"Existing","severity":"SEV3","started_at":"2024-01-01T00:00:00Z"}`)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("setup: %d %s", res.StatusCode, res.Body)
	}
	var existing incidentBody
	res.JSON(t, &existing)
	path := fmt.Sprintf("/api/v1/incidents/%d", existing.ID)
	etag := app.API("GET", path, token, "").Header.Get("ETag")

	valid := `{"title":"x","severity":"SEV3","started_at":"2024-01-01T00:00:00Z"}`
	cases := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		field, code              string
	}{
		{"malformed JSON", "POST", "/api/v1/incidents", `{"title": `, nil, 400, "", "bad_request"},
		{"not an object", "POST", "/api/v1/incidents", `[1,2]`, nil, 400, "", "bad_request"},
		{"trailing data", "POST", "/api/v1/incidents", valid + `{}`, nil, 400, "", "bad_request"},
		{"wrong type", "POST", "/api/v1/incidents", `{"title": 42, "severity":"SEV3","started_at":"2024-01-01T00:00:00Z"}`, nil, 400, "title", "bad_request"},
		{"bad time", "POST", "/api/v1/incidents", `{"title":"x","severity":"SEV3","started_at":"yesterday"}`, nil, 400, "started_at", "bad_request"},
		{"unknown field", "POST", "/api/v1/incidents", `{"title":"x","colour":"red"}`, nil, 400, "colour", "bad_request"},
		{"unknown author", "POST", "/api/v1/incidents", `{"title":"x","severity":"SEV3","started_at":"2024-01-01T00:00:00Z","authors":["nobody@example.com"]}`, nil, 400, "authors", "bad_request"},
		{"missing start", "POST", "/api/v1/incidents", `{"title":"x","severity":"SEV3"}`, nil, 422, "started_at", "invalid"},
		{"invalid severity", "POST", "/api/v1/incidents", `{"title":"x","severity":"SEV9","started_at":"2024-01-01T00:00:00Z"}`, nil, 422, "severity", "invalid"},
		{"order violated", "POST", "/api/v1/incidents", `{"title":"x","severity":"SEV3","started_at":"2024-01-01T10:00:00Z","detected_at":"2024-01-01T09:00:00Z"}`, nil, 422, "detected_at", "invalid"},
		{"too large", "POST", "/api/v1/incidents", `{"title":"x","summary":"` + strings.Repeat("a", 4000) + `"}`, nil, 413, "", "too_large"},
		{"form content type", "POST", "/api/v1/incidents", valid, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "", "unsupported_media_type"},
		{"unknown id", "GET", "/api/v1/incidents/424242", "", nil, 404, "", "not_found"},
		{"bad id", "GET", "/api/v1/incidents/abc", "", nil, 400, "", "bad_request"},
		{"patch without If-Match", "PATCH", path, `{"title":"y"}`, nil, 428, "", "precondition_required"},
		{"patch malformed", "PATCH", path, `{"title"`, []string{"If-Match", etag}, 400, "", "bad_request"},
		{"patch null start", "PATCH", path, `{"started_at": null}`, []string{"If-Match", etag}, 400, "started_at", "bad_request"},
		{"bad page", "GET", "/api/v1/incidents?page=0", "", nil, 400, "page", "bad_request"},
		{"bad per_page", "GET", "/api/v1/incidents?per_page=1000", "", nil, 400, "per_page", "bad_request"},
		{"bad sort", "GET", "/api/v1/incidents?sort=random", "", nil, 400, "sort", "bad_request"},
		{"bad status filter", "GET", "/api/v1/incidents?status=closed", "", nil, 400, "status", "bad_request"},
		{"bad token", "GET", "/api/v1/incidents", "", []string{"Authorization", "Bearer hs_nope"}, 401, "", "unauthorized"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := app.API(c.method, c.path, token, c.body, c.headers...)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, res.Body)
			}
			var eb errorBody
			res.JSON(t, &eb)
			if eb.Error.Code != c.code || eb.Error.Message == "" {
				t.Errorf("error body %s, want code %q and a message", res.Body, c.code)
			}
			if c.field != "" && eb.Error.Fields[c.field] == "" {
				t.Errorf("error body %s does not name field %q", res.Body, c.field)
			}
		})
	}
	// Nothing above changed the stored incident.
	var after incidentBody
	app.API("GET", path, token, "").JSON(t, &after)
	if after.Title != "Existing" || after.Version != 1 {
		t.Errorf("bad requests changed the incident: %+v", after)
	}
}

func TestAPIListFilters(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	token := app.Token(models.RoleEditor)
	for i, body := range []string{
		`{"title":"Redis flushed","severity":"SEV1","status":"published","started_at":"2023-03-08T12:20:00Z","services":["redis"],"tags":["cache"]}`,
		`{"title":"Cron string broke workers","severity":"SEV3","started_at":"2021-03-03T16:05:00Z","services":["workers"],"summary":"An unquoted YAML value."}`,
		`{"title":"Column lock","severity":"SEV2","status":"published","started_at":"2020-02-12T14:10:00Z","services":["findings-api"],"tags":["migration"]}`,
	} {
		if res := app.API("POST", "/api/v1/incidents", token, body); res.StatusCode != http.StatusCreated {
			t.Fatalf("create %d: %d %s", i, res.StatusCode, res.Body)
		}
	}
	type list struct {
		Incidents []incidentBody `json:"incidents"`
		Total     int            `json:"total"`
		PerPage   int            `json:"per_page"`
	}
	titles := func(query string) []string {
		var l list
		res := app.API("GET", "/api/v1/incidents"+query, token, "")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", query, res.StatusCode, res.Body)
		}
		res.JSON(t, &l)
		var out []string
		for _, i := range l.Incidents {
			out = append(out, i.Title)
		}
		return out
	}
	for query, want := range map[string]string{
		"":                                "Redis flushed,Cron string broke workers,Column lock",
		"?status=published&sort=severity": "Redis flushed,Column lock",
		"?service=workers":                "Cron string broke workers",
		"?tag=migration":                  "Column lock",
		"?q=yaml":                         "Cron string broke workers",
		"?sort=started_asc&per_page=2":    "Column lock,Cron string broke workers",
		"?per_page=2&page=2":              "Column lock",
	} {
		if got := strings.Join(titles(query), ","); got != want {
			t.Errorf("%q: got %q, want %q", query, got, want)
		}
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
