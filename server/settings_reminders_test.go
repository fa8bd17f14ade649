package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/notify"
)

func TestReminderSettingsPages(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			admin := app.SignedIn("root@example.com", models.RoleAdmin)
			ctx := context.Background()

			page := admin.Get("/settings/reminders")
			if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "Digests are off") || !strings.Contains(page.Body, "No channels yet") {
				t.Fatalf("settings page: %d", page.StatusCode)
			}
			bad := admin.PostForm("/settings/reminders", url.Values{"version": {"1"}, "enabled": {"on"}, "every": {"weekdays"},
				"weekday": {"1"}, "hour": {"25"}, "zone": {"Atlantis/Capital"}, "due_soon_days": {"7"}})
			if bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "0 to 23") || !strings.Contains(bad.Body, "IANA") ||
				!strings.Contains(bad.Body, `value="Atlantis/Capital"`) {
				t.Fatalf("invalid settings: %d", bad.StatusCode)
			}
			blank := admin.PostForm("/settings/reminders", url.Values{"version": {"1"}, "enabled": {"on"}, "every": {"daily"},
				"weekday": {"1"}, "hour": {""}, "zone": {"UTC"}, "due_soon_days": {"7"}})
			if blank.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(blank.Body, `name="hour" min="0" max="23" value=""`) {
				t.Errorf("a blank hour comes back blank with its error: %d", blank.StatusCode)
			}
			good := url.Values{"version": {"1"}, "enabled": {"on"}, "every": {"weekly"}, "weekday": {"1"}, "hour": {"9"},
				"zone": {"Europe/Paris"}, "due_soon_days": {"5"}}
			if res := admin.PostForm("/settings/reminders", good); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("save: %d %s", res.StatusCode, res.Body)
			}
			if res := admin.PostForm("/settings/reminders", good); res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "Someone else changed") {
				t.Errorf("stale save: %d", res.StatusCode)
			}
			if page := admin.Get("/settings/reminders"); !strings.Contains(page.Body, "Every Monday at 09:00 (Europe/Paris)") {
				t.Errorf("the cadence is not described")
			}

			// A receiver for the test message, checking the signature.
			var got atomic.Int32
			var secret atomic.Value
			secret.Store("")
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if err := notify.VerifySignature([]byte(secret.Load().(string)), body, r.Header.Get(notify.HeaderTimestamp),
					r.Header.Get(notify.HeaderSignature), time.Now(), time.Minute); err != nil {
					http.Error(w, err.Error(), http.StatusUnauthorized)
					return
				}
				got.Add(1)
			}))
			defer rcv.Close()

			bad = admin.PostForm("/settings/reminders/channels", url.Values{"kind": {"smtp"}, "name": {"Mail"}, "host": {"smtp.example.com"},
				"port": {"25"}, "security": {"none"}, "from": {"not an address"}})
			if bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "only allowed to a server on this machine") ||
				!strings.Contains(bad.Body, "sender address") {
				t.Fatalf("invalid SMTP channel: %d", bad.StatusCode)
			}
			res := admin.PostForm("/settings/reminders/channels", url.Values{"kind": {"webhook"}, "name": {"Ops hook"}, "enabled": {"on"},
				"url": {rcv.URL + "/digests"}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("create webhook channel: %d %s", res.StatusCode, res.Body)
			}
			chURL := res.Header.Get("Location")
			channels, _ := app.Store.Channels(ctx)
			if len(channels) != 1 || chURL != fmt.Sprintf("/settings/reminders/channels/%d", channels[0].ID) {
				t.Fatalf("channels %+v, redirect %q", channels, chURL)
			}
			secret.Store(channels[0].Secret)
			if page := admin.Get(chURL); !strings.Contains(page.Body, channels[0].Secret) || !strings.Contains(page.Body, "X-Hindsight-Signature") {
				t.Errorf("the webhook page shows the signing key and how to verify it")
			}
			if res := admin.PostForm(chURL+"/test", nil); res.StatusCode != http.StatusSeeOther || got.Load() != 1 {
				t.Fatalf("test message: %d, received %d", res.StatusCode, got.Load())
			}
			if page := admin.Get(chURL); !strings.Contains(page.Body, "Test message sent.") {
				t.Errorf("no confirmation of the test message")
			}
			// A rotated key no longer verifies at the receiver: the test says so.
			if res := admin.PostForm(chURL+"/rotate", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("rotate: %d", res.StatusCode)
			}
			admin.PostForm(chURL+"/test", nil)
			if page := admin.Get(chURL); !strings.Contains(page.Body, "not sent") || !strings.Contains(page.Body, "401") {
				t.Errorf("a refused test message is reported with the receiver's answer")
			}

			// A Slack channel keeps its URL secret: the page never shows it.
			slackURL := "https://hooks.slack.example.com/services/T000/B000/very-secret"
			res = admin.PostForm("/settings/reminders/channels", url.Values{"kind": {"slack"}, "name": {"Slack"}, "enabled": {"on"}, "secret": {slackURL}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("create slack channel: %d %s", res.StatusCode, res.Body)
			}
			slack := res.Header.Get("Location")
			if page := admin.Get(slack); strings.Contains(page.Body, "very-secret") {
				t.Error("the Slack webhook URL is shown back")
			}
			edit := admin.PostForm(slack, url.Values{"kind": {"slack"}, "name": {"Slack #incidents"}})
			if edit.StatusCode != http.StatusSeeOther {
				t.Fatalf("rename keeping the secret: %d %s", edit.StatusCode, edit.Body)
			}
			if ch, _ := app.Store.Channel(ctx, channels[0].ID+1); ch.Secret != slackURL || ch.Enabled || ch.Name != "Slack #incidents" {
				t.Errorf("after the edit: %+v", ch)
			}
			if res := admin.PostForm(slack+"/rotate", nil); res.StatusCode != http.StatusBadRequest {
				t.Errorf("rotating a Slack channel: %d", res.StatusCode)
			}
			if res := admin.Get("/settings/reminders/channels/999"); res.StatusCode != http.StatusNotFound {
				t.Errorf("unknown channel: %d", res.StatusCode)
			}
			if res := admin.PostForm(slack+"/delete", nil); res.StatusCode != http.StatusSeeOther {
				t.Errorf("delete: %d", res.StatusCode)
			}

			// The delivery log, and retrying a given-up delivery.
			if res := admin.Get("/settings/reminders/deliveries?status=lost"); res.StatusCode != http.StatusBadRequest {
				t.Errorf("unknown status filter: %d", res.StatusCode)
			}
			owner, _ := app.Store.UserByEmail(ctx, "root@example.com")
			digest := models.ReminderDigest{UserID: owner.ID, Period: "2026-W02", ItemCount: 1, Subject: "1 action overdue", BodyText: "x", BodySlack: "{}", BodyJSON: "{}"}
			if ok, err := app.Store.CreateDigest(ctx, &digest, channels); !ok || err != nil {
				t.Fatal(err)
			}
			queue, _ := app.Store.DueDeliveries(ctx, 10)
			app.Store.ClaimDelivery(ctx, queue[0].ID, time.Minute)
			app.Store.DeliveryFailed(ctx, queue[0].ID, "webhook: the receiver answered 404 Not Found", nil)
			log := admin.Get("/settings/reminders/deliveries?status=failed")
			if !strings.Contains(log.Body, "1 action overdue") || !strings.Contains(log.Body, "answered 404") || !strings.Contains(log.Body, "Retry") {
				t.Fatalf("delivery log: %d %s", log.StatusCode, log.Body)
			}
			retry := fmt.Sprintf("/settings/reminders/deliveries/%d/retry", queue[0].ID)
			if res := admin.PostForm(retry, nil); res.StatusCode != http.StatusSeeOther {
				t.Errorf("retry: %d", res.StatusCode)
			}
			if res := admin.PostForm(retry, nil); res.StatusCode != http.StatusConflict {
				t.Errorf("retrying a queued delivery: %d", res.StatusCode)
			}
			if res := admin.PostForm("/settings/reminders/deliveries/999/retry", nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("retrying an unknown delivery: %d", res.StatusCode)
			}
		})
	}
}
