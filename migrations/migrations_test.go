package migrations_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "append new migration files to checksums.txt (existing lines are never rewritten)")

// manifestFile records the SHA-256 of every migration, one
// "<sha256>  <dialect>/<file>.sql" line each, in the format of sha256sum.
const manifestFile = "checksums.txt"

const updateHint = "go test ./migrations -run TestChecksums -update"

// dialectDirs are the migration directories, one per database.
var dialectDirs = []string{"postgres", "sqlite"}

// migrationName is the only accepted file name: a five-digit version, then
// lowercase snake_case words.
var migrationName = regexp.MustCompile(`^([0-9]{5})_[a-z0-9]+(?:_[a-z0-9]+)*\.sql$`)

var manifestLine = regexp.MustCompile(`^([0-9a-f]{64})  (\S+)$`)

type manifestEntry struct {
	sum  string
	path string
	line int
}

// readManifest parses checksums.txt. Blank lines and "#" comments are allowed.
func readManifest(t *testing.T) (entries []manifestEntry, raw []byte) {
	t.Helper()
	raw, err := os.ReadFile(manifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		t.Fatalf("read %s: %v", manifestFile, err)
	}
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := manifestLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("%s:%d: malformed line %q; want \"<sha256>  <dialect>/<file>.sql\"", manifestFile, n, line)
			continue
		}
		if first, dup := seen[m[2]]; dup {
			t.Errorf("%s:%d: %s is listed twice (first on line %d)", manifestFile, n, m[2], first)
			continue
		}
		seen[m[2]] = n
		entries = append(entries, manifestEntry{sum: m[1], path: m[2], line: n})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", manifestFile, err)
	}
	return entries, raw
}

// migrationFiles lists every *.sql file of every dialect directory, as
// "dialect/file.sql", sorted.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range dialectDirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("read %s/: %v", dir, err)
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(strings.ToLower(e.Name()), ".sql") {
				files = append(files, path.Join(dir, e.Name()))
			}
		}
	}
	slices.Sort(files)
	return files
}

// fileSum is the SHA-256 of a file with CRLF line endings read as LF, so a
// checkout that converts line endings does not look like an edit.
func fileSum(name string) (string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
	return hex.EncodeToString(sum[:]), nil
}

// TestChecksums keeps merged migrations immutable: a database that already
// ran a migration never runs it again, so editing the file would leave
// existing installations and new ones with different schemas.
func TestChecksums(t *testing.T) {
	entries, raw := readManifest(t)
	listed := map[string]bool{}
	for _, e := range entries {
		listed[e.path] = true
		got, err := fileSum(e.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			t.Errorf("migrations/%s (%s line %d) was removed.\n"+
				"\tMerged migrations are never edited or deleted: restore the file and add a new migration instead.",
				e.path, manifestFile, e.line)
		case err != nil:
			t.Errorf("read migrations/%s: %v", e.path, err)
		case got != e.sum:
			t.Errorf("migrations/%s changed since it was recorded in %s line %d\n"+
				"\t(sha256 now %s, recorded %s).\n"+
				"\tMerged migrations are never edited: restore the file and add a new migration instead.\n"+
				"\t(Only if this migration was never merged anywhere: delete its line from %s and run `%s`.)",
				e.path, manifestFile, e.line, got, e.sum, manifestFile, updateHint)
		}
	}

	var added []string
	for _, f := range migrationFiles(t) {
		if listed[f] {
			continue
		}
		if !*update {
			t.Errorf("migrations/%s is not recorded in migrations/%s.\n\tRecord it with: %s", f, manifestFile, updateHint)
			continue
		}
		if !migrationName.MatchString(path.Base(f)) {
			t.Errorf("migrations/%s: not recorded, fix its name first (see TestMigrationFileNames)", f)
			continue
		}
		sum, err := fileSum(f)
		if err != nil {
			t.Fatalf("read migrations/%s: %v", f, err)
		}
		added = append(added, sum+"  "+f+"\n")
	}
	if len(added) == 0 {
		return
	}
	// Append only: lines already in the manifest are never rewritten.
	var buf bytes.Buffer
	if len(raw) > 0 && !bytes.HasSuffix(raw, []byte("\n")) {
		buf.WriteString("\n")
	}
	for _, line := range added {
		buf.WriteString(line)
	}
	out, err := os.OpenFile(manifestFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatalf("update %s: %v", manifestFile, err)
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		out.Close()
		t.Fatalf("update %s: %v", manifestFile, err)
	}
	if err := out.Close(); err != nil {
		t.Fatalf("update %s: %v", manifestFile, err)
	}
	for _, line := range added {
		t.Logf("recorded in %s: %s", manifestFile, strings.TrimSpace(line))
	}
}

// TestMigrationFileNames checks that every file in a dialect directory is a
// migration goose will pick up, with a unique version.
func TestMigrationFileNames(t *testing.T) {
	for _, dir := range dialectDirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("read %s/: %v", dir, err)
		}
		versions := map[string]string{}
		for _, e := range entries {
			name := e.Name()
			switch {
			case strings.HasPrefix(name, "."):
				continue // editor and OS droppings; never embedded
			case e.IsDir():
				t.Errorf("migrations/%s/%s/: subdirectories are not embedded; put migrations directly in migrations/%s/", dir, name, dir)
				continue
			}
			m := migrationName.FindStringSubmatch(name)
			if m == nil {
				t.Errorf("migrations/%s/%s: a migration must be named NNNNN_snake_case_name.sql "+
					"(five-digit version, lowercase words joined by underscores), e.g. 00002_add_incident_owner.sql", dir, name)
				continue
			}
			if other, dup := versions[m[1]]; dup {
				t.Errorf("migrations/%s: version %s is used by both %s and %s", dir, m[1], other, name)
				continue
			}
			versions[m[1]] = name
		}
	}
}

// TestDialectsHaveSameVersions checks that each version exists for every
// database, under the same name: the schema gate compares one version number
// whatever the dialect. A change that only one database needs still gets a
// file (with an empty Up and Down) in the other directory.
func TestDialectsHaveSameVersions(t *testing.T) {
	byDialect := map[string]map[string]string{} // dialect -> version -> file name
	var all []string
	for _, dir := range dialectDirs {
		byDialect[dir] = map[string]string{}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("read %s/: %v", dir, err)
		}
		for _, e := range entries {
			if m := migrationName.FindStringSubmatch(e.Name()); m != nil && !e.IsDir() {
				byDialect[dir][m[1]] = e.Name()
				all = append(all, m[1])
			}
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	if len(all) == 0 {
		t.Fatal("no migrations found")
	}
	for _, v := range all {
		var missing, names []string
		for _, dir := range dialectDirs {
			name, ok := byDialect[dir][v]
			if !ok {
				missing = append(missing, dir)
				continue
			}
			names = append(names, fmt.Sprintf("%s/%s", dir, name))
		}
		if len(missing) > 0 {
			t.Errorf("version %s exists as %s but is missing from %s/: every version needs a file for each database "+
				"(an empty migration if the change does not apply there)", v, strings.Join(names, ", "), strings.Join(missing, "/, "))
			continue
		}
		first := path.Base(names[0])
		for _, n := range names[1:] {
			if path.Base(n) != first {
				t.Errorf("version %s has different names per database: %s; use one name for both", v, strings.Join(names, ", "))
				break
			}
		}
	}
}
