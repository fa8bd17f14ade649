package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"hindsight/cli"
	"hindsight/internal/testdb"
	"hindsight/models"
)

type run struct {
	code           int
	stdout, stderr string
}

func hindsight(t *testing.T, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(args, cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }, Version: "1.2.3", Commit: "abc",
	})
	return run{code, out.String(), errb.String()}
}

func sqliteEnv(t *testing.T) map[string]string {
	return map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "h.db")}
}

func TestUsageAndErrors(t *testing.T) {
	env := sqliteEnv(t)
	cases := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"help", []string{"--help"}, 0, "Commands:", ""},
		{"version", []string{"version"}, 0, "hindsight 1.2.3 (commit abc)", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"unknown flag", []string{"seed", "--colour"}, 2, "", "flag provided but not defined: -colour"},
		{"stray argument", []string{"serve", "now"}, 2, "", `unexpected argument "now"`},
		{"migrate bad action", []string{"migrate", "sideways"}, 2, "", `unknown action "sideways"`},
		{"user without add", []string{"user"}, 2, "", "hindsight user add"},
		{"user missing email", []string{"user", "add", "--name", "A", "--role", "admin"}, 2, "", "--email is required"},
		{"user bad role", []string{"user", "add", "--email", "a@example.com", "--name", "A", "--role", "boss"}, 2, "", `--role must be admin, editor or viewer, not "boss"`},
		{"token bad role", []string{"token", "add", "--name", "ci", "--role", "root"}, 2, "", "--role must be"},
		{"token no name", []string{"token", "add"}, 2, "", "--name is required"},
		{"seed help", []string{"seed", "--help"}, 0, "", "Usage: hindsight seed"},
		{"serve help", []string{"serve", "-h"}, 0, "", "Usage: hindsight serve"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := hindsight(t, env, "", c.args...)
			if r.code != c.code || !strings.Contains(r.stdout, c.out) || !strings.Contains(r.stderr, c.err) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout ∋ %q, stderr ∋ %q", r.code, r.stdout, r.stderr, c.code, c.out, c.err)
			}
		})
	}
}

func TestBadConfigurationStopsWithOneLine(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"HINDSIGHT_AUTO_MIGRATE": {"HINDSIGHT_AUTO_MIGRATE": "maybe"},
		"DATABASE_URL":           {"DATABASE_URL": "mysql://root@localhost/x"},
		"HINDSIGHT_LOG_LEVEL":    {"HINDSIGHT_LOG_LEVEL": "loud"},
	} {
		t.Run(name, func(t *testing.T) {
			r := hindsight(t, env, "", "migrate")
			if r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, name) {
				t.Errorf("exit %d, stderr %q; want exit 1 and one line naming %s", r.code, r.stderr, name)
			}
		})
	}
}

func TestMigrateSeedUserToken(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			url := testdb.URL(t, d)
			if d == models.Postgres {
				url = testdb.EmptyPostgresURL(t)
			}
			env := map[string]string{"DATABASE_URL": url}

			status := hindsight(t, env, "", "migrate", "status")
			if status.code != 0 || !strings.Contains(status.stdout, "pending") || !strings.Contains(status.stdout, "behind") {
				t.Fatalf("status before: %+v", status)
			}
			if r := hindsight(t, env, "", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "applied 00001") {
				t.Fatalf("migrate: %+v", r)
			}
			status = hindsight(t, env, "", "migrate", "status")
			if status.code != 0 || strings.Contains(status.stdout, "pending") || !strings.Contains(status.stdout, ": ok") {
				t.Fatalf("status after: %+v", status)
			}

			first := hindsight(t, env, "", "seed")
			if first.code != 0 || strings.Contains(first.stdout, " 0 incidents created") {
				t.Fatalf("seed: %+v", first)
			}
			second := hindsight(t, env, "", "seed")
			if second.code != 0 || !strings.Contains(second.stdout, "0 users and 0 incidents created") {
				t.Fatalf("second seed changed something: %+v", second)
			}

			// The password comes from stdin, so it stays out of shell history.
			r := hindsight(t, env, "a long enough password\n", "user", "add", "--email", "Ana@Example.com", "--name", "Ana", "--role", "admin")
			if r.code != 0 || !strings.Contains(r.stdout, "ana@example.com") {
				t.Fatalf("user add: %+v", r)
			}
			if dup := hindsight(t, env, "a long enough password\n", "user", "add", "--email", "ana@example.com", "--name", "Ana", "--role", "admin"); dup.code != 1 || !strings.Contains(dup.stderr, "already exists") {
				t.Errorf("duplicate user: %+v", dup)
			}
			if weak := hindsight(t, env, "", "user", "add", "--email", "bo@example.com", "--name", "Bo", "--role", "viewer", "--password", "short"); weak.code != 1 || !strings.Contains(weak.stderr, "at least 12") {
				t.Errorf("weak password: %+v", weak)
			}

			tok := hindsight(t, env, "", "token", "add", "--name", "deploy pipeline")
			lines := strings.Split(strings.TrimSpace(tok.stdout), "\n")
			plain := lines[len(lines)-1]
			if tok.code != 0 || !strings.HasPrefix(plain, "hs_") || strings.Contains(plain, " ") {
				t.Fatalf("token add: %+v", tok)
			}
			store, err := models.Open(context.Background(), url, testdb.Options())
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			got, err := store.APITokenByValue(context.Background(), plain)
			if err != nil || got.Role != models.RoleEditor || got.TokenHash == plain {
				t.Fatalf("stored token: %+v %v", got, err)
			}
			if u, err := store.UserByEmail(context.Background(), "ana@example.com"); err != nil || !u.CanSignIn() {
				t.Fatalf("user: %+v %v", u, err)
			}
		})
	}
}
