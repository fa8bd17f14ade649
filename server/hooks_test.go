package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"hindsight/ingest/kinds"
	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

func hexHMAC(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// hookCase is one tool: two notifications of one alert or deploy, the
// first opening it and the second ending it, each sent the way the tool
// signs or authenticates.
type hookCase struct {
	kind       string
	open, done string // fixtures under ingest/<kind>/testdata
	headers    func(secret string, body []byte, step int) map[string]string
	endStatus  string
}

func bearer(secret string, _ []byte, _ int) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret}
}

var hookCases = []hookCase{
	{"alertmanager", "firing.json", "resolved.json", bearer, "resolved"},
	{"grafana", "firing.json", "resolved.json", func(secret string, body []byte, _ int) map[string]string {
		return map[string]string{"X-Grafana-Alerting-Signature": hexHMAC(secret, body)}
	}, "resolved"},
	{"sentry", "issue_created.json", "issue_resolved.json", func(secret string, body []byte, step int) map[string]string {
		return map[string]string{"Sentry-Hook-Signature": hexHMAC(secret, body), "Sentry-Hook-Resource": "issue", "Request-ID": fmt.Sprintf("req-%d", step)}
	}, "resolved"},
	{"pagerduty", "incident_triggered.json", "incident_resolved.json", func(secret string, body []byte, _ int) map[string]string {
		// During a secret rotation PagerDuty sends several signatures.
		return map[string]string{"X-PagerDuty-Signature": "v1=" + hexHMAC("old-secret", body) + ",v1=" + hexHMAC(secret, body)}
	}, "resolved"},
	{"datadog", "triggered.json", "recovered.json", bearer, "resolved"},
	{"opsgenie", "create.json", "close.json", func(secret string, _ []byte, _ int) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("opsgenie:"+secret))}
	}, "resolved"},
	{"github", "deployment.json", "status_success.json", func(secret string, body []byte, step int) map[string]string {
		event := []string{"deployment", "deployment_status"}[step]
		return map[string]string{"X-Hub-Signature-256": "sha256=" + hexHMAC(secret, body), "X-GitHub-Event": event,
			"X-GitHub-Delivery": fmt.Sprintf("72d3162e-cc78-11e3-81ab-4c9367dc095%d", step)}
	}, "succeeded"},
	{"gitlab", "running.json", "success.json", func(secret string, _ []byte, _ int) map[string]string {
		return map[string]string{"X-Gitlab-Token": secret, "X-Gitlab-Event": "Deployment Hook"}
	}, "succeeded"},
	{"argocd", "running.json", "succeeded.json", bearer, "succeeded"},
	{"generic", "deploy_pending.json", "deploy.json", bearer, "succeeded"},
}

func TestEveryKindHasAnEndToEndCase(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range hookCases {
		covered[c.kind] = true
	}
	for _, k := range kinds.Names() {
		if !covered[k] {
			t.Errorf("kind %s has no end-to-end webhook case", k)
		}
	}
}

func TestHooksEndToEnd(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			ctx := context.Background()
			for _, c := range hookCases {
				t.Run(c.kind, func(t *testing.T) {
					integ, err := app.Store.CreateIntegration(ctx, c.kind, c.kind+" e2e", kinds.Names())
					if err != nil {
						t.Fatal(err)
					}
					path := "/hooks/" + integ.ID
					post := func(fixture string, step int, mutate func(map[string]string)) *apptest.Response {
						body, err := os.ReadFile("../ingest/" + c.kind + "/testdata/" + fixture)
						if err != nil {
							t.Fatal(err)
						}
						h := c.headers(integ.Secret, body, step)
						if mutate != nil {
							mutate(h)
						}
						args := []string{}
						for k, v := range h {
							args = append(args, k, v)
						}
						return app.API("POST", path, "", string(body), args...)
					}
					res := post(c.open, 0, nil)
					if res.StatusCode != http.StatusAccepted || !strings.Contains(res.Body, `"accepted":`) {
						t.Fatalf("open: %d %s", res.StatusCode, res.Body)
					}
					// The same request again is recognised as a redelivery.
					again := post(c.open, 0, nil)
					if again.StatusCode != http.StatusAccepted || !strings.Contains(again.Body, `"accepted":0`) {
						t.Fatalf("redelivery: %d %s", again.StatusCode, again.Body)
					}
					// Wrong credentials are refused and store nothing.
					bad := post(c.done, 1, func(h map[string]string) {
						for k, v := range h {
							if k == "Authorization" || strings.Contains(strings.ToLower(k), "signature") || k == "X-Gitlab-Token" {
								h[k] = strings.Replace(v, v[len(v)-4:], "beef", 1)
							}
						}
					})
					if bad.StatusCode != http.StatusUnauthorized {
						t.Fatalf("bad credentials: %d %s", bad.StatusCode, bad.Body)
					}
					if res := post(c.done, 1, nil); res.StatusCode != http.StatusAccepted {
						t.Fatalf("done: %d %s", res.StatusCode, res.Body)
					}
					page, err := app.Store.ListEvents(ctx, models.EventFilter{Limit: 500})
					if err != nil {
						t.Fatal(err)
					}
					var mine []models.Event
					for _, e := range page.Events {
						if e.IntegrationID != nil && *e.IntegrationID == integ.ID {
							mine = append(mine, e)
						}
					}
					if len(mine) == 0 {
						t.Fatal("no events stored")
					}
					ended := false
					for _, e := range mine {
						ended = ended || e.Status == c.endStatus
					}
					if !ended {
						t.Errorf("no event reached %s: %+v", c.endStatus, mine)
					}
					hist, _ := app.Store.EventHistory(ctx, mine[0].ID)
					if len(hist) < 2 {
						t.Errorf("status history has %d entries, want the opening and the end", len(hist))
					}
				})
			}
		})
	}
}

func TestHookBadRequests(t *testing.T) {
	app := apptest.Start(t, models.SQLite, map[string]string{"HINDSIGHT_MAX_BODY_BYTES": "4096"})
	ctx := context.Background()
	am, _ := app.Store.CreateIntegration(ctx, "alertmanager", "am", kinds.Names())
	gh, _ := app.Store.CreateIntegration(ctx, "github", "gh", kinds.Names())
	auth := "Bearer " + am.Secret
	cases := []struct {
		name, path, body string
		headers          []string
		status           int
		contains         string
	}{
		{"unknown integration", "/hooks/nope", `{}`, []string{"Authorization", auth}, 404, "integration nope not found"},
		{"no credentials", "/hooks/" + am.ID, `{"alerts":[]}`, nil, 401, "Authorization: Bearer"},
		{"wrong secret", "/hooks/" + am.ID, `{"alerts":[]}`, []string{"Authorization", "Bearer nope"}, 401, ""},
		{"not JSON", "/hooks/" + am.ID, `alerts=1`, []string{"Authorization", auth, "Content-Type", "text/plain"}, 415, "application/json"},
		{"malformed", "/hooks/" + am.ID, `{"alerts": [`, []string{"Authorization", auth}, 400, ""},
		{"wrong type", "/hooks/" + am.ID, `{"version":"4","alerts": "many"}`, []string{"Authorization", auth}, 400, "alerts"},
		{"too large", "/hooks/" + am.ID, `{"pad":"` + strings.Repeat("x", 5000) + `"}`, []string{"Authorization", auth}, 413, ""},
		{"github unsigned and no bearer", "/hooks/" + gh.ID, `{}`, []string{"X-GitHub-Event", "deployment"}, 401, "X-Hub-Signature-256"},
		{"github bad signature", "/hooks/" + gh.ID, `{}`, []string{"X-GitHub-Event", "deployment", "X-Hub-Signature-256", "sha256=00"}, 401, ""},
		{"github push event", "/hooks/" + gh.ID, `{}`, []string{"X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256=" + hexHMAC(gh.Secret, []byte(`{}`))}, 400, "X-GitHub-Event"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := app.API("POST", c.path, "", c.body, c.headers...)
			if res.StatusCode != c.status || !strings.Contains(res.Body, c.contains) || !strings.Contains(res.Body, `"error"`) {
				t.Errorf("status %d %s; want %d containing %q", res.StatusCode, res.Body, c.status, c.contains)
			}
		})
	}
	// A batch whose third alert is invalid stores nothing at all.
	body := `{"version":"4","status":"firing","alerts":[
		{"status":"firing","labels":{"alertname":"A"},"startsAt":"2024-01-01T00:00:00Z","fingerprint":"a"},
		{"status":"firing","labels":{"alertname":"B"},"startsAt":"2024-01-01T00:00:00Z","fingerprint":"b"},
		{"status":"exploded","labels":{"alertname":"C"},"startsAt":"2024-01-01T00:00:00Z","fingerprint":"c"}]}`
	res := app.API("POST", "/hooks/"+am.ID, "", body, "Authorization", auth)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.Body, "alerts[2]") {
		t.Fatalf("bad item: %d %s", res.StatusCode, res.Body)
	}
	if page, _ := app.Store.ListEvents(ctx, models.EventFilter{}); len(page.Events) != 0 {
		t.Fatalf("a rejected batch stored %d events", len(page.Events))
	}
}

func TestEventsAPI(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	editor := app.Token(models.RoleEditor)
	batch := `[
		{"kind":"deploy","source":"ci","dedup_key":"d-1","status":"succeeded","title":"Deploy a1b2c3d","service":"bookbot-api","environment":"production","starts_at":"2022-11-17T10:30:00Z","commit":"a1b2c3d","has_migrations":true},
		{"kind":"alert","source":"ci","dedup_key":"a-1","title":"Errors on bookbot","service":"bookbot-api","starts_at":1668681900,"labels":{"team":"reading"}}]`
	res := app.API("POST", "/api/v1/events", editor, batch)
	if res.StatusCode != http.StatusAccepted || res.Body != `{"accepted":2,"duplicates":0}` {
		t.Fatalf("post: %d %s", res.StatusCode, res.Body)
	}
	if res := app.API("POST", "/api/v1/events", editor, batch); res.Body != `{"accepted":0,"duplicates":2}` {
		t.Fatalf("repost: %s", res.Body)
	}
	bad := app.API("POST", "/api/v1/events", editor, `[{"kind":"deploy","source":"ci","dedup_key":"x","title":"t","starts_at":"2022-11-17T10:30:00Z"},{"kind":"deploy","source":"ci","title":"t","starts_at":"nope"}]`)
	var eb errorBody
	bad.JSON(t, &eb)
	if bad.StatusCode != http.StatusBadRequest || !strings.Contains(eb.Error.Message, "1") {
		t.Fatalf("bad batch: %d %s", bad.StatusCode, bad.Body)
	}
	var list struct {
		Events []struct {
			ID            int64             `json:"id"`
			Kind          string            `json:"kind"`
			HasMigrations bool              `json:"has_migrations"`
			Labels        map[string]string `json:"labels"`
		} `json:"events"`
		NextCursor string `json:"next_cursor"`
	}
	app.API("GET", "/api/v1/events?service=bookbot-api&limit=1", editor, "").JSON(t, &list)
	if len(list.Events) != 1 || list.NextCursor == "" {
		t.Fatalf("page 1: %+v", list)
	}
	first := list.Events[0]
	app.API("GET", "/api/v1/events?service=bookbot-api&limit=1&cursor="+list.NextCursor, editor, "").JSON(t, &list)
	if len(list.Events) != 1 || list.Events[0].ID == first.ID || list.NextCursor != "" {
		t.Fatalf("page 2: %+v", list)
	}
	for q, status := range map[string]int{"?kind=incident": 400, "?from=yesterday": 400, "?limit=0": 400, "?cursor=zzz": 400, "?q=bookbot": 200} {
		if res := app.API("GET", "/api/v1/events"+q, editor, ""); res.StatusCode != status {
			t.Errorf("%s: %d, want %d", q, res.StatusCode, status)
		}
	}
	if res := app.API("POST", "/api/v1/events", app.Token(models.RoleViewer), batch); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer post: %d", res.StatusCode)
	}
	one := app.API("GET", fmt.Sprintf("/api/v1/events/%d", first.ID), editor, "")
	if one.StatusCode != http.StatusOK || !strings.Contains(one.Body, `"history":[{"status"`) {
		t.Errorf("get: %d %s", one.StatusCode, one.Body)
	}
}
