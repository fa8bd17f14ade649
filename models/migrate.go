package models

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"hindsight/migrations"
)

// Schema states reported by /version and enforced by the schema gate.
const (
	SchemaOK     = "ok"
	SchemaBehind = "behind" // the database lacks migrations this binary needs
	SchemaAhead  = "ahead"  // the database has migrations this binary does not know (a rollback)
)

// migrationLockID is the PostgreSQL advisory lock key held while migrating,
// so that replicas starting together migrate once.
const migrationLockID = 7_234_901_154

// SchemaInfo compares the database's schema with the one this binary expects.
type SchemaInfo struct {
	Current  int64  `json:"current"`
	Expected int64  `json:"expected"`
	State    string `json:"state"`
}

// MigrationStatus is one migration's row in `hindsight migrate status`.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// ExpectedSchemaVersion is the newest migration embedded in the binary.
func ExpectedSchemaVersion(dialect Dialect) (int64, error) {
	names, err := fs.Glob(migrations.FS(string(dialect)), "*.sql")
	if err != nil {
		return 0, err
	}
	var newest int64
	for _, name := range names {
		v, err := goose.NumericComponent(name)
		if err != nil {
			return 0, fmt.Errorf("migration %s: %w", name, err)
		}
		newest = max(newest, v)
	}
	return newest, nil
}

// provider builds a goose provider. On PostgreSQL it opens a separate pool
// whose sessions carry lock_timeout and statement_timeout, so that no
// migration can queue behind a long transaction and block the app's traffic,
// and it holds an advisory lock for the whole run.
func (s *Store) provider() (*goose.Provider, func() error, error) {
	fsys := migrations.FS(string(s.dialect))
	if s.dialect == SQLite {
		p, err := goose.NewProvider(goose.DialectSQLite3, s.sqlDB, fsys)
		return p, func() error { return nil }, err
	}
	u, err := url.Parse(s.dsn)
	if err != nil {
		return nil, nil, err
	}
	q := u.Query()
	q.Set("lock_timeout", "5s")
	q.Set("statement_timeout", "15min")
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, nil, err
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return p, db.Close, nil
}

// Migrate applies every pending migration and returns the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int64, error) {
	p, closeDB, err := s.provider()
	if err != nil {
		return nil, err
	}
	defer closeDB()
	results, err := p.Up(ctx)
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		if r.Error == nil {
			applied = append(applied, r.Source.Version)
		}
	}
	if err != nil {
		return applied, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// MigrateDownTo rolls migrations back to version (0 removes everything). It
// exists for the round-trip tests and for operators undoing a release in
// development; production rollbacks roll the binary back, not the schema.
func (s *Store) MigrateDownTo(ctx context.Context, version int64) error {
	p, closeDB, err := s.provider()
	if err != nil {
		return err
	}
	defer closeDB()
	_, err = p.DownTo(ctx, version)
	return err
}

// MigrationStatuses lists every embedded migration with whether it is applied.
func (s *Store) MigrationStatuses(ctx context.Context) ([]MigrationStatus, error) {
	p, closeDB, err := s.provider()
	if err != nil {
		return nil, err
	}
	defer closeDB()
	rows, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(rows))
	for _, r := range rows {
		out = append(out, MigrationStatus{
			Version:   r.Source.Version,
			Name:      path.Base(r.Source.Path),
			Applied:   r.State == goose.StateApplied,
			AppliedAt: r.AppliedAt.UTC(),
		})
	}
	return out, nil
}

// Schema reads the applied version without taking the migration lock, so it
// answers even while another replica is migrating.
func (s *Store) Schema(ctx context.Context) (SchemaInfo, error) {
	expected, err := ExpectedSchemaVersion(s.dialect)
	if err != nil {
		return SchemaInfo{}, err
	}
	info := SchemaInfo{Expected: expected}
	if s.db.WithContext(ctx).Migrator().HasTable(goose.DefaultTablename) {
		row := s.sqlDB.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM "+goose.DefaultTablename)
		if err := row.Scan(&info.Current); err != nil {
			return SchemaInfo{}, fmt.Errorf("read schema version: %w", err)
		}
	}
	switch {
	case info.Current < info.Expected:
		info.State = SchemaBehind
	case info.Current > info.Expected:
		info.State = SchemaAhead
	default:
		info.State = SchemaOK
	}
	return info, nil
}
