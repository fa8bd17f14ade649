package server_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/models"
)

func TestActionPagesAndDashboard(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.User("root@example.com", models.RoleAdmin)
	editor := app.SignedIn("maya@example.com", models.RoleEditor)
	ctx := context.Background()
	maya, _ := app.Store.UserByEmail(ctx, "maya@example.com")
	inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2", Status: "draft",
		StartedAt: mustTime("2022-11-17T10:45:00Z")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/incidents/%d", inc.ID)

	// A vague, ownerless action is accepted with hints on the form; an
	// invalid one re-renders with 422 and the typed values.
	if res := editor.Get(base + "/actions/new"); res.StatusCode != http.StatusOK {
		t.Fatalf("new form: %d", res.StatusCode)
	}
	bad := editor.PostForm(base+"/actions", url.Values{"title": {"Look into monitoring"}, "status": {"wont_do"}, "due_date": {"soon"}})
	if bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "YYYY-MM-DD") || !strings.Contains(bad.Body, `value="Look into monitoring"`) ||
		!strings.Contains(bad.Body, "Make it actionable") {
		t.Fatalf("invalid action: %d", bad.StatusCode)
	}
	res := editor.PostForm(base+"/actions", url.Values{"title": {"=HYPERLINK(\"x\") Add integration tests for every primary endpoint"},
		"owner": {fmt.Sprint(maya.ID)}, "due_date": {"2022-12-15"}, "priority": {"P2"}, "kind": {"prevent"}, "status": {"open"},
		"tracker_url": {"https://github.com/reading-co/bookbot/issues/88"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	show := editor.Get(base)
	if !strings.Contains(show.Body, "Add integration tests") || !strings.Contains(show.Body, "reading-co/bookbot#88") {
		t.Errorf("incident page lacks the action")
	}
	list, _ := app.Store.IncidentActions(ctx, inc.ID)
	a := list[0]

	// Two people edit version 1: the second gets a 409 and keeps their text.
	form := url.Values{"title": {"Integration tests for the reply endpoint"}, "owner": {fmt.Sprint(maya.ID)}, "priority": {"P2"},
		"kind": {"prevent"}, "status": {"in_progress"}, "version": {"1"}, "due_date": {"2022-12-15"}}
	if res := editor.PostForm(fmt.Sprintf("/actions/%d", a.ID), form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.StatusCode, res.Body)
	}
	form.Set("title", "Someone else's title")
	conflict := editor.PostForm(fmt.Sprintf("/actions/%d", a.ID), form)
	if conflict.StatusCode != http.StatusConflict || !strings.Contains(conflict.Body, "Someone else&#39;s title") {
		t.Fatalf("stale edit: %d", conflict.StatusCode)
	}

	other, _ := app.Store.CreateAction(ctx, inc.ID, models.ActionInput{Title: "Merge big refactors off-peak", Team: "platform", Status: "done"}, nil)
	_ = other
	dash := editor.Get("/actions")
	if dash.StatusCode != http.StatusOK || !strings.Contains(dash.Body, `<span class="figure">1</span> open`) ||
		!strings.Contains(dash.Body, `<span class="figure">1</span> overdue`) || !strings.Contains(dash.Body, "50%") {
		t.Errorf("dashboard figures: %d %s", dash.StatusCode, dash.Body)
	}
	if n := strings.Count(dash.Body, `role="img"`); n != 3 {
		t.Errorf("dashboard has %d charts, want 3", n)
	}
	mine := editor.Get("/actions?owner=me")
	if !strings.Contains(mine.Body, "Integration tests for the reply endpoint") || strings.Contains(mine.Body, "Merge big refactors") {
		t.Error("my actions shows the wrong rows")
	}
	if res := editor.Get("/actions?status=closed"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad filter: %d", res.StatusCode)
	}
	csvRes := editor.Get("/actions.csv?team=platform")
	rows, err := csv.NewReader(strings.NewReader(csvRes.Body)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][2] != "Merge big refactors off-peak" || !strings.HasPrefix(csvRes.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("csv: %v %v", rows, err)
	}
	// Formulas are neutralised in exports.
	app.Store.CreateAction(ctx, inc.ID, models.ActionInput{Title: "=cmd|' /C calc'!A0", Team: "sec"}, nil)
	rows, _ = csv.NewReader(strings.NewReader(editor.Get("/actions.csv?team=sec").Body)).ReadAll()
	if len(rows) != 2 || !strings.HasPrefix(rows[1][2], "'=") {
		t.Errorf("formula not neutralised: %v", rows)
	}
}

func TestIncidentListFollowUp(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.User("root@example.com", models.RoleAdmin)
	b := app.SignedIn("viewer@example.com", models.RoleViewer)
	ctx := context.Background()
	mk := func(title string) *models.Incident {
		inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: title, Severity: "SEV3", Status: "draft", StartedAt: mustTime("2022-11-17T10:45:00Z")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return inc
	}
	open, closed, none := mk("Has open actions"), mk("All actions closed"), mk("No actions")
	_ = none
	past, _ := models.ParseDate("2022-12-01")
	app.Store.CreateAction(ctx, open.ID, models.ActionInput{Title: "Alert on cache misses", DueDate: &past}, nil)
	app.Store.CreateAction(ctx, open.ID, models.ActionInput{Title: "Read-only consoles"}, nil)
	app.Store.CreateAction(ctx, closed.ID, models.ActionInput{Title: "Validate YAML in CI", Status: "done"}, nil)
	app.Store.CreateAction(ctx, closed.ID, models.ActionInput{Title: "Rewrite scheduler", Status: "wont_do", Reason: "the YAML check covers it"}, nil)
	body := b.Get("/incidents").Body
	for _, want := range []string{"2 open</a>, <strong class=\"overdue\">1 overdue</strong>", "follow-up complete", "no actions"} {
		if !strings.Contains(body, want) {
			t.Errorf("incident list lacks %q", want)
		}
	}
}
