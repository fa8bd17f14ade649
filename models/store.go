// Package models owns Hindsight's data: the gorm structs, the Store that
// wraps the database, its queries and migrations.
package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"hindsight/config"
)

// Errors a caller can branch on. Their messages are safe to show to users.
var (
	ErrNotFound = errors.New("not found")
	// ErrStale means the caller's version of a record is older than the stored one.
	ErrStale = errors.New("the record was changed by someone else since you loaded it")
)

// Dialect names the database behind a Store.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Options tune a Store. The zero value is the production setting.
type Options struct {
	// Now is the clock; tests inject a fixed one.
	Now func() time.Time
	// PasswordCost is the bcrypt cost; 0 means bcrypt.DefaultCost+2.
	PasswordCost int
	Logger       *slog.Logger
}

// Store is the only door to the database.
type Store struct {
	db           *gorm.DB
	sqlDB        *sql.DB
	dialect      Dialect
	dsn          string
	now          func() time.Time
	passwordCost int
	log          *slog.Logger
	search       searcher
}

// Open connects to the database named by a DATABASE_URL. It does not migrate.
func Open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	dialect, dsn, err := config.SplitDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	s := &Store{dialect: Dialect(dialect), dsn: dsn, now: opts.Now, passwordCost: opts.PasswordCost, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.passwordCost == 0 {
		s.passwordCost = bcrypt.DefaultCost + 2
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	gcfg := &gorm.Config{
		Logger:                                   logger.Discard,
		NowFunc:                                  func() time.Time { return s.now().UTC() },
		TranslateError:                           true,
		DisableForeignKeyConstraintWhenMigrating: true,
	}
	switch s.dialect {
	case Postgres:
		s.db, err = gorm.Open(postgres.Open(dsn), gcfg)
		s.search = postgresSearch{}
	case SQLite:
		if dir := filepath.Dir(dsn); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create the SQLite directory: %w", err)
			}
		}
		s.db, err = gorm.Open(sqlite.Open(sqliteDSN(dsn)), gcfg)
		s.search = sqliteSearch{}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if s.sqlDB, err = s.db.DB(); err != nil {
		return nil, err
	}
	if s.dialect == SQLite {
		// One writer at a time is SQLite's model; a small pool keeps readers
		// concurrent and writers queue on the busy timeout. Known limit: the
		// driver (glebarez/go-sqlite v1.21.2) stops reading the DSN after
		// _time_format, so _txlock=immediate is not applied and transactions
		// begin deferred: two transactions that both read and then write at
		// the same moment can fail with "database is locked" instead of
		// queueing. Code paths that race (the review workflow) take the write
		// lock first; PostgreSQL is the database for concurrent writers.
		s.sqlDB.SetMaxOpenConns(8)
	} else {
		s.sqlDB.SetMaxOpenConns(25)
		s.sqlDB.SetMaxIdleConns(25)
		s.sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.sqlDB.PingContext(pingCtx); err != nil {
		s.sqlDB.Close()
		return nil, fmt.Errorf("reach the %s database: %w", dialect, err)
	}
	return s, nil
}

// sqliteDSN turns a file path into a DSN with the settings Hindsight relies on:
// WAL for concurrent readers, a busy timeout, foreign keys, and times written
// in one sortable UTC layout.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_time_format=sqlite&_txlock=immediate"
}

// Dialect tells which database the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the connection pool for health checks and metrics.
func (s *Store) DB() *sql.DB { return s.sqlDB }

// Now is the store's clock, in UTC.
func (s *Store) Now() time.Time { return s.now().UTC() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.sqlDB.PingContext(ctx) }

// Close releases the connection pool.
func (s *Store) Close() error { return s.sqlDB.Close() }

// notFound maps gorm's miss onto ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}
