package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/models"
)

func incidentForm(title string) url.Values {
	return url.Values{
		"title": {title}, "severity": {"SEV2"}, "status": {"draft"}, "environment": {"production"},
		"started_at": {"2022-11-17T11:45"}, "detected_at": {"2022-11-17T11:47"},
		"services": {"bookbot-api, bookbot-chat"}, "tags": {"migration"}, "summary": {"The **schema** lagged.\n\n<script>alert(1)</script>"},
	}
}

func TestIncidentPages(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.User("root@example.com", models.RoleAdmin)
	editor := app.SignedIn("editor@example.com", models.RoleEditor)

	// Invalid input: 422, field messages, typed values kept.
	bad := incidentForm("")
	bad.Set("detected_at", "2022-11-17T11:00")
	res := editor.PostForm("/incidents", bad)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "enter a title") ||
		!strings.Contains(res.Body, "must not be before the impact start") || !strings.Contains(res.Body, `value="bookbot-api, bookbot-chat"`) {
		t.Fatalf("invalid form: %d %s", res.StatusCode, res.Body)
	}
	garbled := incidentForm("x")
	garbled.Set("started_at", "last tuesday")
	if res := editor.PostForm("/incidents", garbled); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "YYYY-MM-DD HH:MM") {
		t.Fatalf("garbled time: %d", res.StatusCode)
	}

	res = editor.PostForm("/incidents", incidentForm("Chatbot answered with errors"))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	loc := res.Header.Get("Location")
	show := editor.Get(loc)
	for _, want := range []string{"Chatbot answered with errors", "<strong>schema</strong>", "bookbot-chat", "INC-1 created", "UTC"} {
		if !strings.Contains(show.Body, want) {
			t.Errorf("show page lacks %q", want)
		}
	}
	if strings.Contains(show.Body, "<script>alert") {
		t.Error("raw HTML from the summary reached the page")
	}
	if list := editor.Get("/incidents?q=chatbot"); !strings.Contains(list.Body, loc) {
		t.Error("the list does not show the new incident")
	}

	// Two people edit from version 1; the second save gets a conflict page
	// with the other person's version, and nothing is overwritten.
	first := incidentForm("Chatbot errors after a deploy")
	first.Set("version", "1")
	if res := editor.PostForm(loc, first); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first save: %d %s", res.StatusCode, res.Body)
	}
	second := incidentForm("A different title")
	second.Set("version", "1")
	conflict := editor.PostForm(loc, second)
	if conflict.StatusCode != http.StatusConflict || !strings.Contains(conflict.Body, "Someone else saved") ||
		!strings.Contains(conflict.Body, "Chatbot errors after a deploy") || !strings.Contains(conflict.Body, `value="A different title"`) {
		t.Fatalf("conflict: %d", conflict.StatusCode)
	}
	inc, _ := app.Store.Incident(context.Background(), 1)
	if inc.Title != "Chatbot errors after a deploy" || inc.Version != 2 {
		t.Fatalf("after conflict: %q v%d", inc.Title, inc.Version)
	}

	// Deleting needs an admin and the typed key.
	if res := editor.PostForm(loc+"/delete", url.Values{"confirm": {"INC-1"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("editor delete: %d", res.StatusCode)
	}
	admin := app.SignedIn("admin@example.com", models.RoleAdmin)
	if res := admin.PostForm(loc+"/delete", url.Values{"confirm": {"yes"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("delete without the key: %d", res.StatusCode)
	}
	if res := admin.PostForm(loc+"/delete", url.Values{"confirm": {"INC-1"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", res.StatusCode)
	}
	if res := admin.Get(loc); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleted incident: %d", res.StatusCode)
	}
	if res := admin.Get("/incidents/INC-x"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad id: %d", res.StatusCode)
	}
}

func TestTimesShownInViewerZone(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.User("root@example.com", models.RoleAdmin)
	b := app.SignedIn("viewer@example.com", models.RoleViewer)
	in := models.IncidentInput{Title: "Zone check", Severity: "SEV3", Status: "draft", StartedAt: mustTime("2022-11-17T10:45:00Z")}
	inc, err := app.Store.CreateIncident(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/incidents/%d", inc.ID)
	if body := b.Get(path).Body; !strings.Contains(body, "2022-11-17 10:45 UTC") {
		t.Error("default zone is not UTC")
	}
	if res := b.PostForm("/settings/profile", url.Values{"time_zone": {"Mars/Olympus"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad zone: %d", res.StatusCode)
	}
	if res := b.PostForm("/settings/profile", url.Values{"time_zone": {"Europe/Amsterdam"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save zone: %d", res.StatusCode)
	}
	body := b.Get(path).Body
	if !strings.Contains(body, "2022-11-17 11:45 CET") || !strings.Contains(body, `title="2022-11-17 10:45:00 UTC"`) {
		t.Error("times are not shown in Europe/Amsterdam with UTC on hover")
	}
}
