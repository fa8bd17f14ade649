package scheduler_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/notify"
	"hindsight/scheduler"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now, _ = time.Parse(time.RFC3339, s)
}

// receiver is a real HTTP endpoint standing in for the team's webhook
// consumer: it verifies each signature and records what arrived.
type receiver struct {
	t      *testing.T
	clock  *clock
	secret func() []byte
	mu     sync.Mutex
	status []int // answers to give, in order; then 204
	got    []delivery
	srv    *httptest.Server
}

type delivery struct {
	Key    string
	Digest struct {
		Recipient struct {
			Email string `json:"email"`
		} `json:"recipient"`
		Overdue []struct {
			Title string `json:"title"`
		} `json:"overdue"`
		DueSoon []struct {
			Title string `json:"title"`
		} `json:"due_soon"`
	}
}

func newReceiver(t *testing.T, c *clock) *receiver {
	rc := &receiver{t: t, clock: c}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := notify.VerifySignature(rc.secret(), body, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), rc.clock.Now(), 5*time.Minute); err != nil {
			t.Errorf("receiver: bad signature: %v", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.status) > 0 {
			code := rc.status[0]
			rc.status = rc.status[1:]
			http.Error(w, "try later", code)
			return
		}
		d := delivery{Key: r.Header.Get(notify.HeaderDelivery)}
		if err := json.Unmarshal(body, &d.Digest); err != nil {
			t.Errorf("receiver: body is not JSON: %v", err)
		}
		rc.got = append(rc.got, d)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) received() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

func (rc *receiver) answer(codes ...int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = append(rc.status, codes...)
}

type fixture struct {
	store  *models.Store
	clock  *clock
	rcv    *receiver
	owner  *models.User
	inc    *models.Incident
	sender *scheduler.Reminders
}

func newReminders(store *models.Store) *scheduler.Reminders {
	base, _ := url.Parse("https://hindsight.example.com")
	return &scheduler.Reminders{Store: store, BaseURL: base, Log: slog.New(slog.DiscardHandler),
		HTTP: &http.Client{Timeout: 5 * time.Second}, Lease: time.Minute}
}

// setup: digests on weekdays at 09:00 Paris time, a signed webhook channel,
// one owner with an overdue action on an incident that is already published.
func setup(t *testing.T, store *models.Store, c *clock) *fixture {
	f := setupNoChannel(t, store, c)
	f.rcv = newReceiver(t, c)
	ch, err := store.CreateChannel(context.Background(), models.ChannelInput{Kind: models.ChannelWebhook, Name: "Ops hook", Enabled: true,
		Settings: models.ChannelSettings{URL: f.rcv.srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	f.rcv.secret = func() []byte { return []byte(ch.Secret) }
	return f
}

// setupNoChannel is setup without any channel (and without rcv): digests
// on weekdays at 09:00 Paris time, the owner Maya and a published incident.
func setupNoChannel(t *testing.T, store *models.Store, c *clock) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{store: store, clock: c, sender: newReminders(store)}
	cur, _ := store.ReminderSettings(ctx)
	_, err := store.SaveReminderSettings(ctx, models.ReminderSettings{Enabled: true, Every: "weekdays", Hour: 9,
		Zone: "Europe/Paris", DueSoonDays: 7}, cur.Version, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	f.owner, err = store.CreateUser(ctx, models.NewUser{Email: "maya@example.com", Name: "Maya", Role: models.RoleEditor})
	if err != nil {
		t.Fatal(err)
	}
	f.inc, err = store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2", Status: models.StatusPublished,
		StartedAt: c.Now().Add(-30 * 24 * time.Hour)}, &f.owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) action(t *testing.T, title, due string) *models.Action {
	t.Helper()
	d, _ := models.ParseDate(due)
	a, err := f.store.CreateAction(context.Background(), f.inc.ID, models.ActionInput{Title: title, OwnerID: &f.owner.ID,
		DueDate: &d, Priority: "P2", Kind: "prevent"}, f.owner)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) tick(t *testing.T) {
	t.Helper()
	if err := f.sender.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDigestCadence(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			c := &clock{}
			c.Set("2026-01-05T07:30:00Z") // Monday 08:30 in Paris: before the send hour
			opts := testdb.Options()
			opts.Now = c.Now
			f := setup(t, testdb.New(t, d, opts), c)
			a := f.action(t, "Add a migration check to the deploy pipeline", "2026-01-02")
			f.action(t, "Alert on chatbot 5xx rate", "2026-01-09")
			f.action(t, "Rewrite the runbook", "2026-02-20") // beyond the 7 days: not in the digest

			f.tick(t)
			if got := f.rcv.received(); len(got) != 0 {
				t.Fatalf("sent before 09:00 Paris time: %+v", got)
			}
			c.Set("2026-01-05T08:00:00Z") // 09:00 in Paris
			f.tick(t)
			f.tick(t) // a second tick in the same period sends nothing more
			got := f.rcv.received()
			if len(got) != 1 {
				t.Fatalf("got %d digests on Monday, want 1", len(got))
			}
			dg := got[0].Digest
			if dg.Recipient.Email != "maya@example.com" || len(dg.Overdue) != 1 || dg.Overdue[0].Title != "Add a migration check to the deploy pipeline" ||
				len(dg.DueSoon) != 1 || dg.DueSoon[0].Title != "Alert on chatbot 5xx rate" {
				t.Errorf("digest = %+v", dg)
			}
			if got[0].Key == "" {
				t.Error("no delivery key")
			}

			// Tuesday: a new period, a new digest — the incident being published changes nothing.
			c.Set("2026-01-06T08:05:00Z")
			f.tick(t)
			if n := len(f.rcv.received()); n != 2 {
				t.Fatalf("after Tuesday: %d digests, want 2", n)
			}
			// Saturday is no weekday.
			c.Set("2026-01-10T10:00:00Z")
			f.tick(t)
			if n := len(f.rcv.received()); n != 2 {
				t.Fatalf("sent on a Saturday: %d digests", n)
			}

			// Once the overdue action is done and the other one too, Monday sends nothing.
			ctx := context.Background()
			in := models.ActionInputOf(a)
			in.Status = "done"
			if _, err := f.store.UpdateAction(ctx, a.ID, a.Version, in, f.owner); err != nil {
				t.Fatal(err)
			}
			page, _ := f.store.ListActions(ctx, models.ActionFilter{Status: []string{"open"}})
			for _, other := range page.Actions {
				in := models.ActionInputOf(&other)
				in.Status, in.Reason = "wont_do", "superseded by the new pipeline"
				if _, err := f.store.UpdateAction(ctx, other.ID, other.Version, in, f.owner); err != nil {
					t.Fatal(err)
				}
			}
			c.Set("2026-01-12T09:00:00Z")
			f.tick(t)
			if n := len(f.rcv.received()); n != 2 {
				t.Errorf("a digest was sent with every action closed: %d", n)
			}
			log, total, _ := f.store.DeliveryLog(ctx, models.DeliverySent, 1, 10)
			if total != 2 || log[0].Period != "2026-01-06" || log[1].Period != "2026-01-05" {
				t.Errorf("delivery log: %d %+v", total, log)
			}
		})
	}
}

func TestDeliveryRetriesWithBackoff(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			c := &clock{}
			c.Set("2026-01-05T09:00:00Z")
			opts := testdb.Options()
			opts.Now = c.Now
			f := setup(t, testdb.New(t, d, opts), c)
			f.action(t, "Add a migration check to the deploy pipeline", "2026-01-02")
			ctx := context.Background()

			f.rcv.answer(http.StatusServiceUnavailable, http.StatusServiceUnavailable)
			f.tick(t)
			log, _, _ := f.store.DeliveryLog(ctx, "", 1, 10)
			if len(log) != 1 || log[0].Status != models.DeliveryPending || log[0].Attempts != 1 || log[0].LastError == "" ||
				!log[0].NextAttemptAt.Equal(c.Now().Add(time.Minute)) {
				t.Fatalf("after a 503: %+v", log)
			}
			c.Set("2026-01-05T09:00:30Z")
			f.tick(t) // not due yet
			c.Set("2026-01-05T09:01:00Z")
			f.tick(t) // second 503: wait 2 minutes
			log, _, _ = f.store.DeliveryLog(ctx, "", 1, 10)
			if log[0].Attempts != 2 || !log[0].NextAttemptAt.Equal(c.Now().Add(2*time.Minute)) {
				t.Fatalf("after the second 503: %+v", log[0])
			}
			c.Set("2026-01-05T09:03:00Z")
			f.tick(t)
			if got := f.rcv.received(); len(got) != 1 {
				t.Fatalf("received %d, want the digest once", len(got))
			}
			log, _, _ = f.store.DeliveryLog(ctx, "", 1, 10)
			if log[0].Status != models.DeliverySent || log[0].Attempts != 3 || log[0].LastError != "" {
				t.Errorf("sent: %+v", log[0])
			}

			// A permanent refusal is given up at once and waits for an admin.
			c.Set("2026-01-06T09:00:00Z")
			f.rcv.answer(http.StatusNotFound)
			f.tick(t)
			failed, _, _ := f.store.DeliveryLog(ctx, models.DeliveryFailed, 1, 10)
			if len(failed) != 1 || failed[0].Attempts != 1 {
				t.Fatalf("after a 404: %+v", failed)
			}
			if err := f.store.RetryDelivery(ctx, failed[0].ID); err != nil {
				t.Fatal(err)
			}
			f.tick(t)
			if got := f.rcv.received(); len(got) != 2 {
				t.Errorf("after the admin's retry: %d received, want 2", len(got))
			}
		})
	}
}

// Two replicas, each with its own connection pool, tick at the same time
// over many periods: every digest arrives exactly once.
func TestTwoSchedulersSendEachDigestOnce(t *testing.T) {
	c := &clock{}
	c.Set("2026-01-05T09:00:00Z")
	opts := testdb.Options()
	opts.Now = c.Now
	dbURL := testdb.URL(t, models.Postgres)
	open := func() *models.Store {
		s, err := models.Open(context.Background(), dbURL, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	first, second := open(), open()
	f := setup(t, first, c)
	ctx := context.Background()
	owners := []*models.User{f.owner}
	for _, email := range []string{"ana@example.com", "bo@example.com", "chen@example.com", "dee@example.com"} {
		u, _ := first.CreateUser(ctx, models.NewUser{Email: email, Name: email, Role: models.RoleEditor})
		owners = append(owners, u)
	}
	for i, u := range owners {
		for j := range 3 {
			due, _ := models.ParseDate("2026-01-0" + string(rune('1'+j)))
			if _, err := first.CreateAction(ctx, f.inc.ID, models.ActionInput{Title: u.Email + " action", OwnerID: &u.ID,
				DueDate: &due, Priority: "P" + string(rune('1'+i%4)), Kind: "detect"}, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	replicas := []*scheduler.Reminders{newReminders(first), newReminders(second)}
	days := []string{"2026-01-05", "2026-01-06", "2026-01-07"}
	for _, day := range days {
		c.Set(day + "T09:00:00Z")
		var wg sync.WaitGroup
		for _, r := range replicas {
			for range 4 {
				wg.Go(func() {
					if err := r.Tick(ctx); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
	}
	got := f.rcv.received()
	seen := map[string]int{}
	for _, d := range got {
		seen[d.Key]++
	}
	if len(got) != len(owners)*len(days) || len(seen) != len(got) {
		t.Fatalf("received %d deliveries with %d distinct keys, want %d each", len(got), len(seen), len(owners)*len(days))
	}
}
