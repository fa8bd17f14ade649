package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// scenario is one kind of request the load repeats.
type scenario struct {
	name string
	path string
	api  bool // Bearer token; otherwise the browser's session cookie
}

var scenarios = []scenario{
	{"page", "/incidents", false},
	{"page-query", "/incidents?q=migration", false},
	{"page-filter", "/incidents?severity=SEV2&sort=severity", false},
	{"api", "/api/v1/incidents", true},
	{"api-query", "/api/v1/incidents?q=migration", true},
	{"api-filter", "/api/v1/incidents?severity=SEV2&sort=severity", true},
	// Not run by default: deep OFFSET paging.
	{"page-deep", "/incidents?page=200", false},
	{"api-deep", "/api/v1/incidents?page=200", true},
}

func defaultScenarioNames() []string {
	var names []string
	for _, s := range scenarios[:6] {
		names = append(names, s.name)
	}
	return names
}

func allScenarioNames() []string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s.name)
	}
	return names
}

func scenarioByName(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// client sends requests as a signed-in browser or an API client.
type client struct {
	http    *http.Client
	base    string
	cookies []*http.Cookie // one session per worker
	token   string
}

func newClient(base string, workers int) *client {
	return &client{base: base, http: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil, // loopback only, whatever HTTP_PROXY says
			MaxIdleConns:        workers * 2,
			MaxIdleConnsPerHost: workers * 2,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		// A redirect (to /signin, to /setup) is an error here, not something to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// signIn posts the sign-in form with the headers a browser sends (the CSRF
// check only looks at Sec-Fetch-Site and Origin) and returns the session
// cookie.
func (c *client) signIn(ctx context.Context, email, password string) (*http.Cookie, error) {
	form := url.Values{"email": {email}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/signin", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", c.base)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in: HTTP %d, want 303: %s", res.StatusCode, body)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == "hindsight_session" && ck.Value != "" {
			return &http.Cookie{Name: ck.Name, Value: ck.Value}, nil
		}
	}
	return nil, fmt.Errorf("sign in: no hindsight_session cookie in the answer")
}

func (c *client) request(ctx context.Context, worker int, sc scenario) *http.Request {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+sc.path, nil)
	if err != nil {
		panic(err) // the paths are constants
	}
	if sc.api {
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Accept", "application/json")
	} else {
		req.AddCookie(c.cookies[worker%len(c.cookies)])
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Accept", "text/html")
	}
	return req
}

// do sends a request and reads the whole answer.
func (c *client) do(req *http.Request) (int, error) {
	status, _, err := c.doSize(req)
	return status, err
}

func (c *client) doSize(req *http.Request) (int, int64, error) {
	res, err := c.http.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, n, err
}

// result is one measured scenario.
type result struct {
	scenario       scenario
	requests       int64 // answered, whatever the status
	errors         int64 // transport errors and statuses other than 200
	firstError     string
	elapsed        time.Duration
	rps            float64
	p50, p95, p99  time.Duration
	max            time.Duration
	meanBytes      int64
	cpu            cpuUse
	rssAfterKB     int64
	peakRSSAfterKB int64
}

// measure runs a closed loop: each of conc workers sends a request, reads
// the answer, and sends the next, until d has passed or maxReq requests
// have been sent.
func measure(ctx context.Context, c *client, sc scenario, conc int, d time.Duration, maxReq int64, pid int) result {
	type workerStats struct {
		lat    []time.Duration
		errors int64
		bytes  int64
		first  string
	}
	stats := make([]workerStats, conc)
	var sent atomic.Int64
	cpu0 := sampleCPU(pid)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := &stats[w]
			st.lat = make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil && sent.Add(1) <= maxReq {
				req := c.request(ctx, w, sc)
				t0 := time.Now()
				status, n, err := c.doSize(req)
				st.lat = append(st.lat, time.Since(t0))
				st.bytes += n
				if err != nil || status != http.StatusOK {
					st.errors++
					if st.first == "" {
						st.first = failure(status, err)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	r := result{scenario: sc, elapsed: time.Since(start)}
	r.cpu = sampleCPU(pid).since(cpu0)
	var all []time.Duration
	var bytes int64
	for _, st := range stats {
		all = append(all, st.lat...)
		r.errors += st.errors
		bytes += st.bytes
		if r.firstError == "" {
			r.firstError = st.first
		}
	}
	r.requests = int64(len(all))
	if r.requests > 0 {
		slices.Sort(all)
		r.p50, r.p95, r.p99, r.max = percentile(all, 0.50), percentile(all, 0.95), percentile(all, 0.99), all[len(all)-1]
		r.meanBytes = bytes / r.requests
	}
	r.rps = float64(r.requests) / r.elapsed.Seconds()
	if st, err := procStatus(pid); err == nil {
		r.rssAfterKB, r.peakRSSAfterKB = st.rssKB, st.hwmKB
	}
	return r
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
