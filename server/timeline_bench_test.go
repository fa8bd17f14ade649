package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

// benchEvents is the size of the event store the timeline benchmarks run on:
// 5,000,000 events over 200 services, one every ~1.04 s over 60 days.
const (
	benchEvents   = 5_000_000
	benchServices = 200
	benchDB       = "hindsight_bench_timeline"
)

var benchStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// timelineBenchStore opens (building it on first use, which takes a few
// minutes) a PostgreSQL database with the 5,000,000 events. It is kept
// between runs; drop the database to rebuild it.
func timelineBenchStore(b *testing.B) *models.Store {
	b.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", testdb.AdminURL())
	if err != nil || admin.PingContext(ctx) != nil {
		if testdb.RequirePostgres() {
			b.Fatal("PostgreSQL is required")
		}
		b.Skip("PostgreSQL not reachable")
	}
	defer admin.Close()
	var exists bool
	admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", benchDB).Scan(&exists)
	if !exists {
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+benchDB); err != nil {
			b.Fatal(err)
		}
	}
	u, _ := url.Parse(testdb.AdminURL())
	u.Path = "/" + benchDB
	store, err := models.Open(ctx, u.String(), testdb.Options())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var n int64
	store.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE scope = 'bench'").Scan(&n)
	if n < benchEvents {
		began := time.Now()
		db := store.DB()
		db.ExecContext(ctx, "DELETE FROM events WHERE scope = 'bench'")
		const chunk = 500_000
		for from := 0; from < benchEvents; from += chunk {
			_, err := db.ExecContext(ctx, `
				INSERT INTO events (scope, source, kind, dedup_key, status, title, severity, service, environment,
				                    starts_at, ends_at, commit_sha, labels, has_migrations, received_at, updated_at)
				SELECT 'bench',
				       CASE WHEN i % 10 = 0 THEN 'github' ELSE 'alertmanager' END,
				       CASE WHEN i % 10 = 0 THEN 'deploy' ELSE 'alert' END,
				       'k' || i,
				       CASE WHEN i % 10 = 0 THEN 'succeeded' ELSE 'resolved' END,
				       CASE WHEN i % 10 = 0 THEN 'Deploy ' || substr(md5(i::text), 1, 7) || ' of svc-' || (i % $3)
				            ELSE 'High error rate on svc-' || (i % $3) END,
				       CASE WHEN i % 10 = 0 THEN '' ELSE 'warning' END,
				       'svc-' || lpad((i % $3)::text, 3, '0'),
				       CASE WHEN i % 7 = 0 THEN 'staging' ELSE 'production' END,
				       $4::timestamptz + (i * interval '1037 milliseconds'),
				       $4::timestamptz + (i * interval '1037 milliseconds') + interval '4 minutes',
				       CASE WHEN i % 10 = 0 THEN md5(i::text) ELSE '' END,
				       '{}', i % 50 = 0, now(), now()
				FROM generate_series($1::bigint, $2::bigint) AS i`, from, min(from+chunk, benchEvents)-1, benchServices, benchStart)
			if err != nil {
				b.Fatal(err)
			}
		}
		db.ExecContext(ctx, "ANALYZE events")
		b.Logf("built %d events in %s", benchEvents, time.Since(began).Round(time.Second))
	}
	return store
}

// benchIncident makes an incident on three services whose impact started in
// the middle of the data.
func benchIncident(b *testing.B, store *models.Store, title string) *models.Incident {
	started := benchStart.Add(30 * 24 * time.Hour)
	resolved := started.Add(50 * time.Minute)
	inc, err := store.CreateIncident(context.Background(), models.IncidentInput{Title: title, Severity: "SEV2", Status: "draft",
		StartedAt: started, ResolvedAt: &resolved, Services: []string{"svc-007", "svc-042", "svc-133"}, Environment: "production"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.DeleteIncident(context.Background(), inc.ID) })
	return inc
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95_ms")
}

// BenchmarkTimelineImport previews a 3-hour import for 3 services out of
// 5,000,000 events, and shows with EXPLAIN that it reads an index.
func BenchmarkTimelineImport(b *testing.B) {
	store := timelineBenchStore(b)
	inc := benchIncident(b, store, fmt.Sprintf("import bench %d", time.Now().UnixNano()))
	from := inc.StartedAt.Add(-2 * time.Hour)
	f := models.ImportFilter{From: from, To: from.Add(3 * time.Hour), Services: inc.Services}
	var plan []string
	rows, err := store.DB().Query(`EXPLAIN SELECT * FROM events WHERE starts_at >= $1 AND starts_at < $2 AND service IN ($3, $4, $5)
		ORDER BY starts_at, id LIMIT 2000`, f.From, f.To, f.Services[0], f.Services[1], f.Services[2])
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var line string
		rows.Scan(&line)
		plan = append(plan, line)
	}
	rows.Close()
	b.Log("EXPLAIN of the import query:\n" + strings.Join(plan, "\n"))
	if strings.Contains(strings.Join(plan, "\n"), "Seq Scan on events") {
		b.Fatal("the import scans the events table")
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		began := time.Now()
		cands, err := store.ImportCandidates(context.Background(), inc.ID, f)
		lat = append(lat, time.Since(began))
		if err != nil || len(cands) == 0 {
			b.Fatalf("candidates: %d %v", len(cands), err)
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkTimelinePage renders the timeline page of an incident with 2,000
// entries, on the 5,000,000-event store.
func BenchmarkTimelinePage(b *testing.B) {
	store := timelineBenchStore(b)
	inc := benchIncident(b, store, fmt.Sprintf("page bench %d", time.Now().UnixNano()))
	var ids []int64
	if err := store.DB().QueryRow("SELECT COUNT(*) FROM users WHERE role = 'admin'").Err(); err != nil {
		b.Fatal(err)
	}
	rows, err := store.DB().Query(`SELECT id FROM events WHERE service IN ('svc-007', 'svc-042', 'svc-133') AND starts_at >= $1 ORDER BY starts_at LIMIT 2000`,
		inc.StartedAt.Add(-2*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if _, err := store.AddTimelineEvents(context.Background(), inc.ID, ids, nil); err != nil {
		b.Fatal(err)
	}
	app := apptest.StartWithStore(b, store, nil)
	email := fmt.Sprintf("bench-%d@example.com", time.Now().UnixNano())
	if needs, _ := store.NeedsSetup(context.Background()); needs {
		app.User(fmt.Sprintf("root-%d@example.com", time.Now().UnixNano()), models.RoleAdmin)
	}
	browser := app.SignedIn(email, models.RoleViewer)
	path := fmt.Sprintf("/incidents/%d/timeline", inc.ID)
	// The chart draws every entry; the list shows them 500 to a page.
	if res := browser.Get(path); res.StatusCode != http.StatusOK || strings.Count(res.Body, `<tr id="event-`) != 500 ||
		!strings.Contains(res.Body, fmt.Sprintf("of %d", len(ids))) {
		b.Fatalf("page: %d, %d rows for %d entries", res.StatusCode, strings.Count(res.Body, `<tr id="event-`), len(ids))
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		began := time.Now()
		res := browser.Get(path)
		lat = append(lat, time.Since(began))
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}
