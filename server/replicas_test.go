package server_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

// TestReplicasActAsOne runs two servers, each with its own connection pool,
// on one PostgreSQL database: a session made on one works on the other, and
// the sign-in limit counts failures from both.
func TestReplicasActAsOne(t *testing.T) {
	url1 := testdb.URL(t, models.Postgres)
	open := func() *models.Store {
		s, err := models.Open(context.Background(), url1, testdb.Options())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	env := map[string]string{"HINDSIGHT_LOGIN_MAX_FAILURES": "4"}
	a := apptest.StartWithStore(t, open(), env)
	b := apptest.StartWithStore(t, open(), env)
	a.User("admin@example.com", models.RoleAdmin)

	onA := a.Browser()
	if res := onA.PostForm("/signin", url.Values{"email": {"admin@example.com"}, "password": {apptest.Password}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in on A: %d", res.StatusCode)
	}
	cookie := onA.Cookie(a.URL, "hindsight_session")
	onB := b.Browser()
	u, _ := url.Parse(b.URL)
	onB.SetCookie(u, cookie)
	if res := onB.Get("/incidents"); res.StatusCode != http.StatusOK {
		t.Fatalf("A's session on B: %d", res.StatusCode)
	}
	// Sign-out on B ends the session on A too.
	onB.PostForm("/signout", nil)
	if res := onA.Get("/incidents"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after sign-out on B, A still serves the session: %d", res.StatusCode)
	}

	bad := url.Values{"email": {"admin@example.com"}, "password": {"not the password"}}
	for i := 0; i < 2; i++ {
		a.Browser().PostForm("/signin", bad)
		b.Browser().PostForm("/signin", bad)
	}
	if res := b.Browser().PostForm("/signin", url.Values{"email": {"admin@example.com"}, "password": {apptest.Password}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4 failures split over two replicas: %d, want 429", res.StatusCode)
	}
}
