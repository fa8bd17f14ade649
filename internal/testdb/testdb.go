// Package testdb gives each test a fresh, migrated database: a SQLite file in
// the test's temporary directory, or a PostgreSQL database cloned from a
// migrated template (cloning takes milliseconds, migrating each time would not).
package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"golang.org/x/crypto/bcrypt"

	"hindsight/migrations"
	"hindsight/models"
)

// AdminURL is the PostgreSQL server tests create their databases on.
func AdminURL() string {
	if u := os.Getenv("HINDSIGHT_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Options are the store options every test uses: a cheap password hash.
func Options() models.Options { return models.Options{PasswordCost: bcrypt.MinCost} }

// Dialects lists the databases a store test runs on.
var Dialects = []models.Dialect{models.SQLite, models.Postgres}

// ForEach runs fn once per database, as subtests named after the dialect.
func ForEach(t *testing.T, fn func(t *testing.T, store *models.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, New(t, d, Options()))
		})
	}
}

// New returns a migrated store of the dialect, closed when the test ends.
func New(t testing.TB, d models.Dialect, opts models.Options) *models.Store {
	t.Helper()
	url := URL(t, d)
	store, err := models.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { store.Close() })
	if d == models.SQLite {
		if _, err := store.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate sqlite: %v", err)
		}
	}
	return store
}

// URL returns the DATABASE_URL of a fresh, migrated database (PostgreSQL) or
// of a fresh, empty file (SQLite; the caller migrates).
func URL(t testing.TB, d models.Dialect) string {
	t.Helper()
	if d == models.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "hindsight.db")
	}
	return clonePostgres(t, true)
}

// EmptyPostgresURL returns a fresh PostgreSQL database with no schema at all.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	return clonePostgres(t, false)
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
	skipOnce     sync.Once
)

// RequirePostgres is true when a missing PostgreSQL must fail the tests.
func RequirePostgres() bool { return os.Getenv("REQUIRE_POSTGRES") == "1" }

func adminDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", AdminURL())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		err = db.PingContext(ctx)
	}
	if err != nil {
		if RequirePostgres() {
			t.Fatalf("PostgreSQL is required (REQUIRE_POSTGRES=1) but not reachable at %s: %v", redacted(), err)
		}
		skipOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "\n*** SKIPPING PostgreSQL tests: no server at %s (%v). Set REQUIRE_POSTGRES=1 to fail instead. ***\n\n", redacted(), err)
		})
		t.Skipf("PostgreSQL not reachable: %v", err)
	}
	return db
}

func clonePostgres(t testing.TB, migrated bool) string {
	t.Helper()
	admin := adminDB(t)
	defer admin.Close()
	name := fmt.Sprintf("hindsight_test_%d_%s", time.Now().UnixNano()%1e9, models.NewSecret(4))
	create := "CREATE DATABASE " + name
	if migrated {
		templateOnce.Do(func() { templateName, templateErr = ensureTemplate(admin) })
		if templateErr != nil {
			t.Fatalf("prepare the PostgreSQL template: %v", templateErr)
		}
		create += " TEMPLATE " + templateName
	}
	if _, err := admin.Exec(create); err != nil {
		t.Fatalf("%s: %v", create, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", AdminURL())
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return withDatabase(AdminURL(), name)
}

// ensureTemplate creates, once per migration set, a template database with
// every migration applied. Parallel test processes serialise on an advisory
// lock; the name carries a hash of the migrations, so a changed migration
// gets a new template.
func ensureTemplate(admin *sql.DB) (string, error) {
	sum := sha256.New()
	err := fs.WalkDir(migrations.FS("postgres"), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS("postgres"), path)
		sum.Write([]byte(path))
		sum.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	name := "hindsight_tpl_" + hex.EncodeToString(sum.Sum(nil))[:16]
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(88211)"); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, "SELECT pg_advisory_unlock(88211)")
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	store, err := models.Open(ctx, withDatabase(AdminURL(), name), Options())
	if err != nil {
		return "", err
	}
	_, err = store.Migrate(ctx)
	store.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE true"); err != nil {
		return "", err
	}
	return name, nil
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func redacted() string {
	u, err := url.Parse(AdminURL())
	if err != nil {
		return "(unparsable HINDSIGHT_TEST_POSTGRES)"
	}
	return u.Redacted()
}
