package migrations_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"hindsight/internal/testdb"
	"hindsight/models"
)

// TestDialectParity checks that the PostgreSQL and SQLite migrations build
// the same tables with the same column names, so that one set of gorm models
// and queries works on both.
//
// Left out on purpose:
//   - goose's version table (goose_db_version) and SQLite's own tables
//     (sqlite_sequence, sqlite_stat1, …);
//   - full-text search, which is dialect-specific by design (models/search.go):
//     PostgreSQL keeps a generated tsvector column (incidents.search, and any
//     other column of type tsvector) with a GIN index, SQLite an FTS5 virtual
//     table (incidents_fts) kept in step by triggers, plus the shadow tables
//     FTS5 creates for it (<name>_data, _idx, _docsize, _config, _content).
//
// Column types, defaults and constraints are not compared: the dialects spell
// them differently (timestamptz vs DATETIME, identity vs AUTOINCREMENT).
func TestDialectParity(t *testing.T) {
	ctx := context.Background()
	pg := testdb.New(t, models.Postgres, testdb.Options())
	lite := testdb.New(t, models.SQLite, testdb.Options())

	pgTables, err := postgresColumns(ctx, pg.DB())
	if err != nil {
		t.Fatalf("read the PostgreSQL schema: %v", err)
	}
	liteTables, err := sqliteColumns(ctx, lite.DB())
	if err != nil {
		t.Fatalf("read the SQLite schema: %v", err)
	}
	if len(pgTables) == 0 || len(liteTables) == 0 {
		t.Fatalf("no tables found (postgres %d, sqlite %d): were the migrations applied?", len(pgTables), len(liteTables))
	}
	if diff := diffTables(pgTables, liteTables); diff != "" {
		t.Errorf("the PostgreSQL and SQLite migrations disagree; every table and column must exist in both\n"+
			"(migrations/postgres/ and migrations/sqlite/ with the same version):\n%s", diff)
	}
}

// tableColumns maps each table (or view) to its column names.
type tableColumns map[string][]string

func postgresColumns(ctx context.Context, db *sql.DB) (tableColumns, error) {
	tables := tableColumns{}
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type IN ('BASE TABLE', 'VIEW') AND table_name <> $1`, goose.DefaultTablename)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		tables[name] = []string{}
	}
	if err := errorsOf(rows); err != nil {
		return nil, err
	}
	rows, err = db.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name <> $1 AND udt_name <> 'tsvector'`, goose.DefaultTablename)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			rows.Close()
			return nil, err
		}
		if cols, ok := tables[table]; ok {
			tables[table] = append(cols, column)
		}
	}
	return tables, errorsOf(rows)
}

var fts5Table = regexp.MustCompile(`(?is)^\s*CREATE\s+VIRTUAL\s+TABLE\s+.*\bUSING\s+fts5\b`)

// fts5ShadowSuffixes are the tables FTS5 creates for a virtual table.
var fts5ShadowSuffixes = []string{"_data", "_idx", "_docsize", "_config", "_content"}

func sqliteColumns(ctx context.Context, db *sql.DB) (tableColumns, error) {
	type object struct{ name, sql string }
	rows, err := db.QueryContext(ctx, `SELECT name, COALESCE(sql, '') FROM sqlite_master
		WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> ?`, goose.DefaultTablename)
	if err != nil {
		return nil, err
	}
	var objects []object
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.name, &o.sql); err != nil {
			rows.Close()
			return nil, err
		}
		objects = append(objects, o)
	}
	if err := errorsOf(rows); err != nil {
		return nil, err
	}
	search := map[string]bool{} // FTS5 tables and their shadow tables
	for _, o := range objects {
		if fts5Table.MatchString(o.sql) {
			search[o.name] = true
			for _, suffix := range fts5ShadowSuffixes {
				search[o.name+suffix] = true
			}
		}
	}
	tables := tableColumns{}
	for _, o := range objects {
		if search[o.name] {
			continue
		}
		cols := []string{}
		rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, o.name)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return nil, err
			}
			cols = append(cols, name)
		}
		if err := errorsOf(rows); err != nil {
			return nil, err
		}
		tables[o.name] = cols
	}
	return tables, nil
}

// diffTables describes how the two schemas differ, or returns "".
func diffTables(pg, lite tableColumns) string {
	var names []string
	for n := range pg {
		names = append(names, n)
	}
	for n := range lite {
		names = append(names, n)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var b strings.Builder
	for _, name := range names {
		pgCols, inPG := pg[name]
		liteCols, inLite := lite[name]
		switch {
		case !inLite:
			fmt.Fprintf(&b, "\ttable %s only in postgres (columns: %s)\n", name, strings.Join(sorted(pgCols), ", "))
		case !inPG:
			fmt.Fprintf(&b, "\ttable %s only in sqlite (columns: %s)\n", name, strings.Join(sorted(liteCols), ", "))
		default:
			if only := minus(pgCols, liteCols); len(only) > 0 {
				fmt.Fprintf(&b, "\ttable %s: columns only in postgres: %s\n", name, strings.Join(only, ", "))
			}
			if only := minus(liteCols, pgCols); len(only) > 0 {
				fmt.Fprintf(&b, "\ttable %s: columns only in sqlite: %s\n", name, strings.Join(only, ", "))
			}
		}
	}
	return b.String()
}

// minus returns the sorted elements of a that are not in b.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return sorted(out)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestDiffTables(t *testing.T) {
	pg := tableColumns{"a": {"id", "x"}, "b": {"id"}, "same": {"id", "n"}}
	lite := tableColumns{"a": {"id", "y"}, "c": {"id"}, "same": {"n", "id"}}
	want := "\ttable a: columns only in postgres: x\n" +
		"\ttable a: columns only in sqlite: y\n" +
		"\ttable b only in postgres (columns: id)\n" +
		"\ttable c only in sqlite (columns: id)\n"
	if got := diffTables(pg, lite); got != want {
		t.Errorf("diffTables =\n%s\nwant\n%s", got, want)
	}
	if got := diffTables(pg, pg); got != "" {
		t.Errorf("diffTables of identical schemas = %q", got)
	}
}
