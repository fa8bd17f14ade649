package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/postmortem"
)

// BenchmarkExportMarkdown requests GET /incidents/{id}/export.md as a
// signed-in viewer for a postmortem with 2,000 timeline entries (1,000
// imported events and 1,000 notes naming people, hosts and addresses, one
// in ten hidden) and 100 actions with owners, on PostgreSQL: the store's
// reads and package export's rendering together.
//
//	go test -run '^$' -bench BenchmarkExportMarkdown -benchtime 50x ./server/
func BenchmarkExportMarkdown(b *testing.B) {
	ctx := context.Background()
	store := testdb.New(b, models.Postgres, testdb.Options())
	var owners []int64
	for i, name := range []string{"Ana Lima", "Bo Chen", "Carla Diaz", "Dev Patel"} {
		u, err := store.CreateUser(ctx, models.NewUser{Email: fmt.Sprintf("u%d@example.com", i), Name: name, Role: models.RoleEditor})
		if err != nil {
			b.Fatal(err)
		}
		owners = append(owners, u.ID)
	}
	started := time.Date(2026, 11, 20, 13, 0, 0, 0, time.UTC)
	resolved := started.Add(4 * time.Hour)
	inc, err := store.CreateIncident(ctx, models.IncidentInput{Title: "Checkout errors for Globex", Severity: "SEV2",
		Summary:   "Ana Lima rolled back the pool change on db-7.corp.example.com (10.20.3.7); Globex saw errors.",
		StartedAt: started, ResolvedAt: &resolved, Services: []string{"checkout", "payments-api"}, AuthorIDs: owners[:2]}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.SaveImpact(ctx, inc.ID, postmortem.Impact{Customers: postmortem.Customers{Names: []string{"Globex"}},
		WhatUsersSaw: "Globex shoppers saw errors."}, 0, "x"); err != nil {
		b.Fatal(err)
	}
	db := store.DB()
	if _, err := db.ExecContext(ctx, `
		INSERT INTO events (scope, source, kind, dedup_key, status, title, description, severity, service, environment,
		                    starts_at, commit_sha, labels, has_migrations, received_at, updated_at)
		SELECT 'bench', 'alertmanager', CASE WHEN i % 10 = 0 THEN 'deploy' ELSE 'alert' END, 'k' || i, 'resolved',
		       'High error rate on svc-' || (i % 17), 'Bo Chen was paged; db-' || (i % 30) || '.corp.example.com at 10.1.' || (i % 200) || '.7',
		       'warning', 'svc-' || (i % 17), 'production', $1::timestamptz + (i * interval '7 seconds'), '', '{}', false, now(), now()
		FROM generate_series(1, 1000) AS i`, started); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO timeline_entries (incident_id, event_id, highlight, hidden, created_at, updated_at)
		SELECT $1, id, false, id % 10 = 9, now(), now() FROM events WHERE scope = 'bench'`, inc.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO timeline_entries (incident_id, at, title, note, highlight, hidden, created_at, updated_at)
		SELECT $1, $2::timestamptz + (i * interval '7 seconds') + interval '3 seconds', 'Checked checkout-' || (i % 9),
		       'Carla Diaz looked at cache-' || (i % 30) || '.internal (192.168.' || (i % 200) || '.4); Globex saw timeouts | p99 ' || (200 + i % 900) || ' ms',
		       i % 25 = 0, i % 10 = 9, now(), now()
		FROM generate_series(1, 1000) AS i`, inc.ID, started); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		due := models.Date{Year: 2026, Month: 12, Day: 1 + i%28}
		if _, err := store.CreateAction(ctx, inc.ID, models.ActionInput{Title: fmt.Sprintf("Add a pool-exhaustion alert to shard %d", i),
			OwnerID: &owners[i%len(owners)], DueDate: &due, Priority: []string{"P1", "P2", "P3", "P4"}[i%4], Kind: "prevent", Status: "open",
			TrackerURL: fmt.Sprintf("https://github.com/hindsight-demo/infra/issues/%d", 1000+i)}, nil); err != nil {
			b.Fatal(err)
		}
	}
	db.ExecContext(ctx, "ANALYZE")

	app := apptest.StartWithStore(b, store, map[string]string{"HINDSIGHT_INTERNAL_DOMAINS": "corp.example.com"})
	app.User("root@example.com", models.RoleAdmin)
	browser := app.SignedIn("viewer@example.com", models.RoleViewer)
	for _, c := range []struct{ name, query string }{
		{"internal", "tz=Europe/Paris"},
		{"public", "tz=Europe/Paris&audience=public"},
	} {
		b.Run(c.name, func(b *testing.B) {
			path := fmt.Sprintf("/incidents/%d/export.md?%s", inc.ID, c.query)
			res := browser.Get(path)
			if res.StatusCode != http.StatusOK || strings.Count(res.Body, "\n| 2026-11-20 ") != 1800 ||
				strings.Count(res.Body, "| Add a pool-exhaustion alert") != 100 {
				b.Fatalf("%s: %d, %d timeline rows, %d actions", path, res.StatusCode,
					strings.Count(res.Body, "\n| 2026-11-20 "), strings.Count(res.Body, "| Add a pool-exhaustion alert"))
			}
			if c.name == "public" && (strings.Contains(res.Body, "Carla") || strings.Contains(res.Body, ".internal") || strings.Contains(res.Body, "Globex")) {
				b.Fatal("the public export names what it should remove")
			}
			b.SetBytes(int64(len(res.Body)))
			var lat []time.Duration
			for b.Loop() {
				began := time.Now()
				res := browser.Get(path)
				lat = append(lat, time.Since(began))
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
			b.StopTimer()
			reportPercentiles(b, lat)
		})
	}
}
