package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"hindsight/ingest/kinds"
	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

// The chatbot outage of shared/incidents/bookbot-migration.md, in local
// time (CET, UTC+1): a deploy with a migration at 11:30, errors from 11:45,
// two hotfixes, errors stop at 12:45. Another team deployed billing at
// 11:05.
var cet = time.FixedZone("CET", 3600)

func bookbotTime(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2022-11-17 "+hhmm, cet)
	if err != nil {
		panic(err)
	}
	return t
}

// githubDeployment is GitHub's deployment (or deployment_status) webhook.
func githubDeployment(id int64, repo, sha string, created time.Time, migrations bool, state string, updated time.Time) []byte {
	deployment := map[string]any{
		"id": id, "sha": sha, "ref": "main", "task": "deploy", "environment": "production",
		"payload":     map[string]any{"has_migrations": migrations},
		"description": "release", "created_at": created.UTC().Format(time.RFC3339), "updated_at": created.UTC().Format(time.RFC3339),
		"creator": map[string]any{"login": "maya"},
	}
	body := map[string]any{"action": "created", "deployment": deployment,
		"repository": map[string]any{"name": repo, "full_name": "reading-co/" + repo, "html_url": "https://github.com/reading-co/" + repo},
		"sender":     map[string]any{"login": "maya"}}
	if state != "" {
		body["deployment_status"] = map[string]any{"id": id*10 + 1, "state": state, "environment": "production",
			"target_url": "https://ci.example.com/" + sha, "created_at": updated.UTC().Format(time.RFC3339), "updated_at": updated.UTC().Format(time.RFC3339)}
	}
	b, _ := json.Marshal(body)
	return b
}

func alertmanagerNotification(status string, fingerprint string, service string, starts time.Time, ends *time.Time) []byte {
	end := "0001-01-01T00:00:00Z"
	if ends != nil {
		end = ends.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(map[string]any{"version": "4", "status": status, "receiver": "hindsight", "groupKey": "{}:{alertname=\"ChatbotErrors\"}",
		"groupLabels": map[string]string{"alertname": "ChatbotErrors"}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
		"externalURL": "http://alertmanager.example.internal",
		"alerts": []map[string]any{{"status": status, "fingerprint": fingerprint, "startsAt": starts.UTC().Format(time.RFC3339), "endsAt": end,
			"labels":      map[string]string{"alertname": "ChatbotErrors", "service": service, "env": "production", "severity": "critical"},
			"annotations": map[string]string{"summary": "Chatbot users get error replies"}}}})
	return b
}

func TestBookbotTimelineRebuiltFromWebhooks(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			ctx := context.Background()
			gh, _ := app.Store.CreateIntegration(ctx, "github", "GitHub", kinds.Names())
			am, _ := app.Store.CreateIntegration(ctx, "alertmanager", "Alertmanager", kinds.Names())
			sendGitHub := func(id int64, event string, body []byte) {
				t.Helper()
				res := app.API("POST", "/hooks/"+gh.ID, "", string(body), "X-GitHub-Event", event,
					"X-GitHub-Delivery", fmt.Sprintf("%d-%s", id, event), "X-Hub-Signature-256", "sha256="+hexHMAC(gh.Secret, body))
				if res.StatusCode != http.StatusAccepted {
					t.Fatalf("github %s: %d %s", event, res.StatusCode, res.Body)
				}
			}
			sendAlert := func(body []byte) {
				t.Helper()
				if res := app.API("POST", "/hooks/"+am.ID, "", string(body), "Authorization", "Bearer "+am.Secret); res.StatusCode != http.StatusAccepted {
					t.Fatalf("alertmanager: %d %s", res.StatusCode, res.Body)
				}
			}
			// Deploys: billing at 11:05 (another service), the feature at
			// 11:30 with its migration, hotfixes at 12:20 and 12:38.
			for _, dep := range []struct {
				id         int64
				repo, sha  string
				at, done   string
				migrations bool
			}{
				{101, "billing", "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432", "11:05", "11:07", false},
				{102, "bookbot-api", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "11:30", "11:32", true},
				{103, "bookbot-api", "b2c3d4e5f60718293a4b5c6d7e8f901234567890", "12:20", "12:22", false},
				{104, "bookbot-api", "c3d4e5f60718293a4b5c6d7e8f90123456789012", "12:38", "12:40", false},
			} {
				sendGitHub(dep.id, "deployment", githubDeployment(dep.id, dep.repo, dep.sha, bookbotTime(dep.at), dep.migrations, "", time.Time{}))
				sendGitHub(dep.id, "deployment_status", githubDeployment(dep.id, dep.repo, dep.sha, bookbotTime(dep.at), dep.migrations, "success", bookbotTime(dep.done)))
			}
			// Error alerts from 11:45, re-notified, resolved by 12:45.
			for i, start := range []string{"11:45", "11:47", "11:50"} {
				fp := fmt.Sprintf("bookbot%02d", i)
				svc := []string{"bookbot-api", "bookbot-chat", "bookbot-api"}[i]
				sendAlert(alertmanagerNotification("firing", fp, svc, bookbotTime(start), nil))
				sendAlert(alertmanagerNotification("firing", fp, svc, bookbotTime(start), nil)) // repeat: no new event
				end := bookbotTime([]string{"12:41", "12:45", "12:43"}[i])
				sendAlert(alertmanagerNotification("resolved", fp, svc, bookbotTime(start), &end))
			}

			token := app.Token(models.RoleEditor)
			create := app.API("POST", "/api/v1/incidents", token, `{"title":"Chatbot answered with errors","severity":"SEV2",
				"started_at":"2022-11-17T11:45:00+01:00","resolved_at":"2022-11-17T12:45:00+01:00",
				"services":["bookbot-api","bookbot-chat"],"environment":"production"}`)
			var inc incidentBody
			create.JSON(t, &inc)
			base := fmt.Sprintf("/api/v1/incidents/%d", inc.ID)

			imp := app.API("POST", base+"/timeline/import", token, `{}`)
			var imported struct {
				Added []struct {
					Kind string `json:"kind"`
				} `json:"added"`
			}
			imp.JSON(t, &imported)
			// The incident's services by default: 3 alerts and 3 bookbot deploys,
			// not billing's (which still competes as a suspect).
			if imp.StatusCode != http.StatusOK || len(imported.Added) != 6 {
				t.Fatalf("import: %d %s", imp.StatusCode, imp.Body)
			}
			if again := app.API("POST", base+"/timeline/import", token, `{}`); !strings.Contains(again.Body, `"added":[]`) {
				t.Fatalf("re-import added entries: %s", again.Body)
			}

			type timelineBody struct {
				Suggestions []struct {
					Moment string    `json:"moment"`
					At     time.Time `json:"at"`
					Reason string    `json:"reason"`
				} `json:"suggestions"`
				Suspects []struct {
					Event struct {
						ID      int64  `json:"id"`
						Commit  string `json:"commit"`
						Service string `json:"service"`
					} `json:"event"`
					Reasons []string `json:"reasons"`
				} `json:"suspects"`
				Durations map[string]any `json:"durations"`
			}
			var tl timelineBody
			app.API("GET", base+"/timeline", token, "").JSON(t, &tl)
			if len(tl.Suspects) < 2 || !strings.HasPrefix(tl.Suspects[0].Event.Commit, "a1b2c3d") {
				t.Fatalf("the 11:30 deploy does not rank first: %+v", tl.Suspects)
			}
			reasons := strings.Join(tl.Suspects[0].Reasons, " | ")
			for _, want := range []string{"bookbot-api", "migration", "15 min"} {
				if !strings.Contains(reasons, want) {
					t.Errorf("top suspect's reasons lack %q: %s", want, reasons)
				}
			}
			billing := false
			for _, s := range tl.Suspects[1:] {
				billing = billing || s.Event.Service == "billing"
			}
			if !billing {
				t.Error("the billing deploy is hidden instead of ranked lower")
			}
			moments := map[string]time.Time{}
			for _, s := range tl.Suggestions {
				moments[s.Moment] = s.At
			}
			if !moments["detected"].Equal(bookbotTime("11:45")) || !moments["started"].Equal(bookbotTime("11:45")) {
				t.Errorf("suggested started %v, detected %v; want the first alert at 11:45", moments["started"], moments["detected"])
			}
			if !moments["resolved"].Equal(bookbotTime("12:45")) {
				t.Errorf("suggested resolved %v, want 12:45 (last alert resolved)", moments["resolved"])
			}

			// Accept the suggestions and mark the trigger, as the author would.
			body, _ := json.Marshal(map[string]any{"started": moments["started"], "detected": moments["detected"], "resolved": moments["resolved"],
				"mitigated": moments["resolved"]})
			if res := app.API("PUT", base+"/key-moments", token, string(body)); res.StatusCode != http.StatusOK {
				t.Fatalf("key moments: %d %s", res.StatusCode, res.Body)
			}
			if res := app.API("PUT", base+"/trigger", token, fmt.Sprintf(`{"event_id": %d}`, tl.Suspects[0].Event.ID)); res.StatusCode != http.StatusOK {
				t.Fatalf("trigger: %d %s", res.StatusCode, res.Body)
			}
			app.API("GET", base+"/timeline", token, "").JSON(t, &tl)
			// The fact sheet: detected at once, about 60 minutes of impact.
			if tl.Durations["time_to_detect_seconds"] != float64(0) || tl.Durations["impact_seconds"] != float64(3600) || tl.Durations["time_to_resolve_seconds"] != float64(3600) {
				t.Errorf("durations = %v", tl.Durations)
			}
			// An order violation is a 422 naming the moment, and nothing changes.
			bad := app.API("PUT", base+"/key-moments", token, `{"started":"2022-11-17T11:45:00+01:00","detected":"2022-11-17T11:40:00+01:00"}`)
			var eb errorBody
			bad.JSON(t, &eb)
			if bad.StatusCode != http.StatusUnprocessableEntity || eb.Error.Fields["detected"] == "" {
				t.Errorf("order violation: %d %s", bad.StatusCode, bad.Body)
			}
			app.User(fmt.Sprintf("root-%s@example.com", d), models.RoleAdmin)
			page := app.SignedIn(fmt.Sprintf("author-%s@example.com", d), models.RoleEditor).Get(fmt.Sprintf("/incidents/%d/timeline", inc.ID))
			for _, want := range []string{"<svg", "Mark as trigger", "Trigger", "a1b2c3d", "Time to detect"} {
				if !strings.Contains(page.Body, want) {
					t.Errorf("timeline page lacks %q", want)
				}
			}
		})
	}
}
