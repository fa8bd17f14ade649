package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hindsight/reminders"
)

// hookServer is a real HTTP receiver on a loopback port that records what
// it gets and answers as told.
type hookServer struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	answer  func(w http.ResponseWriter, r *http.Request, body []byte)
}

func startHookServer(t *testing.T, tlsServer bool) *hookServer {
	t.Helper()
	hs := &hookServer{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hs.mu.Lock()
		hs.bodies = append(hs.bodies, body)
		hs.headers = append(hs.headers, r.Header.Clone())
		answer := hs.answer
		hs.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad method or type", http.StatusMethodNotAllowed)
			return
		}
		if answer == nil {
			io.WriteString(w, "ok")
			return
		}
		answer(w, r, body)
	})
	hs.Server = httptest.NewUnstartedServer(h)
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes the tests cause
	if tlsServer {
		hs.StartTLS()
	} else {
		hs.Start()
	}
	t.Cleanup(hs.Close)
	return hs
}

func (hs *hookServer) setAnswer(f func(w http.ResponseWriter, r *http.Request, body []byte)) {
	hs.mu.Lock()
	hs.answer = f
	hs.mu.Unlock()
}

func (hs *hookServer) got() ([][]byte, []http.Header) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return append([][]byte(nil), hs.bodies...), append([]http.Header(nil), hs.headers...)
}

const slackPath = "/services/T0001/B0002/XXsecretTOKENxx"

func digest(t *testing.T) reminders.Digest {
	d, ok := reminders.Build(reminders.Recipient{UserID: 42, Name: "Alice <Ops> & co", Email: "alice@example.com"}, []reminders.Item{
		{ActionID: 7, Title: "Add an alert on <queue> depth & lag", URL: "https://h.example/actions/7", IncidentKey: "INC-42", Due: time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), Status: "open", Priority: "P1"},
	}, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), 7)
	if !ok {
		t.Fatal("no digest")
	}
	d.Period = "2026-11-23"
	return d
}

// noSecret checks that an error message shows nothing of the URL but its
// scheme and host.
func noSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range append(secrets, slackPath, "XXsecretTOKENxx", "/services", "token=") {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the error %q shows %q", err, s)
		}
	}
}

func TestSlackSend(t *testing.T) {
	hs := startHookServer(t, false)
	s := Slack{URL: hs.URL + slackPath}
	payload := digest(t).SlackPayload()
	if err := s.Send(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	bodies, headers := hs.got()
	if len(bodies) != 1 || !bytes.Equal(bodies[0], payload) || headers[0].Get("User-Agent") != "Hindsight-Notify/1" {
		t.Fatalf("received %q", bodies)
	}
	var msg struct{ Text string }
	if err := json.Unmarshal(bodies[0], &msg); err != nil || !strings.Contains(msg.Text, "Add an alert on &lt;queue&gt; depth &amp; lag") {
		t.Errorf("payload text %q, %v", msg.Text, err)
	}

	cases := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		permanent  bool
		retryAfter time.Duration
	}{
		{"429 seconds", 429, map[string]string{"Retry-After": "30"}, "rate_limited", false, 30 * time.Second},
		{"429 date", 429, map[string]string{"Retry-After": "Mon, 23 Nov 2026 09:02:00 GMT", "Date": "Mon, 23 Nov 2026 09:00:00 GMT"}, "", false, 2 * time.Minute},
		{"429 huge", 429, map[string]string{"Retry-After": "99999999999999"}, "", false, 24 * time.Hour},
		{"429 garbage", 429, map[string]string{"Retry-After": "soon"}, "", false, 0},
		{"500", 500, nil, "internal_error\n<html>\x00oops</html>", false, 0},
		{"503 retry", 503, map[string]string{"Retry-After": "120"}, "", false, 2 * time.Minute},
		{"408", 408, nil, "", false, 0},
		{"404", 404, nil, "no_service", true, 0},
		{"400", 400, nil, "invalid_payload", true, 0},
		{"403", 403, nil, "action_prohibited", true, 0},
		{"410", 410, nil, "channel_is_archived", true, 0},
		{"302", 302, map[string]string{"Location": "/elsewhere" + slackPath}, "", true, 0},
	}
	for _, c := range cases {
		hs.setAnswer(func(w http.ResponseWriter, r *http.Request, _ []byte) {
			for k, v := range c.header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(c.status)
			io.WriteString(w, c.body+" echo of "+r.URL.Path)
		})
		err := s.Send(context.Background(), payload)
		e := asError(t, err)
		if e.Permanent != c.permanent || e.Status != c.status || e.RetryAfter != c.retryAfter || IsPermanent(err) != c.permanent || RetryAfter(err) != c.retryAfter {
			t.Errorf("%s: %v: %+v", c.name, err, e)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "slack POST "+hs.URL+": the receiver answered ") || !strings.Contains(msg, http.StatusText(c.status)[:0]+strings.TrimSpace(c.name[:3])) {
			t.Errorf("%s: message %q", c.name, msg)
		}
		if c.body != "" && !strings.Contains(msg, strings.Fields(c.body)[0]) {
			t.Errorf("%s: message %q lacks the answer", c.name, msg)
		}
		if strings.ContainsAny(msg, "\n\x00") {
			t.Errorf("%s: message %q has control characters", c.name, msg)
		}
		noSecret(t, err)
	}
	if bodies, _ := hs.got(); len(bodies) != 1+len(cases) {
		t.Errorf("%d requests: a redirect was followed?", len(bodies))
	}

	// A long answer is cut.
	hs.setAnswer(func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.WriteHeader(500)
		io.WriteString(w, strings.Repeat("x", 100000))
	})
	if err := s.Send(context.Background(), payload); len(err.Error()) > 400 || !strings.HasSuffix(err.Error(), "x…") {
		t.Errorf("long answer: %d bytes: %.100s…", len(err.Error()), err)
	}
}

func TestSlackNetworkErrors(t *testing.T) {
	hs := startHookServer(t, false)
	url := hs.URL + slackPath + "?token=abc123"
	hs.Close()
	err := Slack{URL: url}.Send(context.Background(), []byte(`{"text":"x"}`))
	if e := asError(t, err); e.Permanent || e.Status != 0 {
		t.Errorf("server down: %v", err)
	}
	noSecret(t, err, "abc123")
	t.Log(err)

	// A slow receiver: ctx ends the wait.
	slow := startHookServer(t, false)
	release := make(chan struct{})
	defer close(release)
	slow.setAnswer(func(w http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = Slack{URL: slow.URL + slackPath}.Send(ctx, []byte(`{"text":"x"}`))
	if e := asError(t, err); e.Permanent || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("timeout: %v", err)
	}
	noSecret(t, err)

	// TLS: a receiver we do not trust, then one we do.
	tlsHook := startHookServer(t, true)
	err = Slack{URL: tlsHook.URL + slackPath}.Send(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted TLS: %v", err)
	}
	noSecret(t, err)
	if err := (Slack{URL: tlsHook.URL + slackPath, Client: tlsHook.Client()}).Send(context.Background(), []byte(`{}`)); err != nil {
		t.Errorf("trusted TLS: %v", err)
	}

	for _, bad := range []string{"", "hooks.slack.com/services/x", "ftp://hooks.slack.com/x", "https://"} {
		err := Slack{URL: bad}.Send(context.Background(), []byte(`{}`))
		if !IsPermanent(err) || (bad != "" && strings.Contains(err.Error(), bad)) {
			t.Errorf("URL %q: %v", bad, err)
		}
	}
	if err := (Slack{URL: "http://127.0.0.1:1/"}).Send(context.Background(), []byte(`{`)); !IsPermanent(err) {
		t.Errorf("invalid JSON payload: %v", err)
	}
}

var webhookSecret = []byte("whsec-0123456789abcdef")

// verifyingReceiver answers 401 unless the delivery verifies with
// VerifySignature at the receiver's clock; tamper changes the body first
// (as a proxy in the middle would).
func verifyingReceiver(clock time.Time, tamper func([]byte) []byte) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		if tamper != nil {
			body = tamper(body)
		}
		err := VerifySignature(webhookSecret, body, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), clock, 5*time.Minute)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func TestWebhookSend(t *testing.T) {
	hs := startHookServer(t, false)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	hs.setAnswer(verifyingReceiver(now.Add(30*time.Second), nil))
	w := Webhook{URL: hs.URL + "/hooks/in?key=topsecret", Secret: webhookSecret}
	d := digest(t)
	key := reminders.DigestKey(42, d.Period) + "-webhook-3"
	body := d.JSON(reminders.DigestKey(42, d.Period))
	if err := w.Send(context.Background(), key, body, now); err != nil {
		t.Fatalf("Send: %v", err)
	}
	bodies, headers := hs.got()
	h := headers[0]
	if !bytes.Equal(bodies[0], body) || h.Get(HeaderDelivery) != key || h.Get(HeaderTimestamp) != "1795424400" ||
		h.Get(HeaderSignature) != Sign(webhookSecret, "1795424400", body) || !strings.HasPrefix(h.Get(HeaderSignature), "sha256=") {
		t.Errorf("received %s with %v", bodies[0], h)
	}
	var doc reminders.JSONDigest
	if err := json.Unmarshal(bodies[0], &doc); err != nil || doc.DigestKey != "digest-42-2026-11-23" || len(doc.Overdue) != 1 || doc.Overdue[0].Title != "Add an alert on <queue> depth & lag" {
		t.Errorf("document %+v, %v", doc, err)
	}

	// The receiver rejects a tampered body, an old timestamp, another secret.
	hs.setAnswer(verifyingReceiver(now, func(b []byte) []byte { return bytes.Replace(b, []byte(`"P1"`), []byte(`"P4"`), 1) }))
	err := w.Send(context.Background(), key, body, now)
	if e := asError(t, err); !e.Permanent || e.Status != 401 || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("tampered: %v", err)
	}
	noSecret(t, err, "topsecret", "/hooks/in", string(webhookSecret))
	hs.setAnswer(verifyingReceiver(now, nil))
	err = w.Send(context.Background(), key, body, now.Add(-6*time.Minute))
	if e := asError(t, err); !e.Permanent || e.Status != 401 || !strings.Contains(err.Error(), "too far") {
		t.Errorf("old timestamp: %v", err)
	}
	err = Webhook{URL: w.URL, Secret: []byte("another")}.Send(context.Background(), key, body, now)
	if e := asError(t, err); !e.Permanent || e.Status != 401 {
		t.Errorf("other secret: %v", err)
	}

	// Same classification as Slack.
	hs.setAnswer(func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Retry-After", "Mon, 23 Nov 2026 09:10:00 GMT")
		w.Header()["Date"] = nil // no Date header: relative to now
		w.WriteHeader(503)
	})
	err = w.Send(context.Background(), key, body, now)
	if e := asError(t, err); e.Permanent || e.Status != 503 || e.RetryAfter != 10*time.Minute {
		t.Errorf("503: %v %+v", err, e)
	}
	noSecret(t, err, "topsecret")

	for name, bad := range map[string]Webhook{"no secret": {URL: w.URL}, "bad URL": {URL: "mailto:x@example.com", Secret: webhookSecret}} {
		if err := bad.Send(context.Background(), key, body, now); !IsPermanent(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, k := range []string{"", "a b", "a\r\nX-Evil: 1", strings.Repeat("k", 201), "é"} {
		if err := w.Send(context.Background(), k, body, now); !IsPermanent(err) {
			t.Errorf("delivery key %q: %v", k, err)
		}
	}
	if err := w.Send(context.Background(), key, []byte("not json"), now); !IsPermanent(err) {
		t.Errorf("invalid JSON body: %v", err)
	}
}

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1795424400, 0)
	body := []byte(`{"type":"hindsight.reminder_digest"}`)
	ts := "1795424400"
	sig := Sign(webhookSecret, ts, body)
	// A known answer, so that receivers in other languages can check theirs:
	// python3 -c 'import hmac,hashlib;print(hmac.new(b"whsec-0123456789abcdef",b"1795424400."+b"{\"type\":\"hindsight.reminder_digest\"}",hashlib.sha256).hexdigest())'
	if want := "sha256=69fe2a723d3218ed1525ab67750340b589f7d84eaf0b8e6631804c3052a9c6b3"; sig != want {
		t.Errorf("Sign = %s", sig)
	}
	cases := []struct {
		name      string
		secret    []byte
		body      []byte
		ts, sig   string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"ok", webhookSecret, body, ts, sig, now, 0, nil},
		{"ok, clock 5 min behind", webhookSecret, body, ts, sig, now.Add(-5 * time.Minute), 0, nil},
		{"ok, wide tolerance", webhookSecret, body, ts, sig, now.Add(time.Hour), 2 * time.Hour, nil},
		{"old", webhookSecret, body, ts, sig, now.Add(5*time.Minute + time.Second), 0, ErrStaleTimestamp},
		{"future", webhookSecret, body, ts, sig, now.Add(-10 * time.Minute), 0, ErrStaleTimestamp},
		{"tampered body", webhookSecret, append([]byte(" "), body...), ts, sig, now, 0, ErrBadSignature},
		{"other timestamp", webhookSecret, body, "1795424401", sig, now, 0, ErrBadSignature},
		{"other secret", []byte("x"), body, ts, sig, now, 0, ErrBadSignature},
		{"upper-case hex", webhookSecret, body, ts, "sha256=" + strings.ToUpper(sig[7:]), now, 0, nil},
		{"no secret", nil, body, ts, sig, now, 0, ErrNoSecret},
		{"no signature", webhookSecret, body, ts, "", now, 0, ErrMalformed},
		{"no prefix", webhookSecret, body, ts, sig[7:], now, 0, ErrMalformed},
		{"sha1", webhookSecret, body, ts, "sha1=" + sig[7:], now, 0, ErrMalformed},
		{"short", webhookSecret, body, ts, sig[:len(sig)-2], now, 0, ErrMalformed},
		{"not hex", webhookSecret, body, ts, sig[:len(sig)-1] + "g", now, 0, ErrMalformed},
		{"no timestamp", webhookSecret, body, "", sig, now, 0, ErrMalformed},
		{"signed timestamp", webhookSecret, body, "+1795424400", Sign(webhookSecret, "+1795424400", body), now, 0, ErrMalformed},
		{"huge timestamp", webhookSecret, body, "99999999999999999999", sig, now, 0, ErrMalformed},
	}
	for _, c := range cases {
		err := VerifySignature(c.secret, c.body, c.ts, c.sig, c.now, c.tolerance)
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
