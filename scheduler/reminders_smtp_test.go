package scheduler_test

import (
	"context"
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"

	"hindsight/internal/mailtest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

// smtpFixture is setupNoChannel plus an e-mail channel to a real SMTP
// server (STARTTLS, AUTH required) that the scheduler trusts.
func smtpFixture(t *testing.T, d models.Dialect, c *clock, password func(*mailtest.Server) string) (*fixture, *mailtest.Server) {
	t.Helper()
	opts := testdb.Options()
	opts.Now = c.Now
	f := setupNoChannel(t, testdb.New(t, d, opts), c)
	ms := mailtest.Start(t, mailtest.Options{StartTLS: true})
	_, err := f.store.CreateChannel(context.Background(), models.ChannelInput{Kind: models.ChannelSMTP, Name: "Team mail", Enabled: true,
		Settings: models.ChannelSettings{Host: "127.0.0.1", Port: ms.Port, From: "Hindsight <hindsight@example.com>",
			Security: "starttls", Username: ms.User}, Secret: password(ms)})
	if err != nil {
		t.Fatal(err)
	}
	f.sender.TLS = &tls.Config{RootCAs: ms.Pool}
	return f, ms
}

func TestDigestBySMTP(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			c := &clock{}
			c.Set("2026-01-05T09:00:00Z") // Monday 10:00 in Paris
			f, ms := smtpFixture(t, d, c, func(ms *mailtest.Server) string { return ms.Password })
			ctx := context.Background()
			title := "Add a migration check to the deploy pipeline — before every release, including the hotfix ones"
			f.action(t, title, "2026-01-02")
			f.action(t, "Alert on chatbot 5xx rate", "2026-01-04")

			// The server answers 451 once: the delivery waits a minute.
			ms.TempFail(1)
			f.tick(t)
			if n := len(ms.Received()); n != 0 {
				t.Fatalf("%d mails accepted despite the 451", n)
			}
			deferred := ms.Deferred()
			if len(deferred) != 1 {
				t.Fatalf("%d mails deferred, want 1", len(deferred))
			}
			log, total, _ := f.store.DeliveryLog(ctx, "", 1, 10)
			if total != 1 || log[0].Status != models.DeliveryPending || log[0].Attempts != 1 || !strings.Contains(log[0].LastError, "451") ||
				!log[0].NextAttemptAt.Equal(c.Now().Add(time.Minute)) {
				t.Fatalf("after a 451: %d %+v", total, log)
			}
			if strings.Contains(log[0].LastError, ms.Password) {
				t.Errorf("the delivery log shows the password: %q", log[0].LastError)
			}
			c.Set("2026-01-05T09:00:30Z")
			f.tick(t) // not due yet
			if n := len(ms.Deferred()) + len(ms.Received()); n != 1 {
				t.Fatalf("retried before its time: %d attempts", n)
			}

			c.Set("2026-01-05T09:01:00Z")
			f.tick(t)
			mails := ms.Received()
			if len(mails) != 1 {
				t.Fatalf("%d mails after the retry, want 1", len(mails))
			}
			m := mails[0]
			if !slices.Equal(m.To, []string{"maya@example.com"}) || m.From != "hindsight@example.com" || !m.TLS ||
				m.User != ms.User || m.Mechanism != mailtest.Plain {
				t.Errorf("envelope: to %v from %q, TLS %v, user %q (%s)", m.To, m.From, m.TLS, m.User, m.Mechanism)
			}
			log, _, _ = f.store.DeliveryLog(ctx, "", 1, 10)
			if log[0].Status != models.DeliverySent || log[0].Attempts != 2 || log[0].LastError != "" {
				t.Errorf("after the retry: %+v", log[0])
			}
			subject, err := m.Subject()
			if err != nil || subject != "[Hindsight] 2 overdue corrective actions" || subject != log[0].Subject {
				t.Errorf("Subject %q (%v), the digest's %q", subject, err, log[0].Subject)
			}
			if to := m.Header.Get("To"); !strings.Contains(to, "<maya@example.com>") {
				t.Errorf("To: %q", to)
			}
			body, err := m.Body()
			if err != nil || !strings.Contains(body, "* "+title+"\n") || !strings.Contains(body, "Alert on chatbot 5xx rate") {
				t.Errorf("body (%v):\n%s", err, body)
			}
			id := m.Header.Get("Message-ID")
			if id == "" || !strings.HasSuffix(id, "@example.com>") || deferred[0].Header.Get("Message-ID") != id {
				t.Errorf("Message-ID %q, on the deferred attempt %q", id, deferred[0].Header.Get("Message-ID"))
			}

			// Later ticks in the same period send nothing more.
			f.tick(t)
			c.Set("2026-01-05T16:00:00Z")
			f.tick(t)
			if n, nd := len(ms.Received()), len(ms.Deferred()); n != 1 || nd != 1 {
				t.Errorf("after more ticks on Monday: %d mails, %d deferred", n, nd)
			}
			if _, total, _ := f.store.DeliveryLog(ctx, "", 1, 10); total != 1 {
				t.Errorf("%d deliveries on Monday, want 1", total)
			}
		})
	}
}

func TestDigestBySMTPWrongPassword(t *testing.T) {
	const wrong = "wrong-Pa55word-xyz"
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			c := &clock{}
			c.Set("2026-01-05T09:00:00Z")
			f, ms := smtpFixture(t, d, c, func(*mailtest.Server) string { return wrong })
			f.action(t, "Add a migration check to the deploy pipeline", "2026-01-02")
			ctx := context.Background()

			f.tick(t)
			log, _, _ := f.store.DeliveryLog(ctx, "", 1, 10)
			if len(log) != 1 || log[0].Status != models.DeliveryFailed || log[0].Attempts != 1 {
				t.Fatalf("after a refused password: %+v", log)
			}
			if e := log[0].LastError; !strings.Contains(e, "AUTH") || !strings.Contains(e, "535") || !strings.Contains(strings.ToLower(e), "authentication") {
				t.Errorf("last error %q does not say authentication failed", e)
			}
			if e := log[0].LastError; strings.Contains(e, wrong) || strings.Contains(e, ms.Password) {
				t.Errorf("the delivery log shows a password: %q", e)
			}
			// Given up: no retry later.
			c.Set("2026-01-05T10:00:00Z")
			f.tick(t)
			if n, a := len(ms.Received()), ms.AuthAttempts(); n != 0 || a != 1 {
				t.Errorf("%d mails, %d AUTH attempts, want 0 and 1", n, a)
			}
		})
	}
}
