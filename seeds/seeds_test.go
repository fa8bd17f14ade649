package seeds

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"hindsight/internal/testdb"
	"hindsight/models"
)

func countIncidents(t *testing.T, store *models.Store) int64 {
	t.Helper()
	page, err := store.ListIncidents(context.Background(), models.IncidentFilter{})
	if err != nil {
		t.Fatalf("list incidents: %v", err)
	}
	return page.Total
}

func TestParseEmbedded(t *testing.T) {
	set, err := Parse()
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	names, err := fs.Glob(files, "incidents/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Incidents) == 0 || len(set.Incidents) != len(names) {
		t.Fatalf("parsed %d incidents from %d files", len(set.Incidents), len(names))
	}
	if len(set.Users) == 0 {
		t.Fatal("no seed users")
	}
	for i := 1; i < len(set.Incidents); i++ {
		a, b := set.Incidents[i-1], set.Incidents[i]
		if b.StartedAt.Before(a.StartedAt) || (b.StartedAt.Equal(a.StartedAt) && b.Slug < a.Slug) {
			t.Errorf("incidents not sorted: %s before %s", a.Slug, b.Slug)
		}
	}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	set, err := Parse()
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		res, err := Load(ctx, store)
		if err != nil {
			t.Fatalf("first Load: %v", err)
		}
		events, entries := evidenceTotals(set)
		want := Result{UsersCreated: len(set.Users), IncidentsCreated: len(set.Incidents),
			EventsCreated: events, TimelineEntriesAdded: entries, ActionsCreated: actionTotal(set),
			PostmortemSectionsSaved: 4 * len(set.Postmortems)}
		if res != want {
			t.Errorf("first Load = %+v, want %+v", res, want)
		}
		if n := countIncidents(t, store); n != int64(len(set.Incidents)) {
			t.Fatalf("%d incidents stored, want %d", n, len(set.Incidents))
		}

		for i, seed := range set.Incidents {
			inc, err := store.IncidentBySlug(ctx, seed.Slug)
			if err != nil {
				t.Fatalf("%s: %v", seed.Slug, err)
			}
			// Fresh database, stable order: INC-1 is the earliest incident.
			if inc.ID != int64(i+1) {
				t.Errorf("%s is %s, want INC-%d", seed.Slug, inc.Key(), i+1)
			}
			if inc.Title != seed.Title || inc.Severity != seed.Severity || inc.Status != seed.Status {
				t.Errorf("%s: stored %q/%s/%s", seed.Slug, inc.Title, inc.Severity, inc.Status)
			}
			if len(inc.Services) != len(seed.Services) || len(inc.Tags) != len(seed.Tags) || len(inc.Authors) != len(seed.Authors) {
				t.Errorf("%s: %d services, %d tags, %d authors; want %d, %d, %d", seed.Slug,
					len(inc.Services), len(inc.Tags), len(inc.Authors), len(seed.Services), len(seed.Tags), len(seed.Authors))
			}
			if len(inc.Services) == 0 || len(inc.Tags) == 0 || len(inc.Authors) == 0 {
				t.Errorf("%s: services, tags and authors must all be set", seed.Slug)
			}
			prev := inc.StartedAt
			for _, m := range []*time.Time{inc.DetectedAt, inc.MitigatedAt, inc.ResolvedAt} {
				if m == nil {
					continue
				}
				if m.Before(prev) {
					t.Errorf("%s: moments out of order: %v before %v", seed.Slug, *m, prev)
				}
				prev = *m
			}
		}

		bookbot, err := store.IncidentBySlug(ctx, "bookbot-errors-schema-behind-code")
		if err != nil {
			t.Fatal(err)
		}
		if wantStart := time.Date(2022, 11, 17, 10, 45, 0, 0, time.UTC); !bookbot.StartedAt.Equal(wantStart) {
			t.Errorf("bookbot started at %v, want %v", bookbot.StartedAt, wantStart)
		}
		if bookbot.ResolvedAt == nil || !bookbot.ResolvedAt.Equal(time.Date(2022, 11, 17, 11, 45, 0, 0, time.UTC)) {
			t.Errorf("bookbot resolved at %v", bookbot.ResolvedAt)
		}
		var authors []string
		for _, a := range bookbot.Authors {
			authors = append(authors, a.Email)
		}
		if got := strings.Join(authors, ","); !strings.Contains(got, "maya.okafor@example.com") || !strings.Contains(got, "lars.vermeulen@example.com") {
			t.Errorf("bookbot authors = %s", got)
		}

		for _, su := range set.Users {
			u, err := store.UserByEmail(ctx, su.Email)
			if err != nil {
				t.Fatalf("seed user %s: %v", su.Email, err)
			}
			if u.PasswordHash != "" || u.CanSignIn() {
				t.Errorf("seed user %s can sign in", u.Email)
			}
			if u.Role == models.RoleAdmin {
				t.Errorf("seed user %s is an admin", u.Email)
			}
			if _, err := store.Authenticate(ctx, su.Email, "any-password-at-all"); err == nil {
				t.Errorf("seed user %s authenticated", su.Email)
			}
		}
		if setup, err := store.NeedsSetup(ctx); err != nil || !setup {
			t.Errorf("after seeding, NeedsSetup = %v, %v; want true", setup, err)
		}

		res, err = Load(ctx, store)
		if err != nil {
			t.Fatalf("second Load: %v", err)
		}
		if want := (Result{IncidentsSkipped: len(set.Incidents)}); res != want {
			t.Errorf("second Load = %+v, want %+v", res, want)
		}
		if n := countIncidents(t, store); n != int64(len(set.Incidents)) {
			t.Errorf("after second Load %d incidents, want %d", n, len(set.Incidents))
		}
	})
}

// TestLoadKeepsExisting checks that an existing user or incident is left as it is.
func TestLoadKeepsExisting(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{
		"users.yaml":       {Data: []byte(goodUsers)},
		"incidents/a.yaml": {Data: []byte(goodIncident)},
	}
	testdb.ForEach(t, func(t *testing.T, store *models.Store) {
		if _, err := store.CreateUser(ctx, models.NewUser{Email: "ana@example.com", Name: "Ana Real", Role: models.RoleEditor, Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		res, err := load(ctx, store, fsys)
		if err != nil {
			t.Fatal(err)
		}
		if want := (Result{IncidentsCreated: 1}); res != want {
			t.Errorf("Load = %+v, want %+v", res, want)
		}
		u, err := store.UserByEmail(ctx, "ana@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "Ana Real" || !u.CanSignIn() {
			t.Errorf("existing user changed: %+v", u)
		}
	})
}

const goodUsers = `users:
  - email: ana@example.com
    name: Ana
    role: editor
`

const goodIncident = `slug: a
title: Something broke
severity: SEV3
status: draft
started_at: 2024-01-02T10:00:00+01:00
detected_at: 2024-01-02T10:05:00+01:00
services: [api]
tags: [deploy]
authors: [ana@example.com]
summary: It broke.
`

func TestLoadBadSeeds(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		users    string
		incident string
		file     string // the file the error must name
		want     string // and a fragment of the reason
	}{
		{"unknown incident key", goodUsers, strings.Replace(goodIncident, "tags:", "tagz:", 1), "incidents/a.yaml", "tagz"},
		{"unknown user key", goodUsers + "    team: x\n", goodIncident, "users.yaml", "team"},
		{"unknown author", goodUsers, strings.Replace(goodIncident, "[ana@example.com]", "[ana@example.com, bob@example.com]", 1), "incidents/a.yaml", "bob@example.com"},
		{"bad time", goodUsers, strings.Replace(goodIncident, "2024-01-02T10:00:00+01:00", "yesterday", 1), "incidents/a.yaml", "started_at"},
		{"time without offset", goodUsers, strings.Replace(goodIncident, "2024-01-02T10:05:00+01:00", "2024-01-02 10:05", 1), "incidents/a.yaml", "line 6: detected_at"},
		{"moments out of order", goodUsers, strings.Replace(goodIncident, "10:05:00", "09:55:00", 1), "incidents/a.yaml", "detected_at"},
		{"bad severity", goodUsers, strings.Replace(goodIncident, "SEV3", "SEV9", 1), "incidents/a.yaml", "severity"},
		{"slug differs from file name", goodUsers, strings.Replace(goodIncident, "slug: a", "slug: b", 1), "incidents/a.yaml", "file name"},
		{"admin seed user", strings.Replace(goodUsers, "editor", "admin", 1), goodIncident, "users.yaml", "admin"},
		{"two documents", goodUsers, goodIncident + "---\nslug: a\n", "incidents/a.yaml", "single YAML document"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"users.yaml":       {Data: []byte(c.users)},
				"incidents/a.yaml": {Data: []byte(c.incident)},
			}
			testdb.ForEach(t, func(t *testing.T, store *models.Store) {
				_, err := load(ctx, store, fsys)
				if err == nil {
					t.Fatal("load succeeded")
				}
				t.Logf("error: %v", err)
				if !strings.Contains(err.Error(), "seeds/"+c.file) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("error %q should name seeds/%s and mention %q", err, c.file, c.want)
				}
				if n := countIncidents(t, store); n != 0 {
					t.Errorf("%d incidents created by a failed load", n)
				}
			})
		})
	}
}
