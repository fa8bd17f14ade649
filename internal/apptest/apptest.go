// Package apptest boots the whole Hindsight server against a fresh database
// for tests, and drives it like a browser (cookie jar, same-origin headers)
// or like an API client (Bearer token).
package apptest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"hindsight/config"
	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/server"
)

// App is a running server with its store.
type App struct {
	t      testing.TB
	URL    string
	Store  *models.Store
	Config *config.Config
	Server *server.Server
}

// Start boots a server on a fresh, migrated database of the dialect. env
// overrides configuration variables.
func Start(t testing.TB, d models.Dialect, env map[string]string) *App {
	t.Helper()
	store := testdb.New(t, d, testdb.Options())
	return StartWithStore(t, store, env)
}

// StartWithStore boots a server on an existing store.
func StartWithStore(t testing.TB, store *models.Store, env map[string]string) *App {
	t.Helper()
	cfg, err := config.FromEnv(func(k string) string {
		if k == "DATABASE_URL" {
			return "sqlite:unused" // the store is already open
		}
		return env[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	level := slog.LevelWarn
	if os.Getenv("HINDSIGHT_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
	srv, err := server.New(cfg, store, log, server.BuildInfo{Version: "test", Commit: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &App{t: t, URL: ts.URL, Store: store, Config: cfg, Server: srv}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Password is the password of every user the helpers create.
const Password = "correct horse battery"

// User creates a user who can sign in.
func (a *App) User(email, role string) *models.User {
	a.t.Helper()
	u, err := a.Store.CreateUser(context.Background(), models.NewUser{Email: email, Name: strings.Split(email, "@")[0], Role: role, Password: Password})
	if err != nil {
		a.t.Fatal(err)
	}
	return u
}

// Token creates an API token of the role and returns its value.
func (a *App) Token(role string) string {
	a.t.Helper()
	_, plain, err := a.Store.CreateAPIToken(context.Background(), "test "+role, role, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	return plain
}

// Browser is an HTTP client that keeps cookies, does not follow redirects,
// and sends the Fetch-metadata headers a real browser sends with forms.
type Browser struct {
	t      testing.TB
	app    *App
	client *http.Client
}

// Browser returns a fresh browser with an empty cookie jar.
func (a *App) Browser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{t: a.t, app: a, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// SignedIn returns a browser signed in as a new user of the role.
func (a *App) SignedIn(email, role string) *Browser {
	a.t.Helper()
	a.User(email, role)
	b := a.Browser()
	res := b.PostForm("/signin", url.Values{"email": {email}, "password": {Password}})
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("sign in as %s: status %d: %s", email, res.StatusCode, res.Body)
	}
	return b
}

// Response is a read response.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       string
}

// JSON decodes the body into v.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Do sends a request with same-origin browser headers.
func (b *Browser) Do(req *http.Request) *Response {
	b.t.Helper()
	if req.Header.Get("Sec-Fetch-Site") == "" {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	return do(b.t, b.client, req)
}

// Get fetches a page.
func (b *Browser) Get(path string) *Response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.app.URL+path, nil)
	return b.Do(req)
}

// PostForm submits a form.
func (b *Browser) PostForm(path string, form url.Values) *Response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.app.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.app.URL)
	return b.Do(req)
}

// API sends a JSON request with a Bearer token ("" sends none).
func (a *App) API(method, path, token string, body string, headers ...string) *Response {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, a.URL+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(a.t, http.DefaultClient, req)
}

func do(t testing.TB, client *http.Client, req *http.Request) *Response {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s: %v", req.URL, err)
	}
	return &Response{StatusCode: res.StatusCode, Header: res.Header, Body: string(body)}
}

// SetCookie plants a cookie, as another tab or an attacker might.
func (b *Browser) SetCookie(u *url.URL, c *http.Cookie) {
	b.client.Jar.SetCookies(u, []*http.Cookie{c})
}

// Cookie returns the browser's cookie of that name for the site.
func (b *Browser) Cookie(site, name string) *http.Cookie {
	u, _ := url.Parse(site)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}
