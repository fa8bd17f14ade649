package server_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/tools/loadrun/fixture"
)

// The actions dashboard benchmark runs on a kept PostgreSQL database of
// 10,000 incidents (tools/loadrun/fixture) with 100,000 corrective actions,
// ten per incident. The store's clock is fixed at actionsBenchNow, so the
// figures do not depend on the day the benchmark runs.
const (
	actionsBenchDB        = "hindsight_bench_actions"
	actionsBenchIncidents = 10_000
	actionsBenchPer       = 10
	// actionsBenchVersion is written as the database's comment once the
	// data is complete; change it when the generator changes, and the next
	// run rebuilds the database.
	actionsBenchVersion = "actions-bench v1"
)

var actionsBenchNow = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

var actionsBenchTeams = []string{"platform", "payments", "checkout", "search", "identity", "data", "mobile", "web",
	"sre", "billing", "growth", "support"}

// actionsBenchStore opens the kept database, building it on first use
// (about 10 s). Drop the database, or bump actionsBenchVersion, to rebuild.
func actionsBenchStore(b *testing.B) *models.Store {
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
	var comment sql.NullString
	err = admin.QueryRowContext(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, actionsBenchDB).Scan(&comment)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		b.Fatal(err)
	}
	if exists && comment.String != actionsBenchVersion {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+actionsBenchDB+" WITH (FORCE)"); err != nil {
			b.Fatal(err)
		}
		exists = false
	}
	if !exists {
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+actionsBenchDB); err != nil {
			b.Fatal(err)
		}
	}
	u, _ := url.Parse(testdb.AdminURL())
	u.Path = "/" + actionsBenchDB
	opts := testdb.Options()
	opts.Now = func() time.Time { return actionsBenchNow }
	store, err := models.Open(ctx, u.String(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	applied, err := store.Migrate(ctx)
	if err != nil {
		b.Fatalf("%v (drop the database %s to rebuild it)", err, actionsBenchDB)
	}
	if exists && len(applied) > 0 {
		// New indexes need statistics, as autovacuum would gather them.
		if _, err := store.DB().ExecContext(ctx, "VACUUM ANALYZE actions"); err != nil {
			b.Fatal(err)
		}
	}
	if !exists {
		began := time.Now()
		if err := loadActionsBench(ctx, store); err != nil {
			b.Fatal(err)
		}
		if _, err := store.DB().ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.ExecContext(ctx, "COMMENT ON DATABASE "+actionsBenchDB+" IS '"+actionsBenchVersion+"'"); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %d actions over %d incidents in %s", actionsBenchIncidents*actionsBenchPer, actionsBenchIncidents,
			time.Since(began).Round(100*time.Millisecond))
	}
	return store
}

// sqliteActionsBenchStore builds the same data in a fresh SQLite file
// (about 10 s; SQLite gets no ANALYZE, as Hindsight never runs it).
func sqliteActionsBenchStore(b *testing.B) *models.Store {
	b.Helper()
	opts := testdb.Options()
	opts.Now = func() time.Time { return actionsBenchNow }
	store := testdb.New(b, models.SQLite, opts)
	if err := loadActionsBench(context.Background(), store); err != nil {
		b.Fatal(err)
	}
	return store
}

// loadActionsBench writes the incidents, 40 owners and 100,000 actions with
// multi-row INSERTs. The seed is fixed: every build has the same rows.
//
//   - created 0–2 days after the incident started (6 in 10) or 2–45 days
//     after (follow-ups), never after the clock;
//   - still open-like: 70 % of those younger than 30 days, 40 % under
//     180 days, 12 % of older ones (55 % open, 30 % in progress, 15 %
//     blocked); the others closed 1 hour to 120 days after creation, 90 %
//     done and 10 % won't do;
//   - 85 % have a due date 7, 14, 30, 60 or 90 days after creation;
//   - 12 teams (5 % none), 40 owners (8 % nobody), P1–P4 10/25/45/20 %.
func loadActionsBench(ctx context.Context, store *models.Store) error {
	if _, err := fixture.Load(ctx, store, fixture.Options{Incidents: actionsBenchIncidents}); err != nil {
		return err
	}
	placeholder := func(n int) string { return "$" + strconv.Itoa(n) }
	if store.Dialect() == models.SQLite {
		placeholder = func(int) string { return "?" }
	}
	tx, err := store.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var owners []int64
	for i := 1; i <= 40; i++ {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, role, password_hash, time_zone, created_at, updated_at)
			VALUES (`+placeholder(1)+`, `+placeholder(2)+`, 'editor', '', '', `+placeholder(3)+`, `+placeholder(4)+`) RETURNING id`,
			fmt.Sprintf("owner-%02d@bench.invalid", i), fmt.Sprintf("Owner %02d", i), actionsBenchNow, actionsBenchNow).Scan(&id)
		if err != nil {
			return err
		}
		owners = append(owners, id)
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, started_at FROM incidents ORDER BY id")
	if err != nil {
		return err
	}
	type inc struct {
		id      int64
		started time.Time
	}
	var incs []inc
	for rows.Next() {
		var i inc
		if err := rows.Scan(&i.id, &i.started); err != nil {
			rows.Close()
			return err
		}
		incs = append(incs, i)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	rng := rand.New(rand.NewPCG(7, 0x616374696f6e73))
	pick := func(weights ...int) int {
		total := 0
		for _, w := range weights {
			total += w
		}
		n := rng.IntN(total)
		for i, w := range weights {
			if n < w {
				return i
			}
			n -= w
		}
		return len(weights) - 1
	}
	cols := []string{"incident_id", "title", "description", "owner_id", "team", "due_date", "priority", "kind", "status",
		"reason", "verification", "tracker_url", "version", "created_at", "updated_at", "closed_at"}
	perStmt := 2_000
	if store.Dialect() == models.SQLite {
		perStmt = 100 // the SQLite driver binds parameters in time quadratic in their number
	}
	var sb strings.Builder
	args := make([]any, 0, perStmt*len(cols))
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, sb.String(), args...)
		sb.Reset()
		args, n = args[:0], 0
		return err
	}
	kinds := []string{"prevent", "mitigate", "detect", "respond", "process"}
	verbs := []string{"Add an alert on", "Document the rollback of", "Load-test", "Add a runbook for", "Rate-limit retries in",
		"Move the cron of", "Add a dashboard for", "Remove the manual step in"}
	for _, in := range incs {
		for j := 0; j < actionsBenchPer; j++ {
			var created time.Time
			if j < 6 {
				created = in.started.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
			} else {
				created = in.started.Add(48*time.Hour + time.Duration(rng.Int64N(int64(43*24*time.Hour))))
			}
			if latest := actionsBenchNow.Add(-time.Hour); created.After(latest) {
				created = latest.Add(-time.Duration(rng.Int64N(int64(24 * time.Hour))))
			}
			age := actionsBenchNow.Sub(created)
			openShare := 12
			switch {
			case age < 30*24*time.Hour:
				openShare = 70
			case age < 180*24*time.Hour:
				openShare = 40
			}
			var status, reason string
			var closed any
			updated := created
			if rng.IntN(100) < openShare {
				status = []string{"open", "in_progress", "blocked"}[pick(55, 30, 15)]
				if status == "blocked" {
					reason = "waiting for the vendor"
				}
			} else {
				status = []string{"done", "wont_do"}[pick(90, 10)]
				if status == "wont_do" {
					reason = "superseded by the platform migration"
				}
				c := created.Add(time.Hour + time.Duration(rng.Int64N(int64(min(age, 120*24*time.Hour)))))
				if c.After(actionsBenchNow) {
					c = actionsBenchNow
				}
				closed, updated = c, c
			}
			var due any
			if rng.IntN(100) < 85 {
				due = models.DateOf(created.AddDate(0, 0, []int{7, 14, 30, 60, 90}[rng.IntN(5)])).String()
			}
			var owner any
			if rng.IntN(100) >= 8 {
				owner = owners[rng.IntN(len(owners))]
			}
			team := ""
			if rng.IntN(100) >= 5 {
				team = actionsBenchTeams[rng.IntN(len(actionsBenchTeams))]
			}
			tracker := ""
			if rng.IntN(2) == 0 {
				tracker = fmt.Sprintf("https://github.com/bench/%s/issues/%d", team, 1+rng.IntN(5000))
			}
			what := fmt.Sprintf("%s the %s service (INC-%d, #%d)", verbs[rng.IntN(len(verbs))], team, in.id, j+1)
			if n == 0 {
				sb.WriteString("INSERT INTO actions (" + strings.Join(cols, ", ") + ") VALUES ")
			} else {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for c, v := range []any{in.id, what,
				"We found during the review that " + strings.ToLower(what[:1]) + what[1:] + " would have shortened the impact. " +
					"Agree on the owner, write down the expected result and link the tracker issue.",
				owner, team, due, []string{"P1", "P2", "P3", "P4"}[pick(10, 25, 45, 20)], kinds[rng.IntN(len(kinds))], status,
				reason, "The next game day shows the alert firing within five minutes.", tracker, 1, created, updated, closed} {
				if c > 0 {
					sb.WriteString(", ")
				}
				args = append(args, v)
				sb.WriteString(placeholder(len(args)))
			}
			sb.WriteByte(')')
			if n++; n == perStmt {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return tx.Commit()
}

var dashboardOpenFigure = regexp.MustCompile(`<span class="figure">(\d+)</span> open<`)

// BenchmarkActionsDashboard requests GET /actions as a signed-in browser
// (viewer zone Europe/Paris) over 100,000 actions, unfiltered and with the
// usual filters, and reports p50 and p95: on the kept PostgreSQL database,
// then on a SQLite file built for the run.
//
//	go test -run '^$' -bench BenchmarkActionsDashboard -benchtime 100x ./server/
//	go test -run '^$' -bench 'BenchmarkActionsDashboard/postgres' -benchtime 100x ./server/
func BenchmarkActionsDashboard(b *testing.B) {
	b.Run("postgres", func(b *testing.B) { benchActionsDashboard(b, actionsBenchStore(b)) })
	b.Run("sqlite", func(b *testing.B) { benchActionsDashboard(b, sqliteActionsBenchStore(b)) })
}

func benchActionsDashboard(b *testing.B, store *models.Store) {
	ctx := context.Background()
	app := apptest.StartWithStore(b, store, nil)
	if needs, _ := store.NeedsSetup(ctx); needs {
		app.User("admin@bench.invalid", models.RoleAdmin)
	}
	const email = "viewer@bench.invalid"
	if _, err := store.UserByEmail(ctx, email); errors.Is(err, models.ErrNotFound) {
		app.User(email, models.RoleViewer)
	} else if err != nil {
		b.Fatal(err)
	}
	browser := app.Browser()
	if res := browser.PostForm("/signin", url.Values{"email": {email}, "password": {apptest.Password}}); res.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign in: %d", res.StatusCode)
	}
	site, _ := url.Parse(app.URL)
	browser.SetCookie(site, &http.Cookie{Name: "hindsight_tz", Value: "Europe/Paris", Path: "/"})

	for _, c := range []struct{ name, query, where string }{
		{"all", "", "true"},
		{"status-open", "status=open", "status = 'open'"},
		{"open-like", "status=open,in_progress,blocked", "status IN ('open', 'in_progress', 'blocked')"},
		{"team", "team=payments", "team = 'payments'"},
		{"owner-open", "owner=owner-07@bench.invalid&status=open,in_progress,blocked",
			"status IN ('open', 'in_progress', 'blocked') AND owner_id = (SELECT id FROM users WHERE email = 'owner-07@bench.invalid')"},
		{"overdue", "overdue=true", "status IN ('open', 'in_progress', 'blocked') AND due_date < '2026-01-15'"},
		{"severity", "severity=SEV1", "incident_id IN (SELECT id FROM incidents WHERE severity = 'SEV1')"},
	} {
		b.Run(c.name, func(b *testing.B) {
			path := "/actions"
			if c.query != "" {
				path += "?" + c.query
			}
			var want, matching int
			if err := store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE status IN ('open', 'in_progress', 'blocked')), COUNT(*)
				FROM actions WHERE `+c.where).Scan(&want, &matching); err != nil {
				b.Fatal(err)
			}
			res := browser.Get(path)
			if res.StatusCode != http.StatusOK {
				b.Fatalf("GET %s: %d", path, res.StatusCode)
			}
			m := dashboardOpenFigure.FindStringSubmatch(res.Body)
			if m == nil || m[1] != strconv.Itoa(want) || !strings.Contains(res.Body, fmt.Sprintf("%d matching", matching)) {
				b.Fatalf("GET %s: open figure %v, want %d (and %d matching)", path, m, want, matching)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				began := time.Now()
				res := browser.Get(path)
				lat = append(lat, time.Since(began))
				if res.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %d", path, res.StatusCode)
				}
			}
			b.StopTimer()
			reportPercentiles(b, lat)
			b.ReportMetric(float64(matching), "matches")
		})
	}
}
