package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/models"
)

// TestFirstRunSetupToEditIncident walks a new installation from the setup
// page to an edited incident, on both databases.
func TestFirstRunSetupToEditIncident(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	for _, d := range []models.Dialect{models.SQLite, models.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			app := apptest.Start(t, d, nil)
			b := newBrowser(t, app.URL)
			firstRunFlow(t, app, b)
		})
	}
}

func firstRunFlow(t *testing.T, app *apptest.App, b *Browser) {
	// A fresh installation sends every page to /setup.
	b.open("/")
	b.waitVisible("#password_confirm")
	b.expectPath("/setup")
	b.expectText("h1", "Welcome to Hindsight")

	b.typeInto("#name", "Ada Admin")
	b.typeInto("#email", "ada@example.com")
	b.typeInto("#password", "a long enough password")
	b.typeInto("#password_confirm", "a long enough password")
	b.clickAndWaitForPage(`form[action="/setup"] button[type="submit"]`)

	// Signed in as the first admin, on the incident list.
	b.expectPath("/incidents")
	b.expectText(".flash", "first admin")
	b.expectText(`header a[href="/settings/profile"]`, "Ada Admin")
	b.expectCount(`header a[href="/settings/users"]`, 1)
	// static/app.js ran (it is allowed by the CSP) and told the server the
	// browser's zone.
	if zone := b.text("#incident-results .zone"); !strings.Contains(zone, browserZone) {
		t.Fatalf("the list shows times in %q, want the browser's zone %s (set by static/app.js)", zone, browserZone)
	}

	// Another incident, so that the list has something to filter out.
	admin, err := app.Store.UserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatalf("the admin created through /setup: %v", err)
	}
	other, err := app.Store.CreateIncident(context.Background(), models.IncidentInput{
		Title: "Primary database failover", Severity: "SEV1", Status: models.StatusPublished,
		Environment: "production", StartedAt: time.Date(2022, 10, 2, 8, 0, 0, 0, time.UTC),
		Services: []string{"postgres"}, Tags: []string{"database"}, Summary: "Failover took 4 minutes.",
	}, &admin.ID)
	if err != nil {
		t.Fatal(err)
	}

	// New incident.
	b.clickAndWaitForPage(`#main a.button[href="/incidents/new"]`)
	b.expectPath("/incidents/new")
	b.waitVisible("#title")
	b.expectText("p.zone", browserZone)
	b.typeInto("#title", "Chat replies stalled")
	b.setValue("#severity", "SEV2")
	b.setValue("#started_at", "2022-11-17T11:45")
	b.typeInto("#services", "bookbot-api, bookbot-chat")
	b.typeInto("#tags", "chat, latency")
	b.setValue("#summary", "Replies stalled for 40 minutes; this part is **bold**.\n\n- the queue backed up\n- retries made it worse")
	b.clickAndWaitForPage(`#main form[action="/incidents"][method="post"] button[type="submit"]`)

	// The incident's page.
	showPath := b.path()
	if !strings.HasPrefix(showPath, "/incidents/") || strings.Count(showPath, "/") != 2 {
		t.Fatalf("after creating, the page is %s; want /incidents/<id>", showPath)
	}
	id := strings.TrimPrefix(showPath, "/incidents/")
	b.expectText(".flash", "INC-"+id+" created")
	b.expectText("#main h1", "Chat replies stalled")
	b.expectText("#main .sev", "SEV2")
	if got := b.text(".prose strong"); got != "bold" {
		t.Fatalf("the summary's Markdown rendered <strong>%s</strong>, want <strong>bold</strong>", got)
	}
	if html := eval[string](b, `document.querySelector(".prose").innerHTML`); !strings.Contains(html, "<strong>bold</strong>") || strings.Contains(html, "**") || !strings.Contains(html, "<li>the queue backed up</li>") {
		t.Fatalf("the summary is not rendered Markdown:\n%s", html)
	}
	chips := eval[[]string](b, `[...document.querySelectorAll("dl.facts dd .chip")].map(e => e.textContent)`)
	if strings.Join(chips, ",") != "bookbot-api,bookbot-chat" {
		t.Fatalf("service chips are %q, want bookbot-api and bookbot-chat", chips)
	}
	b.expectPageText("#chat")
	b.expectPageText("#latency")
	b.expectText(".card h2 .zone", browserZone)
	// 11:45 typed in the browser's zone is 10:45 UTC in November.
	started := eval[[]string](b, `(t => [t.textContent, t.getAttribute("datetime")])(document.querySelector("dl.facts time"))`)
	if started[0] != "2022-11-17 11:45 CET" || started[1] != "2022-11-17T10:45:00Z" {
		t.Fatalf("impact started shows %q (datetime %q), want 2022-11-17 11:45 CET (2022-11-17T10:45:00Z)", started[0], started[1])
	}
	b.expectPageText("Version 1")

	// The list has both incidents.
	b.open("/incidents")
	b.waitVisible("#incident-results table")
	rows := `#incident-results tbody tr`
	b.expectCount(rows, 2)
	mine := fmt.Sprintf(`#incident-results td:nth-child(2) a[href="/incidents/%s"]`, id)
	b.expectText(mine, "Chat replies stalled")
	b.expectText("#incident-results .muted", "2 incidents")

	// Typing in the search box filters the rows in place (htmx), without
	// loading a new page, and puts the query in the address bar.
	if !eval[bool](b, `typeof htmx === "object"`) {
		t.Fatal("htmx did not load on the incident list")
	}
	b.markDocument()
	b.typeInto(`form.filters input[name="q"]`, "stalled")
	b.waitFor("the search to leave one row", fmt.Sprintf(
		`document.querySelectorAll(%s).length === 1 && document.querySelector(%s) !== null`, jsString(rows), jsString(mine)))
	if !b.sameDocument() {
		t.Fatal("typing in the search box loaded a new page; htmx should have swapped #incident-results in place")
	}
	b.expectText("#incident-results .muted", "1 incident")
	b.waitFor("htmx to push the search into the URL", `location.search.includes("q=stalled")`)

	// Changing a select filters in place too.
	b.setValue(`form.filters select[name="severity"]`, "SEV1")
	b.waitFor("the SEV1 filter to leave no row of ours", fmt.Sprintf(
		`document.querySelector(%s) === null && document.querySelector("#incident-results tbody td[colspan]") !== null`, jsString(mine)))
	b.expectText("#incident-results tbody", "No incidents match")
	if !b.sameDocument() {
		t.Fatal("changing the severity select loaded a new page; htmx should have swapped #incident-results in place")
	}

	// Submitting the filter form the classic way works as well: a GET with
	// the filters in the query and the choices kept in the form.
	b.open("/incidents")
	b.waitVisible("form.filters")
	eval[bool](b, `(f => { f.elements.severity.value = "SEV2"; f.elements.service.value = "bookbot-chat"; return true })(document.querySelector("form.filters"))`)
	b.clickAndWaitForPage(`form.filters button[type="submit"]`)
	if p := b.path(); !strings.Contains(p, "severity=SEV2") || !strings.Contains(p, "service=bookbot-chat") {
		t.Fatalf("the filter form went to %s, want severity=SEV2 and service=bookbot-chat in the query", p)
	}
	b.expectCount(rows, 1)
	b.expectText(mine, "Chat replies stalled")
	b.expectValue(`form.filters select[name="severity"]`, "SEV2")
	b.expectValue(`form.filters select[name="service"]`, "bookbot-chat")
	b.expectCount(fmt.Sprintf(`#incident-results a[href="/incidents/%d"]`, other.ID), 0)

	// Open it, edit it.
	b.clickAndWaitForPage(mine)
	b.expectPath(showPath)
	b.clickAndWaitForPage(fmt.Sprintf(`#main a.button[href="/incidents/%s/edit"]`, id))
	b.expectPath(showPath + "/edit")
	b.waitVisible("#title")
	b.expectValue("#title", "Chat replies stalled")
	b.expectValue("#started_at", "2022-11-17T11:45")
	b.expectValue("#services", "bookbot-api, bookbot-chat")
	b.expectValue("#severity", "SEV2")
	b.expectValue(`input[name="version"]`, "1")
	b.replaceText("#title", "Chat replies stalled after deploy")
	b.clickAndWaitForPage(fmt.Sprintf(`#main form[action="/incidents/%s"] button[type="submit"]`, id))

	b.expectPath(showPath)
	b.expectText(".flash", "INC-"+id+" saved")
	b.expectText("#main h1", "Chat replies stalled after deploy")
	b.expectPageText("Version 2")
	// The edit kept what it did not touch.
	b.expectText("dl.facts time", "2022-11-17 11:45 CET")
	b.expectText(".prose strong", "bold")
}
