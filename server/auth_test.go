package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/models"
)

func TestFirstRunSetup(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	b := app.Browser()
	if res := b.Get("/incidents"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/setup" {
		t.Fatalf("before setup: %d → %q, want 303 → /setup", res.StatusCode, res.Header.Get("Location"))
	}
	if res := b.Get("/setup"); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "No administrator exists yet") {
		t.Fatalf("setup page: %d", res.StatusCode)
	}
	// Bad input re-renders the form with 422 and keeps what was typed.
	bad := b.PostForm("/setup", url.Values{"name": {"Ana"}, "email": {"not-an-email"}, "password": {"short"}, "password_confirm": {"short"}})
	if bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "at least 12 characters") || !strings.Contains(bad.Body, `value="Ana"`) {
		t.Fatalf("bad setup: %d %s", bad.StatusCode, bad.Body)
	}
	mismatch := b.PostForm("/setup", url.Values{"name": {"Ana"}, "email": {"ana@example.com"}, "password": {apptest.Password}, "password_confirm": {"something else!"}})
	if mismatch.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(mismatch.Body, "differ") {
		t.Fatalf("mismatched passwords: %d", mismatch.StatusCode)
	}
	ok := b.PostForm("/setup", url.Values{"name": {"Ana"}, "email": {"ana@example.com"}, "password": {apptest.Password}, "password_confirm": {apptest.Password}})
	if ok.StatusCode != http.StatusSeeOther || ok.Header.Get("Location") != "/incidents" {
		t.Fatalf("setup: %d → %q", ok.StatusCode, ok.Header.Get("Location"))
	}
	if res := b.Get("/incidents"); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "first admin") {
		t.Fatalf("signed in after setup: %d", res.StatusCode)
	}
	// Setup is closed for good: another visitor cannot create a second admin.
	other := app.Browser()
	again := other.PostForm("/setup", url.Values{"name": {"Eve"}, "email": {"eve@example.com"}, "password": {apptest.Password}, "password_confirm": {apptest.Password}})
	if again.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != "/signin" {
		t.Fatalf("second setup: %d → %q", again.StatusCode, again.Header.Get("Location"))
	}
	if _, err := app.Store.UserByEmail(context.Background(), "eve@example.com"); err == nil {
		t.Fatal("a second admin was created through /setup")
	}
}

func TestSignInSessions(t *testing.T) {
	app := apptest.Start(t, models.SQLite, map[string]string{"HINDSIGHT_BASE_URL": "https://hindsight.example.com"})
	app.User("admin@example.com", models.RoleAdmin)
	b := app.Browser()
	if res := b.Get("/incidents/1"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/signin?next=%2Fincidents%2F1" {
		t.Fatalf("anonymous: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	wrong := b.PostForm("/signin", url.Values{"email": {"admin@example.com"}, "password": {"wrong password!"}})
	if wrong.StatusCode != http.StatusUnauthorized || !strings.Contains(wrong.Body, "wrong") {
		t.Fatalf("wrong password: %d", wrong.StatusCode)
	}
	// A session cookie planted before sign-in (fixation) is replaced.
	planted := "0000000000000000000000000000000000000000000000000000000000000000"
	u, _ := url.Parse(app.URL)
	jarCookie := &http.Cookie{Name: "hindsight_session", Value: planted}
	res := signIn(t, b, u, jarCookie, "admin@example.com", "/incidents?status=draft")
	if res.Header.Get("Location") != "/incidents?status=draft" {
		t.Errorf("next: %q", res.Header.Get("Location"))
	}
	cookie := findCookie(res, "hindsight_session")
	if cookie == nil || cookie.Value == planted || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v; want a new HttpOnly, Secure, SameSite=Lax cookie", cookie)
	}
	if res := b.Get("/incidents"); res.StatusCode != http.StatusOK {
		t.Fatalf("signed in: %d", res.StatusCode)
	}
	// Sign-out revokes the session server-side: replaying the cookie fails.
	stolen := cookie.Value
	if res := b.PostForm("/signout", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	replay := app.Browser()
	replay.SetCookie(u, &http.Cookie{Name: "hindsight_session", Value: stolen})
	if res := replay.Get("/incidents"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("replayed cookie after sign-out: %d, want 303 to sign in", res.StatusCode)
	}
	// Open redirects are refused.
	b2 := app.Browser()
	res = signIn(t, b2, u, nil, "admin@example.com", "//evil.example.com/")
	if res.Header.Get("Location") != "/incidents" {
		t.Errorf("next=//evil: redirected to %q", res.Header.Get("Location"))
	}
}

func signIn(t *testing.T, b *apptest.Browser, u *url.URL, pre *http.Cookie, email, next string) *apptest.Response {
	t.Helper()
	if pre != nil {
		b.SetCookie(u, pre)
	}
	res := b.PostForm("/signin", url.Values{"email": {email}, "password": {apptest.Password}, "next": {next}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", res.StatusCode, res.Body)
	}
	return res
}

func findCookie(res *apptest.Response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSignInRateLimit(t *testing.T) {
	app := apptest.Start(t, models.SQLite, map[string]string{"HINDSIGHT_LOGIN_MAX_FAILURES": "3"})
	app.User("admin@example.com", models.RoleAdmin)
	b := app.Browser()
	for i := 0; i < 3; i++ {
		if res := b.PostForm("/signin", url.Values{"email": {"admin@example.com"}, "password": {"nope nope nope"}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, res.StatusCode)
		}
	}
	// Now even the right password is refused until the window passes.
	res := b.PostForm("/signin", url.Values{"email": {"admin@example.com"}, "password": {apptest.Password}})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

func TestCrossSiteFormRefused(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	app.User("admin@example.com", models.RoleAdmin)
	b := app.SignedIn("editor@example.com", models.RoleEditor)
	form := url.Values{"title": {"Forged"}, "severity": {"SEV1"}, "status": {"draft"}, "started_at": {"2024-01-01T10:00"}}
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/incidents", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example.com")
	if res := b.Do(req); res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "another site") {
		t.Fatalf("cross-site POST: %d %s", res.StatusCode, res.Body)
	}
	page, _ := app.Store.ListIncidents(context.Background(), models.IncidentFilter{})
	if page.Total != 0 {
		t.Fatal("the forged incident was stored")
	}
	// The same form from the same origin works.
	if res := b.PostForm("/incidents", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin POST: %d %s", res.StatusCode, res.Body)
	}
}

func TestHtmxRequestAfterSignOutRedirectsThePage(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/events", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Current-URL", app.URL+"/events?kind=alert")
	app.User("root@example.com", models.RoleAdmin)
	res := app.Browser().Do(req)
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("HX-Redirect") != "/signin?next=%2Fevents%3Fkind%3Dalert" {
		t.Fatalf("htmx poll without a session: %d, HX-Redirect %q", res.StatusCode, res.Header.Get("HX-Redirect"))
	}
}
