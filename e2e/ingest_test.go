package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hindsight/ingest"
	"hindsight/ingest/kinds"
	"hindsight/internal/apptest"
	"hindsight/models"
)

// pollWait bounds the wait for the events list to pick up a new event by
// itself: it polls every 5 s, so two rounds and some slack.
const pollWait = 12 * time.Second

// TestIntegrationSetupAndLiveEvents sets up an Alertmanager integration in
// the browser, sends its webhooks as Alertmanager would, and follows the
// alert from the live events list to its page and back to the deliveries,
// on both databases.
func TestIntegrationSetupAndLiveEvents(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	for _, d := range []models.Dialect{models.SQLite, models.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			app := apptest.Start(t, d, nil)
			app.User("admin@example.com", models.RoleAdmin)
			b := newBrowser(t, app.URL)
			integrationFlow(t, app, b)
		})
	}
}

func integrationFlow(t *testing.T, app *apptest.App, b *Browser) {
	firing := readFixture(t, "firing.json")
	resolved := readFixture(t, "resolved.json")

	b.signIn("admin@example.com", apptest.Password)
	b.clickAndWaitForPage(`header a[href="/settings/integrations"]`)
	b.expectPath("/settings/integrations")
	b.expectText("#main h1", "Integrations")
	b.expectText("#main tbody", "No integrations yet")

	// Create the integration.
	b.expectValue("#int-kind", "alertmanager") // the form's default
	b.setValue("#int-kind", "alertmanager")
	b.typeInto("#int-name", "Production Alertmanager")
	b.clickAndWaitForPage(`#main form[action="/settings/integrations"] button[type="submit"]`)

	// Its page: the URL, the secret and the receiver to paste.
	showPath := b.path()
	id := strings.TrimPrefix(showPath, "/settings/integrations/")
	if !strings.HasPrefix(showPath, "/settings/integrations/") || id == "" || strings.Contains(id, "/") {
		t.Fatalf("after creating the integration the page is %s; want /settings/integrations/<id>", showPath)
	}
	b.expectText(".flash", "Integration created")
	b.expectText("#main h1", "Production Alertmanager")
	b.expectText("#main h1 .chip", "Prometheus Alertmanager")
	hookURL := b.text("#hook-url")
	if want := app.Config.BaseURL.String() + "/hooks/" + id; hookURL != want {
		t.Fatalf("the webhook URL reads %q, want %q (the public base URL and the integration's id)", hookURL, want)
	}
	secret := b.text("#hook-secret")
	if len(secret) < 20 || strings.ContainsAny(secret, " \n") {
		t.Fatalf("the secret reads %q; want a long random token", secret)
	}
	config := b.text("#setup-config")
	for _, want := range []string{
		"url: " + fmt.Sprintf("%q", hookURL),
		"credentials: " + fmt.Sprintf("%q", secret),
		"type: Bearer",
		"send_resolved: true",
		"- name: hindsight",
	} {
		if !strings.Contains(config, want) {
			t.Fatalf("the Alertmanager configuration lacks %q:\n%s", want, config)
		}
	}
	if got := tableAfterHeading(b, "Recent deliveries"); len(got) != 1 || !strings.Contains(got[0][0], "Nothing received yet") {
		t.Fatalf("a new integration's deliveries are %q; want the empty state", got)
	}
	u, err := url.Parse(hookURL)
	if err != nil {
		t.Fatalf("the webhook URL %q: %v", hookURL, err)
	}
	// The page shows the public URL; the test server listens elsewhere.
	hookPath := u.Path

	// The events list, still empty, polling by itself.
	b.clickAndWaitForPage(`header a[href="/events"]`)
	b.expectPath("/events")
	b.expectText("#main h1", "Events")
	b.expectText("#event-results tbody td[colspan]", "No events match")
	b.expectText("#event-results .pager", "Updates by itself every few seconds")
	if !eval[bool](b, `typeof htmx === "object"`) {
		t.Fatal("htmx did not load on the events list")
	}
	b.markDocument()

	// A wrong secret is refused (and stores nothing: see the deliveries at
	// the end); the page's secret works.
	if res := app.API(http.MethodPost, hookPath, "", firing, "Authorization", "Bearer not-the-secret"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("webhook with a wrong secret: %d %s, want 401", res.StatusCode, res.Body)
	}
	expectIngested(t, app.API(http.MethodPost, hookPath, "", firing, "Authorization", "Bearer "+secret), 1, 0)

	// The row appears without a reload.
	b.waitForWithin("the events list to show the alert by itself", `document.querySelector("#event-results tbody a[href^='/events/']") !== null`, pollWait)
	if !b.sameDocument() {
		t.Fatal("the events list loaded a new page; htmx should have swapped #event-results in place")
	}
	rows := eventRows(b)
	if len(rows) != 1 {
		t.Fatalf("the events list shows %d rows after one alert, want 1: %+v", len(rows), rows)
	}
	r := rows[0]
	want := eventRow{
		Title: "Checkout 5xx ratio above 5%", Severity: "critical", Kind: "alert", Status: "firing",
		Service: "checkout · production", Source: "alertmanager",
		Time: "2024-03-11 10:14 CET", Datetime: "2024-03-11T09:14:05Z",
	}
	want.Href = r.Href
	if r != want {
		t.Fatalf("the alert's row is\n  %+v\nwant\n  %+v", r, want)
	}
	eventPath := r.Href
	if !strings.HasPrefix(eventPath, "/events/") {
		t.Fatalf("the alert links to %q, want /events/<id>", eventPath)
	}
	// The swapped-in list keeps polling.
	b.expectCount(`#event-results[hx-trigger="every 5s"]`, 1)

	// The event's page.
	b.clickAndWaitForPage(fmt.Sprintf(`#event-results a[href=%q]`, eventPath))
	b.expectPath(eventPath)
	b.expectText("#main h1", "Checkout 5xx ratio above 5%")
	b.expectText("#main .event-status.firing", "firing")
	b.expectPageText("not ended")
	if got := factTime(b, "Starts"); got != "2024-03-11T09:14:05Z" {
		t.Fatalf("the event starts at %q, want 2024-03-11T09:14:05Z", got)
	}
	b.expectText(".prose", "12.4% of checkout requests failed")
	if got := tableAfterHeading(b, "Status history"); len(got) != 1 || got[0][0] != "firing" {
		t.Fatalf("the status history is %q; want one firing row", got)
	}
	if got := tableAfterHeading(b, "Labels"); !containsRow(got, "alertname", "CheckoutHighErrorRate") {
		t.Fatalf("the labels are %q; want alertname CheckoutHighErrorRate", got)
	}
	b.expectPageText("Raw payload of the latest delivery")
	payload := b.text("pre.payload")
	for _, want := range []string{`"fingerprint": "3f9a1c2b7e8d4a60"`, `"status": "firing"`, `"receiver": "hindsight"`} {
		if !strings.Contains(payload, want) {
			t.Fatalf("the raw payload lacks %s:\n%s", want, payload)
		}
	}

	// Alertmanager resolves the alert: the same event, one more status.
	expectIngested(t, app.API(http.MethodPost, hookPath, "", resolved, "Authorization", "Bearer "+secret), 1, 0)
	b.markDocument()
	b.do("reload the event", chromedp.Reload())
	b.waitForNewDocument("after reloading the event")
	b.expectPath(eventPath)
	b.expectText("#main .event-status.resolved", "resolved")
	b.expectCount("#main .event-status.firing", 0)
	history := tableAfterHeading(b, "Status history")
	if len(history) != 2 || history[0][0] != "firing" || history[1][0] != "resolved" {
		t.Fatalf("the status history is %q; want firing then resolved", history)
	}
	if got := factTime(b, "Ends"); got != "2024-03-11T09:52:35Z" {
		t.Fatalf("the event's end is %q, want 2024-03-11T09:52:35Z", got)
	}
	if payload := b.text("pre.payload"); !strings.Contains(payload, `"status": "resolved"`) {
		t.Fatalf("the raw payload is not the resolve's:\n%s", payload)
	}

	// Alertmanager sends the resolve again: a redelivery, nothing new.
	expectIngested(t, app.API(http.MethodPost, hookPath, "", resolved, "Authorization", "Bearer "+secret), 0, 1)

	// Back on the integration: its deliveries, newest first.
	b.clickAndWaitForPage(`header a[href="/settings/integrations"]`)
	list := tableAfterHeading(b, "Integrations")
	if len(list) != 1 || list[0][0] != "Production Alertmanager" || list[0][1] != "alertmanager" || strings.Contains(list[0][2], "none yet") {
		t.Fatalf("the integrations are %q; want Production Alertmanager with a last delivery", list)
	}
	b.clickAndWaitForPage(fmt.Sprintf(`#main a[href=%q]`, showPath))
	b.expectPath(showPath)
	deliveries := tableAfterHeading(b, "Recent deliveries")
	if len(deliveries) != 2 {
		t.Fatalf("the integration lists %d deliveries, want 2: %q", len(deliveries), deliveries)
	}
	// Columns: received, key, events, accepted, duplicates, redelivered.
	for i, wantRedelivered := range []string{"1", "0"} {
		d := deliveries[i]
		if !strings.HasPrefix(d[1], "sha256:") || d[2] != "1" || d[3] != "1" || d[4] != "0" || d[5] != wantRedelivered {
			t.Fatalf("delivery %d is %q; want a sha256 key, 1 event, 1 accepted, 0 duplicates, redelivered %s", i, d, wantRedelivered)
		}
	}
	if deliveries[0][1] == deliveries[1][1] {
		t.Fatalf("the firing and the resolve have the same key %q", deliveries[0][1])
	}
}

// TestIntegrationMappingForm edits an integration's mapping in the browser:
// a malformed line is refused with what was typed kept, a valid mapping
// renames the service and maps the severity of the next alert.
func TestIntegrationMappingForm(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.User("admin@example.com", models.RoleAdmin)
	in, err := app.Store.CreateIntegration(context.Background(), "alertmanager", "Staging Alertmanager", kinds.Names())
	if err != nil {
		t.Fatal(err)
	}
	showPath := "/settings/integrations/" + in.ID
	b := newBrowser(t, app.URL)
	b.signIn("admin@example.com", apptest.Password)

	b.open(showPath)
	b.waitVisible("#services")
	b.expectValue("#services", "")
	b.expectValue("#severities", "")
	b.expectCount(`#main .error[role="alert"]`, 0)
	save := fmt.Sprintf(`#main form[action="/settings/integrations/%s/settings"] button[type="submit"]`, in.ID)

	// The second line has no "=": refused, on the field, nothing lost.
	b.typeInto("#services", "checkout = checkout-api\nno equals sign here")
	b.typeInto("#severities", "critical = high")
	b.typeInto("#environment", "staging")
	if status := b.clickStatus(save); status != http.StatusUnprocessableEntity {
		t.Fatalf("saving a malformed services line: status %d, want 422", status)
	}
	b.expectPath(showPath + "/settings")
	b.expectText("#services + .error", "line 2: write it as `value = replacement`")
	b.expectCount(`#main .error[role="alert"]`, 1)
	if got := normalizeNewlines(b.value("#services")); got != "checkout = checkout-api\nno equals sign here" {
		t.Fatalf("the services field holds %q after the error; want what was typed", got)
	}
	b.expectValue("#severities", "critical = high")
	b.expectValue("#environment", "staging")
	b.expectText("#hook-url", "/hooks/"+in.ID) // still the integration's page
	if got := mappingOf(t, app, in.ID); len(got.Services) != 0 || len(got.Severities) != 0 || got.Environment != "" {
		t.Fatalf("the refused form changed the mapping: %+v", got)
	}

	// Fixed: saved, and shown back as saved.
	b.replaceText("#services", "checkout = checkout-api")
	if status := b.clickStatus(save); status != http.StatusOK {
		t.Fatalf("saving a valid mapping: the page after it has status %d, want 200 (after the redirect)", status)
	}
	b.expectPath(showPath)
	b.expectText(".flash", "Mapping saved")
	b.expectCount(`#main .error[role="alert"]`, 0)
	if got := strings.TrimSpace(normalizeNewlines(b.value("#services"))); got != "checkout = checkout-api" {
		t.Fatalf("the saved services read %q, want checkout = checkout-api", got)
	}
	if got := strings.TrimSpace(normalizeNewlines(b.value("#severities"))); got != "critical = high" {
		t.Fatalf("the saved severities read %q, want critical = high", got)
	}
	b.expectValue("#environment", "staging")

	// The next alert goes through the mapping.
	secret := b.text("#hook-secret")
	expectIngested(t, app.API(http.MethodPost, "/hooks/"+in.ID, "", readFixture(t, "firing.json"), "Authorization", "Bearer "+secret), 1, 0)

	b.clickAndWaitForPage(`header a[href="/events"]`)
	b.waitVisible("form.filters")
	b.typeInto(`form.filters input[name="service"]`, "checkout-api")
	b.clickAndWaitForPage(`form.filters button[type="submit"]`)
	if p := b.path(); !strings.HasPrefix(p, "/events?") || !strings.Contains(p, "service=checkout-api") {
		t.Fatalf("the filter form went to %s, want /events with service=checkout-api", p)
	}
	b.expectValue(`form.filters input[name="service"]`, "checkout-api")
	rows := eventRows(b)
	// The alert says env=production, so the default environment stays unused.
	if len(rows) != 1 || rows[0].Title != "Checkout 5xx ratio above 5%" || rows[0].Service != "checkout-api · production" || rows[0].Severity != "high" {
		t.Fatalf("the events of service checkout-api are %+v; want the alert, renamed, with severity high", rows)
	}

	// Under its old name there is nothing.
	b.replaceText(`form.filters input[name="service"]`, "checkout")
	b.clickAndWaitForPage(`form.filters button[type="submit"]`)
	b.expectValue(`form.filters input[name="service"]`, "checkout")
	if rows := eventRows(b); len(rows) != 0 {
		t.Fatalf("service checkout still has events after the rename: %+v", rows)
	}
	b.expectText("#event-results tbody td[colspan]", "No events match")
}

// TestEventFilters seeds events through the API and narrows the events list
// with its filter form, then pages through it.
func TestEventFilters(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.User("admin@example.com", models.RoleAdmin) // past the first-run setup
	app.User("vera@example.com", models.RoleViewer)
	token := app.Token(models.RoleEditor)

	// 55 events in one batch, ten minutes apart: alerts and deploys in turn,
	// services a, a, b, b, …; every tenth alert is about latency.
	type seeded struct{ kind, service, title string }
	var events []seeded
	var batch []map[string]any
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := range 55 {
		s := seeded{kind: "alert", service: "a"}
		status := "firing"
		if i%2 == 1 {
			s.kind, status = "deploy", "succeeded"
		}
		if (i/2)%2 == 1 {
			s.service = "b"
		}
		switch {
		case i%10 == 4:
			s.title = fmt.Sprintf("Latency above SLO on %s (%02d)", s.service, i)
		case s.kind == "alert":
			s.title = fmt.Sprintf("Error rate high on %s (%02d)", s.service, i)
		default:
			s.title = fmt.Sprintf("Deploy %s build %02d", s.service, i)
		}
		events = append(events, s)
		batch = append(batch, map[string]any{
			"kind": s.kind, "source": "e2e", "dedup_key": fmt.Sprintf("e2e-%02d", i), "status": status,
			"title": s.title, "service": s.service, "environment": "production",
			"starts_at": start.Add(time.Duration(i) * 10 * time.Minute).Format(time.RFC3339),
		})
	}
	body, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	expectIngested(t, app.API(http.MethodPost, "/api/v1/events", token, string(body)), 55, 0)

	// titles lists the seeded events that match, newest first.
	titles := func(match func(seeded) bool) []string {
		var out []string
		for i := len(events) - 1; i >= 0; i-- {
			if match(events[i]) {
				out = append(out, events[i].title)
			}
		}
		return out
	}
	all := titles(func(seeded) bool { return true })

	b := newBrowser(t, app.URL)
	b.signIn("vera@example.com", apptest.Password)
	b.clickAndWaitForPage(`header a[href="/events"]`)
	b.expectPath("/events")

	// The first page: the 50 newest.
	if got := rowTitles(b); !slices.Equal(got, all[:50]) {
		t.Fatalf("the first page lists\n  %q\nwant the 50 newest\n  %q", got, all[:50])
	}
	b.expectCount(`#event-results[hx-trigger="every 5s"]`, 1)
	b.expectCount(`#event-results .pager a`, 1)

	// Older → shows the other 5, with a way back and no polling.
	b.clickAndWaitForPage(`#event-results .pager a[href*="cursor="]`)
	if p := b.path(); !strings.HasPrefix(p, "/events?") || !strings.Contains(p, "cursor=") {
		t.Fatalf("Older → went to %s, want /events?cursor=…", p)
	}
	b.expectText(`#event-results .pager a`, "Newest")
	if got := rowTitles(b); !slices.Equal(got, all[50:]) {
		t.Fatalf("the second page lists\n  %q\nwant the 5 oldest\n  %q", got, all[50:])
	}
	b.expectCount(`#event-results .pager a[href*="cursor="]`, 0)
	b.expectCount(`#event-results[hx-trigger]`, 0)
	b.clickAndWaitForPage(`#event-results .pager a`)
	b.expectPath("/events?")
	if got := rowTitles(b); !slices.Equal(got, all[:50]) {
		t.Fatalf("← Newest lists\n  %q\nwant the 50 newest again", got)
	}

	// Kind and service through the form.
	b.setValue(`form.filters select[name="kind"]`, "deploy")
	b.typeInto(`form.filters input[name="service"]`, "b")
	b.clickAndWaitForPage(`form.filters button[type="submit"]`)
	if p := b.path(); !strings.Contains(p, "kind=deploy") || !strings.Contains(p, "service=b") {
		t.Fatalf("the filter form went to %s, want kind=deploy and service=b in the query", p)
	}
	b.expectValue(`form.filters select[name="kind"]`, "deploy")
	b.expectValue(`form.filters input[name="service"]`, "b")
	wantDeploysB := titles(func(s seeded) bool { return s.kind == "deploy" && s.service == "b" })
	rows := eventRows(b)
	if got := titlesOf(rows); !slices.Equal(got, wantDeploysB) {
		t.Fatalf("kind=deploy service=b lists\n  %q\nwant\n  %q", got, wantDeploysB)
	}
	for _, r := range rows {
		if r.Kind != "deploy" || r.Service != "b · production" || r.Status != "succeeded" || r.Source != "e2e" {
			t.Fatalf("kind=deploy service=b shows the row %+v", r)
		}
	}
	b.expectCount(`#event-results .pager a`, 0) // one page

	// Kind alone.
	b.setValue(`form.filters select[name="kind"]`, "alert")
	b.replaceText(`form.filters input[name="service"]`, "")
	b.clickAndWaitForPage(`form.filters button[type="submit"]`)
	if got, want := rowTitles(b), titles(func(s seeded) bool { return s.kind == "alert" }); !slices.Equal(got, want) {
		t.Fatalf("kind=alert lists\n  %q\nwant\n  %q", got, want)
	}

	// Search, alone and with a kind that has no match.
	b.setValue(`form.filters select[name="kind"]`, "")
	b.typeInto(`form.filters input[name="q"]`, "latency")
	b.clickAndWaitForPage(`form.filters button[type="submit"]`)
	b.expectValue(`form.filters input[name="q"]`, "latency")
	b.expectValue(`form.filters select[name="kind"]`, "")
	wantLatency := titles(func(s seeded) bool { return strings.HasPrefix(s.title, "Latency") })
	if got := rowTitles(b); len(wantLatency) != 6 || !slices.Equal(got, wantLatency) {
		t.Fatalf("q=latency lists\n  %q\nwant\n  %q", got, wantLatency)
	}
	b.setValue(`form.filters select[name="kind"]`, "deploy")
	b.clickAndWaitForPage(`form.filters button[type="submit"]`)
	if got := rowTitles(b); len(got) != 0 {
		t.Fatalf("q=latency kind=deploy lists %q, want nothing", got)
	}
	b.expectText("#event-results tbody td[colspan]", "No events match")
}

// --- helpers of these tests ---

// readFixture reads one of the Alertmanager parser's test payloads.
func readFixture(t *testing.T, name string) string {
	t.Helper()
	body, err := os.ReadFile("../ingest/alertmanager/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// expectIngested checks a webhook's or the event API's answer.
func expectIngested(t *testing.T, res *apptest.Response, accepted, duplicates int) {
	t.Helper()
	var got struct{ Accepted, Duplicates int }
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("the delivery was answered %d %s, want 202", res.StatusCode, res.Body)
	}
	res.JSON(t, &got)
	if got.Accepted != accepted || got.Duplicates != duplicates {
		t.Fatalf("the delivery was answered %s, want %d accepted and %d duplicates", res.Body, accepted, duplicates)
	}
}

// mappingOf reads an integration's stored mapping.
func mappingOf(t *testing.T, app *apptest.App, id string) ingest.Mapping {
	t.Helper()
	in, err := app.Store.IntegrationByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in.ParsedMapping()
}

// eventRow is one row of the events list, as shown.
type eventRow struct {
	Href, Title, Severity, Kind, Status, Service, Source, Time, Datetime string
}

// eventRows reads the rows of the events list (none for the empty state).
func eventRows(b *Browser) []eventRow {
	b.t.Helper()
	return eval[[]eventRow](b, `[...document.querySelectorAll("#event-results tbody tr")].filter(r => r.cells.length === 6).map(r => {
		const a = r.cells[2].querySelector("a"), chip = r.cells[2].querySelector(".chip"), time = r.cells[0].querySelector("time");
		return {
			Href: a ? a.getAttribute("href") : "", Title: a ? a.textContent.trim() : "",
			Severity: chip ? chip.textContent.trim() : "", Kind: r.cells[1].textContent.trim(),
			Status: r.cells[3].textContent.trim(), Service: r.cells[4].textContent.trim(),
			Source: r.cells[5].textContent.trim(), Time: r.cells[0].textContent.trim(),
			Datetime: time ? time.getAttribute("datetime") : "",
		};
	})`)
}

func rowTitles(b *Browser) []string {
	b.t.Helper()
	return titlesOf(eventRows(b))
}

func titlesOf(rows []eventRow) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.Title)
	}
	return out
}

// tableAfterHeading reads the body rows of the table that follows the
// heading (h1 or h2) with that text, as cell texts.
func tableAfterHeading(b *Browser, heading string) [][]string {
	b.t.Helper()
	return eval[[][]string](b, fmt.Sprintf(`(() => {
		const h = [...document.querySelectorAll("#main h1, #main h2")].find(e => e.firstChild && e.firstChild.textContent.trim() === %s);
		let t = h ? h.nextElementSibling : null;
		while (t && t.tagName !== "TABLE") t = t.nextElementSibling;
		if (!t) return null;
		return [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent.trim()));
	})()`, jsString(heading)))
}

// factTime is the datetime of the time shown for a fact (dl.facts) of the
// page, "" when it shows none.
func factTime(b *Browser, label string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(() => {
		const dt = [...document.querySelectorAll("dl.facts dt")].find(e => e.textContent.trim() === %s);
		const t = dt && dt.nextElementSibling ? dt.nextElementSibling.querySelector("time") : null;
		return t ? t.getAttribute("datetime") : "";
	})()`, jsString(label)))
}

func containsRow(rows [][]string, cells ...string) bool {
	for _, r := range rows {
		if slices.Equal(r, cells) {
			return true
		}
	}
	return false
}

func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
