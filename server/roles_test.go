package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/models"
)

// access is who may use a route: "public", or the least role needed.
type access struct {
	method, path string
	min          string
}

// matrix lists every route. TestEveryRouteInMatrix fails when a route is
// added without a line here, so no route escapes the role checks.
var matrix = []access{
	{"GET", "/healthz", "public"},
	{"GET", "/readyz", "public"},
	{"GET", "/version", "public"},
	{"GET", "/metrics", "public"},
	{"GET", "/static/*filepath", "public"},
	{"HEAD", "/static/*filepath", "public"},
	{"GET", "/api/v1/openapi.json", "public"},
	{"GET", "/", "public"},
	{"GET", "/setup", "public"},
	{"POST", "/setup", "public"},
	{"GET", "/signin", "public"},
	{"POST", "/signin", "public"},
	{"POST", "/signout", "public"},
	{"POST", "/hooks/:id", "public"},
	{"GET", "/incidents", models.RoleViewer},
	{"GET", "/incidents/:id/timeline", models.RoleViewer},
	{"GET", "/incidents/:id/timeline/import", models.RoleEditor},
	{"POST", "/incidents/:id/timeline/import", models.RoleEditor},
	{"POST", "/incidents/:id/timeline/notes", models.RoleEditor},
	{"GET", "/incidents/:id/timeline/entries/:entry/edit", models.RoleEditor},
	{"POST", "/incidents/:id/timeline/entries/:entry", models.RoleEditor},
	{"POST", "/incidents/:id/timeline/entries/:entry/delete", models.RoleEditor},
	{"POST", "/incidents/:id/key-moments", models.RoleEditor},
	{"POST", "/incidents/:id/trigger", models.RoleEditor},
	{"GET", "/actions", models.RoleViewer},
	{"GET", "/actions.csv", models.RoleViewer},
	{"GET", "/incidents/:id/actions/new", models.RoleEditor},
	{"POST", "/incidents/:id/actions", models.RoleEditor},
	{"GET", "/actions/:id/edit", models.RoleEditor},
	{"POST", "/actions/:id", models.RoleEditor},
	{"GET", "/actions/:id/row", models.RoleViewer},
	{"GET", "/actions/:id/row/edit", models.RoleEditor},
	{"POST", "/actions/:id/row", models.RoleEditor},
	{"GET", "/events", models.RoleViewer},
	{"GET", "/events/:id", models.RoleViewer},
	{"GET", "/incidents/:id", models.RoleViewer},
	{"GET", "/settings/profile", models.RoleViewer},
	{"POST", "/settings/profile", models.RoleViewer},
	{"GET", "/incidents/:id/write", models.RoleViewer},
	{"GET", "/incidents/:id/write/:step", models.RoleViewer},
	{"GET", "/incidents/:id/history", models.RoleViewer},
	{"GET", "/incidents/:id/history/:section/:version", models.RoleViewer},
	{"POST", "/incidents/:id/write/:step", models.RoleEditor},
	{"POST", "/incidents/:id/write/whys/steps", models.RoleEditor},
	{"POST", "/incidents/:id/write/whys/steps/:sid/move", models.RoleEditor},
	{"POST", "/incidents/:id/write/whys/steps/:sid/delete", models.RoleEditor},
	{"POST", "/incidents/:id/write/factors/suggested/:sid", models.RoleEditor},
	{"POST", "/incidents/:id/preview", models.RoleEditor},
	{"POST", "/incidents/:id/history/:section/:version/restore", models.RoleEditor},
	{"GET", "/incidents/:id/export", models.RoleViewer},
	{"GET", "/incidents/:id/export.md", models.RoleViewer},
	{"GET", "/incidents/:id/export.json", models.RoleViewer},
	{"GET", "/incidents/:id/export/preview", models.RoleViewer},
	{"GET", "/incidents/:id/print", models.RoleViewer},
	{"POST", "/incidents/:id/export/redaction", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/export.md", models.RoleViewer},
	{"GET", "/api/v1/incidents/:id/export.json", models.RoleViewer},
	{"GET", "/incidents/new", models.RoleEditor},
	{"POST", "/incidents", models.RoleEditor},
	{"GET", "/incidents/:id/edit", models.RoleEditor},
	{"POST", "/incidents/:id", models.RoleEditor},
	{"GET", "/incidents/:id/delete", models.RoleAdmin},
	{"POST", "/incidents/:id/delete", models.RoleAdmin},
	{"GET", "/settings/users", models.RoleAdmin},
	{"POST", "/settings/users", models.RoleAdmin},
	{"POST", "/settings/users/:id/role", models.RoleAdmin},
	{"POST", "/settings/users/:id/delete", models.RoleAdmin},
	{"GET", "/settings/tokens", models.RoleAdmin},
	{"POST", "/settings/tokens", models.RoleAdmin},
	{"POST", "/settings/tokens/:id/revoke", models.RoleAdmin},
	{"GET", "/settings/integrations", models.RoleAdmin},
	{"POST", "/settings/integrations", models.RoleAdmin},
	{"GET", "/settings/integrations/:id", models.RoleAdmin},
	{"POST", "/settings/integrations/:id/settings", models.RoleAdmin},
	{"POST", "/settings/integrations/:id/rotate", models.RoleAdmin},
	{"POST", "/settings/integrations/:id/secret", models.RoleAdmin},
	{"POST", "/settings/integrations/:id/reparse", models.RoleAdmin},
	{"POST", "/settings/integrations/:id/delete", models.RoleAdmin},
	{"GET", "/settings/reminders", models.RoleAdmin},
	{"POST", "/settings/reminders", models.RoleAdmin},
	{"POST", "/settings/reminders/channels", models.RoleAdmin},
	{"GET", "/settings/reminders/channels/:id", models.RoleAdmin},
	{"POST", "/settings/reminders/channels/:id", models.RoleAdmin},
	{"POST", "/settings/reminders/channels/:id/rotate", models.RoleAdmin},
	{"POST", "/settings/reminders/channels/:id/test", models.RoleAdmin},
	{"POST", "/settings/reminders/channels/:id/delete", models.RoleAdmin},
	{"GET", "/settings/reminders/deliveries", models.RoleAdmin},
	{"POST", "/settings/reminders/deliveries/:id/retry", models.RoleAdmin},
	{"GET", "/settings/status", models.RoleAdmin},
	{"POST", "/settings/status", models.RoleAdmin},
	{"GET", "/settings/postmortems", models.RoleAdmin},
	{"POST", "/settings/postmortems/fields", models.RoleAdmin},
	{"POST", "/settings/postmortems/fields/:key", models.RoleAdmin},
	{"POST", "/settings/postmortems/fields/:key/move", models.RoleAdmin},
	{"POST", "/settings/postmortems/fields/:key/delete", models.RoleAdmin},
	{"POST", "/settings/postmortems/factors", models.RoleAdmin},
	{"POST", "/settings/postmortems/factors/:key", models.RoleAdmin},
	{"POST", "/settings/postmortems/factors/:key/move", models.RoleAdmin},
	{"POST", "/settings/postmortems/factors/:key/delete", models.RoleAdmin},
	{"POST", "/settings/postmortems/blameless", models.RoleAdmin},
	{"POST", "/settings/postmortems/blameless/try", models.RoleAdmin},
	{"POST", "/settings/postmortems/blameless/:id/delete", models.RoleAdmin},
	{"GET", "/settings/postmortems/templates/new", models.RoleAdmin},
	{"POST", "/settings/postmortems/templates", models.RoleAdmin},
	{"GET", "/settings/postmortems/templates/:key", models.RoleAdmin},
	{"POST", "/settings/postmortems/templates/:key", models.RoleAdmin},
	{"POST", "/settings/postmortems/templates/:key/delete", models.RoleAdmin},
	{"GET", "/api/v1/incidents", models.RoleViewer},
	{"POST", "/api/v1/incidents", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id", models.RoleViewer},
	{"PATCH", "/api/v1/incidents/:id", models.RoleEditor},
	{"DELETE", "/api/v1/incidents/:id", models.RoleAdmin},
	{"GET", "/api/v1/incidents/:id/timeline", models.RoleViewer},
	{"POST", "/api/v1/incidents/:id/timeline/import", models.RoleEditor},
	{"POST", "/api/v1/incidents/:id/timeline/notes", models.RoleEditor},
	{"PATCH", "/api/v1/incidents/:id/timeline/entries/:entry", models.RoleEditor},
	{"DELETE", "/api/v1/incidents/:id/timeline/entries/:entry", models.RoleEditor},
	{"PUT", "/api/v1/incidents/:id/key-moments", models.RoleEditor},
	{"PUT", "/api/v1/incidents/:id/trigger", models.RoleEditor},
	{"POST", "/api/v1/incidents/:id/actions", models.RoleEditor},
	{"GET", "/api/v1/actions", models.RoleViewer},
	{"GET", "/api/v1/actions/:id", models.RoleViewer},
	{"PATCH", "/api/v1/actions/:id", models.RoleEditor},
	{"DELETE", "/api/v1/actions/:id", models.RoleEditor},
	{"GET", "/api/v1/events", models.RoleViewer},
	{"POST", "/api/v1/events", models.RoleEditor},
	{"GET", "/api/v1/events/:id", models.RoleViewer},
	{"GET", "/api/v1/incidents/:id/impact", models.RoleViewer},
	{"PUT", "/api/v1/incidents/:id/impact", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/impact/versions/:version", models.RoleViewer},
	{"POST", "/api/v1/incidents/:id/impact/versions/:version/restore", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/whys", models.RoleViewer},
	{"PUT", "/api/v1/incidents/:id/whys", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/whys/versions/:version", models.RoleViewer},
	{"POST", "/api/v1/incidents/:id/whys/versions/:version/restore", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/factors", models.RoleViewer},
	{"PUT", "/api/v1/incidents/:id/factors", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/factors/versions/:version", models.RoleViewer},
	{"POST", "/api/v1/incidents/:id/factors/versions/:version/restore", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/lessons", models.RoleViewer},
	{"PUT", "/api/v1/incidents/:id/lessons", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/lessons/versions/:version", models.RoleViewer},
	{"POST", "/api/v1/incidents/:id/lessons/versions/:version/restore", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/history", models.RoleViewer},
	{"POST", "/incidents/:id/review/request", models.RoleEditor},
	{"POST", "/incidents/:id/review/approve", models.RoleEditor},
	{"POST", "/incidents/:id/review/publish", models.RoleEditor},
	{"POST", "/incidents/:id/review/reopen", models.RoleEditor},
	{"POST", "/incidents/:id/comments", models.RoleEditor},
	{"POST", "/incidents/:id/comments/:cid/resolve", models.RoleEditor},
	{"POST", "/incidents/:id/comments/:cid/unresolve", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/review", models.RoleViewer},
	{"POST", "/api/v1/incidents/:id/review/request", models.RoleEditor},
	{"POST", "/api/v1/incidents/:id/review/approve", models.RoleEditor},
	{"POST", "/api/v1/incidents/:id/review/publish", models.RoleEditor},
	{"POST", "/api/v1/incidents/:id/review/reopen", models.RoleEditor},
	{"GET", "/api/v1/incidents/:id/comments", models.RoleViewer},
	{"POST", "/api/v1/incidents/:id/comments", models.RoleEditor},
	{"POST", "/api/v1/comments/:id/resolve", models.RoleEditor},
	{"POST", "/api/v1/comments/:id/unresolve", models.RoleEditor},
}

func TestEveryRouteInMatrix(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	known := map[string]bool{}
	for _, a := range matrix {
		known[a.method+" "+a.path] = true
	}
	for _, r := range app.Server.Routes() {
		if !known[r.Method+" "+r.Path] {
			t.Errorf("route %s %s has no line in the role matrix", r.Method, r.Path)
		}
	}
}

// TestRoleMatrix calls every guarded route as anonymous, viewer, editor and
// admin, and checks that exactly the allowed roles get past the guard.
func TestRoleMatrix(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.User("root@example.com", models.RoleAdmin)
	browsers := map[string]*apptest.Browser{
		models.RoleViewer: app.SignedIn("viewer@example.com", models.RoleViewer),
		models.RoleEditor: app.SignedIn("editor@example.com", models.RoleEditor),
		models.RoleAdmin:  app.SignedIn("admin@example.com", models.RoleAdmin),
	}
	tokens := map[string]string{
		models.RoleViewer: app.Token(models.RoleViewer),
		models.RoleEditor: app.Token(models.RoleEditor),
		models.RoleAdmin:  app.Token(models.RoleAdmin),
	}
	for _, a := range matrix {
		if a.min == "public" {
			continue
		}
		// Ids that do not exist: the guard must answer before the handler would say 404.
		path := strings.NewReplacer(":id", "999999", ":entry", "999999", ":cid", "999999").Replace(a.path)
		api := strings.HasPrefix(path, "/api/")
		t.Run(a.method+" "+a.path, func(t *testing.T) {
			// Anonymous.
			if api {
				res := app.API(a.method, path, "", "")
				if res.StatusCode != http.StatusUnauthorized {
					t.Errorf("anonymous: status %d, want 401", res.StatusCode)
				}
			} else {
				res := do(app.Browser(), a.method, path)
				if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/signin") {
					t.Errorf("anonymous: status %d to %q, want 303 to /signin", res.StatusCode, res.Header.Get("Location"))
				}
			}
			for _, role := range models.Roles {
				var status int
				if api {
					status = app.API(a.method, path, tokens[role], "{}").StatusCode
				} else {
					status = do(browsers[role], a.method, path).StatusCode
				}
				allowed := models.RoleAtLeast(role, a.min)
				if allowed && (status == http.StatusForbidden || status == http.StatusUnauthorized) {
					t.Errorf("%s: status %d, want access", role, status)
				}
				if !allowed && status != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", role, status)
				}
			}
		})
	}
}

func do(b *apptest.Browser, method, path string) *apptest.Response {
	if method == http.MethodPost {
		return b.PostForm(path, url.Values{})
	}
	return b.Get(path)
}
