package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/tools/loadrun/fixture"
)

// BenchmarkIncidentListPage measures the whole request path of the incident
// list over 10,000 incidents: middleware, session or token lookup, the store
// queries and the template or JSON rendering. Requests go straight into the
// server's http.Handler (no sockets), so allocs/op are the server's own.
// PostgreSQL sub-benchmarks skip when no server is reachable, unless
// REQUIRE_POSTGRES=1.
//
//	go test -run '^$' -bench BenchmarkIncidentListPage -benchmem ./server/
func BenchmarkIncidentListPage(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(string(d), func(b *testing.B) {
			app := apptest.Start(b, d, nil)
			ctx := context.Background()
			if _, err := fixture.Load(ctx, app.Store, fixture.Options{Incidents: 10_000}); err != nil {
				b.Fatal(err)
			}
			if err := fixture.Analyze(ctx, app.Store); err != nil {
				b.Fatal(err)
			}
			app.User("admin@bench.invalid", models.RoleAdmin) // ends first-run setup
			cookie := benchSignIn(b, app, "editor@bench.invalid")
			token := app.Token(models.RoleViewer)

			for _, c := range []struct{ name, path string }{
				{"page", "/incidents"},
				{"page-query", "/incidents?q=migration"},
				{"page-filter", "/incidents?severity=SEV2&sort=severity"},
				{"api", "/api/v1/incidents"},
				{"api-query", "/api/v1/incidents?q=migration"},
				{"api-filter", "/api/v1/incidents?severity=SEV2&sort=severity"},
			} {
				b.Run(c.name, func(b *testing.B) {
					newReq := func() *http.Request {
						req := httptest.NewRequest(http.MethodGet, app.URL+c.path, nil)
						if strings.HasPrefix(c.path, "/api/") {
							req.Header.Set("Authorization", "Bearer "+token)
						} else {
							req.AddCookie(cookie)
							req.Header.Set("Sec-Fetch-Site", "same-origin")
						}
						return req
					}
					rec := httptest.NewRecorder()
					app.Server.ServeHTTP(rec, newReq())
					if rec.Code != http.StatusOK {
						b.Fatalf("GET %s: %d %s", c.path, rec.Code, rec.Body.String())
					}
					size := rec.Body.Len()
					lat := make([]time.Duration, 0, 1024)
					b.ReportAllocs()
					for b.Loop() {
						req := newReq()
						rec := httptest.NewRecorder()
						t0 := time.Now()
						app.Server.ServeHTTP(rec, req)
						lat = append(lat, time.Since(t0))
						if rec.Code != http.StatusOK {
							b.Fatalf("GET %s: %d", c.path, rec.Code)
						}
					}
					benchReportPercentiles(b, lat)
					b.ReportMetric(float64(size), "resp-bytes")
				})
			}
		})
	}
}

// benchSignIn creates an editor and signs in through POST /signin with the
// headers a browser sends, returning the session cookie.
func benchSignIn(b *testing.B, app *apptest.App, email string) *http.Cookie {
	b.Helper()
	app.User(email, models.RoleEditor)
	form := url.Values{"email": {email}, "password": {apptest.Password}}
	req := httptest.NewRequest(http.MethodPost, app.URL+"/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", app.URL)
	rec := httptest.NewRecorder()
	app.Server.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		b.Fatalf("sign in: %d %s", rec.Code, rec.Body.String())
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "hindsight_session" && c.Value != "" {
			return c
		}
	}
	b.Fatal("sign in: no session cookie")
	return nil
}

// benchReportPercentiles adds p50 and p95 latencies (in ns) to the result line.
func benchReportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		i := int(float64(len(lat))*p+0.5) - 1
		return float64(lat[max(0, min(i, len(lat)-1))].Nanoseconds())
	}
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.95), "p95-ns")
}
