package sentry

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"hindsight/ingest"
	"hindsight/ingest/ingesttest"
)

var (
	eventAlertWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "issue:4518273645", Status: ingest.StatusFiring,
		Title:       "KeyError: 'isbn'",
		Description: "Alert rule: Catalog errors\nCulprit: bookbot.catalog.lookup in resolve_isbn",
		Severity:    "error", Service: "bookbot-api", Environment: "production",
		StartsAt: ingesttest.Time("2024-05-14T09:12:33.418Z"),
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
		Severity: "error", Service: "bookbot-api", StartsAt: ingesttest.Time("2024-05-14T09:12:33.418Z"),
		URL:    "https://acme.sentry.io/issues/4518273645/",
		Labels: issueLabels("created", "unresolved", "new"),
	}
	issueResolvedWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "issue:4518273645", Status: ingest.StatusResolved,
		Title: "KeyError: 'isbn'", Description: "Culprit: bookbot.catalog.lookup in resolve_isbn",
		Severity: "error", Service: "bookbot-api", StartsAt: ingesttest.Time("2024-05-14T09:12:33.418Z"),
		EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-14T10:40:00Z")),
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
		StartsAt: ingesttest.Time("2024-05-14T11:00:00Z"),
		URL:      "https://acme.sentry.io/organizations/acme/alerts/rules/details/301/?alert=23",
		Labels:   metricLabels("critical"),
	}
	metricResolvedWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "metric_alert:1187", Status: ingest.StatusResolved,
		Title:       "Checkout latency p95",
		Description: "Resolved: Checkout latency p95\np95(transaction.duration) is 640ms in the last 5 minutes\nFilter: transaction:/checkout",
		Service:     "checkout-web", Environment: "production",
		StartsAt: ingesttest.Time("2024-05-14T11:00:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-14T11:46:10Z")),
		URL:    "https://acme.sentry.io/organizations/acme/alerts/rules/details/301/?alert=23",
		Labels: metricLabels("resolved"),
	}
)

func TestParse(t *testing.T) {
	resolvedAt := "1715683200" // 2024-05-14T10:40:00Z
	cases := []ingesttest.Case{
		{
			Name:   "event alert fires",
			Body:   ingesttest.Fixture(t, "event_alert.json"),
			Header: ingesttest.Headers(resourceHeader, "event_alert", requestIDHeader, "6f1d2c3b4a5e", timestampHeader, "1715677955"),
			Want:   ingest.Delivery{ID: "6f1d2c3b4a5e", Events: []ingest.Event{eventAlertWant}},
		},
		{
			Name: "event alert re-notified for the same issue keeps its key",
			Body: []byte(strings.NewReplacer(
				"9f2c4e1ab77d4d1c8a9e0b5c6d7e8f90", "0a1b2c3d4e5f40718293a4b5c6d7e8f9",
				"2024-05-14T09:12:33.418000Z", "2024-05-14T09:42:00Z").Replace(string(ingesttest.Fixture(t, "event_alert.json")))),
			Header: ingesttest.Headers(resourceHeader, "event_alert", requestIDHeader, "77aa"),
			Want: ingest.Delivery{ID: "77aa", Events: []ingest.Event{ingesttest.With(eventAlertWant, func(e *ingest.Event) {
				e.StartsAt = ingesttest.Time("2024-05-14T09:42:00Z")
				e.URL = "https://acme.sentry.io/issues/4518273645/events/0a1b2c3d4e5f40718293a4b5c6d7e8f9/"
				e.Labels["event_id"] = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
			})}},
		},
		{
			Name: "event alert: epoch timestamp, object tags, no environment field, project slug, numeric issue id",
			Body: []byte(`{"action":"triggered","data":{"event":{"event_id":"e1","issue_id":77,"project":"bookbot-web",
				"title":"TypeError: x is undefined","level":"warning","timestamp":1715677953.5,
				"tags":[{"key":"environment","value":"staging"},["browser","Firefox"],["only-one"],42]},
				"triggered_rule":"JS errors"}}`),
			Header: ingesttest.Headers(resourceHeader, "event_alert"),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "issue:77", Status: ingest.StatusFiring,
				Title: "TypeError: x is undefined", Description: "Alert rule: JS errors", Severity: "warning",
				Service: "bookbot-web", Environment: "staging", StartsAt: ingesttest.Time("2024-05-14T09:12:33.5Z"),
				Labels: map[string]string{"rule": "JS errors", "project": "bookbot-web", "level": "warning", "event_id": "e1",
					"issue_id": "77", "environment": "staging", "browser": "Firefox"},
			}}},
		},
		{
			Name:   "event alert without times falls back to the hook timestamp; no issue id keys by event",
			Body:   []byte(`{"action":"triggered","data":{"event":{"event_id":"e2","message":"disk full"},"issue_alert":{"title":"Any error"}}}`),
			Header: ingesttest.Headers(resourceHeader, "event_alert", timestampHeader, "1715677955"),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "event:e2", Status: ingest.StatusFiring,
				Title: "disk full", Description: "Alert rule: Any error\ndisk full", StartsAt: ingesttest.Time("2024-05-14T09:12:35Z"),
				Labels: map[string]string{"rule": "Any error", "event_id": "e2"},
			}}},
		},
		{
			Name:   "issue created fires",
			Body:   ingesttest.Fixture(t, "issue_created.json"),
			Header: ingesttest.Headers(resourceHeader, "issue", requestIDHeader, "r-1", timestampHeader, "1715677960"),
			Want:   ingest.Delivery{ID: "r-1", Events: []ingest.Event{issueCreatedWant}},
		},
		{
			Name:   "issue resolved shares the key, ends at the hook timestamp",
			Body:   ingesttest.Fixture(t, "issue_resolved.json"),
			Header: ingesttest.Headers(resourceHeader, "issue", requestIDHeader, "r-2", timestampHeader, resolvedAt),
			Want:   ingest.Delivery{ID: "r-2", Events: []ingest.Event{issueResolvedWant}},
		},
		{
			Name:   "issue resolved without hook timestamp ends at lastSeen",
			Body:   ingesttest.Fixture(t, "issue_resolved.json"),
			Header: ingesttest.Headers(resourceHeader, "issue", timestampHeader, "not-a-time"),
			Want: ingest.Delivery{Events: []ingest.Event{ingesttest.With(issueResolvedWant, func(e *ingest.Event) {
				e.EndsAt = ingesttest.Ptr(ingesttest.Time("2024-05-14T10:02:11Z"))
			})}},
		},
		{
			Name:   "issue resolved with a hook timestamp before firstSeen is clamped",
			Body:   ingesttest.Fixture(t, "issue_resolved.json"),
			Header: ingesttest.Headers(resourceHeader, "issue", timestampHeader, "1715600000"),
			Want: ingest.Delivery{Events: []ingest.Event{ingesttest.With(issueResolvedWant, func(e *ingest.Event) {
				e.EndsAt = ingesttest.Ptr(ingesttest.Time("2024-05-14T09:12:33.418Z"))
			})}},
		},
		{
			Name:   "issue assigned stays firing",
			Body:   []byte(strings.Replace(string(ingesttest.Fixture(t, "issue_created.json")), `"action": "created"`, `"action": "assigned"`, 1)),
			Header: ingesttest.Headers(resourceHeader, "issue"),
			Want:   ingest.Delivery{Events: []ingest.Event{ingesttest.With(issueCreatedWant, func(e *ingest.Event) { e.Labels["action"] = "assigned" })}},
		},
		{
			Name: "issue archived (ignored) stays firing",
			Body: []byte(strings.NewReplacer(`"action": "created"`, `"action": "archived"`, `"status": "unresolved"`, `"status": "ignored"`,
				`"substatus": "new"`, `"substatus": "archived_until_escalating"`).Replace(string(ingesttest.Fixture(t, "issue_created.json")))),
			Header: ingesttest.Headers(resourceHeader, "issue"),
			Want: ingest.Delivery{Events: []ingest.Event{ingesttest.With(issueCreatedWant, func(e *ingest.Event) {
				e.Labels["action"], e.Labels["status"], e.Labels["substatus"] = "archived", "ignored", "archived_until_escalating"
			})}},
		},
		{
			Name:   "issue unresolved (regressed) fires again with the same key",
			Body:   []byte(strings.NewReplacer(`"action": "resolved"`, `"action": "unresolved"`).Replace(string(ingesttest.Fixture(t, "issue_resolved.json")))),
			Header: ingesttest.Headers(resourceHeader, "issue", timestampHeader, resolvedAt),
			Want: ingest.Delivery{Events: []ingest.Event{ingesttest.With(issueResolvedWant, func(e *ingest.Event) {
				e.Status, e.EndsAt, e.Labels["action"] = ingest.StatusFiring, nil, "unresolved"
			})}},
		},
		{
			Name:   "metric alert critical",
			Body:   ingesttest.Fixture(t, "metric_alert_critical.json"),
			Header: ingesttest.Headers(resourceHeader, "metric_alert", requestIDHeader, "m-1", timestampHeader, "1715684470"),
			Want:   ingest.Delivery{ID: "m-1", Events: []ingest.Event{metricCriticalWant}},
		},
		{
			Name:   "metric alert resolved shares the key and ends at date_closed",
			Body:   ingesttest.Fixture(t, "metric_alert_resolved.json"),
			Header: ingesttest.Headers(resourceHeader, "metric_alert", requestIDHeader, "m-2", timestampHeader, "1715687200"),
			Want:   ingest.Delivery{ID: "m-2", Events: []ingest.Event{metricResolvedWant}},
		},
		{
			Name:   "metric alert resolved without date_closed ends at the hook timestamp",
			Body:   []byte(strings.Replace(string(ingesttest.Fixture(t, "metric_alert_resolved.json")), `"2024-05-14T11:46:10.000000Z"`, `null`, 1)),
			Header: ingesttest.Headers(resourceHeader, "metric_alert", timestampHeader, "1715687200"),
			Want: ingest.Delivery{Events: []ingest.Event{ingesttest.With(metricResolvedWant, func(e *ingest.Event) {
				e.EndsAt = ingesttest.Ptr(ingesttest.Time("2024-05-14T11:46:40Z"))
			})}},
		},
		{
			Name:   "metric alert resolved with no end time at all has no EndsAt",
			Body:   []byte(strings.Replace(string(ingesttest.Fixture(t, "metric_alert_resolved.json")), `"2024-05-14T11:46:10.000000Z"`, `null`, 1)),
			Header: ingesttest.Headers(resourceHeader, "metric_alert"),
			Want:   ingest.Delivery{Events: []ingest.Event{ingesttest.With(metricResolvedWant, func(e *ingest.Event) { e.EndsAt = nil })}},
		},
		{
			Name: "metric alert warning with epoch times and no header: resource inferred",
			Body: []byte(`{"action":"warning","data":{"description_title":"Warning: Slow queries","metric_alert":{"id":9,
				"date_started":1715680800,"alert_rule":{"name":"","environment":null,"projects":["db"]}}}}`),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "metric_alert:9", Status: ingest.StatusFiring,
				Title: "Slow queries", Description: "Warning: Slow queries", Severity: "warning", Service: "db",
				StartsAt: ingesttest.Time("2024-05-14T10:00:00Z"),
				Labels:   map[string]string{"project": "db", "action": "warning"},
			}}},
		},
		{
			Name:   "installation is acknowledged with an empty delivery",
			Body:   ingesttest.Fixture(t, "installation.json"),
			Header: ingesttest.Headers(resourceHeader, "installation", requestIDHeader, "i-1"),
			Want:   ingest.Delivery{},
		},
		{Name: "unsupported resource", Body: []byte(`{"action":"created","data":{"comment":"hi"}}`),
			Header: ingesttest.Headers(resourceHeader, "comment"), WantField: resourceHeader},
		{Name: "no resource header and nothing known in the body", Body: []byte(`{"action":"created","data":{}}`),
			Header: ingesttest.Headers(), WantField: resourceHeader},
		{Name: "malformed JSON", Body: []byte(`{"action":"created","data":{"issue":`), Header: ingesttest.Headers(resourceHeader, "issue"), WantErr: true},
		{Name: "empty body", Body: nil, Header: ingesttest.Headers(resourceHeader, "issue"), WantErr: true},
		{Name: "body is an array", Body: []byte(`[1,2]`), Header: ingesttest.Headers(resourceHeader, "issue"), WantErr: true},
		{Name: "issue title of the wrong type", Body: []byte(`{"action":"created","data":{"issue":{"id":"1","title":{"a":1}}}}`),
			Header: ingesttest.Headers(resourceHeader, "issue"), WantField: "data.issue.title"},
		{Name: "issue project of the wrong type", Body: []byte(`{"action":"created","data":{"issue":{"id":"1","project":"web"}}}`),
			Header: ingesttest.Headers(resourceHeader, "issue"), WantField: "data.issue.project"},
		{Name: "issue with a bad firstSeen", Body: []byte(`{"action":"created","data":{"issue":{"id":"1","firstSeen":"yesterday"}}}`),
			Header: ingesttest.Headers(resourceHeader, "issue"), WantField: "data.issue.firstSeen"},
		{Name: "issue without id", Body: []byte(`{"action":"created","data":{"issue":{"title":"x","firstSeen":"2024-05-14T09:00:00Z"}}}`),
			Header: ingesttest.Headers(resourceHeader, "issue"), WantField: "data.issue.id"},
		{Name: "issue without any time", Body: []byte(`{"action":"created","data":{"issue":{"id":"1","title":"x"}}}`),
			Header: ingesttest.Headers(resourceHeader, "issue"), WantField: "data.issue.firstSeen"},
		{Name: "issue header but no issue", Body: []byte(`{"action":"created","data":{}}`),
			Header: ingesttest.Headers(resourceHeader, "issue"), WantField: "data.issue"},
		{Name: "event alert without ids", Body: []byte(`{"action":"triggered","data":{"event":{"title":"x","datetime":"2024-05-14T09:00:00Z"}}}`),
			Header: ingesttest.Headers(resourceHeader, "event_alert"), WantField: "data.event.issue_id"},
		{Name: "event alert tags of the wrong type", Body: []byte(`{"action":"triggered","data":{"event":{"issue_id":"1","tags":"a:b"}}}`),
			Header: ingesttest.Headers(resourceHeader, "event_alert"), WantField: "data.event.tags"},
		{Name: "metric alert without id", Body: []byte(`{"action":"critical","data":{"metric_alert":{"date_started":"2024-05-14T09:00:00Z"}}}`),
			Header: ingesttest.Headers(resourceHeader, "metric_alert"), WantField: "data.metric_alert.id"},
		{Name: "metric alert with a bad date_closed", Body: []byte(`{"action":"resolved","data":{"metric_alert":{"id":"1","date_started":"2024-05-14T09:00:00Z","date_closed":true}}}`),
			Header: ingesttest.Headers(resourceHeader, "metric_alert"), WantField: "data.metric_alert.date_closed"},
	}
	ingesttest.RunCases(t, Parse, cases)
}

func TestVerify(t *testing.T) {
	body := ingesttest.Fixture(t, "issue_created.json")
	secret := "c0ffee0ddba11f00dfeedfacecafebabe1234567890abcdef1234567890abcd"
	good := fmt.Sprintf("%x", ingest.HMACSHA256(secret, body))
	cases := []struct {
		name, secret string
		h            http.Header
		body         []byte
		ok           bool
	}{
		{"good", secret, ingesttest.Headers(signatureHeader, good), body, true},
		{"good, upper-case hex and spaces", secret, ingesttest.Headers(signatureHeader, " "+strings.ToUpper(good)+" "), body, true},
		{"wrong secret", "other", ingesttest.Headers(signatureHeader, good), body, false},
		{"body changed", secret, ingesttest.Headers(signatureHeader, good), append([]byte(" "), body...), false},
		{"signature not hex", secret, ingesttest.Headers(signatureHeader, "sha256="+good), body, false},
		{"missing", secret, ingesttest.Headers(), body, false},
		{"no secret configured", "", ingesttest.Headers(signatureHeader, fmt.Sprintf("%x", ingest.HMACSHA256("", body))), body, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ingesttest.CheckVerify(t, Verify(tc.secret, tc.h, tc.body, ingest.VerifyOptions{}), tc.ok, signatureHeader, tc.secret)
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
	resource := map[string]string{}
	var files []string
	for _, fx := range validFixtures {
		resource[fx.file] = fx.resource
		files = append(files, fx.file)
	}
	got := ingesttest.CheckFixturesValidate(t, Parse, files, func(file string) http.Header {
		return ingesttest.Headers(resourceHeader, resource[file], timestampHeader, "1715690000")
	}, override)
	for _, file := range files {
		for _, ev := range got[file] {
			if ev.Service != wantService[file] || ev.Severity != wantSeverity[file] {
				t.Errorf("%s with mapping: service %q severity %q, want %q %q", file, ev.Service, ev.Severity,
					wantService[file], wantSeverity[file])
			}
			if want := map[bool]string{true: "production", false: "prod"}[file != "issue_created.json" && file != "issue_resolved.json"]; ev.Environment != want {
				t.Errorf("%s with mapping: environment %q, want %q", file, ev.Environment, want)
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
		f.Add(ingesttest.Fixture(f, fx.file), fx.resource, "1715690000")
	}
	f.Add([]byte(`{"action":"triggered","data":{"event":{"issue_id":1,"timestamp":1e300,"tags":[[1,2]]}}}`), "", "x")
	f.Add([]byte(`{"action":"resolved","data":{"metric_alert":{"id":"1","date_started":"0001-01-01T00:00:00Z"}}}`), "metric_alert", "99999999999999999999")
	f.Fuzz(func(t *testing.T, body []byte, resource, stamp string) {
		h := ingesttest.Headers(resourceHeader, resource, timestampHeader, stamp)
		ingesttest.CheckParseProperties(t, Parse, body, h, ingesttest.Properties{})
	})
}
