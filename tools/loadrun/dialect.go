package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"hindsight/models"
	"hindsight/tools/loadrun/fixture"
)

// dialectRun is everything measured against one database.
type dialectRun struct {
	dialect      string
	database     string // PostgreSQL database name or SQLite file
	kept         bool
	dbVersion    string
	load         *fixture.Stats
	analyzeTime  time.Duration
	startToReady time.Duration
	idleRSS      int64 // kB
	peakRSS      int64 // kB, VmHWM just before SIGTERM
	results      []result
	shutdown     shutdownResult
	serverLog    string
	busyBefore   float64 // share of all CPUs busy in the second before the run
}

// The accounts loadrun creates. The password only guards a database that
// lives for the length of the run on loopback.
const (
	adminEmail  = "admin@loadrun.example.com"
	editorEmail = "editor@loadrun.example.com"
)

func runDialect(ctx context.Context, o options, dialect, bin, tmp string) (r *dialectRun, err error) {
	r = &dialectRun{dialect: dialect, kept: o.keep}
	var dbURL string
	switch dialect {
	case "postgres":
		name := "hindsight_loadrun_" + models.NewSecret(6)
		drop, err := createPostgres(ctx, o.adminURL, name)
		if err != nil {
			return nil, err
		}
		r.database = name
		if !o.keep {
			defer func() {
				if derr := drop(); derr != nil {
					progress("postgres: drop %s: %v", name, derr)
					err = errors.Join(err, derr)
				} else {
					progress("postgres: dropped database %s", name)
				}
			}()
		}
		dbURL = withDatabase(o.adminURL, name)
	case "sqlite":
		dir := filepath.Join(tmp, "sqlite")
		if o.keep {
			if dir, err = os.MkdirTemp("", "hindsight-loadrun-sqlite-"); err != nil {
				return nil, err
			}
		}
		r.database = filepath.Join(dir, "hindsight.db")
		dbURL = "sqlite:" + r.database
	}

	if o.waitIdle > 0 {
		waitIdle(ctx, o.waitIdle)
	}
	r.busyBefore = busyShare(time.Second)
	progress("%s: migrating and loading %d incidents into %s", dialect, o.incidents, r.database)
	password := "loadrun-" + models.NewSecret(12)
	token, err := prepare(ctx, r, dbURL, o, password)
	if err != nil {
		return r, err
	}
	progress("%s: loaded %d incidents (%d match \"migration\", %d are SEV2) in %v",
		dialect, r.load.Incidents, r.load.MatchingQuery, r.load.SEV2, r.load.Elapsed.Round(time.Millisecond))

	srv, err := startServer(ctx, bin, dbURL, o)
	if err != nil {
		return r, err
	}
	defer func() {
		srv.kill()
		r.serverLog = srv.stderr.String()
	}()
	r.startToReady = srv.ready
	progress("%s: ready %v after start (pid %d, %s)", dialect, r.startToReady.Round(time.Microsecond), srv.pid(), srv.base)
	select {
	case <-time.After(o.settle):
	case <-ctx.Done():
		return r, ctx.Err()
	}
	if st, err := procStatus(srv.pid()); err == nil {
		r.idleRSS = st.rssKB
	} else {
		progress("%s: no RSS figures: %v", dialect, err) // /proc exists on Linux only
	}

	c := newClient(srv.base, o.concurrency)
	c.token = token
	for i := 0; i < o.concurrency; i++ {
		cookie, err := c.signIn(ctx, editorEmail, password)
		if err != nil {
			return r, err
		}
		c.cookies = append(c.cookies, cookie)
	}

	for _, sc := range o.scenarios {
		if o.warmup > 0 {
			measure(ctx, c, sc, o.concurrency, o.warmup, o.maxRequests, srv.pid())
		}
		res := measure(ctx, c, sc, o.concurrency, o.duration, o.maxRequests, srv.pid())
		r.results = append(r.results, res)
		progress("%s: %-12s %6d requests, %d errors, %7.1f req/s, p50 %s p95 %s p99 %s, RSS %s, CPU server %.2f db %.2f loadgen %.2f other %.2f",
			dialect, sc.name, res.requests, res.errors, res.rps, ms(res.p50), ms(res.p95), ms(res.p99), mib(res.rssAfterKB),
			res.cpu.server, res.cpu.db, res.cpu.loadgen, res.cpu.other)
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
	}
	if st, err := procStatus(srv.pid()); err == nil {
		r.peakRSS = st.hwmKB
	}

	r.shutdown = terminateUnderLoad(ctx, srv, c, o)
	progress("%s: SIGTERM under load: %s", dialect, r.shutdown.describe())
	return r, nil
}

// prepare migrates the database, loads the fixture and creates the accounts;
// it returns a viewer API token.
func prepare(ctx context.Context, r *dialectRun, dbURL string, o options, password string) (string, error) {
	store, err := models.Open(ctx, dbURL, models.Options{PasswordCost: 4}) // bcrypt.MinCost: sign-in is not what we measure
	if err != nil {
		return "", err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return "", fmt.Errorf("migrate: %w", err)
	}
	if r.load, err = fixture.Load(ctx, store, fixture.Options{Incidents: o.incidents, Seed: o.seed}); err != nil {
		return "", fmt.Errorf("load the fixture: %w", err)
	}
	t0 := time.Now()
	if err := fixture.Analyze(ctx, store); err != nil {
		return "", fmt.Errorf("analyze: %w", err)
	}
	r.analyzeTime = time.Since(t0)
	if _, err := store.CreateUser(ctx, models.NewUser{Email: adminEmail, Name: "Loadrun Admin", Role: models.RoleAdmin, Password: password}); err != nil {
		return "", fmt.Errorf("create the admin: %w", err)
	}
	if _, err := store.CreateUser(ctx, models.NewUser{Email: editorEmail, Name: "Loadrun Editor", Role: models.RoleEditor, Password: password}); err != nil {
		return "", fmt.Errorf("create the editor: %w", err)
	}
	_, token, err := store.CreateAPIToken(ctx, "loadrun", models.RoleViewer, nil)
	if err != nil {
		return "", fmt.Errorf("create the API token: %w", err)
	}
	q := "SELECT sqlite_version()"
	if store.Dialect() == models.Postgres {
		q = "SHOW server_version"
	}
	if err := store.DB().QueryRowContext(ctx, q).Scan(&r.dbVersion); err != nil {
		return "", err
	}
	return token, nil
}

// createPostgres creates an empty database and returns the function that
// drops it (with FORCE, so a crashed child cannot keep it alive).
func createPostgres(ctx context.Context, adminURL, name string) (func() error, error) {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := admin.PingContext(pingCtx); err != nil {
		admin.Close()
		return nil, fmt.Errorf("reach PostgreSQL at %s: %w", redact(adminURL), err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, fmt.Errorf("CREATE DATABASE %s: %w", name, err)
	}
	progress("postgres: created database %s", name)
	return func() error {
		defer admin.Close()
		dropCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := admin.ExecContext(dropCtx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}, nil
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err) // checked by checkLoopbackURL
	}
	u.Path = "/" + name
	return u.String()
}

// busyShare samples how busy all CPUs are over d.
func busyShare(d time.Duration) float64 {
	b0, t0 := machineCPU()
	time.Sleep(d)
	b1, t1 := machineCPU()
	if t1 <= t0 {
		return 0
	}
	return float64(b1-b0) / float64(t1-t0)
}

// waitIdle waits until the machine is less than 25% busy, at most max.
func waitIdle(ctx context.Context, max time.Duration) {
	deadline := time.Now().Add(max)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		busy := busyShare(time.Second)
		if busy < 0.25 {
			return
		}
		progress("machine %.0f%% busy; waiting for it to calm down (-wait-idle)", 100*busy)
		time.Sleep(4 * time.Second)
	}
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}
