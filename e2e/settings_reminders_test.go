package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/models"
	"hindsight/notify"
	"hindsight/reminders"
)

// TestReminderSettingsFlow sets up reminder digests in the browser: a
// weekly cadence that the page then describes with its next send time, an
// invalid hour refused next to the field with the typed values kept, a
// signed webhook channel whose test message reaches a receiver that checks
// the signature with the key shown on the page (and whose refusal is
// reported with the receiver's status), and a given-up delivery queued
// again from the delivery log.
func TestReminderSettingsFlow(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	app := apptest.Start(t, models.Postgres, nil)
	admin := app.User("admin@example.com", models.RoleAdmin)
	ctx := context.Background()

	// The receiver of the generic webhook: it checks each request's
	// signature with the key the page shows, records it, and answers with
	// the status the test chooses.
	rcv := &webhookReceiver{}
	rcv.status.Store(http.StatusNoContent)
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("the receiver listens on %s, want 127.0.0.1", srv.URL)
	}

	b := newBrowser(t, app.URL)
	b.signIn("admin@example.com", apptest.Password)

	// Settings → Reminders from the header: digests are off.
	b.clickAndWaitForPage(`header a[href="/settings/reminders"]`)
	b.expectPath("/settings/reminders")
	b.expectText("#main h1", "Reminders")
	b.expectText("#main .card p.muted", "Digests are off.")
	b.expectText("#main table tbody", "No channels yet")

	// Weekly, on Monday at 09:00 in Paris.
	saveSettings := `#main form[action="/settings/reminders"] button[type="submit"]`
	b.click("#rem-enabled")
	b.setValue("#rem-every", "weekly")
	b.setValue("#rem-weekday", "1")
	b.setValue("#rem-hour", "9")
	b.replaceText("#rem-zone", "Europe/Paris")
	cadence, err := reminders.NewCadence("weekly", int(time.Monday), 9, "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if status := b.clickStatus(saveSettings); status != http.StatusOK {
		t.Fatalf("saving the reminder settings: status %d, want 200 after the redirect", status)
	}
	after := time.Now()
	b.expectPath("/settings/reminders")
	b.expectText(".flash", "Reminders saved.")
	described := b.text("#main .card p.muted")
	if !strings.Contains(described, "Every Monday at 09:00 (Europe/Paris). Next digests: ") {
		t.Fatalf("after saving, the page reads %q, want the cadence in words and the next digest", described)
	}
	// The next digest, shown in the viewer's zone (Berlin keeps Paris time).
	berlin, err := time.LoadLocation(browserZone)
	if err != nil {
		t.Fatal(err)
	}
	next1 := "Next digests: " + cadence.Next(before).In(berlin).Format("2006-01-02 15:04 MST") + "."
	next2 := "Next digests: " + cadence.Next(after).In(berlin).Format("2006-01-02 15:04 MST") + "."
	if !strings.Contains(described, next1) && !strings.Contains(described, next2) {
		t.Fatalf("the page reads %q, want %q", described, next1)
	}
	if got := cadence.Next(before).In(berlin); got.Weekday() != time.Monday || got.Hour() != 9 {
		t.Fatalf("the next digest is at %s, want a Monday at 09:00", got)
	}
	b.expectValue("#rem-every", "weekly")
	b.expectValue("#rem-weekday", "1")
	b.expectValue("#rem-hour", "9")
	b.expectValue("#rem-zone", "Europe/Paris")

	// An hour out of range. The browser's own check stops it first (the
	// field has max=23); without that check the server refuses it, next to
	// the field, and keeps what was typed.
	b.setValue("#rem-weekday", "2")
	b.replaceText("#rem-zone", "America/New_York")
	b.setValue("#rem-hour", "25")
	if eval[bool](b, `document.querySelector("#rem-hour").checkValidity()`) {
		t.Fatal("the browser accepts hour 25 in a field with max=23")
	}
	eval[bool](b, `document.querySelector('#main form[action="/settings/reminders"]').noValidate = true`)
	if status := b.clickStatus(saveSettings); status != http.StatusUnprocessableEntity {
		t.Fatalf("saving hour 25: status %d, want 422", status)
	}
	b.expectPath("/settings/reminders")
	b.expectText(`#main div:has(> #rem-hour) > .error`, "choose an hour from 0 to 23")
	b.expectCount(`#main form[action="/settings/reminders"] .error`, 1)
	b.expectValue("#rem-hour", "25")
	b.expectValue("#rem-zone", "America/New_York")
	b.expectValue("#rem-weekday", "2")
	b.expectValue("#rem-every", "weekly")
	if !eval[bool](b, `document.querySelector("#rem-enabled").checked`) {
		t.Fatal("the 'Send digests' box lost its tick on the refused form")
	}
	if s, err := app.Store.ReminderSettings(ctx); err != nil {
		t.Fatal(err)
	} else if !s.Enabled || s.Every != "weekly" || s.Weekday != int(time.Monday) || s.Hour != 9 || s.Zone != "Europe/Paris" {
		t.Fatalf("after the refused save the stored settings are %+v, want the weekly Monday 09:00 Paris ones", s)
	}

	// A generic webhook channel to the receiver.
	b.setValue("#ch-kind", models.ChannelWebhook)
	b.typeInto("#ch-name", "Ops hook")
	b.typeInto("#ch-url", srv.URL+"/digests")
	if status := b.clickStatus(`#main form[action="/settings/reminders/channels"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("adding the webhook channel: status %d, want 200 after the redirect", status)
	}
	channels, err := app.Store.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(channels) != 1 || channels[0].Kind != models.ChannelWebhook {
		t.Fatalf("stored channels: %+v, want one webhook", channels)
	}
	chPath := fmt.Sprintf("/settings/reminders/channels/%d", channels[0].ID)
	b.expectPath(chPath)
	b.expectText(".flash", "Channel added. Send a test message to check it.")
	b.expectText("#main h1", "Ops hook")
	b.expectValue("#ch-url", srv.URL+"/digests")
	secret := b.text("#channel-secret")
	if secret == "" {
		t.Fatal("the channel page shows no signing key")
	}
	rcv.setSecret(secret)

	// The test message arrives once, signed with the key on the page.
	testButton := fmt.Sprintf(`#main form[action="%s/test"] button[type="submit"]`, chPath)
	b.clickAndWaitForPage(testButton)
	b.expectPath(chPath)
	b.expectText(".flash", "Test message sent.")
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("the receiver got %d requests, want 1", len(got))
	}
	if r := got[0]; r.verifyErr != nil || r.path != "/digests" || r.delivery == "" {
		t.Fatalf("the test request: path %q, delivery %q, signature check: %v", r.path, r.delivery, r.verifyErr)
	}
	var body struct {
		Test        bool   `json:"test"`
		RequestedBy string `json:"requested_by"`
	}
	if err := json.Unmarshal(got[0].body, &body); err != nil || !body.Test || body.RequestedBy != "admin@example.com" {
		t.Fatalf("the test message's body %s: %v", got[0].body, err)
	}

	// The receiver fails: the test says it was not sent, and why.
	rcv.status.Store(http.StatusInternalServerError)
	b.clickAndWaitForPage(testButton)
	b.expectPath(chPath)
	flash := b.text(".flash")
	if !strings.Contains(flash, "The test message was not sent") || !strings.Contains(flash, "answered 500") {
		t.Fatalf("after a 500 the page says %q, want that the test message was not sent and the status", flash)
	}
	if strings.Contains(flash, "/digests") {
		t.Fatalf("the report %q shows the webhook's path", flash)
	}
	if got := rcv.requests(); len(got) != 2 || got[1].verifyErr != nil {
		t.Fatalf("the receiver got %d requests, want 2, both signed", len(got))
	}

	// A digest whose delivery through the channel was given up.
	digest := models.ReminderDigest{UserID: admin.ID, Period: "2026-W02", ItemCount: 1, Subject: "1 action overdue",
		BodyText: "x", BodySlack: "{}", BodyJSON: "{}"}
	if ok, err := app.Store.CreateDigest(ctx, &digest, channels); !ok || err != nil {
		t.Fatalf("create the digest: %v %v", ok, err)
	}
	queue, err := app.Store.DueDeliveries(ctx, 10)
	if err != nil || len(queue) != 1 || queue[0].DigestID != digest.ID {
		t.Fatalf("due deliveries: %+v %v", queue, err)
	}
	delivery := queue[0].ID
	if ok, err := app.Store.ClaimDelivery(ctx, delivery, time.Minute); !ok || err != nil {
		t.Fatalf("claim the delivery: %v %v", ok, err)
	}
	if err := app.Store.DeliveryFailed(ctx, delivery, "webhook POST http://127.0.0.1: the receiver answered 500: receiver down", nil); err != nil {
		t.Fatal(err)
	}

	// The delivery log, from the reminders page, filtered to failures.
	b.clickAndWaitForPage(`#main a[href="/settings/reminders"]`)
	b.clickAndWaitForPage(`#main a[href="/settings/reminders/deliveries"]`)
	b.expectPath("/settings/reminders/deliveries")
	b.expectText("#main h1", "Reminder deliveries")
	b.setValue("#del-status", models.DeliveryFailed)
	b.clickAndWaitForPage(`#main form.filters button[type="submit"]`)
	b.expectPath("/settings/reminders/deliveries?status=failed")
	b.expectValue("#del-status", models.DeliveryFailed)
	b.expectCount("#main table tbody tr", 1)
	row := "#main table tbody tr"
	b.expectText(row+" td:nth-child(2)", "admin@example.com")
	b.expectText(row+" td:nth-child(3)", "1 action overdue")
	b.expectText(row+" td:nth-child(4)", "Ops hook")
	b.expectText(row+" td:nth-child(5) .delivery.failed", "failed")
	b.expectText(row+" td:nth-child(6)", "1")
	b.expectText(row+" td:nth-child(7) .error", "the receiver answered 500: receiver down")

	// Retry: queued again, gone from the failures.
	retry := fmt.Sprintf(`%s form[action="/settings/reminders/deliveries/%d/retry"] button[type="submit"]`, row, delivery)
	if status := b.clickStatus(retry); status != http.StatusOK {
		t.Fatalf("retrying the delivery: status %d, want 200 after the redirect", status)
	}
	b.expectPath("/settings/reminders/deliveries")
	b.expectText(".flash", "Delivery queued again; it goes out within a minute.")
	b.expectCount("#main table tbody tr", 1)
	b.expectText(row+" td:nth-child(5) .delivery.pending", "pending")
	b.expectText(row+" td:nth-child(6)", "0")
	b.expectCount(row+" form", 0)
	b.setValue("#del-status", models.DeliveryFailed)
	b.clickAndWaitForPage(`#main form.filters button[type="submit"]`)
	b.expectPath("/settings/reminders/deliveries?status=failed")
	b.expectCount("#main table tbody tr", 1)
	b.expectText("#main table tbody tr td", "No deliveries with status failed yet.")
	entries, total, err := app.Store.DeliveryLog(ctx, "", 1, 10)
	if err != nil || total != 1 || entries[0].Status != models.DeliveryPending {
		t.Fatalf("after the retry the log holds %d deliveries (%v): %+v", total, err, entries)
	}
}

// webhookReceiver stands for an admin's own system behind a generic
// webhook channel.
type webhookReceiver struct {
	status atomic.Int32 // what it answers

	mu     sync.Mutex
	secret string
	got    []receivedWebhook
}

type receivedWebhook struct {
	path, delivery string
	body           []byte
	verifyErr      error
}

func (r *webhookReceiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *webhookReceiver) requests() []receivedWebhook {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedWebhook(nil), r.got...)
}

func (r *webhookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	err := notify.VerifySignature([]byte(r.secret), body, req.Header.Get(notify.HeaderTimestamp),
		req.Header.Get(notify.HeaderSignature), time.Now(), time.Minute)
	r.got = append(r.got, receivedWebhook{path: req.URL.Path, delivery: req.Header.Get(notify.HeaderDelivery), body: body, verifyErr: err})
	r.mu.Unlock()
	if err != nil {
		http.Error(w, "bad signature: "+err.Error(), http.StatusUnauthorized)
		return
	}
	status := int(r.status.Load())
	if status >= 500 {
		http.Error(w, "receiver down", status)
		return
	}
	w.WriteHeader(status)
}
