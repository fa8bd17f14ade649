package models_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/reminders"
)

func TestReminderSettings(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		cur, err := s.ReminderSettings(ctx)
		if err != nil || cur.Enabled || cur.Every != reminders.Weekdays || cur.Hour != 9 || cur.Zone != "UTC" || cur.DueSoonDays != 7 {
			t.Fatalf("defaults: %+v %v", cur, err)
		}
		bad := *cur
		bad.Every, bad.Hour, bad.Zone, bad.DueSoonDays = "hourly", 24, "Mars/Olympus", 61
		var ve *models.ValidationError
		if _, err := s.SaveReminderSettings(ctx, bad, cur.Version, "admin"); !errors.As(err, &ve) || len(ve.Fields) != 4 {
			t.Fatalf("invalid settings: %v", err)
		}
		next := *cur
		next.Enabled, next.Every, next.Weekday, next.Zone = true, reminders.Weekly, 1, "Europe/Paris"
		saved, err := s.SaveReminderSettings(ctx, next, cur.Version, "admin")
		if err != nil || !saved.Enabled || saved.Location().String() != "Europe/Paris" || saved.Version != cur.Version+1 || saved.UpdatedBy != "admin" {
			t.Fatalf("saved %+v %v", saved, err)
		}
		if _, err := s.SaveReminderSettings(ctx, next, cur.Version, "admin"); !errors.Is(err, models.ErrStale) {
			t.Errorf("stale save: %v", err)
		}
	})
}

func TestNotificationChannels(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var ve *models.ValidationError
		for name, in := range map[string]models.ChannelInput{
			"plain SMTP to a remote host": {Kind: models.ChannelSMTP, Name: "mail", Settings: models.ChannelSettings{Host: "smtp.example.com", Port: 25, From: "h@example.com", Security: "none"}},
			"SMTP without sender":         {Kind: models.ChannelSMTP, Name: "mail", Settings: models.ChannelSettings{Host: "smtp.example.com", Port: 587}},
			"Slack over http":             {Kind: models.ChannelSlack, Name: "slack", Secret: "http://hooks.slack.com/services/T/B/X"},
			"webhook without address":     {Kind: models.ChannelWebhook, Name: "hook"},
			"unknown kind":                {Kind: "pager", Name: "x"},
		} {
			if _, err := s.CreateChannel(ctx, in); !errors.As(err, &ve) {
				t.Errorf("%s: err = %v, want a validation error", name, err)
			}
		}
		mail, err := s.CreateChannel(ctx, models.ChannelInput{Kind: models.ChannelSMTP, Name: "Mail", Enabled: true,
			Settings: models.ChannelSettings{Host: "smtp.example.com", Port: 587, Username: "hindsight", From: "Hindsight <h@example.com>"}, Secret: "pw"})
		if err != nil || mail.ParsedSettings().Security != "starttls" || mail.Secret != "pw" {
			t.Fatalf("smtp channel: %+v %v", mail, err)
		}
		hook, err := s.CreateChannel(ctx, models.ChannelInput{Kind: models.ChannelWebhook, Name: "Hook", Enabled: true,
			Settings: models.ChannelSettings{URL: "https://ops.example.com/hindsight"}})
		if err != nil || len(hook.Secret) < 24 {
			t.Fatalf("webhook channel gets a signing key: %+v %v", hook, err)
		}
		// An update with an empty secret keeps the stored one; the kind is fixed.
		upd, err := s.UpdateChannel(ctx, mail.ID, models.ChannelInput{Kind: models.ChannelSlack, Name: "Mail (ops)", Enabled: false,
			Settings: models.ChannelSettings{Host: "smtp.example.com", Port: 465, Security: "tls", From: "h@example.com"}})
		if err != nil || upd.Secret != "pw" || upd.Kind != models.ChannelSMTP || upd.Enabled || upd.Name != "Mail (ops)" {
			t.Fatalf("update: %+v %v", upd, err)
		}
		rotated, err := s.RotateChannelSecret(ctx, hook.ID)
		if err != nil || rotated.Secret == hook.Secret {
			t.Fatalf("rotate: %v", err)
		}
		if _, err := s.RotateChannelSecret(ctx, mail.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("rotating an SMTP channel: %v", err)
		}
		if err := s.DeleteChannel(ctx, hook.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteChannel(ctx, hook.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
	})
}

func TestDigestsAndDeliveries(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, c := withClock(t, d) // 2026-01-01 09:00 UTC
			ctx := context.Background()
			owner, _ := s.CreateUser(ctx, models.NewUser{Email: "owner@example.com", Name: "Owner", Role: models.RoleEditor})
			other, _ := s.CreateUser(ctx, models.NewUser{Email: "other@example.com", Name: "Other", Role: models.RoleEditor})
			closed := newIncident("Closed long ago")
			closed.Status = models.StatusPublished
			inc, err := s.CreateIncident(ctx, closed, nil)
			if err != nil {
				t.Fatal(err)
			}
			add := func(title, due string, who *models.User, status string) {
				t.Helper()
				in := models.ActionInput{Title: title, OwnerID: &who.ID, Priority: "P2", Kind: "prevent"}
				if due != "" {
					d, _ := models.ParseDate(due)
					in.DueDate = &d
				}
				a, err := s.CreateAction(ctx, inc.ID, in, who)
				if err != nil {
					t.Fatal(err)
				}
				if status != "open" {
					in.Status, in.Reason = status, "no longer needed"
					if _, err := s.UpdateAction(ctx, a.ID, a.Version, in, who); err != nil {
						t.Fatal(err)
					}
				}
			}
			add("Overdue on a published incident", "2025-12-20", owner, "open")
			add("Due soon", "2026-01-05", owner, "in_progress")
			add("Due later", "2026-03-01", owner, "open")
			add("Done", "2025-12-01", other, "done")
			add("Dropped", "2025-12-01", other, "wont_do")
			add("No date", "", other, "open")

			lastDue, _ := models.ParseDate("2026-01-08")
			recipients, err := s.ReminderRecipients(ctx, "2026-01-01", lastDue)
			if err != nil || len(recipients) != 1 || recipients[0].Email != "owner@example.com" {
				t.Fatalf("recipients = %+v, %v; want only the owner with open actions due", recipients, err)
			}
			due, err := s.DueActions(ctx, owner.ID, lastDue)
			if err != nil || len(due) != 2 || due[0].Title != "Overdue on a published incident" || due[0].DueDate.String() != "2025-12-20" ||
				due[1].Status != "in_progress" || due[0].IncidentTitle != "Closed long ago" {
				t.Fatalf("due actions = %+v, %v", due, err)
			}

			ch, _ := s.CreateChannel(ctx, models.ChannelInput{Kind: models.ChannelWebhook, Name: "Hook", Enabled: true,
				Settings: models.ChannelSettings{URL: "https://ops.example.com/h"}})
			digest := models.ReminderDigest{UserID: owner.ID, Period: "2026-01-01", ItemCount: 2, Subject: "2 actions", BodyText: "t", BodySlack: "{}", BodyJSON: "{}"}
			first := digest
			if ok, err := s.CreateDigest(ctx, &first, []models.NotificationChannel{*ch}); !ok || err != nil {
				t.Fatalf("first digest: %v %v", ok, err)
			}
			again := digest
			if ok, err := s.CreateDigest(ctx, &again, []models.NotificationChannel{*ch}); ok || err != nil {
				t.Fatalf("second digest for the same period: created=%v err=%v", ok, err)
			}
			if r, _ := s.ReminderRecipients(ctx, "2026-01-01", lastDue); len(r) != 0 {
				t.Errorf("an owner with a digest for the period is no recipient: %+v", r)
			}

			queue, err := s.DueDeliveries(ctx, 10)
			if err != nil || len(queue) != 1 || queue[0].Status != models.DeliveryPending || queue[0].ChannelName != "Hook" {
				t.Fatalf("queue = %+v %v", queue, err)
			}
			id := queue[0].ID
			// Of eight senders claiming at once, one wins.
			var wins atomic.Int32
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					if ok, err := s.ClaimDelivery(ctx, id, time.Minute); err != nil {
						t.Error(err)
					} else if ok {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d senders claimed the delivery, want 1", wins.Load())
			}
			if q, _ := s.DueDeliveries(ctx, 10); len(q) != 0 {
				t.Errorf("a leased delivery is not due: %+v", q)
			}
			retry := c.Now().Add(2 * time.Minute)
			if err := s.DeliveryFailed(ctx, id, "receiver answered 503", &retry); err != nil {
				t.Fatal(err)
			}
			if q, _ := s.DueDeliveries(ctx, 10); len(q) != 0 {
				t.Errorf("retried before its time: %+v", q)
			}
			c.Add(2 * time.Minute)
			if ok, _ := s.ClaimDelivery(ctx, id, time.Minute); !ok {
				t.Fatal("the retry is claimable once due")
			}
			if err := s.DeliveryFailed(ctx, id, "receiver answered 404", nil); err != nil {
				t.Fatal(err)
			}
			log, total, err := s.DeliveryLog(ctx, "", 1, 50)
			if err != nil || total != 1 || log[0].Status != models.DeliveryFailed || log[0].Attempts != 2 ||
				log[0].LastError != "receiver answered 404" || log[0].UserEmail != "owner@example.com" || log[0].Period != "2026-01-01" {
				t.Fatalf("log = %+v %d %v", log, total, err)
			}
			if err := s.RetryDelivery(ctx, id); err != nil {
				t.Fatal(err)
			}
			if err := s.RetryDelivery(ctx, id); !errors.Is(err, models.ErrNotRetryable) {
				t.Errorf("retrying a queued delivery: %v", err)
			}
			if err := s.RetryDelivery(ctx, 999); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("retrying an unknown delivery: %v", err)
			}
			if ok, _ := s.ClaimDelivery(ctx, id, time.Minute); !ok {
				t.Fatal("a retried delivery is claimable")
			}
			if err := s.DeliverySent(ctx, id); err != nil {
				t.Fatal(err)
			}
			if log, _, _ := s.DeliveryLog(ctx, models.DeliverySent, 1, 50); len(log) != 1 || log[0].SentAt == nil || log[0].LastError != "" {
				t.Errorf("sent: %+v", log)
			}
		})
	}
}
