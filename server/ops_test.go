package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

type versionBody struct {
	Version string `json:"version"`
	Schema  struct {
		Current  int64  `json:"current"`
		Expected int64  `json:"expected"`
		State    string `json:"state"`
	} `json:"schema"`
	Status struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	} `json:"status"`
}

// TestSchemaBehindServes503 starts the server on an empty database with
// auto-migrate off, as an operator who forgot `hindsight migrate` would.
func TestSchemaBehindServes503(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			url := testdb.URL(t, d)
			if d == models.Postgres {
				url = testdb.EmptyPostgresURL(t)
			}
			store, err := models.Open(context.Background(), url, testdb.Options())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			app := apptest.StartWithStore(t, store, map[string]string{"HINDSIGHT_AUTO_MIGRATE": "false"})

			var v versionBody
			res := app.API("GET", "/version", "", "")
			res.JSON(t, &v)
			if res.StatusCode != http.StatusOK || v.Schema.State != "behind" || v.Schema.Current != 0 || v.Schema.Expected < 1 || v.Status.Level != "maintenance" {
				t.Fatalf("/version = %d %s", res.StatusCode, res.Body)
			}
			if res := app.API("GET", "/healthz", "", ""); res.StatusCode != http.StatusOK {
				t.Errorf("/healthz = %d", res.StatusCode)
			}
			if res := app.API("GET", "/readyz", "", ""); res.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("/readyz = %d", res.StatusCode)
			}
			if res := app.API("GET", "/static/app.css", "", ""); res.StatusCode != http.StatusOK {
				t.Errorf("static = %d", res.StatusCode)
			}
			page := app.Browser().Get("/incidents")
			if page.StatusCode != http.StatusServiceUnavailable || !strings.Contains(page.Body, "hindsight migrate") {
				t.Errorf("page = %d", page.StatusCode)
			}
			api := app.API("GET", "/api/v1/incidents", "whatever", "")
			var eb errorBody
			api.JSON(t, &eb)
			if api.StatusCode != http.StatusServiceUnavailable || eb.Error.Code != "schema_behind" || !strings.Contains(eb.Error.Message, "hindsight migrate") {
				t.Errorf("api = %d %s", api.StatusCode, api.Body)
			}

			// The operator migrates; the running server notices without a restart.
			if _, err := store.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for app.API("GET", "/readyz", "", "").StatusCode != http.StatusOK {
				if time.Now().After(deadline) {
					t.Fatal("server did not notice the migration")
				}
				time.Sleep(100 * time.Millisecond)
			}
			if res := app.Browser().Get("/incidents"); res.StatusCode != http.StatusSeeOther {
				t.Errorf("after migrate, /incidents = %d, want the setup redirect", res.StatusCode)
			}
		})
	}
}

func TestSchemaAheadStillServes(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	db := app.Store.DB()
	if _, err := db.Exec("INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (99999, true, CURRENT_TIMESTAMP)"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // the schema state is cached for 2 s
	var v versionBody
	app.API("GET", "/version", "", "").JSON(t, &v)
	if v.Schema.State != "ahead" || v.Schema.Current != 99999 {
		t.Fatalf("schema = %+v", v.Schema)
	}
	if res := app.API("GET", "/readyz", "", ""); res.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d; a rolled-back binary must keep serving", res.StatusCode)
	}
}

func TestVersionReportsAnnouncedStatus(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.User("root@example.com", models.RoleAdmin)
	admin := app.SignedIn("admin@example.com", models.RoleAdmin)
	bad := admin.PostForm("/settings/status", map[string][]string{"level": {"panic"}, "message": {"x"}})
	if bad.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad level: %d", bad.StatusCode)
	}
	res := admin.PostForm("/settings/status", map[string][]string{"level": {"maintenance"}, "message": {"Database upgrade until 14:00 UTC"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("announce: %d %s", res.StatusCode, res.Body)
	}
	var v versionBody
	app.API("GET", "/version", "", "").JSON(t, &v)
	if v.Status.Level != "maintenance" || v.Status.Message != "Database upgrade until 14:00 UTC" || v.Version != "test" {
		t.Fatalf("/version = %+v", v)
	}
	if page := admin.Get("/incidents"); !strings.Contains(page.Body, "Database upgrade until 14:00 UTC") {
		t.Error("the banner is not on the pages")
	}
}

func TestSecurityHeadersAndLimits(t *testing.T) {
	app := apptest.Start(t, models.SQLite, map[string]string{"HINDSIGHT_MAX_BODY_BYTES": "1024"})
	app.User("root@example.com", models.RoleAdmin)
	b := app.SignedIn("editor@example.com", models.RoleEditor)
	for _, path := range []string{"/incidents", "/signin", "/version", "/nope"} {
		res := b.Get(path)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP = %q", path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") == "" || res.Header.Get("X-Request-ID") == "" {
			t.Errorf("%s: headers = %v", path, res.Header)
		}
	}
	if res := b.Get("/nope"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown page: %d", res.StatusCode)
	}
	big := b.PostForm("/incidents", map[string][]string{"title": {strings.Repeat("x", 5000)}})
	if big.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("large form: %d", big.StatusCode)
	}
}

func TestMetricsAndHealth(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.API("GET", "/version", "", "")
	res := app.API("GET", "/metrics", "", "")
	for _, want := range []string{`hindsight_http_requests_total{method="GET",route="/version",status="200"} 1`, "hindsight_http_request_duration_seconds_bucket", "go_sql_open_connections"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	var ready map[string]any
	r := app.API("GET", "/readyz", "", "")
	if err := json.Unmarshal([]byte(r.Body), &ready); err != nil || r.StatusCode != http.StatusOK || ready["status"] != "ready" {
		t.Errorf("/readyz = %d %s", r.StatusCode, r.Body)
	}
}
