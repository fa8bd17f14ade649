package server_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"hindsight/ingest/kinds"
	"hindsight/internal/apptest"
	"hindsight/models"
)

func TestIntegrationSettingsPages(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.User("root@example.com", models.RoleAdmin)
	admin := app.SignedIn("admin@example.com", models.RoleAdmin)

	if res := admin.PostForm("/settings/integrations", url.Values{"kind": {"nagios"}, "name": {"x"}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "choose one of") {
		t.Fatalf("unknown kind: %d", res.StatusCode)
	}
	res := admin.PostForm("/settings/integrations", url.Values{"kind": {"sentry"}, "name": {"Sentry production"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	page := admin.Get(res.Header.Get("Location"))
	id := strings.TrimPrefix(res.Header.Get("Location"), "/settings/integrations/")
	if !strings.Contains(page.Body, app.Config.BaseURL.String()+"/hooks/"+id) || !strings.Contains(page.Body, "Sentry-Hook-Signature") && !strings.Contains(page.Body, "Client Secret") {
		t.Errorf("the page lacks the hook URL or the set-up text")
	}

	// Sentry generates its own client secret: the admin pastes it.
	if res := admin.PostForm("/settings/integrations/"+id+"/secret", url.Values{"secret": {"short"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("short secret: %d", res.StatusCode)
	}
	sentrySecret := "4f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e"
	if res := admin.PostForm("/settings/integrations/"+id+"/secret", url.Values{"secret": {sentrySecret}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("paste secret: %d %s", res.StatusCode, res.Body)
	}
	body, _ := os.ReadFile("../ingest/sentry/testdata/issue_created.json")
	hook := app.API("POST", "/hooks/"+id, "", string(body), "Sentry-Hook-Resource", "issue", "Sentry-Hook-Signature", hexHMAC(sentrySecret, body))
	if hook.StatusCode != http.StatusAccepted {
		t.Fatalf("signed with the pasted secret: %d %s", hook.StatusCode, hook.Body)
	}

	// Mapping: a rename and a severity; a malformed line is refused.
	if res := admin.PostForm("/settings/integrations/"+id+"/settings", url.Values{"services": {"no equals sign"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad mapping line: %d", res.StatusCode)
	}
	if res := admin.PostForm("/settings/integrations/"+id+"/settings", url.Values{"severities": {"error = urgent"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad severity level: %d", res.StatusCode)
	}
	res = admin.PostForm("/settings/integrations/"+id+"/settings", url.Values{"services": {"bookbot-api = bookbot"}, "severities": {"error = critical"}, "environment": {"production"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save mapping: %d %s", res.StatusCode, res.Body)
	}
	resolved, _ := os.ReadFile("../ingest/sentry/testdata/issue_resolved.json")
	app.API("POST", "/hooks/"+id, "", string(resolved), "Sentry-Hook-Resource", "issue", "Sentry-Hook-Signature", hexHMAC(sentrySecret, resolved), "Request-ID", "r2")
	events, _ := app.Store.ListEvents(context.Background(), models.EventFilter{})
	if len(events.Events) != 1 || events.Events[0].Service != "bookbot" || events.Events[0].Severity != "critical" || events.Events[0].Environment != "production" {
		t.Errorf("mapping not applied on the update: %+v", events.Events)
	}

	// The events pages show it, with the raw payload and the history.
	list := admin.Get("/events?service=bookbot")
	if !strings.Contains(list.Body, "/events/") || !strings.Contains(list.Body, `hx-trigger="every 5s"`) {
		t.Errorf("events list: %d", list.StatusCode)
	}
	show := admin.Get("/events/" + strconv.FormatInt(events.Events[0].ID, 10))
	if show.StatusCode != http.StatusOK || !strings.Contains(show.Body, "Status history") || !strings.Contains(show.Body, "Raw payload") {
		t.Errorf("event page: %d", show.StatusCode)
	}
	if res := admin.Get("/events?from=notatime"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad from: %d", res.StatusCode)
	}
	if res := admin.Get("/events/999999"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown event: %d", res.StatusCode)
	}

	// Rotation: the old secret stops working.
	before, _ := app.Store.IntegrationByID(context.Background(), id)
	admin.PostForm("/settings/integrations/"+id+"/rotate", nil)
	old := app.API("POST", "/hooks/"+id, "", string(body), "Sentry-Hook-Resource", "issue", "Sentry-Hook-Signature", hexHMAC(before.Secret, body), "Request-ID", "r3")
	if old.StatusCode != http.StatusUnauthorized {
		t.Errorf("old secret after rotation: %d", old.StatusCode)
	}
	if res := admin.PostForm("/settings/integrations/"+id+"/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", res.StatusCode)
	}
	if events, _ := app.Store.ListEvents(context.Background(), models.EventFilter{}); len(events.Events) != 1 {
		t.Errorf("deleting the integration lost its events")
	}
}

// TestReparseAppliesANewMapping: events received before a mapping change
// are updated by re-parsing their stored payloads.
func TestReparseAppliesANewMapping(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.User("root@example.com", models.RoleAdmin)
	admin := app.SignedIn("admin@example.com", models.RoleAdmin)
	ctx := context.Background()
	integ, _ := app.Store.CreateIntegration(ctx, "alertmanager", "am", kinds.Names())
	body, _ := os.ReadFile("../ingest/alertmanager/testdata/firing.json")
	if res := app.API("POST", "/hooks/"+integ.ID, "", string(body), "Authorization", "Bearer "+integ.Secret); res.StatusCode != http.StatusAccepted {
		t.Fatalf("hook: %d", res.StatusCode)
	}
	events, _ := app.Store.ListEvents(ctx, models.EventFilter{})
	if events.Events[0].Service != "checkout" {
		t.Fatalf("service before = %q", events.Events[0].Service)
	}
	admin.PostForm("/settings/integrations/"+integ.ID+"/settings", url.Values{"services": {"checkout = checkout-web"}})
	res := admin.PostForm("/settings/integrations/"+integ.ID+"/reparse", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reparse: %d %s", res.StatusCode, res.Body)
	}
	page := admin.Get(res.Header.Get("Location"))
	if !strings.Contains(page.Body, "Re-parsed 1 stored deliveries: 1 events updated") {
		t.Errorf("flash missing: %s", page.Body)
	}
	events, _ = app.Store.ListEvents(ctx, models.EventFilter{})
	if len(events.Events) != 1 || events.Events[0].Service != "checkout-web" {
		t.Fatalf("after re-parse: %+v", events.Events)
	}
	// Re-parsing again changes nothing.
	again := admin.PostForm("/settings/integrations/"+integ.ID+"/reparse", nil)
	if page := admin.Get(again.Header.Get("Location")); !strings.Contains(page.Body, "0 events updated, 1 unchanged") {
		t.Errorf("second re-parse flash: %s", page.Body)
	}
}
