package migrations_test

import (
	"context"
	"database/sql"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"hindsight/internal/testdb"
	"hindsight/migrations"
	"hindsight/models"
)

// TestRoundTrip runs every migration up one at a time, down one at a time,
// then up, all down and up again, on an empty database of each dialect.
// After each step the schema version, its state and the migration status
// must be right, and every Down must restore exactly the schema its Up
// started from (columns, types, defaults, indexes, constraints, triggers…).
func TestRoundTrip(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		roundTrip(t, openStore(t, testdb.URL(t, models.SQLite)))
	})
	t.Run("postgres", func(t *testing.T) {
		roundTrip(t, openStore(t, testdb.EmptyPostgresURL(t)))
	})
}

func openStore(t *testing.T, url string) *models.Store {
	t.Helper()
	store, err := models.Open(context.Background(), url, testdb.Options())
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func roundTrip(t *testing.T, store *models.Store) {
	ctx := context.Background()
	dialect := store.Dialect()
	gooseDialect := goose.DialectSQLite3
	if dialect == models.Postgres {
		gooseDialect = goose.DialectPostgres
	}
	// A plain provider on the store's pool, for the one-at-a-time steps the
	// Store does not offer.
	provider, err := goose.NewProvider(gooseDialect, store.DB(), migrations.FS(string(dialect)))
	if err != nil {
		t.Fatal(err)
	}
	var versions []int64
	names := map[int64]string{}
	for _, s := range provider.ListSources() {
		versions = append(versions, s.Version)
		names[s.Version] = path.Base(s.Path)
	}
	if len(versions) == 0 {
		t.Fatal("no migrations embedded")
	}
	latest := versions[len(versions)-1]
	expected, err := models.ExpectedSchemaVersion(dialect)
	if err != nil {
		t.Fatalf("models.ExpectedSchemaVersion(%s): %v", dialect, err)
	}
	if expected != latest {
		t.Fatalf("models.ExpectedSchemaVersion(%s) = %d, want %d (the newest embedded migration)", dialect, expected, latest)
	}

	check := func(step string, current int64) {
		t.Helper()
		info, err := store.Schema(ctx)
		if err != nil {
			t.Fatalf("%s: Schema: %v", step, err)
		}
		want := models.SchemaInfo{Current: current, Expected: latest, State: models.SchemaBehind}
		if current == latest {
			want.State = models.SchemaOK
		}
		if info != want {
			t.Errorf("%s: Schema = %+v, want %+v", step, info, want)
		}
		statuses, err := store.MigrationStatuses(ctx)
		if err != nil {
			t.Fatalf("%s: MigrationStatuses: %v", step, err)
		}
		if len(statuses) != len(versions) {
			t.Fatalf("%s: MigrationStatuses lists %d migrations, want %d: %+v", step, len(statuses), len(versions), statuses)
		}
		for i, s := range statuses {
			v := versions[i]
			applied := v <= current
			if s.Version != v || s.Name != names[v] || s.Applied != applied || s.AppliedAt.IsZero() == applied {
				t.Errorf("%s: status %d = %+v, want version %d %s applied=%v (with a time when applied)",
					step, i, s, v, names[v], applied)
			}
		}
	}
	snap := func(step string) schemaSnapshot {
		t.Helper()
		s, err := snapshot(ctx, store)
		if err != nil {
			t.Fatalf("%s: read the schema: %v", step, err)
		}
		return s
	}
	same := func(step string, want schemaSnapshot, wantDesc string) {
		t.Helper()
		if diff := diffSnapshots(want, snap(step)); diff != "" {
			t.Errorf("%s: the schema differs from %s (- missing, + unexpected, ~ changed):\n%s", step, wantDesc, diff)
		}
	}

	// Up one migration at a time, recording the schema of each version.
	check("empty database", 0)
	schemas := map[int64]schemaSnapshot{0: snap("empty database")}
	for _, v := range versions {
		res, err := provider.UpByOne(ctx)
		if err != nil {
			t.Fatalf("up %s: %v", names[v], err)
		}
		if res.Source.Version != v {
			t.Fatalf("up applied version %d, want %d", res.Source.Version, v)
		}
		step := "after up " + names[v]
		check(step, v)
		schemas[v] = snap(step)
	}

	// Down one at a time: each Down must give back the previous schema.
	for i := len(versions) - 1; i >= 0; i-- {
		prev := int64(0)
		if i > 0 {
			prev = versions[i-1]
		}
		step := "after down " + names[versions[i]]
		if err := store.MigrateDownTo(ctx, prev); err != nil {
			t.Fatalf("down %s (MigrateDownTo %d): %v", names[versions[i]], prev, err)
		}
		check(step, prev)
		same(step, schemas[prev], fmt.Sprintf("the one version %d had on the way up", prev))
	}
	if t.Failed() {
		return
	}

	// Up again in one go, all down in one go, up once more.
	upAll := func(step string) {
		t.Helper()
		applied, err := store.Migrate(ctx)
		if err != nil {
			t.Fatalf("%s: Migrate: %v", step, err)
		}
		if !slices.Equal(applied, versions) {
			t.Errorf("%s: Migrate applied %v, want %v", step, applied, versions)
		}
		check(step, latest)
		same(step, schemas[latest], "the one of the first way up")
	}
	upAll("up again")
	if err := store.MigrateDownTo(ctx, 0); err != nil {
		t.Fatalf("MigrateDownTo 0: %v", err)
	}
	check("all down", 0)
	same("all down", schemas[0], "the empty database")
	upAll("up a third time")

	if applied, err := store.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Errorf("Migrate on an up-to-date database = %v, %v; want nothing applied", applied, err)
	}
}

// schemaSnapshot describes every object the migrations own, keyed by kind and
// name ("column incidents.title") with its definition as the value. goose's
// version table and SQLite's internal tables are left out.
type schemaSnapshot map[string]string

func snapshot(ctx context.Context, store *models.Store) (schemaSnapshot, error) {
	if store.Dialect() == models.Postgres {
		return postgresSnapshot(ctx, store.DB())
	}
	return sqliteSnapshot(ctx, store.DB())
}

// postgresSnapshotQueries each return (key, definition) rows for the public
// schema (and any schema a migration creates).
var postgresSnapshotQueries = []string{
	`SELECT 'schema ' || nspname, '' FROM pg_namespace
	  WHERE nspname NOT LIKE 'pg\_%' AND nspname NOT IN ('information_schema', 'public')`,
	`SELECT 'extension ' || extname, '' FROM pg_extension WHERE extname <> 'plpgsql'`,
	`SELECT 'relation ' || relname, relkind::text FROM pg_class
	  WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
	`SELECT format('column %s.%s', c.relname, a.attname),
	        concat_ws(' ', format_type(a.atttypid, a.atttypmod),
	            CASE WHEN a.attnotnull THEN 'NOT NULL' END,
	            CASE a.attidentity WHEN 'a' THEN 'GENERATED ALWAYS AS IDENTITY' WHEN 'd' THEN 'GENERATED BY DEFAULT AS IDENTITY' END,
	            CASE WHEN a.attgenerated = 's' THEN 'GENERATED ALWAYS AS' ELSE 'DEFAULT' END || ' ' || pg_get_expr(d.adbin, d.adrelid))
	   FROM pg_attribute a
	   JOIN pg_class c ON c.oid = a.attrelid
	   LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
	    AND a.attnum > 0 AND NOT a.attisdropped`,
	`SELECT format('constraint %s.%s', CASE WHEN conrelid <> 0 THEN conrelid::regclass::text ELSE contypid::regtype::text END, conname),
	        pg_get_constraintdef(oid)
	   FROM pg_constraint WHERE connamespace = 'public'::regnamespace`,
	`SELECT 'index ' || indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`,
	`SELECT format('trigger %s.%s', tgrelid::regclass, tgname), pg_get_triggerdef(oid) FROM pg_trigger
	  WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)`,
	`SELECT 'view ' || relname, pg_get_viewdef(oid) FROM pg_class
	  WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm')`,
	`SELECT format('function %s(%s)', proname, pg_get_function_identity_arguments(oid)), pg_get_functiondef(oid)
	   FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prokind IN ('f', 'p')`,
	`SELECT 'type ' || t.typname,
	        concat_ws(' ', t.typtype::text, format_type(NULLIF(t.typbasetype, 0), t.typtypmod),
	            (SELECT string_agg(quote_literal(enumlabel), ', ' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid))
	   FROM pg_type t
	  WHERE t.typnamespace = 'public'::regnamespace
	    AND (t.typtype IN ('e', 'd', 'r', 'm')
	         OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))`,
}

func postgresSnapshot(ctx context.Context, db *sql.DB) (schemaSnapshot, error) {
	s := schemaSnapshot{}
	for _, q := range postgresSnapshotQueries {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("%w\n%s", err, q)
		}
		for rows.Next() {
			var key, def string
			if err := rows.Scan(&key, &def); err != nil {
				rows.Close()
				return nil, err
			}
			s.add(key, def)
		}
		if err := errorsOf(rows); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func sqliteSnapshot(ctx context.Context, db *sql.DB) (schemaSnapshot, error) {
	type object struct{ kind, name, table, sql string }
	rows, err := db.QueryContext(ctx, `SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master`)
	if err != nil {
		return nil, err
	}
	var objects []object
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.kind, &o.name, &o.table, &o.sql); err != nil {
			rows.Close()
			return nil, err
		}
		objects = append(objects, o)
	}
	if err := errorsOf(rows); err != nil {
		return nil, err
	}

	s := schemaSnapshot{}
	for _, o := range objects {
		if o.kind == "table" && strings.HasPrefix(o.name, "sqlite_") {
			continue // sqlite_sequence and friends belong to SQLite
		}
		switch o.kind {
		case "table":
			// The CREATE TABLE text is not compared: ALTER TABLE edits it in
			// place. Columns, foreign keys and indexes are, structurally;
			// virtual tables (FTS5) only exist as their declaration.
			def := ""
			if strings.HasPrefix(strings.ToUpper(o.sql), "CREATE VIRTUAL TABLE") {
				def = normalizeSQL(o.sql)
			}
			s.add("table "+o.name, def)
			err = queryInto(ctx, db, s, `SELECT 'column ' || ? || '.' || name,
				type || CASE WHEN "notnull" THEN ' NOT NULL' ELSE '' END
				     || CASE WHEN pk > 0 THEN ' PRIMARY KEY ' || pk ELSE '' END
				     || COALESCE(' DEFAULT ' || dflt_value, '')
				FROM pragma_table_info(?)`, o.name, o.name)
			if err == nil {
				err = queryInto(ctx, db, s, `SELECT format('foreign key %s.%s -> %s.%s', ?, "from", "table", "to"),
					format('ON UPDATE %s ON DELETE %s MATCH %s', on_update, on_delete, "match")
					FROM pragma_foreign_key_list(?)`, o.name, o.name)
			}
		case "index":
			def := normalizeSQL(o.sql)
			if def == "" { // an automatic index of a UNIQUE or PRIMARY KEY constraint
				err = db.QueryRowContext(ctx, `SELECT 'auto on ' || ? || ' (' || group_concat(name, ', ') || ')'
					FROM (SELECT name FROM pragma_index_info(?) ORDER BY seqno)`, o.table, o.name).Scan(&def)
			}
			s.add("index "+o.name, def)
		default: // view, trigger
			s.add(o.kind+" "+o.name, normalizeSQL(o.sql))
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.kind, o.name, err)
		}
	}
	return s, nil
}

func queryInto(ctx context.Context, db *sql.DB, s schemaSnapshot, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var key, def string
		if err := rows.Scan(&key, &def); err != nil {
			rows.Close()
			return err
		}
		s.add(key, def)
	}
	return errorsOf(rows)
}

func errorsOf(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// add records an object unless it belongs to goose's version table.
func (s schemaSnapshot) add(key, def string) {
	if _, name, _ := strings.Cut(key, " "); strings.HasPrefix(name, goose.DefaultTablename) {
		return
	}
	s[key] = def
}

func normalizeSQL(q string) string { return strings.Join(strings.Fields(q), " ") }

// diffSnapshots lists the differences between two schemas, one per line:
// "- " only in want, "+ " only in got, "~ " defined differently. It returns ""
// when they are the same.
func diffSnapshots(want, got schemaSnapshot) string {
	keys := make([]string, 0, len(want)+len(got))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var b strings.Builder
	for _, k := range keys {
		w, inWant := want[k]
		g, inGot := got[k]
		switch {
		case !inGot:
			fmt.Fprintf(&b, "\t- %s: %s\n", k, w)
		case !inWant:
			fmt.Fprintf(&b, "\t+ %s: %s\n", k, g)
		case w != g:
			fmt.Fprintf(&b, "\t~ %s: %s\n\t  %*s  now: %s\n", k, w, len(k), "", g)
		}
	}
	return b.String()
}
