// Package scheduler runs Hindsight's background work inside `hindsight
// serve`: today, the reminder digests of corrective actions.
//
// Every replica runs it. Two database rules make each digest go out once:
// a digest is unique per owner and period (the replica whose insert wins
// composes it; the others skip), and a delivery is sent by whoever claims
// its lease (a conditional UPDATE only one sender can win). A sender that
// crashes mid-send leaves the lease to run out, after which another
// replica retries; receivers can drop that rare duplicate by its
// idempotency key (the e-mail's Message-ID, the webhook's
// X-Hindsight-Delivery header).
package scheduler

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hindsight/models"
	"hindsight/notify"
	"hindsight/reminders"
)

// Reminders composes and delivers digests. Its clock is the store's.
type Reminders struct {
	Store   *models.Store
	BaseURL *url.URL
	Log     *slog.Logger
	// HTTP sends Slack and webhook requests; TLS configures SMTP's TLS
	// (nil: the system's roots). Tests point both at their receivers.
	HTTP *http.Client
	TLS  *tls.Config
	// Lease is how long a sender holds a delivery; longer than any send.
	Lease time.Duration
}

// batch bounds the work of one tick, so a backlog drains over several.
const batch = 100

// Run ticks every interval until ctx ends.
func (r *Reminders) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick composes the digests due now and sends the deliveries due now.
func (r *Reminders) Tick(ctx context.Context) error {
	_, cerr := r.Compose(ctx)
	_, serr := r.Deliver(ctx)
	return errors.Join(cerr, serr)
}

// Compose builds the current period's digest for every owner with open
// actions overdue or due soon who has none yet, once the period's send
// time has come. It returns how many digests this call created.
func (r *Reminders) Compose(ctx context.Context) (int, error) {
	settings, err := r.Store.ReminderSettings(ctx)
	if err != nil || !settings.Enabled {
		return 0, err
	}
	cadence, err := reminders.NewCadence(settings.Every, settings.Weekday, settings.Hour, settings.Zone)
	if err != nil {
		return 0, fmt.Errorf("reminder settings: %w", err)
	}
	now := r.Store.Now()
	period, due := cadence.Period(now)
	if !due {
		return 0, nil
	}
	channels, err := r.enabledChannels(ctx)
	if err != nil || len(channels) == 0 {
		return 0, err // without a channel, digests wait: none is lost
	}
	today := models.DateOf(now.In(cadence.Zone))
	lastDue := today.AddDays(settings.DueSoonDays)
	recipients, err := r.Store.ReminderRecipients(ctx, period, lastDue)
	if err != nil {
		return 0, err
	}
	created := 0
	for _, rc := range recipients[:min(len(recipients), batch)] {
		due, err := r.Store.DueActions(ctx, rc.UserID, lastDue)
		if err != nil {
			return created, err
		}
		items := make([]reminders.Item, len(due))
		for i, a := range due {
			items[i] = reminders.Item{ActionID: a.ID, Title: a.Title, URL: r.link(fmt.Sprintf("/actions/%d/edit", a.ID)),
				IncidentKey: fmt.Sprintf("INC-%d", a.IncidentID), IncidentTitle: a.IncidentTitle,
				IncidentURL: r.link(fmt.Sprintf("/incidents/%d", a.IncidentID)), Due: a.DueDate.Time(time.UTC),
				Status: a.Status, Priority: a.Priority}
		}
		d, ok := reminders.Build(reminders.Recipient{UserID: rc.UserID, Name: rc.Name, Email: rc.Email}, items, today.Time(time.UTC), settings.DueSoonDays)
		if !ok {
			continue
		}
		d.Period = period
		subject, text := d.Email(r.BaseURL.String())
		row := models.ReminderDigest{UserID: rc.UserID, Period: period, ItemCount: d.Len(), Subject: subject, BodyText: text,
			BodySlack: string(d.SlackPayload()), BodyJSON: string(d.JSON(reminders.DigestKey(rc.UserID, period)))}
		ok, err = r.Store.CreateDigest(ctx, &row, channels)
		if err != nil {
			return created, err
		}
		if ok {
			created++
		}
	}
	return created, nil
}

func (r *Reminders) enabledChannels(ctx context.Context) ([]models.NotificationChannel, error) {
	all, err := r.Store.Channels(ctx)
	var on []models.NotificationChannel
	for _, ch := range all {
		if ch.Enabled {
			on = append(on, ch)
		}
	}
	return on, err
}

func (r *Reminders) link(path string) string {
	return strings.TrimSuffix(r.BaseURL.String(), "/") + path
}

// Deliver sends the deliveries that are due, each claimed first so that
// no other replica sends it too. It returns how many were sent.
func (r *Reminders) Deliver(ctx context.Context) (int, error) {
	queue, err := r.Store.DueDeliveries(ctx, batch)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, dl := range queue {
		won, err := r.Store.ClaimDelivery(ctx, dl.ID, r.Lease)
		if err != nil {
			return sent, err
		}
		if !won {
			continue
		}
		dl.Attempts++
		if err := r.deliverOne(ctx, dl); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// deliverOne sends one claimed delivery and records the outcome; it
// returns only database errors.
func (r *Reminders) deliverOne(ctx context.Context, dl models.ReminderDelivery) error {
	if dl.ChannelID == nil {
		return r.Store.DeliveryFailed(ctx, dl.ID, "the channel was deleted", nil)
	}
	ch, err := r.Store.Channel(ctx, *dl.ChannelID)
	if errors.Is(err, models.ErrNotFound) {
		return r.Store.DeliveryFailed(ctx, dl.ID, "the channel was deleted", nil)
	} else if err != nil {
		return err
	}
	if !ch.Enabled {
		return r.Store.DeliveryFailed(ctx, dl.ID, "the channel is paused; retry once it is enabled again", nil)
	}
	digest, user, err := r.Store.DeliveryDigest(ctx, dl.DigestID)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s-%s-%d", reminders.DigestKey(digest.UserID, digest.Period), ch.Kind, ch.ID)
	sendErr := r.send(ctx, ch, message{key: key, to: user.Email, subject: digest.Subject, text: digest.BodyText,
		slack: []byte(digest.BodySlack), json: []byte(digest.BodyJSON)})
	if sendErr == nil {
		r.Log.Info("reminder digest sent", "delivery", dl.ID, "channel", ch.Name, "user", user.Email, "period", digest.Period)
		return r.Store.DeliverySent(ctx, dl.ID)
	}
	var next *time.Time
	if at, ok := reminders.NextAttempt(dl.Attempts, r.Store.Now(), notify.RetryAfter(sendErr)); ok && !notify.IsPermanent(sendErr) {
		next = &at
	}
	r.Log.Warn("reminder digest not sent", "delivery", dl.ID, "channel", ch.Name, "attempt", dl.Attempts,
		"retry", next != nil, "err", sendErr)
	return r.Store.DeliveryFailed(ctx, dl.ID, sendErr.Error(), next)
}

// message is one digest, rendered for every kind of channel.
type message struct {
	key, to, subject, text string
	slack, json            []byte
}

// send puts a message through a channel.
func (r *Reminders) send(ctx context.Context, ch *models.NotificationChannel, m message) error {
	st := ch.ParsedSettings()
	switch ch.Kind {
	case models.ChannelSMTP:
		smtp := notify.SMTP{Host: st.Host, Port: st.Port, Username: st.Username, Password: ch.Secret, From: st.From,
			Security: st.Security, Timeout: 30 * time.Second, TLSConfig: r.TLS, Now: r.Store.Now}
		return smtp.Send(ctx, []string{m.to}, m.subject, m.text, m.key)
	case models.ChannelSlack:
		return (&notify.Slack{URL: ch.Secret, Client: r.HTTP}).Send(ctx, m.slack)
	case models.ChannelWebhook:
		return (&notify.Webhook{URL: st.URL, Secret: []byte(ch.Secret), Client: r.HTTP}).Send(ctx, m.key, m.json, r.Store.Now())
	}
	return &notify.Error{Permanent: true, Err: fmt.Errorf("unknown channel kind %q", ch.Kind)}
}

// SendTest sends a short test message through a channel now, to the admin
// who asked (for e-mail), so they can check the settings.
func (r *Reminders) SendTest(ctx context.Context, ch *models.NotificationChannel, to *models.User) error {
	now := r.Store.Now()
	text := fmt.Sprintf("This is a test message from Hindsight (%s), sent by %s at %s.\n\nReminder digests will arrive this way.",
		r.BaseURL, to.Email, now.Format(time.RFC3339))
	slack, _ := json.Marshal(map[string]string{"text": text})
	body, _ := json.Marshal(map[string]any{"test": true, "sent_at": now.Format(time.RFC3339), "requested_by": to.Email})
	return r.send(ctx, ch, message{key: fmt.Sprintf("test-c%d-%d", ch.ID, now.UnixNano()), to: to.Email,
		subject: "Hindsight test message", text: text, slack: slack, json: body})
}
