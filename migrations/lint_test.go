package migrations_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hindsight/migrations"
)

// Squawk (https://squawkhq.com) lints the Up part of every PostgreSQL
// migration for statements that lock busy tables or cannot be retried.
// `make tools` installs the pinned version into .tools/; SQUAWK overrides the
// path. Without it the lint skips loudly, unless REQUIRE_SQUAWK=1 (CI).

var squawkSkipOnce sync.Once

// squawkBinary returns the squawk executable, or skips (fails under
// REQUIRE_SQUAWK=1) when it is not installed.
func squawkBinary(t *testing.T) string {
	t.Helper()
	bin, where := os.Getenv("SQUAWK"), "$SQUAWK"
	if bin == "" {
		bin, where = filepath.Join(repoRoot(t), ".tools", "node_modules", ".bin", "squawk"), "make tools"
	}
	info, err := os.Stat(bin)
	if err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
		return bin
	}
	if err == nil {
		err = errors.New("not an executable file")
	}
	if os.Getenv("REQUIRE_SQUAWK") == "1" || where == "$SQUAWK" {
		t.Fatalf("squawk is required but %s (from %s) is unusable: %v; run make tools or fix SQUAWK", bin, where, err)
	}
	squawkSkipOnce.Do(func() {
		fmt.Fprintf(os.Stderr, "\n*** SKIPPING squawk lint of migrations: %s not found; run make tools "+
			"(or set SQUAWK=/path/to/squawk; REQUIRE_SQUAWK=1 fails instead) ***\n\n", bin)
	})
	t.Skipf("squawk not installed at %s: run make tools", bin)
	return ""
}

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// gooseAnnotation returns the annotation of a "-- +goose X" line, parsed the
// way goose does, or "" for any other line.
func gooseAnnotation(line string) string {
	if !strings.HasPrefix(strings.TrimSpace(line), "--") || !strings.Contains(line, "+goose") {
		return ""
	}
	cmd := strings.Replace(strings.ReplaceAll(line, "--", ""), "+goose", "", 1)
	return strings.TrimSpace(cmd)
}

// upSection returns what goose runs when migrating up: the lines between
// "-- +goose Up" and "-- +goose Down". Lines before Up are blanked rather
// than cut so that squawk's line numbers are those of the migration file.
// noTx reports a "-- +goose NO TRANSACTION" migration.
func upSection(src string) (up string, noTx bool, err error) {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var b strings.Builder
	inUp, sawUp, sawDown := false, false, false
	for _, line := range lines {
		switch gooseAnnotation(line) {
		case "NO TRANSACTION": // goose honours it anywhere in the file
			noTx = true
		case "Up":
			inUp, sawUp = true, true
		case "Down":
			inUp, sawDown = false, true
		}
		if sawDown {
			continue
		}
		if inUp {
			b.WriteString(line)
		}
		b.WriteString("\n")
	}
	if !sawUp {
		return "", false, errors.New("no -- +goose Up annotation")
	}
	return b.String(), noTx, nil
}

// squawkViolation is one finding of `squawk --reporter json` (0-based lines).
type squawkViolation struct {
	File     string  `json:"file"`
	Line     int     `json:"line"`
	Column   int     `json:"column"`
	Level    string  `json:"level"`
	Message  string  `json:"message"`
	Help     *string `json:"help"`
	RuleName string  `json:"rule_name"`
}

func (v squawkViolation) String() string {
	s := fmt.Sprintf("%s:%d:%d: %s [%s]: %s", v.File, v.Line+1, v.Column+1, strings.ToLower(v.Level), v.RuleName, v.Message)
	if v.Help != nil && *v.Help != "" {
		s += "\n\t\thelp: " + *v.Help
	}
	return s + "\n\t\tsee https://squawkhq.com/docs/" + v.RuleName
}

// runSquawk lints one SQL file with the repository's .squawk.toml. inTx says
// whether the migration tool wraps the file in a transaction; it overrides
// the config file's assume_in_transaction.
func runSquawk(t *testing.T, bin, file string, inTx bool) []squawkViolation {
	t.Helper()
	args := []string{"--reporter", "json", "--config", filepath.Join(repoRoot(t), ".squawk.toml")}
	if inTx {
		args = append(args, "--assume-in-transaction")
	} else {
		args = append(args, "--no-assume-in-transaction")
	}
	args = append(args, filepath.Base(file)) // run in its directory, so findings name the bare file
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = filepath.Dir(file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var found []squawkViolation
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &found); err != nil {
		t.Fatalf("squawk %s: %v (exit: %v)\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, runErr, stdout.String(), stderr.String())
	}
	var exitErr *exec.ExitError
	switch {
	case runErr == nil && len(found) > 0:
		t.Fatalf("squawk reported %d issues but exited 0: %s", len(found), stdout.String())
	case runErr != nil && (!errors.As(runErr, &exitErr) || len(found) == 0):
		// A failure without findings is squawk itself failing (bad config, crash).
		t.Fatalf("squawk %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), runErr, stdout.String(), stderr.String())
	}
	return found
}

// lintMigration lints what goose runs when migrating up with this file. The
// temporary copy keeps the migration's base name, so findings name it.
func lintMigration(t *testing.T, bin, name, src string) (found []squawkViolation, noTx bool) {
	t.Helper()
	up, noTx, err := upSection(src)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	file := filepath.Join(t.TempDir(), filepath.Base(name))
	if err := os.WriteFile(file, []byte(up), 0o600); err != nil {
		t.Fatal(err)
	}
	return runSquawk(t, bin, file, !noTx), noTx
}

func TestSquawkLint(t *testing.T) {
	bin := squawkBinary(t)
	fsys := migrations.FS("postgres")
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no PostgreSQL migrations embedded (err %v)", err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			src, err := fs.ReadFile(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			found, noTx := lintMigration(t, bin, name, string(src))
			if len(found) == 0 {
				return
			}
			mode := "in a transaction"
			if noTx {
				mode = "without a transaction (NO TRANSACTION)"
			}
			var b strings.Builder
			for _, v := range found {
				b.WriteString("\n\tmigrations/postgres/" + v.String())
			}
			t.Errorf("squawk rejects the Up part of migrations/postgres/%s, linted as run %s:%s\n\n"+
				"\tMake the migration safe for a live database (see the help above). If a finding cannot apply here\n"+
				"\t(e.g. the table was created earlier in the same migration), put `-- squawk-ignore <rule>` on the\n"+
				"\tline before the statement, with a comment saying why.", name, mode, b.String())
		})
	}
}

// TestSquawkRejectsUnsafeMigration proves the lint can fail: the fixture
// holds statements that lock a live table, and one in its Down part that
// must not be linted.
func TestSquawkRejectsUnsafeMigration(t *testing.T) {
	bin := squawkBinary(t)
	src, err := os.ReadFile(filepath.Join("testdata", "unsafe.sql"))
	if err != nil {
		t.Fatal(err)
	}
	found, noTx := lintMigration(t, bin, "unsafe.sql", string(src))
	if noTx {
		t.Fatal("unsafe.sql was read as a NO TRANSACTION migration")
	}
	rules := map[string]squawkViolation{}
	for _, v := range found {
		rules[v.RuleName] = v
	}
	for _, want := range []string{
		"require-concurrent-index-creation", // CREATE INDEX without CONCURRENTLY
		"adding-required-field",             // ADD COLUMN ... NOT NULL without a default
		"adding-not-nullable-field",         // SET NOT NULL scans the table under lock
		"changing-column-type",              // ALTER COLUMN TYPE rewrites the table
	} {
		if _, ok := rules[want]; !ok {
			t.Errorf("squawk did not report %s on testdata/unsafe.sql; got %v", want, slices.Sorted(maps.Keys(rules)))
		}
	}
	if v, ok := rules["ban-drop-table"]; ok {
		t.Errorf("the Down part of testdata/unsafe.sql was linted: %s", v)
	}
	// Findings must point at the line of the migration file itself.
	wantLine := 1 + slices.IndexFunc(strings.Split(string(src), "\n"), func(l string) bool {
		return strings.HasPrefix(l, "CREATE INDEX")
	})
	if v, ok := rules["require-concurrent-index-creation"]; ok && v.Line+1 != wantLine {
		t.Errorf("require-concurrent-index-creation reported on line %d, want %d (the CREATE INDEX line of unsafe.sql)", v.Line+1, wantLine)
	}
}

// noTransactionMigration may only run outside a transaction (CREATE INDEX
// CONCURRENTLY); squawk must lint it as such.
const noTransactionMigration = `-- +goose NO TRANSACTION

-- +goose Up
SET lock_timeout = '5s';
SET statement_timeout = '15min';
CREATE INDEX CONCURRENTLY IF NOT EXISTS incidents_title_idx ON incidents (title);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS incidents_title_idx;
`

// TestSquawkNoTransaction proves that NO TRANSACTION migrations are linted
// without assume_in_transaction: the same file fails when linted as if goose
// wrapped it in a transaction.
func TestSquawkNoTransaction(t *testing.T) {
	bin := squawkBinary(t)
	found, noTx := lintMigration(t, bin, "00099_concurrent_index.sql", noTransactionMigration)
	if !noTx {
		t.Fatal("the NO TRANSACTION annotation was not detected")
	}
	for _, v := range found {
		t.Errorf("safe NO TRANSACTION migration rejected: %s", v)
	}

	up, _, err := upSection(noTransactionMigration)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "in_tx.sql")
	if err := os.WriteFile(file, []byte(up), 0o600); err != nil {
		t.Fatal(err)
	}
	inTx := runSquawk(t, bin, file, true)
	if !slices.ContainsFunc(inTx, func(v squawkViolation) bool {
		return v.RuleName == "ban-concurrent-index-creation-in-transaction"
	}) {
		t.Errorf("linted as in a transaction, CREATE INDEX CONCURRENTLY should be rejected; got %v", inTx)
	}
}

func TestUpSection(t *testing.T) {
	src := "-- header\n-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n"
	up, noTx, err := upSection(src)
	if err != nil || noTx {
		t.Fatalf("upSection: noTx %v, err %v", noTx, err)
	}
	if want := "\n-- +goose Up\nCREATE TABLE a (id int);\n"; up != want {
		t.Errorf("upSection = %q, want %q", up, want)
	}
	if _, noTx, _ := upSection(src + "-- +goose NO TRANSACTION\n"); !noTx {
		t.Error("NO TRANSACTION after Down was missed; goose honours it anywhere")
	}
	if _, _, err := upSection("CREATE TABLE a (id int);\n"); err == nil {
		t.Error("a file without -- +goose Up was accepted")
	}
}
