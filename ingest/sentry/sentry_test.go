package sentry

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"hindsight/ingest"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ptr(t time.Time) *time.Time { return &t }

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// diffEvent lists every field of got that differs from want.
func diffEvent(got, want ingest.Event) []string {
	var d []string
	f := func(name string, g, w any) {
		if !reflect.DeepEqual(g, w) {
			d = append(d, fmt.Sprintf("%s = %#v, want %#v", name, g, w))
		}
	}
	f("Kind", got.Kind, want.Kind)
	f("Source", got.Source, want.Source)
	f("DedupKey", got.DedupKey, want.DedupKey)
	f("Status", got.Status, want.Status)
	f("Title", got.Title, want.Title)
	f("Description", got.Description, want.Description)
	f("Severity", got.Severity, want.Severity)
	f("Service", got.Service, want.Service)
	f("Environment", got.Environment, want.Environment)
	if !got.StartsAt.Equal(want.StartsAt) {
		d = append(d, fmt.Sprintf("StartsAt = %v, want %v", got.StartsAt, want.StartsAt))
	}
	switch {
	case (got.EndsAt == nil) != (want.EndsAt == nil):
		d = append(d, fmt.Sprintf("EndsAt = %v, want %v", got.EndsAt, want.EndsAt))
	case got.EndsAt != nil && !got.EndsAt.Equal(*want.EndsAt):
		d = append(d, fmt.Sprintf("EndsAt = %v, want %v", *got.EndsAt, *want.EndsAt))
	}
	f("Commit", got.Commit, want.Commit)
	f("Ref", got.Ref, want.Ref)
	f("URL", got.URL, want.URL)
	f("Labels", got.Labels, want.Labels)
	f("HasMigrations", got.HasMigrations, want.HasMigrations)
	return d
}

func checkDelivery(t *testing.T, got, want ingest.Delivery) {
	t.Helper()
	if got.ID != want.ID {
		t.Errorf("Delivery.ID = %q, want %q", got.ID, want.ID)
	}
	if len(got.Events) != len(want.Events) {
		t.Fatalf("got %d events, want %d: %+v", len(got.Events), len(want.Events), got.Events)
	}
	for i := range want.Events {
		for _, d := range diffEvent(got.Events[i], want.Events[i]) {
			t.Errorf("event %d: %s", i, d)
		}
	}
}

var (
	eventAlertWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "issue:4518273645", Status: ingest.StatusFiring,
		Title:       "KeyError: 'isbn'",
		Description: "Alert rule: Catalog errors\nCulprit: bookbot.catalog.lookup in resolve_isbn",
		Severity:    "error", Service: "bookbot-api", Environment: "production",
		StartsAt: ts("2024-05-14T09:12:33.418Z"),
		URL:      "https://acme.sentry.io/issues/4518273645/events/9f2c4e1ab77d4d1c8a9e0b5c6d7e8f90/",
		Labels: map[string]string{
			"rule": "Catalog errors", "project": "bookbot-api", "level": "error",
			"event_id": "9f2c4e1ab77d4d1c8a9e0b5c6d7e8f90", "issue_id": "4518273645", "platform": "python",
			"release": "bookbot@3.2.1", "environment": "production", "server_name": "web-7", "service": "catalog",
			"transaction": "/books/<isbn>",
		},
	}
	issueLabels = func(action, status, substatus string) map[string]string {
		l := map[string]string{"short_id": "BOOKBOT-API-1F", "project": "bookbot-api", "level": "error",
			"status": status, "action": action, "platform": "python"}
		if substatus != "" {
			l["substatus"] = substatus
		}
		return l
	}
	issueCreatedWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "issue:4518273645", Status: ingest.StatusFiring,
		Title: "KeyError: 'isbn'", Description: "Culprit: bookbot.catalog.lookup in resolve_isbn",
		Severity: "error", Service: "bookbot-api", StartsAt: ts("2024-05-14T09:12:33.418Z"),
		URL:    "https://acme.sentry.io/issues/4518273645/",
		Labels: issueLabels("created", "unresolved", "new"),
	}
	issueResolvedWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "issue:4518273645", Status: ingest.StatusResolved,
		Title: "KeyError: 'isbn'", Description: "Culprit: bookbot.catalog.lookup in resolve_isbn",
		Severity: "error", Service: "bookbot-api", StartsAt: ts("2024-05-14T09:12:33.418Z"),
		EndsAt: ptr(ts("2024-05-14T10:40:00Z")),
		URL:    "https://acme.sentry.io/issues/4518273645/",
		Labels: issueLabels("resolved", "resolved", ""),
	}
	metricLabels = func(action string) map[string]string {
		return map[string]string{"alert_rule_id": "301", "project": "checkout-web", "action": action, "identifier": "23",
			"query": "transaction:/checkout", "aggregate": "p95(transaction.duration)", "dataset": "transactions"}
	}
	metricCriticalWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "metric_alert:1187", Status: ingest.StatusFiring,
		Title:       "Checkout latency p95",
		Description: "Critical: Checkout latency p95\np95(transaction.duration) is 2310ms in the last 5 minutes\nFilter: transaction:/checkout",
		Severity:    "critical", Service: "checkout-web", Environment: "production",
		StartsAt: ts("2024-05-14T11:00:00Z"),
		URL:      "https://acme.sentry.io/organizations/acme/alerts/rules/details/301/?alert=23",
		Labels:   metricLabels("critical"),
	}
	metricResolvedWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "metric_alert:1187", Status: ingest.StatusResolved,
		Title:       "Checkout latency p95",
		Description: "Resolved: Checkout latency p95\np95(transaction.duration) is 640ms in the last 5 minutes\nFilter: transaction:/checkout",
		Service:     "checkout-web", Environment: "production",
		StartsAt: ts("2024-05-14T11:00:00Z"), EndsAt: ptr(ts("2024-05-14T11:46:10Z")),
		URL:    "https://acme.sentry.io/organizations/acme/alerts/rules/details/301/?alert=23",
		Labels: metricLabels("resolved"),
	}
)

func with(e ingest.Event, change func(*ingest.Event)) ingest.Event {
	if e.Labels != nil {
		l := make(map[string]string, len(e.Labels))
		for k, v := range e.Labels {
			l[k] = v
		}
		e.Labels = l
	}
	change(&e)
	return e
}

func TestParse(t *testing.T) {
	resolvedAt := "1715683200" // 2024-05-14T10:40:00Z
	cases := []struct {
		name      string
		body      []byte
		h         http.Header
		want      ingest.Delivery
		wantField string // an *ingest.Error naming this field is expected
		wantErr   bool
	}{
		{
			name: "event alert fires",
			body: fixture(t, "event_alert.json"),
			h:    headers(resourceHeader, "event_alert", requestIDHeader, "6f1d2c3b4a5e", timestampHeader, "1715677955"),
			want: ingest.Delivery{ID: "6f1d2c3b4a5e", Events: []ingest.Event{eventAlertWant}},
		},
		{
			name: "event alert re-notified for the same issue keeps its key",
			body: []byte(strings.NewReplacer(
				"9f2c4e1ab77d4d1c8a9e0b5c6d7e8f90", "0a1b2c3d4e5f40718293a4b5c6d7e8f9",
				"2024-05-14T09:12:33.418000Z", "2024-05-14T09:42:00Z").Replace(string(fixture(t, "event_alert.json")))),
			h: headers(resourceHeader, "event_alert", requestIDHeader, "77aa"),
			want: ingest.Delivery{ID: "77aa", Events: []ingest.Event{with(eventAlertWant, func(e *ingest.Event) {
				e.StartsAt = ts("2024-05-14T09:42:00Z")
				e.URL = "https://acme.sentry.io/issues/4518273645/events/0a1b2c3d4e5f40718293a4b5c6d7e8f9/"
				e.Labels["event_id"] = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
			})}},
		},
		{
			name: "event alert: epoch timestamp, object tags, no environment field, project slug, numeric issue id",
			body: []byte(`{"action":"triggered","data":{"event":{"event_id":"e1","issue_id":77,"project":"bookbot-web",
				"title":"TypeError: x is undefined","level":"warning","timestamp":1715677953.5,
				"tags":[{"key":"environment","value":"staging"},["browser","Firefox"],["only-one"],42]},
				"triggered_rule":"JS errors"}}`),
			h: headers(resourceHeader, "event_alert"),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "issue:77", Status: ingest.StatusFiring,
				Title: "TypeError: x is undefined", Description: "Alert rule: JS errors", Severity: "warning",
				Service: "bookbot-web", Environment: "staging", StartsAt: ts("2024-05-14T09:12:33.5Z"),
				Labels: map[string]string{"rule": "JS errors", "project": "bookbot-web", "level": "warning", "event_id": "e1",
					"issue_id": "77", "environment": "staging", "browser": "Firefox"},
			}}},
		},
		{
			name: "event alert without times falls back to the hook timestamp; no issue id keys by event",
			body: []byte(`{"action":"triggered","data":{"event":{"event_id":"e2","message":"disk full"},"issue_alert":{"title":"Any error"}}}`),
			h:    headers(resourceHeader, "event_alert", timestampHeader, "1715677955"),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "event:e2", Status: ingest.StatusFiring,
				Title: "disk full", Description: "Alert rule: Any error\ndisk full", StartsAt: ts("2024-05-14T09:12:35Z"),
				Labels: map[string]string{"rule": "Any error", "event_id": "e2"},
			}}},
		},
		{
			name: "issue created fires",
			body: fixture(t, "issue_created.json"),
			h:    headers(resourceHeader, "issue", requestIDHeader, "r-1", timestampHeader, "1715677960"),
			want: ingest.Delivery{ID: "r-1", Events: []ingest.Event{issueCreatedWant}},
		},
		{
			name: "issue resolved shares the key, ends at the hook timestamp",
			body: fixture(t, "issue_resolved.json"),
			h:    headers(resourceHeader, "issue", requestIDHeader, "r-2", timestampHeader, resolvedAt),
			want: ingest.Delivery{ID: "r-2", Events: []ingest.Event{issueResolvedWant}},
		},
		{
			name: "issue resolved without hook timestamp ends at lastSeen",
			body: fixture(t, "issue_resolved.json"),
			h:    headers(resourceHeader, "issue", timestampHeader, "not-a-time"),
			want: ingest.Delivery{Events: []ingest.Event{with(issueResolvedWant, func(e *ingest.Event) {
				e.EndsAt = ptr(ts("2024-05-14T10:02:11Z"))
			})}},
		},
		{
			name: "issue resolved with a hook timestamp before firstSeen is clamped",
			body: fixture(t, "issue_resolved.json"),
			h:    headers(resourceHeader, "issue", timestampHeader, "1715600000"),
			want: ingest.Delivery{Events: []ingest.Event{with(issueResolvedWant, func(e *ingest.Event) {
				e.EndsAt = ptr(ts("2024-05-14T09:12:33.418Z"))
			})}},
		},
		{
			name: "issue assigned stays firing",
			body: []byte(strings.Replace(string(fixture(t, "issue_created.json")), `"action": "created"`, `"action": "assigned"`, 1)),
			h:    headers(resourceHeader, "issue"),
			want: ingest.Delivery{Events: []ingest.Event{with(issueCreatedWant, func(e *ingest.Event) { e.Labels["action"] = "assigned" })}},
		},
		{
			name: "issue archived (ignored) stays firing",
			body: []byte(strings.NewReplacer(`"action": "created"`, `"action": "archived"`, `"status": "unresolved"`, `"status": "ignored"`,
				`"substatus": "new"`, `"substatus": "archived_until_escalating"`).Replace(string(fixture(t, "issue_created.json")))),
			h: headers(resourceHeader, "issue"),
			want: ingest.Delivery{Events: []ingest.Event{with(issueCreatedWant, func(e *ingest.Event) {
				e.Labels["action"], e.Labels["status"], e.Labels["substatus"] = "archived", "ignored", "archived_until_escalating"
			})}},
		},
		{
			name: "issue unresolved (regressed) fires again with the same key",
			body: []byte(strings.NewReplacer(`"action": "resolved"`, `"action": "unresolved"`).Replace(string(fixture(t, "issue_resolved.json")))),
			h:    headers(resourceHeader, "issue", timestampHeader, resolvedAt),
			want: ingest.Delivery{Events: []ingest.Event{with(issueResolvedWant, func(e *ingest.Event) {
				e.Status, e.EndsAt, e.Labels["action"] = ingest.StatusFiring, nil, "unresolved"
			})}},
		},
		{
			name: "metric alert critical",
			body: fixture(t, "metric_alert_critical.json"),
			h:    headers(resourceHeader, "metric_alert", requestIDHeader, "m-1", timestampHeader, "1715684470"),
			want: ingest.Delivery{ID: "m-1", Events: []ingest.Event{metricCriticalWant}},
		},
		{
			name: "metric alert resolved shares the key and ends at date_closed",
			body: fixture(t, "metric_alert_resolved.json"),
			h:    headers(resourceHeader, "metric_alert", requestIDHeader, "m-2", timestampHeader, "1715687200"),
			want: ingest.Delivery{ID: "m-2", Events: []ingest.Event{metricResolvedWant}},
		},
		{
			name: "metric alert resolved without date_closed ends at the hook timestamp",
			body: []byte(strings.Replace(string(fixture(t, "metric_alert_resolved.json")), `"2024-05-14T11:46:10.000000Z"`, `null`, 1)),
			h:    headers(resourceHeader, "metric_alert", timestampHeader, "1715687200"),
			want: ingest.Delivery{Events: []ingest.Event{with(metricResolvedWant, func(e *ingest.Event) {
				e.EndsAt = ptr(ts("2024-05-14T11:46:40Z"))
			})}},
		},
		{
			name: "metric alert resolved with no end time at all has no EndsAt",
			body: []byte(strings.Replace(string(fixture(t, "metric_alert_resolved.json")), `"2024-05-14T11:46:10.000000Z"`, `null`, 1)),
			h:    headers(resourceHeader, "metric_alert"),
			want: ingest.Delivery{Events: []ingest.Event{with(metricResolvedWant, func(e *ingest.Event) { e.EndsAt = nil })}},
		},
		{
			name: "metric alert warning with epoch times and no header: resource inferred",
			body: []byte(`{"action":"warning","data":{"description_title":"Warning: Slow queries","metric_alert":{"id":9,
				"date_started":1715680800,"alert_rule":{"name":"","environment":null,"projects":["db"]}}}}`),
			h: headers(),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "metric_alert:9", Status: ingest.StatusFiring,
				Title: "Slow queries", Description: "Warning: Slow queries", Severity: "warning", Service: "db",
				StartsAt: ts("2024-05-14T10:00:00Z"),
				Labels:   map[string]string{"project": "db", "action": "warning"},
			}}},
		},
		{
			name: "installation is acknowledged with an empty delivery",
			body: fixture(t, "installation.json"),
			h:    headers(resourceHeader, "installation", requestIDHeader, "i-1"),
			want: ingest.Delivery{},
		},
		{name: "unsupported resource", body: []byte(`{"action":"created","data":{"comment":"hi"}}`),
			h: headers(resourceHeader, "comment"), wantField: resourceHeader},
		{name: "no resource header and nothing known in the body", body: []byte(`{"action":"created","data":{}}`),
			h: headers(), wantField: resourceHeader},
		{name: "malformed JSON", body: []byte(`{"action":"created","data":{"issue":`), h: headers(resourceHeader, "issue"), wantErr: true},
		{name: "empty body", body: nil, h: headers(resourceHeader, "issue"), wantErr: true},
		{name: "body is an array", body: []byte(`[1,2]`), h: headers(resourceHeader, "issue"), wantErr: true},
		{name: "issue title of the wrong type", body: []byte(`{"action":"created","data":{"issue":{"id":"1","title":{"a":1}}}}`),
			h: headers(resourceHeader, "issue"), wantField: "data.issue.title"},
		{name: "issue project of the wrong type", body: []byte(`{"action":"created","data":{"issue":{"id":"1","project":"web"}}}`),
			h: headers(resourceHeader, "issue"), wantField: "data.issue.project"},
		{name: "issue with a bad firstSeen", body: []byte(`{"action":"created","data":{"issue":{"id":"1","firstSeen":"yesterday"}}}`),
			h: headers(resourceHeader, "issue"), wantField: "data.issue.firstSeen"},
		{name: "issue without id", body: []byte(`{"action":"created","data":{"issue":{"title":"x","firstSeen":"2024-05-14T09:00:00Z"}}}`),
			h: headers(resourceHeader, "issue"), wantField: "data.issue.id"},
		{name: "issue without any time", body: []byte(`{"action":"created","data":{"issue":{"id":"1","title":"x"}}}`),
			h: headers(resourceHeader, "issue"), wantField: "data.issue.firstSeen"},
		{name: "issue header but no issue", body: []byte(`{"action":"created","data":{}}`),
			h: headers(resourceHeader, "issue"), wantField: "data.issue"},
		{name: "event alert without ids", body: []byte(`{"action":"triggered","data":{"event":{"title":"x","datetime":"2024-05-14T09:00:00Z"}}}`),
			h: headers(resourceHeader, "event_alert"), wantField: "data.event.issue_id"},
		{name: "event alert tags of the wrong type", body: []byte(`{"action":"triggered","data":{"event":{"issue_id":"1","tags":"a:b"}}}`),
			h: headers(resourceHeader, "event_alert"), wantField: "data.event.tags"},
		{name: "metric alert without id", body: []byte(`{"action":"critical","data":{"metric_alert":{"date_started":"2024-05-14T09:00:00Z"}}}`),
			h: headers(resourceHeader, "metric_alert"), wantField: "data.metric_alert.id"},
		{name: "metric alert with a bad date_closed", body: []byte(`{"action":"resolved","data":{"metric_alert":{"id":"1","date_started":"2024-05-14T09:00:00Z","date_closed":true}}}`),
			h: headers(resourceHeader, "metric_alert"), wantField: "data.metric_alert.date_closed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.body, tc.h, ingest.Mapping{})
			if tc.wantField != "" || tc.wantErr {
				var ie *ingest.Error
				if !errors.As(err, &ie) {
					t.Fatalf("err = %v (%T), want *ingest.Error", err, err)
				}
				if ie.Field != tc.wantField || ie.Index != -1 {
					t.Fatalf("error field %q index %d (%v), want field %q index -1", ie.Field, ie.Index, ie, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkDelivery(t, got, tc.want)
		})
	}
}

func TestVerify(t *testing.T) {
	body := fixture(t, "issue_created.json")
	secret := "c0ffee0ddba11f00dfeedfacecafebabe1234567890abcdef1234567890abcd"
	good := fmt.Sprintf("%x", ingest.HMACSHA256(secret, body))
	cases := []struct {
		name, secret string
		h            http.Header
		body         []byte
		ok           bool
	}{
		{"good", secret, headers(signatureHeader, good), body, true},
		{"good, upper-case hex and spaces", secret, headers(signatureHeader, " "+strings.ToUpper(good)+" "), body, true},
		{"wrong secret", "other", headers(signatureHeader, good), body, false},
		{"body changed", secret, headers(signatureHeader, good), append([]byte(" "), body...), false},
		{"signature not hex", secret, headers(signatureHeader, "sha256="+good), body, false},
		{"missing", secret, headers(), body, false},
		{"no secret configured", "", headers(signatureHeader, fmt.Sprintf("%x", ingest.HMACSHA256("", body))), body, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.h, tc.body, ingest.VerifyOptions{})
			if tc.ok && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !tc.ok {
				if !errors.Is(err, ingest.ErrUnauthenticated) {
					t.Fatalf("Verify = %v, want an AuthError", err)
				}
				if !strings.Contains(err.Error(), signatureHeader) {
					t.Errorf("message %q does not name %s", err, signatureHeader)
				}
			}
		})
	}
	if len(SignatureHeaders) != 1 || SignatureHeaders[0] != "Sentry-Hook-Signature" {
		t.Errorf("SignatureHeaders = %v", SignatureHeaders)
	}
}

// validFixtures are the fixtures with the headers they are sent with.
var validFixtures = []struct {
	file     string
	resource string
}{
	{"event_alert.json", "event_alert"},
	{"issue_created.json", "issue"},
	{"issue_resolved.json", "issue"},
	{"metric_alert_critical.json", "metric_alert"},
	{"metric_alert_resolved.json", "metric_alert"},
	{"installation.json", "installation"},
}

func TestFixturesValidate(t *testing.T) {
	override := ingest.Mapping{
		ServiceLabels: []string{"service"},
		Services:      map[string]string{"bookbot-api": "bookbot", "checkout-web": "checkout"},
		Severities:    map[string]string{"error": ingest.SeverityCritical},
		Environment:   "prod",
	}
	wantService := map[string]string{"event_alert.json": "catalog", "issue_created.json": "bookbot",
		"issue_resolved.json": "bookbot", "metric_alert_critical.json": "checkout", "metric_alert_resolved.json": "checkout"}
	wantSeverity := map[string]string{"event_alert.json": "critical", "issue_created.json": "critical",
		"issue_resolved.json": "critical", "metric_alert_critical.json": "critical", "metric_alert_resolved.json": ""}
	for _, fx := range validFixtures {
		for _, m := range []ingest.Mapping{{}, override} {
			d, err := Parse(fixture(t, fx.file), headers(resourceHeader, fx.resource, timestampHeader, "1715690000"), m)
			if err != nil {
				t.Fatalf("%s: %v", fx.file, err)
			}
			for i := range d.Events {
				ev := d.Events[i]
				m.Apply(&ev)
				if err := ingest.Validate(&ev, i); err != nil {
					t.Errorf("%s event %d: %v", fx.file, i, err)
				}
				if m.Services == nil {
					continue
				}
				if ev.Service != wantService[fx.file] || ev.Severity != wantSeverity[fx.file] {
					t.Errorf("%s with mapping: service %q severity %q, want %q %q", fx.file, ev.Service, ev.Severity,
						wantService[fx.file], wantSeverity[fx.file])
				}
				if want := map[bool]string{true: "production", false: "prod"}[fx.file != "issue_created.json" && fx.file != "issue_resolved.json"]; ev.Environment != want {
					t.Errorf("%s with mapping: environment %q, want %q", fx.file, ev.Environment, want)
				}
			}
		}
	}
}

func TestInstructions(t *testing.T) {
	s := Instructions("https://hindsight.example.com/hooks/int-7", "s3cret")
	if !strings.Contains(s.Config, "https://hindsight.example.com/hooks/int-7") || len(s.Steps) == 0 || s.ConfigLanguage == "" {
		t.Errorf("Instructions = %+v", s)
	}
	if !strings.Contains(strings.Join(s.Steps, "\n"), "Client Secret") {
		t.Error("the steps must say to copy the Client Secret into Hindsight")
	}
}

func FuzzParse(f *testing.F) {
	for _, fx := range validFixtures {
		f.Add(fixture(f, fx.file), fx.resource, "1715690000")
	}
	f.Add([]byte(`{"action":"triggered","data":{"event":{"issue_id":1,"timestamp":1e300,"tags":[[1,2]]}}}`), "", "x")
	f.Add([]byte(`{"action":"resolved","data":{"metric_alert":{"id":"1","date_started":"0001-01-01T00:00:00Z"}}}`), "metric_alert", "99999999999999999999")
	f.Fuzz(func(t *testing.T, body []byte, resource, stamp string) {
		h := headers(resourceHeader, resource, timestampHeader, stamp)
		d, err := Parse(body, h, ingest.Mapping{})
		if err != nil {
			var ie *ingest.Error
			if !errors.As(err, &ie) {
				t.Fatalf("Parse error %v is %T, not *ingest.Error", err, err)
			}
			return
		}
		for i := range d.Events {
			ev := d.Events[i]
			ingest.Mapping{}.Apply(&ev)
			if err := ingest.Validate(&ev, i); err != nil {
				var ie *ingest.Error
				if !errors.As(err, &ie) {
					t.Fatalf("Validate error %v is %T", err, err)
				}
			}
		}
	})
}
