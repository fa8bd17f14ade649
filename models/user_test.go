package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"hindsight/internal/testdb"
	"hindsight/models"
)

// clock is an injectable, settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func withClock(t *testing.T, d models.Dialect) (*models.Store, *clock) {
	c := &clock{now: at("2026-01-01T09:00:00Z")}
	opts := testdb.Options()
	opts.Now = c.Now
	return testdb.New(t, d, opts), c
}

func TestSetupAndAuthentication(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, _ := withClock(t, d)
			ctx := context.Background()
			// Demo authors (no password) do not end first-run setup.
			if _, err := s.CreateUser(ctx, models.NewUser{Email: "demo@example.com", Name: "Demo", Role: models.RoleEditor}); err != nil {
				t.Fatal(err)
			}
			if needs, _ := s.NeedsSetup(ctx); !needs {
				t.Fatal("setup not needed with only a demo author")
			}
			if _, err := s.CreateFirstAdmin(ctx, models.NewUser{Email: "ana@example.com", Name: "Ana", Password: "short"}); err == nil {
				t.Fatal("short password accepted")
			}
			// Two racing set-up requests: exactly one admin.
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					_, errs[i] = s.CreateFirstAdmin(ctx, models.NewUser{Email: "admin" + string(rune('a'+i)) + "@example.com", Name: "Admin", Password: "a long enough password"})
				}(i)
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !errors.Is(err, models.ErrAlreadySetUp) && d == models.Postgres {
					t.Errorf("racing setup: %v", err)
				}
			}
			if ok != 1 {
				t.Fatalf("%d admins created by racing setups, want 1 (errors %v)", ok, errs)
			}
			if needs, _ := s.NeedsSetup(ctx); needs {
				t.Fatal("still needs setup")
			}
			users, _ := s.ListUsers(ctx)
			var admin models.User
			for _, u := range users {
				if u.Role == models.RoleAdmin {
					admin = u
				}
			}
			if admin.PasswordHash == "" || admin.PasswordHash == "a long enough password" {
				t.Fatal("password not hashed")
			}
			if _, err := s.Authenticate(ctx, admin.Email, "a long enough password"); err != nil {
				t.Fatalf("right password: %v", err)
			}
			for _, c := range [][2]string{{admin.Email, "wrong password"}, {"nobody@example.com", "a long enough password"}, {"demo@example.com", ""}} {
				if _, err := s.Authenticate(ctx, c[0], c[1]); !errors.Is(err, models.ErrBadCredentials) {
					t.Errorf("Authenticate(%q): %v", c[0], err)
				}
			}
			if _, err := s.CreateUser(ctx, models.NewUser{Email: "DEMO@example.com", Name: "x", Role: models.RoleViewer}); !errors.Is(err, models.ErrEmailTaken) {
				t.Errorf("duplicate e-mail: %v", err)
			}
			// The last admin can be neither demoted nor removed.
			if err := s.SetUserRole(ctx, admin.ID, models.RoleViewer); !errors.Is(err, models.ErrLastAdmin) {
				t.Errorf("demote last admin: %v", err)
			}
			if err := s.DeleteUser(ctx, admin.ID); !errors.Is(err, models.ErrLastAdmin) {
				t.Errorf("delete last admin: %v", err)
			}
		})
	}
}

func TestSessionsExpireAndRevoke(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, c := withClock(t, d)
			ctx := context.Background()
			u, _ := s.CreateUser(ctx, models.NewUser{Email: "a@example.com", Name: "A", Role: models.RoleViewer, Password: "a long enough password"})
			token, err := s.CreateSession(ctx, u.ID, time.Hour, "test", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.SessionUser(ctx, token, time.Hour); err != nil || got.ID != u.ID {
				t.Fatalf("fresh session: %v", err)
			}
			// Use slides the expiry: 50 min, use, 50 min later still valid.
			c.Add(50 * time.Minute)
			if _, err := s.SessionUser(ctx, token, time.Hour); err != nil {
				t.Fatal(err)
			}
			c.Add(50 * time.Minute)
			if _, err := s.SessionUser(ctx, token, time.Hour); err != nil {
				t.Fatalf("session used within its lifetime expired: %v", err)
			}
			c.Add(61 * time.Minute)
			if _, err := s.SessionUser(ctx, token, time.Hour); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("idle session still valid: %v", err)
			}
			if n, _ := s.DeleteExpiredSessions(ctx); n != 1 {
				t.Errorf("pruned %d sessions, want 1", n)
			}
			other, _ := s.CreateSession(ctx, u.ID, time.Hour, "", "")
			if err := s.DeleteSession(ctx, other); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SessionUser(ctx, other, time.Hour); !errors.Is(err, models.ErrNotFound) {
				t.Fatal("signed-out session still valid")
			}
		})
	}
}

func TestAPITokensAndLoginLimit(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, c := withClock(t, d)
			ctx := context.Background()
			if _, _, err := s.CreateAPIToken(ctx, "", "owner", nil); err == nil {
				t.Error("token with no name and a bad role accepted")
			}
			tok, plain, err := s.CreateAPIToken(ctx, "ci", models.RoleViewer, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.APITokenByValue(ctx, plain); err != nil || got.ID != tok.ID {
				t.Fatalf("lookup: %v", err)
			}
			if err := s.RevokeAPIToken(ctx, tok.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.APITokenByValue(ctx, plain); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("revoked token works: %v", err)
			}
			if err := s.RevokeAPIToken(ctx, 12345); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("revoke unknown: %v", err)
			}

			for i := 0; i < 3; i++ {
				s.RecordLoginFailure(ctx, "Ana@example.com", "10.0.0.1")
			}
			if blocked, _ := s.LoginBlocked(ctx, "ana@example.com", "192.0.2.1", 3, 15*time.Minute); !blocked {
				t.Error("3 failures for the e-mail did not block it")
			}
			if blocked, _ := s.LoginBlocked(ctx, "bo@example.com", "10.0.0.1", 3, 15*time.Minute); !blocked {
				t.Error("3 failures from the address did not block it")
			}
			if blocked, _ := s.LoginBlocked(ctx, "bo@example.com", "192.0.2.1", 3, 15*time.Minute); blocked {
				t.Error("an unrelated e-mail and address were blocked")
			}
			c.Add(16 * time.Minute)
			if blocked, _ := s.LoginBlocked(ctx, "ana@example.com", "10.0.0.1", 3, 15*time.Minute); blocked {
				t.Error("the block outlived its window")
			}
		})
	}
}

// TestReplicasMigrateOnce starts several migrations on one fresh PostgreSQL
// database at once, as replicas starting together would.
func TestReplicasMigrateOnce(t *testing.T) {
	url := testdb.EmptyPostgresURL(t)
	var wg sync.WaitGroup
	applied := make([][]int64, 3)
	errs := make([]error, 3)
	for i := range applied {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s, err := models.Open(context.Background(), url, testdb.Options())
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			applied[i], errs[i] = s.Migrate(context.Background())
		}(i)
	}
	wg.Wait()
	total := 0
	for i := range applied {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	expected, _ := models.ExpectedSchemaVersion(models.Postgres)
	if total != int(expected) {
		t.Errorf("migrations applied %d times in total, want each of %d once", total, expected)
	}
}
