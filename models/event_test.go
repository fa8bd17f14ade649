package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"hindsight/ingest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

func alert(key, status string, starts string, ends *string) ingest.Event {
	ev := ingest.Event{Kind: ingest.KindAlert, Source: "alertmanager", DedupKey: key, Status: status,
		Title: "High error rate on bookbot-api", Severity: ingest.SeverityCritical, Service: "bookbot-api",
		Environment: "production", StartsAt: at(starts), Labels: map[string]string{"alertname": "HighErrorRate"}}
	if ends != nil {
		t := at(*ends)
		ev.EndsAt = &t
	}
	return ev
}

// delivery is an API delivery: its events are scoped by their source.
func delivery(key string, evs ...ingest.Event) models.IncomingDelivery {
	return models.IncomingDelivery{Scope: "api", Key: key, ContentType: "application/json", Payload: []byte(`{"raw":true}`), Events: evs}
}

func TestIngestAlertLifecycle(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()

		firing := alert("fp1@2022-11-17T10:45:00Z", ingest.StatusFiring, "2022-11-17T10:45:00Z", nil)
		res, err := s.Ingest(ctx, delivery("d1", firing))
		if err != nil || res.Accepted != 1 || res.Duplicates != 0 {
			t.Fatalf("first firing: %+v %v", res, err)
		}
		// A re-notification of the same firing alert adds nothing.
		res, _ = s.Ingest(ctx, delivery("d2", firing))
		if res.Accepted != 0 || res.Duplicates != 1 || res.Redelivery {
			t.Fatalf("re-notification: %+v", res)
		}
		// The very same request again is a redelivery.
		res, _ = s.Ingest(ctx, delivery("d2", firing))
		if !res.Redelivery || res.Duplicates != 1 {
			t.Fatalf("redelivery: %+v", res)
		}
		end := "2022-11-17T11:45:00Z"
		resolved := alert("fp1@2022-11-17T10:45:00Z", ingest.StatusResolved, "2022-11-17T10:45:00Z", &end)
		res, _ = s.Ingest(ctx, delivery("d3", resolved))
		if res.Accepted != 1 {
			t.Fatalf("resolve: %+v", res)
		}
		// A late firing after the resolve does not reopen it.
		res, _ = s.Ingest(ctx, delivery("d4", firing))
		if res.Accepted != 0 || res.Duplicates != 1 {
			t.Fatalf("late firing: %+v", res)
		}
		page, err := s.ListEvents(ctx, models.EventFilter{})
		if err != nil || len(page.Events) != 1 {
			t.Fatalf("events: %v %v", page, err)
		}
		ev := page.Events[0]
		if ev.Status != ingest.StatusResolved || ev.EndsAt == nil || !ev.EndsAt.Equal(at(end)) || ev.LabelMap()["alertname"] != "HighErrorRate" {
			t.Errorf("event = %+v", ev)
		}
		hist, _ := s.EventHistory(ctx, ev.ID)
		if len(hist) != 2 || hist[0].Status != "firing" || !hist[0].At.Equal(at("2022-11-17T10:45:00Z")) || hist[1].Status != "resolved" || !hist[1].At.Equal(at(end)) {
			t.Errorf("history = %+v", hist)
		}
		d, err := s.DeliveryByID(ctx, *ev.LastDeliveryID)
		if err != nil || d.DeliveryKey != "d3" || d.Payload != `{"raw":true}` {
			t.Errorf("last delivery = %+v %v", d, err)
		}
	})
}

func TestIngestDeployHistoryAndBatches(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		deploy := func(status string, ends *string) ingest.Event {
			ev := ingest.Event{Kind: ingest.KindDeploy, Source: "github", DedupKey: "deployment:42", Status: status,
				Title: "Deploy a1b2c3d of bookbot to production", Service: "bookbot-api", Environment: "production",
				StartsAt: at("2022-11-17T10:30:00Z"), Commit: "a1b2c3d", HasMigrations: status == ingest.StatusPending}
			if ends != nil {
				t := at(*ends)
				ev.EndsAt = &t
			}
			return ev
		}
		done := "2022-11-17T10:32:00Z"
		// Pending and in-progress in one batch, success later.
		res, err := s.Ingest(ctx, delivery("a", deploy(ingest.StatusPending, nil), deploy(ingest.StatusInProgress, nil)))
		if err != nil || res.Accepted != 2 {
			t.Fatalf("batch: %+v %v", res, err)
		}
		if _, err := s.Ingest(ctx, delivery("b", deploy(ingest.StatusSucceeded, &done))); err != nil {
			t.Fatal(err)
		}
		page, _ := s.ListEvents(ctx, models.EventFilter{Kind: "deploy"})
		if len(page.Events) != 1 {
			t.Fatalf("%d deploy events", len(page.Events))
		}
		ev := page.Events[0]
		if ev.Status != ingest.StatusSucceeded || !ev.HasMigrations || ev.CommitSHA != "a1b2c3d" {
			t.Errorf("deploy = %+v (has_migrations must stick)", ev)
		}
		hist, _ := s.EventHistory(ctx, ev.ID)
		var statuses []string
		for _, h := range hist {
			statuses = append(statuses, h.Status)
		}
		if fmt.Sprint(statuses) != "[pending in_progress succeeded]" {
			t.Errorf("history = %v", statuses)
		}
		// The same dedup key from another source is another event.
		other := deploy(ingest.StatusPending, nil)
		other.Source = "gitlab-ci"
		if _, err := s.Ingest(ctx, delivery("c", other)); err != nil {
			t.Fatal(err)
		}
		if page, _ := s.ListEvents(ctx, models.EventFilter{Kind: "deploy"}); len(page.Events) != 2 {
			t.Errorf("scopes collided: %d events", len(page.Events))
		}
	})
}

func TestListEventsFiltersAndCursor(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var evs []ingest.Event
		base := at("2024-05-01T00:00:00Z")
		for i := 0; i < 25; i++ {
			ev := alert(fmt.Sprintf("k%d", i), ingest.StatusFiring, base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), nil)
			if i%5 == 0 {
				ev.Service, ev.Title = "payments", "Checkout latency above objective"
			}
			evs = append(evs, ev)
		}
		// Two events at the same instant test the id tie-breaker.
		evs[24].StartsAt = evs[23].StartsAt
		if _, err := s.Ingest(ctx, delivery("d", evs...)); err != nil {
			t.Fatal(err)
		}
		var all []int64
		cursor := ""
		for pages := 0; ; pages++ {
			page, err := s.ListEvents(ctx, models.EventFilter{Limit: 7, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Events {
				all = append(all, e.ID)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
		}
		seen := map[int64]bool{}
		for _, id := range all {
			seen[id] = true
		}
		if len(all) != 25 || len(seen) != 25 {
			t.Fatalf("walked %d events (%d distinct), want 25", len(all), len(seen))
		}
		if page, _ := s.ListEvents(ctx, models.EventFilter{Service: "payments"}); len(page.Events) != 5 {
			t.Errorf("service filter: %d", len(page.Events))
		}
		if page, _ := s.ListEvents(ctx, models.EventFilter{Query: "checkout latency"}); len(page.Events) != 5 {
			t.Errorf("search: %d", len(page.Events))
		}
		from, to := base.Add(10*time.Minute), base.Add(15*time.Minute)
		if page, _ := s.ListEvents(ctx, models.EventFilter{From: &from, To: &to}); len(page.Events) != 5 {
			t.Errorf("time range: %d", len(page.Events))
		}
		if _, err := s.ListEvents(ctx, models.EventFilter{Cursor: "garbage!"}); err != models.ErrBadCursor {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

// TestConcurrentDeliveriesOneEvent sends the same new alert through several
// deliveries at once: exactly one event results.
func TestConcurrentDeliveriesOneEvent(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = s.Ingest(ctx, delivery(fmt.Sprintf("d%d", i), alert("same", ingest.StatusFiring, "2024-01-01T00:00:00Z", nil)))
			}(i)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if page, _ := s.ListEvents(ctx, models.EventFilter{}); len(page.Events) != 1 {
			t.Fatalf("%d events from concurrent deliveries of one alert", len(page.Events))
		}
	})
}

func TestReapplyStoredDelivery(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		integ, err := s.CreateIntegration(ctx, "alertmanager", "am", []string{"alertmanager"})
		if err != nil {
			t.Fatal(err)
		}
		id := integ.ID
		ev := alert("fp", "firing", "2024-01-01T00:00:00Z", nil)
		if _, err := s.Ingest(ctx, models.IncomingDelivery{Scope: id, IntegrationID: &id, Key: "k1", Payload: []byte(`{"a":1}`),
			Headers: map[string]string{"User-Agent": "Alertmanager/0.27"}, Events: []ingest.Event{ev}}); err != nil {
			t.Fatal(err)
		}
		stored, err := s.DeliveriesToReparse(ctx, id)
		if err != nil || len(stored) != 1 || string(stored[0].Payload) != `{"a":1}` || stored[0].Headers["User-Agent"][0] != "Alertmanager/0.27" {
			t.Fatalf("stored deliveries: %+v %v", stored, err)
		}
		renamed := ev
		renamed.Service = "checkout-web"
		res, err := s.Reapply(ctx, id, stored[0].ID, []ingest.Event{renamed})
		if err != nil || res.Accepted != 1 {
			t.Fatalf("reapply: %+v %v", res, err)
		}
		if res, _ := s.Reapply(ctx, id, stored[0].ID, []ingest.Event{renamed}); res.Duplicates != 1 {
			t.Errorf("second reapply: %+v", res)
		}
		page, _ := s.ListEvents(ctx, models.EventFilter{})
		if len(page.Events) != 1 || page.Events[0].Service != "checkout-web" {
			t.Errorf("events: %+v", page.Events)
		}
		if n, _ := s.PruneDeliveryPayloads(ctx, s.Now().Add(time.Hour)); n != 1 {
			t.Errorf("pruned %d", n)
		}
		if stored, _ := s.DeliveriesToReparse(ctx, id); len(stored) != 0 {
			t.Errorf("a pruned payload is offered for re-parsing")
		}
	})
}
