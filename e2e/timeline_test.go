package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"hindsight/ingest/kinds"
	"hindsight/internal/apptest"
	"hindsight/models"
)

// TestTimelineFlow builds the timeline of the chatbot outage in the browser,
// on both databases: the events arrive through the GitHub and Alertmanager
// webhooks, the editor imports them (twice, without duplicates), reads the
// chart, accepts and overrides the key moments, marks the trigger among the
// suspect deploys, writes, edits and removes notes, hides an entry and
// filters the list.
func TestTimelineFlow(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	for _, d := range []models.Dialect{models.SQLite, models.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			app := apptest.Start(t, d, nil)
			app.User("admin@example.com", models.RoleAdmin) // past the first-run setup
			app.User("ed@example.com", models.RoleEditor)
			o := seedBookbotOutage(t, app)
			b := newBrowser(t, app.URL)
			timelineFlow(t, app, b, o)
		})
	}
}

// The chatbot outage, in local time (CET, UTC+1, which is also what the
// browser's Europe/Berlin reads in November): a deploy of bookbot-api with a
// migration at 11:30, errors from 11:45, two hotfixes, errors gone at 12:45.
// Another team deployed billing at 11:05.
var bookbotZone = time.FixedZone("CET", 3600)

func bookbotTime(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2022-11-17 "+hhmm, bookbotZone)
	if err != nil {
		panic(err)
	}
	return t
}

// bookbotOutage is what the seeding made: the incident and its events'
// ids, by what they are.
type bookbotOutage struct {
	incidentID int64
	// Deploys by start (11:05 billing, 11:30 the feature, 12:20 and 12:38
	// the hotfixes); alerts by start (11:45 and 11:50 on bookbot-api, 11:47
	// on bookbot-chat).
	deploys, alerts map[string]int64
	titles          map[int64]string
}

type bookbotDeploy struct {
	id         int64
	repo, sha  string
	at, done   string
	migrations bool
}

var bookbotDeploys = []bookbotDeploy{
	{101, "billing", "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432", "11:05", "11:07", false},
	{102, "bookbot-api", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "11:30", "11:32", true},
	{103, "bookbot-api", "b2c3d4e5f60718293a4b5c6d7e8f901234567890", "12:20", "12:22", false},
	{104, "bookbot-api", "c3d4e5f60718293a4b5c6d7e8f90123456789012", "12:38", "12:40", false},
}

type bookbotAlert struct {
	fingerprint, service, summary string
	start, end                    string
}

var bookbotAlerts = []bookbotAlert{
	{"bookbot00", "bookbot-api", "bookbot-api answers 5xx on /reply", "11:45", "12:41"},
	{"bookbot01", "bookbot-chat", "bookbot-chat sends error replies", "11:47", "12:45"},
	{"bookbot02", "bookbot-api", "bookbot-api reply queue backs up", "11:50", "12:43"},
}

// seedBookbotOutage sends the outage's deploys and alerts through the
// webhooks as GitHub and Alertmanager would, and creates the incident
// through the API.
func seedBookbotOutage(t *testing.T, app *apptest.App) bookbotOutage {
	t.Helper()
	ctx := context.Background()
	gh, err := app.Store.CreateIntegration(ctx, "github", "GitHub", kinds.Names())
	if err != nil {
		t.Fatal(err)
	}
	am, err := app.Store.CreateIntegration(ctx, "alertmanager", "Alertmanager", kinds.Names())
	if err != nil {
		t.Fatal(err)
	}
	send := func(what string, res *apptest.Response) {
		t.Helper()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("webhook %s: %d %s, want 202", what, res.StatusCode, res.Body)
		}
	}
	for _, dep := range bookbotDeploys {
		for _, event := range []string{"deployment", "deployment_status"} {
			state := ""
			if event == "deployment_status" {
				state = "success"
			}
			body := githubDeployment(dep, state)
			send(fmt.Sprintf("github %s %d", event, dep.id), app.API(http.MethodPost, "/hooks/"+gh.ID, "", string(body),
				"X-GitHub-Event", event, "X-GitHub-Delivery", fmt.Sprintf("%d-%s", dep.id, event),
				"X-Hub-Signature-256", "sha256="+hexHMAC(gh.Secret, body)))
		}
	}
	for _, a := range bookbotAlerts {
		end := bookbotTime(a.end)
		for _, n := range [][]byte{
			alertmanagerNotification("firing", a, nil),
			alertmanagerNotification("firing", a, nil), // a re-notification: no new event
			alertmanagerNotification("resolved", a, &end),
		} {
			send("alertmanager "+a.fingerprint, app.API(http.MethodPost, "/hooks/"+am.ID, "", string(n), "Authorization", "Bearer "+am.Secret))
		}
	}

	o := bookbotOutage{deploys: map[string]int64{}, alerts: map[string]int64{}, titles: map[int64]string{}}
	page, err := app.Store.ListEvents(ctx, models.EventFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Events {
		at := e.StartsAt.In(bookbotZone).Format("15:04")
		switch e.Kind {
		case "deploy":
			if e.Status != "succeeded" {
				t.Fatalf("the deploy at %s is %s, want succeeded", at, e.Status)
			}
			o.deploys[at] = e.ID
		case "alert":
			if e.Status != "resolved" {
				t.Fatalf("the alert at %s is %s, want resolved", at, e.Status)
			}
			o.alerts[at] = e.ID
		}
		o.titles[e.ID] = e.Title
	}
	if len(page.Events) != 7 || len(o.deploys) != 4 || len(o.alerts) != 3 {
		t.Fatalf("the webhooks made %d events (deploys %v, alerts %v), want 4 deploys and 3 alerts", len(page.Events), o.deploys, o.alerts)
	}

	token := app.Token(models.RoleEditor)
	res := app.API(http.MethodPost, "/api/v1/incidents", token, `{"title":"Chatbot answered with errors","severity":"SEV2",
		"started_at":"2022-11-17T11:45:00+01:00","resolved_at":"2022-11-17T12:45:00+01:00",
		"services":["bookbot-api","bookbot-chat"],"environment":"production"}`)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create the incident: %d %s", res.StatusCode, res.Body)
	}
	var inc struct {
		ID int64 `json:"id"`
	}
	res.JSON(t, &inc)
	o.incidentID = inc.ID
	return o
}

// githubDeployment is GitHub's deployment webhook (state "") or its
// deployment_status webhook.
func githubDeployment(d bookbotDeploy, state string) []byte {
	created := bookbotTime(d.at).UTC().Format(time.RFC3339)
	deployment := map[string]any{
		"id": d.id, "sha": d.sha, "ref": "main", "task": "deploy", "environment": "production",
		"payload":     map[string]any{"has_migrations": d.migrations},
		"description": "release", "created_at": created, "updated_at": created,
		"creator": map[string]any{"login": "maya"},
	}
	body := map[string]any{"action": "created", "deployment": deployment,
		"repository": map[string]any{"name": d.repo, "full_name": "reading-co/" + d.repo, "html_url": "https://github.com/reading-co/" + d.repo},
		"sender":     map[string]any{"login": "maya"}}
	if state != "" {
		done := bookbotTime(d.done).UTC().Format(time.RFC3339)
		body["deployment_status"] = map[string]any{"id": d.id*10 + 1, "state": state, "environment": "production",
			"target_url": "https://ci.example.com/" + d.sha, "created_at": done, "updated_at": done}
	}
	b, _ := json.Marshal(body)
	return b
}

// alertmanagerNotification is Alertmanager's webhook with one alert.
func alertmanagerNotification(status string, a bookbotAlert, ends *time.Time) []byte {
	end := "0001-01-01T00:00:00Z"
	if ends != nil {
		end = ends.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(map[string]any{"version": "4", "status": status, "receiver": "hindsight", "groupKey": "{}:{alertname=\"ChatbotErrors\"}",
		"groupLabels": map[string]string{"alertname": "ChatbotErrors"}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
		"externalURL": "http://alertmanager.example.internal",
		"alerts": []map[string]any{{"status": status, "fingerprint": a.fingerprint, "startsAt": bookbotTime(a.start).UTC().Format(time.RFC3339), "endsAt": end,
			"labels":      map[string]string{"alertname": "ChatbotErrors", "service": a.service, "env": "production", "severity": "critical"},
			"annotations": map[string]string{"summary": a.summary}}}})
	return b
}

func hexHMAC(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func timelineFlow(t *testing.T, app *apptest.App, b *Browser, o bookbotOutage) {
	incPath := fmt.Sprintf("/incidents/%d", o.incidentID)
	tlPath := incPath + "/timeline"
	importPath := tlPath + "/import"
	deploy1130, deploy1220, deploy1238, billing := o.deploys["11:30"], o.deploys["12:20"], o.deploys["12:38"], o.deploys["11:05"]
	alert1145, alert1147, alert1150 := o.alerts["11:45"], o.alerts["11:47"], o.alerts["11:50"]
	eventRow := func(id int64) string { return fmt.Sprintf("#event-%d", id) }

	b.signIn("ed@example.com", apptest.Password)

	// --- 1. Import, twice, without duplicates ---

	b.open(incPath)
	b.waitVisible("#main h1")
	b.expectText("#main h1", "Chatbot answered with errors")
	b.clickAndWaitForPage(fmt.Sprintf(`#main a.button[href=%q]`, tlPath))
	b.expectPath(tlPath)
	b.expectText("#main h1", fmt.Sprintf("Timeline of INC-%d", o.incidentID))
	b.expectText("#main .zone", browserZone)
	if rows := timelineRows(b); len(rows) != 1 || rows[0].ID != "" || !strings.Contains(rows[0].What, "Nothing on the timeline yet.") {
		t.Fatalf("a new incident's timeline lists %+v; want the empty state", rows)
	}
	b.expectText("table.timeline-list tbody", "Import the alerts and deploys")
	expectSVGText(b, "figure.chart svg .tl-empty", "No events")

	b.clickAndWaitForPage(fmt.Sprintf(`#main .page-head a.button[href=%q]`, importPath))
	b.expectPath(importPath)
	b.expectText("#main h1", fmt.Sprintf("Import events into INC-%d", o.incidentID))
	// The default window, 2 h before the start to 30 min after the
	// resolution, in the browser's zone; the incident's services.
	b.expectText(`label[for="imp-from"] .hint`, browserZone)
	b.expectValue("#imp-from", "2022-11-17T09:45")
	b.expectValue("#imp-to", "2022-11-17T13:15")
	b.expectValue("#imp-services", "bookbot-api, bookbot-chat")
	b.expectValue("#imp-envs", "")
	b.expectCount(`input[name="kinds"]:checked`, 0)
	b.expectCount("#import-form", 0) // no preview before asking

	preview := fmt.Sprintf(`#main form[method="get"][action=%q] button[type="submit"]`, importPath)
	b.clickAndWaitForPage(preview)
	if p := b.path(); !strings.HasPrefix(p, importPath+"?") || !strings.Contains(p, "preview=1") {
		t.Fatalf("Preview went to %s, want %s?preview=1&…", p, importPath)
	}
	b.expectText("#import-form", "6 matching; 6 not on the timeline yet.")
	groups := importGroups(b)
	wantGroups := []importGroup{
		{Service: "bookbot-api", Rows: []importRow{
			{ID: deploy1130, Kind: "deploy", Checked: true}, {ID: alert1145, Kind: "alert", Checked: true},
			{ID: alert1150, Kind: "alert", Checked: true}, {ID: deploy1220, Kind: "deploy", Checked: true},
			{ID: deploy1238, Kind: "deploy", Checked: true},
		}},
		{Service: "bookbot-chat", Rows: []importRow{{ID: alert1147, Kind: "alert", Checked: true}}},
	}
	expectImportGroups(t, o, groups, wantGroups)
	if got := eval[[]string](b, `[...document.querySelectorAll("#import-form time")].map(e => e.textContent)`); len(got) != 6 || got[0] != "2022-11-17 11:30 CET" || got[5] != "2022-11-17 11:47 CET" {
		t.Fatalf("the candidates' times read %q; want them in the browser's zone (11:30 CET first)", got)
	}
	b.expectCount(fmt.Sprintf("#import-form input[name=event_ids][value=%q]", fmt.Sprint(billing)), 0) // billing is not the incident's service

	// Untick the 11:50 alert and add the others.
	b.click(fmt.Sprintf("#cand-%d", alert1150))
	b.waitFor("the 11:50 alert to be unticked", fmt.Sprintf(`!document.querySelector("#cand-%d").checked`, alert1150))
	b.expectCount(`#import-form input[name="event_ids"]:checked`, 5)
	b.clickAndWaitForPage(`#import-form button[type="submit"]:not([name])`)
	b.expectPath(tlPath)
	b.expectText(".flash", "5 events added to the timeline.")
	if got, want := rowIDs(timelineRows(b)), []string{eventRow(deploy1130), eventRow(alert1145), eventRow(alert1147), eventRow(deploy1220), eventRow(deploy1238)}; !slices.Equal(got, want) {
		t.Fatalf("after adding the ticked events the timeline lists %q, want %q (in time order, without the unticked alert)", got, want)
	}
	b.expectText(eventRow(deploy1130)+" td:nth-child(1)", "2022-11-17 11:30 CET")
	b.expectText(eventRow(deploy1130)+" td:nth-child(2)", "bookbot-api")
	b.expectText(eventRow(deploy1130)+" td:nth-child(3)", o.titles[deploy1130])
	b.expectText(eventRow(alert1147)+" td:nth-child(2)", "bookbot-chat")
	b.expectText(eventRow(alert1147)+" td:nth-child(4)", "resolved")

	// Back to the import: the added ones are marked, the unticked one is offered.
	b.clickAndWaitForPage(fmt.Sprintf(`#main .page-head a.button[href=%q]`, importPath))
	b.expectValue("#imp-from", "2022-11-17T09:45")
	b.clickAndWaitForPage(preview)
	b.expectText("#import-form", "6 matching; 1 not on the timeline yet.")
	for i := range wantGroups {
		for j := range wantGroups[i].Rows {
			r := &wantGroups[i].Rows[j]
			r.OnTimeline, r.Checked = r.ID != alert1150, r.ID == alert1150
		}
	}
	expectImportGroups(t, o, importGroups(b), wantGroups)
	b.expectText(`#import-form button[name="all"]`, "Add all 1")
	b.clickAndWaitForPage(`#import-form button[name="all"]`)
	b.expectPath(tlPath)
	b.expectText(".flash", "1 event added to the timeline.")
	allEvents := []string{eventRow(deploy1130), eventRow(alert1145), eventRow(alert1147), eventRow(alert1150), eventRow(deploy1220), eventRow(deploy1238)}
	if got := rowIDs(timelineRows(b)); !slices.Equal(got, allEvents) {
		t.Fatalf("after Add all the timeline lists %q, want each event once: %q", got, allEvents)
	}
	expectStoredEntries(t, app, o.incidentID, 6)
	// A third preview has nothing left to add.
	b.clickAndWaitForPage(fmt.Sprintf(`#main .page-head a.button[href=%q]`, importPath))
	b.clickAndWaitForPage(preview)
	b.expectText("#import-form", "6 matching; 0 not on the timeline yet.")
	b.expectCount(`#import-form input[name="event_ids"]`, 0)
	b.expectCount(`#import-form button`, 0)
	b.clickAndWaitForPage(fmt.Sprintf(`#main p.muted a[href=%q]`, tlPath))
	b.expectPath(tlPath)

	// --- 2. The chart ---

	svg := "figure.chart svg"
	b.expectCount(svg+`[role="img"]`, 1)
	if got := eval[string](b, `(s => { const t = s.querySelector(":scope > title"); return t && s.getAttribute("aria-labelledby") === t.id ? t.textContent : "" })(document.querySelector("figure.chart svg"))`); got != "Incident timeline, Thu 17 Nov 2022 11:15 to 13:00 CET" {
		t.Fatalf("the chart's <title> (its accessible name) reads %q, want the window in the browser's zone", got)
	}
	if got := eval[[]string](b, `[...document.querySelectorAll("figure.chart svg .tl-lane-name")].map(e => e.textContent)`); !slices.Equal(got, []string{"bookbot-api", "bookbot-chat"}) {
		t.Fatalf("the chart's lanes are %q, want bookbot-api and bookbot-chat", got)
	}
	if got := chartMoments(b); !slices.Equal(got, []string{"Impact started 11:45", "Resolved 12:45"}) {
		t.Fatalf("the chart's key-moment lines are %q, want the recorded start and resolution", got)
	}
	// Each lane draws its own events: three markers and two bars on
	// bookbot-api, one bar on bookbot-chat.
	if got := eval[[]int](b, `[...document.querySelectorAll("figure.chart svg .tl-lane")].map(l => l.querySelectorAll(".tl-item").length)`); !slices.Equal(got, []int{5, 1}) {
		t.Fatalf("the chart's lanes hold %v items, want [5 1]", got)
	}
	b.expectCount(svg+" .tl-moment line[stroke-dasharray]", 2)

	// --- 3. Key moments ---

	moments := keyMoments(b)
	expectMoment(t, moments, "Impact started", "2022-11-17 11:45 CET", "2022-11-17 11:45 CET", "first alert on `bookbot-api` at 11:45 CET")
	expectMoment(t, moments, "Detected", "not set", "2022-11-17 11:45 CET", "first alert on `bookbot-api` fired at 11:45 CET")
	expectMoment(t, moments, "Acknowledged", "not set", "", "")
	if m := momentOf(moments, "Acknowledged"); m.Suggested != "" || m.Accept {
		t.Fatalf("nothing acknowledged an alert, yet the key moments suggest %+v", m)
	}
	// Mitigation is suggested from the hotfixes and the alerts' ends; which
	// one the rule picks is the unit tests' business (timeline/moments.go),
	// here it only has to be offered with a reason and accepted as shown.
	mitigated := momentOf(moments, "Mitigated")
	if mitigated.Recorded != "not set" || mitigated.SuggestedAt == "" || mitigated.Reason == "" || !mitigated.Accept {
		t.Fatalf("Mitigated: %+v; want a suggestion with its reason and an Accept button", mitigated)
	}
	mitigatedAt, err := time.Parse(time.RFC3339, mitigated.SuggestedAt)
	if err != nil || mitigatedAt.Before(bookbotTime("11:45")) || mitigatedAt.After(bookbotTime("12:45")) {
		t.Fatalf("Mitigated is suggested at %q, want a time between the start and the resolution", mitigated.SuggestedAt)
	}
	mitigatedClock := mitigatedAt.In(bookbotZone).Format("15:04")
	expectMoment(t, moments, "Resolved", "2022-11-17 12:45 CET", "2022-11-17 12:45 CET", "last alert on `bookbot-chat` resolved at 12:45 CET (all 3 alerts resolved)")
	b.expectText(`dl.facts dt:nth-of-type(1) + dd`, "—") // time to detect: nothing detected yet

	b.clickAndWaitForPage(acceptButton("detected"))
	b.expectPath(tlPath)
	b.expectText(".flash", "Key moments saved.")
	moments = keyMoments(b)
	expectMoment(t, moments, "Detected", "2022-11-17 11:45 CET", "2022-11-17 11:45 CET", "first alert")
	if m := momentOf(moments, "Detected"); m.RecordedAt != "2022-11-17T10:45:00Z" {
		t.Fatalf("the recorded detection is at %q, want 2022-11-17T10:45:00Z", m.RecordedAt)
	}
	expectMoment(t, moments, "Mitigated", "not set", mitigated.Suggested, mitigated.Reason)
	b.expectText(`dl.facts dt:nth-of-type(1) + dd`, "0 s")
	if got := chartMoments(b); !slices.Equal(got, []string{"Impact started, Detected 11:45", "Resolved 12:45"}) {
		t.Fatalf("after accepting the detection the chart's key moments are %q", got)
	}

	// By hand, detected before the start: refused on the field, nothing saved.
	b.click(`section[aria-labelledby="moments-h"] details > summary`)
	b.waitVisible("#km-detected")
	b.expectValue("#km-started", "2022-11-17T11:45")
	b.expectValue("#km-detected", "2022-11-17T11:45")
	b.expectValue("#km-resolved", "2022-11-17T12:45")
	b.setValue("#km-detected", "2022-11-17T11:40")
	if status := b.clickStatus(`form:has(#km-detected) button[type="submit"]`); status != http.StatusUnprocessableEntity {
		t.Fatalf("saving detected before started: status %d, want 422", status)
	}
	b.expectPath(incPath + "/key-moments")
	b.expectCount(`section[aria-labelledby="moments-h"] details[open]`, 1)
	b.expectText("#km-detected + .error", "must not be before the impact start (11:45 CET)")
	b.expectCount(`.field-error:has(#km-detected)`, 1)
	b.expectCount(`#main .field-error`, 1)
	b.expectValue("#km-detected", "2022-11-17T11:40") // what was typed, kept
	b.expectValue("#km-started", "2022-11-17T11:45")
	b.expectText(`#main > p.error[role="alert"]`, "Nothing was saved")
	expectMoment(t, keyMoments(b), "Detected", "2022-11-17 11:45 CET", "2022-11-17 11:45 CET", "")
	if inc := incidentOf(t, app, o.incidentID); inc.DetectedAt == nil || !inc.DetectedAt.Equal(bookbotTime("11:45")) {
		t.Fatalf("the refused form changed the detection to %v", inc.DetectedAt)
	}

	b.clickAndWaitForPage(acceptButton("all"))
	b.expectPath(tlPath)
	b.expectText(".flash", "Key moments saved.")
	b.expectCount(`#main > p.error`, 0)
	moments = keyMoments(b)
	expectMoment(t, moments, "Impact started", "2022-11-17 11:45 CET", "", "")
	expectMoment(t, moments, "Detected", "2022-11-17 11:45 CET", "", "")
	expectMoment(t, moments, "Acknowledged", "not set", "", "")
	expectMoment(t, moments, "Mitigated", mitigated.Suggested, "", "")
	expectMoment(t, moments, "Resolved", "2022-11-17 12:45 CET", "", "")
	inc := incidentOf(t, app, o.incidentID)
	if inc.MitigatedAt == nil || !inc.MitigatedAt.Equal(mitigatedAt) || inc.ResolvedAt == nil || !inc.ResolvedAt.Equal(bookbotTime("12:45")) {
		t.Fatalf("after Accept all the incident is mitigated %v, resolved %v; want %v and 12:45 CET", inc.MitigatedAt, inc.ResolvedAt, mitigatedAt)
	}
	wantChart := []string{"Impact started, Detected 11:45", "Mitigated " + mitigatedClock, "Resolved 12:45"}
	if mitigatedClock == "12:45" { // one line for moments at one instant
		wantChart = []string{"Impact started, Detected 11:45", "Mitigated, Resolved 12:45"}
	}
	if got := chartMoments(b); !slices.Equal(got, wantChart) {
		t.Fatalf("after Accept all the chart's key moments are %q", got)
	}

	// --- 4. Suspects and the trigger ---

	sus := suspectRows(b)
	if len(sus) != 2 {
		t.Fatalf("the suspects are %+v; want the 11:30 deploy and billing's", sus)
	}
	top := sus[0]
	if top.Href != fmt.Sprintf("/events/%d", deploy1130) || top.Title != o.titles[deploy1130] || !strings.Contains(top.Meta, "a1b2c3d") ||
		!strings.Contains(top.Meta, "2022-11-17 11:30 CET") || top.Commit != "a1b2c3d" {
		t.Fatalf("the first suspect is %+v; want the 11:30 deploy of commit a1b2c3d", top)
	}
	for _, want := range []string{"same service `bookbot-api`", "carries database migrations", "15 min before impact"} {
		if !slices.ContainsFunc(top.Reasons, func(r string) bool { return strings.Contains(r, want) }) {
			t.Fatalf("the first suspect's reasons %q lack %q", top.Reasons, want)
		}
	}
	if sus[1].Href != fmt.Sprintf("/events/%d", billing) || !strings.Contains(sus[1].Meta, "billing") ||
		!slices.ContainsFunc(sus[1].Reasons, func(r string) bool { return strings.Contains(r, "other service `billing`") }) {
		t.Fatalf("the second suspect is %+v; want billing's 11:05 deploy, lower for being another service", sus[1])
	}
	if top.Score <= sus[1].Score || top.Trigger || sus[1].Trigger || top.Action != "Mark as trigger" {
		t.Fatalf("before marking, the suspects are %+v", sus)
	}
	b.expectCount(eventRow(deploy1130)+".trigger", 0)

	markTrigger := fmt.Sprintf(`#main form[action$="/trigger"]:has(input[name="event_id"][value="%d"]) button`, deploy1130)
	expectTrigger := func() {
		t.Helper()
		b.expectText(".flash", "Marked as the trigger; the timeline highlights it.")
		sus := suspectRows(b)
		if len(sus) != 2 || !sus[0].Trigger || !strings.HasPrefix(sus[0].Action, "Trigger") || sus[1].Trigger || sus[1].Action != "Mark as trigger" {
			t.Fatalf("after marking the 11:30 deploy the suspects are %+v", sus)
		}
		b.expectCount(`#main form[action$="/trigger"]:not(:has(input[name="event_id"])) button`, 1) // Clear
		// The chart rings the trigger and says so.
		suspects := eval[[]string](b, `[...document.querySelectorAll("figure.chart svg .tl-suspect > title")].map(e => e.textContent)`)
		if len(suspects) != 1 || !strings.HasPrefix(suspects[0], o.titles[deploy1130]) {
			t.Fatalf("the chart marks %q as suspects, want the 11:30 deploy alone", suspects)
		}
		expectSVGText(b, "figure.chart svg .tl-suspect .tl-note", "suspected trigger")
		expectSVGText(b, "figure.chart svg desc", "Suspected trigger: "+o.titles[deploy1130])
		// The list highlights it.
		b.expectCount(eventRow(deploy1130)+".trigger", 1)
		b.expectText(eventRow(deploy1130)+" td:nth-child(3) strong", "Trigger")
		b.expectCount("table.timeline-list tr.trigger", 1)
		if got := incidentOf(t, app, o.incidentID).TriggerEventID; got == nil || *got != deploy1130 {
			t.Fatalf("the stored trigger is %v, want %d", got, deploy1130)
		}
	}
	b.clickAndWaitForPage(markTrigger)
	b.expectPath(tlPath)
	expectTrigger()

	b.clickAndWaitForPage(`#main form[action$="/trigger"]:not(:has(input[name="event_id"])) button`)
	b.expectText(".flash", "Trigger cleared.")
	if sus := suspectRows(b); sus[0].Trigger || sus[0].Action != "Mark as trigger" {
		t.Fatalf("after Clear the first suspect is %+v", sus[0])
	}
	b.expectCount("table.timeline-list tr.trigger", 0)
	b.expectCount(eventRow(deploy1130)+" td:nth-child(3) strong", 0)
	if got := incidentOf(t, app, o.incidentID).TriggerEventID; got != nil {
		t.Fatalf("after Clear the stored trigger is %d", *got)
	}
	b.clickAndWaitForPage(markTrigger)
	expectTrigger()
	expectStoredEntries(t, app, o.incidentID, 6) // the trigger was already on the timeline

	// --- 5. Notes and entries ---

	b.setValue("#note-at", "2022-11-17T12:00")
	b.typeInto("#note-title", "Feature flag smart-replies turned off")
	b.setValue("#note-note", "Turned **off** `smart-replies` for everyone.\n\n- the queue drained\n- errors went on")
	b.clickAndWaitForPage(`#main form[action$="/timeline/notes"] button[type="submit"]`)
	b.expectText(".flash", "Note added.")
	rows := timelineRows(b)
	noteID := ""
	for _, r := range rows {
		if strings.HasPrefix(r.ID, "entry-") {
			noteID = "#" + r.ID
		}
	}
	if noteID == "" {
		t.Fatalf("the note is not listed: %+v", rows)
	}
	withNote := []string{eventRow(deploy1130), eventRow(alert1145), eventRow(alert1147), eventRow(alert1150), noteID, eventRow(deploy1220), eventRow(deploy1238)}
	if got := rowIDs(rows); !slices.Equal(got, withNote) {
		t.Fatalf("with the 12:00 note the timeline lists %q, want %q", got, withNote)
	}
	b.expectText(noteID+" td:nth-child(1)", "2022-11-17 12:00 CET")
	b.expectText(noteID+" td:nth-child(2)", "note")
	b.expectText(noteID+" td:nth-child(3) > strong", "Feature flag smart-replies turned off")
	if html := eval[string](b, fmt.Sprintf(`document.querySelector(%s).innerHTML.trim()`, jsString(noteID+" .prose"))); !strings.Contains(html, "<strong>off</strong>") ||
		!strings.Contains(html, "<code>smart-replies</code>") || !strings.Contains(html, "<li>the queue drained</li>") || strings.Contains(html, "**") {
		t.Fatalf("the note is not rendered Markdown:\n%s", html)
	}

	// Edit it.
	b.clickAndWaitForPage(noteID + ` a[href$="/edit"]`)
	b.expectText("#main h1", "Edit note")
	b.expectValue("#e-at", "2022-11-17T12:00")
	b.expectValue("#e-title", "Feature flag smart-replies turned off")
	if got := normalizeNewlines(b.value("#e-note")); !strings.HasPrefix(got, "Turned **off**") {
		t.Fatalf("the note field holds %q", got)
	}
	b.replaceText("#e-title", "Feature flag smart-replies switched off")
	b.clickAndWaitForPage(`#main form[action*="/timeline/entries/"] button[type="submit"]`)
	if p := b.path(); p != tlPath+noteID {
		t.Fatalf("after saving the note the page is %s, want %s%s", p, tlPath, noteID)
	}
	b.expectText(".flash", "Entry saved.")
	b.expectText(noteID+" td:nth-child(3) > strong", "Feature flag smart-replies switched off")
	b.expectText(noteID+" td:nth-child(1)", "2022-11-17 12:00 CET")
	b.expectText(noteID+" .prose strong", "off")

	// Hide an event from the published version.
	b.expectCount(eventRow(deploy1238)+".hidden-entry", 0)
	b.clickAndWaitForPage(eventRow(deploy1238) + ` a[href$="/edit"]`)
	b.expectText("#main h1", "Edit timeline entry")
	b.expectCount("#e-at", 0) // an event keeps its tool's time
	b.expectText("#main form p", o.titles[deploy1238])
	b.expectValue("#e-title", "")
	b.click(`#main form input[name="hidden"]`)
	b.waitFor("Hide to be ticked", `document.querySelector('#main form input[name="hidden"]').checked`)
	b.clickAndWaitForPage(`#main form[action*="/timeline/entries/"] button[type="submit"]`)
	b.expectText(".flash", "Entry saved.")
	b.expectCount(eventRow(deploy1238)+".hidden-entry", 1)
	if got := eval[[]string](b, fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.textContent.trim())`, jsString(eventRow(deploy1238)+" .chip"))); !slices.Equal(got, []string{"deploy", "hidden from the published version"}) {
		t.Fatalf("the hidden deploy's chips read %q, want deploy and “hidden from the published version”", got)
	}
	b.expectText(eventRow(deploy1238)+" td:nth-child(3) a", o.titles[deploy1238]) // the event's own title still
	b.expectCount("table.timeline-list .hidden-entry", 1)

	// Remove the note.
	b.clickAndWaitForPage(noteID + ` form[action$="/delete"] button`)
	b.expectText(".flash", "Entry removed from the timeline")
	b.expectCount(noteID, 0)
	if got := rowIDs(timelineRows(b)); !slices.Equal(got, allEvents) {
		t.Fatalf("after removing the note the timeline lists %q, want %q", got, allEvents)
	}
	expectStoredEntries(t, app, o.incidentID, 6)

	// --- 6. Gaps and filters ---

	// A note two hours after the last hotfix: a quiet stretch before it.
	b.setValue("#note-at", "2022-11-17T14:45")
	b.typeInto("#note-title", "Support confirms the chatbot works again")
	b.clickAndWaitForPage(`#main form[action$="/timeline/notes"] button[type="submit"]`)
	b.expectText(".flash", "Note added.")
	rows = timelineRows(b)
	var gaps []int
	for i, r := range rows {
		if r.Gap {
			gaps = append(gaps, i)
		}
	}
	// 11:50 to 12:20 is 30 minutes, not more: no gap there.
	if len(gaps) != 1 || gaps[0] == 0 || gaps[0]+1 >= len(rows) || rows[gaps[0]-1].ID != strings.TrimPrefix(eventRow(deploy1238), "#") ||
		!strings.HasPrefix(rows[gaps[0]+1].ID, "entry-") || rows[gaps[0]].What != "⋯ 2 h 07 min without entries ⋯" {
		t.Fatalf("the timeline lists %+v; want one gap row, “2 h 07 min without entries”, between the 12:38 deploy and the 14:45 note", rows)
	}

	filter := `#entries form.filters button[type="submit"]`
	if got := eval[[]string](b, `[...document.querySelectorAll('#entries select[name="lane"] option')].map(o => o.value)`); !slices.Equal(got, []string{"", "bookbot-api", "bookbot-chat"}) {
		t.Fatalf("the lane filter offers %q", got)
	}
	b.setValue(`#entries select[name="lane"]`, "bookbot-chat")
	b.clickAndWaitForPage(filter)
	if p := b.path(); !strings.HasPrefix(p, tlPath+"?") || !strings.Contains(p, "lane=bookbot-chat") {
		t.Fatalf("the lane filter went to %s", p)
	}
	b.expectValue(`#entries select[name="lane"]`, "bookbot-chat")
	rows = timelineRows(b)
	if got := rowIDs(rows); !slices.Equal(got, []string{eventRow(alert1147)}) || len(rows) != 1 || rows[0].Lane != "bookbot-chat" {
		t.Fatalf("lane=bookbot-chat lists %+v; want the 11:47 alert alone", rows)
	}

	b.setValue(`#entries select[name="lane"]`, "")
	b.setValue(`#entries select[name="kind"]`, "deploy")
	b.clickAndWaitForPage(filter)
	if p := b.path(); !strings.Contains(p, "kind=deploy") || strings.Contains(p, "lane=bookbot") {
		t.Fatalf("the kind filter went to %s", p)
	}
	b.expectValue(`#entries select[name="kind"]`, "deploy")
	b.expectValue(`#entries select[name="lane"]`, "")
	rows = timelineRows(b)
	if got := rowIDs(rows); !slices.Equal(got, []string{eventRow(deploy1130), eventRow(deploy1220), eventRow(deploy1238)}) {
		t.Fatalf("kind=deploy lists %q; want the three bookbot deploys", got)
	}
	for _, r := range rows {
		if !r.Gap && !strings.HasPrefix(r.What, "deploy") {
			t.Fatalf("kind=deploy lists a row that is no deploy: %+v", r)
		}
	}
	// The gaps are those between the rows shown: 11:30 to 12:20.
	if len(rows) != 4 || !rows[1].Gap || rows[1].What != "⋯ 50 min without entries ⋯" {
		t.Fatalf("kind=deploy lists %+v; want a 50 min gap between the 11:30 and 12:20 deploys", rows)
	}
	// The chart still shows all the evidence.
	if got := eval[[]int](b, `[...document.querySelectorAll("figure.chart svg .tl-lane")].map(l => l.querySelectorAll(".tl-item").length)`); !slices.Equal(got, []int{5, 1}) {
		t.Fatalf("with the list filtered the chart's lanes hold %v items, want [5 1]", got)
	}
}

// --- reading the timeline pages ---

// expectSVGText checks the text content of an SVG element (which has no
// innerText).
func expectSVGText(b *Browser, sel, want string) {
	b.t.Helper()
	if got := b.textContent(sel); !strings.Contains(got, want) {
		b.t.Fatalf("%s reads %q, want it to contain %q", sel, got, want)
	}
}

// timelineRow is one row of the timeline's list. Gap rows and the empty
// state have no ID.
type timelineRow struct {
	ID, Class, Time, Datetime, Lane, What, Status string
	Gap                                           bool
}

func timelineRows(b *Browser) []timelineRow {
	b.t.Helper()
	return eval[[]timelineRow](b, `[...document.querySelectorAll("table.timeline-list tbody tr")].map(r => {
		const c = r.cells, text = i => c[i] ? c[i].textContent.replace(/\s+/g, " ").trim() : "", time = r.querySelector("time");
		return {ID: r.id, Class: r.className, Gap: r.classList.contains("gap"), Time: c.length > 1 ? text(0) : "",
			Datetime: time ? time.getAttribute("datetime") : "", Lane: c.length > 1 ? text(1) : "",
			What: c.length > 1 ? text(2) : text(0), Status: c.length > 1 ? text(3) : ""};
	})`)
}

// rowIDs are the selectors of the entry rows, gaps left out.
func rowIDs(rows []timelineRow) []string {
	out := []string{}
	for _, r := range rows {
		if r.ID != "" {
			out = append(out, "#"+r.ID)
		}
	}
	return out
}

type importGroup struct {
	Service string
	Rows    []importRow
}

type importRow struct {
	ID                  int64
	Kind, Title         string
	Checked, OnTimeline bool
}

func importGroups(b *Browser) []importGroup {
	b.t.Helper()
	return eval[[]importGroup](b, `[...document.querySelectorAll("#import-form fieldset")].map(f => ({
		Service: f.querySelector("legend").textContent.trim(),
		Rows: [...f.querySelectorAll("tbody tr")].map(r => {
			const label = r.querySelector("label"), box = r.querySelector('input[name="event_ids"]');
			return {ID: Number(label.htmlFor.replace("cand-", "")), Kind: r.cells[2].querySelector(".chip").textContent.trim(),
				Title: label.textContent.trim(), Checked: !!box && box.checked,
				OnTimeline: r.cells[0].textContent.trim() === "on the timeline" && !box};
		}),
	}))`)
}

func expectImportGroups(t *testing.T, o bookbotOutage, got, want []importGroup) {
	t.Helper()
	for i := range want {
		for j := range want[i].Rows {
			want[i].Rows[j].Title = o.titles[want[i].Rows[j].ID]
		}
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Service == want[i].Service && slices.Equal(got[i].Rows, want[i].Rows)
	}
	if !ok {
		t.Fatalf("the import preview shows\n  %+v\nwant\n  %+v", got, want)
	}
}

// momentRow is one row of the key-moments table.
type momentRow struct {
	Moment, Recorded, RecordedAt, Suggested, SuggestedAt, Reason string
	Accept                                                       bool
}

func keyMoments(b *Browser) []momentRow {
	b.t.Helper()
	return eval[[]momentRow](b, `[...document.querySelectorAll('section[aria-labelledby="moments-h"] table tbody tr')].map(r => {
		const [recorded, suggested] = r.querySelectorAll("td"), rec = recorded.querySelector("time"), sug = suggested.querySelector("time"), why = suggested.querySelector(".muted");
		return {Moment: r.querySelector("th").textContent.trim(), Recorded: recorded.textContent.trim(),
			RecordedAt: rec ? rec.getAttribute("datetime") : "", Suggested: sug ? sug.textContent.trim() : "", SuggestedAt: sug ? sug.getAttribute("datetime") : "",
			Reason: why ? why.textContent.trim() : "", Accept: !!suggested.querySelector("form button")};
	})`)
}

func momentOf(rows []momentRow, name string) momentRow {
	for _, r := range rows {
		if r.Moment == name {
			return r
		}
	}
	return momentRow{}
}

// expectMoment checks a key moment's row: what is recorded and, unless
// suggested and reason are both "", the suggestion and the start of its
// reason.
func expectMoment(t *testing.T, rows []momentRow, name, recorded, suggested, reason string) {
	t.Helper()
	m := momentOf(rows, name)
	if m.Moment == "" {
		t.Fatalf("the key moments have no %q row: %+v", name, rows)
	}
	if m.Recorded != recorded {
		t.Fatalf("%s: recorded %q, want %q", name, m.Recorded, recorded)
	}
	if suggested == "" && reason == "" {
		return
	}
	if m.Suggested != suggested || !strings.HasPrefix(m.Reason, reason) || !m.Accept {
		t.Fatalf("%s: suggested %q because %q (accept button: %v); want %q because %q…", name, m.Suggested, m.Reason, m.Accept, suggested, reason)
	}
}

// acceptButton is the button accepting one suggestion, or all of them.
func acceptButton(moment string) string {
	return fmt.Sprintf(`section[aria-labelledby="moments-h"] form:has(input[name="accept"][value=%q]) button`, moment)
}

// chartMoments are the labels of the chart's key-moment lines.
func chartMoments(b *Browser) []string {
	b.t.Helper()
	return eval[[]string](b, `[...document.querySelectorAll("figure.chart svg .tl-moment text")].map(e => e.textContent)`)
}

// suspectRow is one row of the suspects table.
type suspectRow struct {
	Href, Title, Meta, Commit, Action string
	Score                             float64
	Reasons                           []string
	Trigger                           bool
}

func suspectRows(b *Browser) []suspectRow {
	b.t.Helper()
	return eval[[]suspectRow](b, `[...document.querySelectorAll('section[aria-labelledby="suspects-h"] tbody tr')].filter(r => r.cells.length === 5).map(r => {
		const a = r.cells[1].querySelector("a"), code = r.cells[1].querySelector("code");
		return {Href: a.getAttribute("href"), Title: a.textContent.trim(), Meta: r.cells[1].querySelector(".muted").textContent.replace(/\s+/g, " ").trim(),
			Commit: code ? code.textContent : "", Score: Number(r.cells[2].textContent), Reasons: [...r.cells[3].querySelectorAll("li")].map(l => l.textContent.trim()),
			Action: r.cells[4].textContent.replace(/\s+/g, " ").trim(), Trigger: r.classList.contains("trigger")};
	})`)
}

func incidentOf(t *testing.T, app *apptest.App, id int64) *models.Incident {
	t.Helper()
	inc, err := app.Store.Incident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

// expectStoredEntries checks the stored timeline: n entries, no event twice.
func expectStoredEntries(t *testing.T, app *apptest.App, incidentID int64, n int) {
	t.Helper()
	entries, err := app.Store.Timeline(context.Background(), incidentID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, e := range entries {
		if e.EventID != nil {
			if seen[*e.EventID] {
				t.Fatalf("event %d is on the timeline twice", *e.EventID)
			}
			seen[*e.EventID] = true
		}
	}
	if len(entries) != n {
		t.Fatalf("the timeline holds %d entries, want %d", len(entries), n)
	}
}
