package alertmanager

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"hindsight/ingest"
	"hindsight/ingest/ingesttest"
)

var checkoutLabels = map[string]string{
	"alertname": "CheckoutHighErrorRate", "service": "checkout", "env": "production", "severity": "critical",
	"instance": "checkout-7d9f:8080", "job": "checkout-api",
}

const promURL = "http://prometheus.example.org:9090/graph?g0.expr=checkout_error_ratio+%3E+0.05"

func checkout(status, description string, start time.Time, end *time.Time) ingest.Event {
	return ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "3f9a1c2b7e8d4a60@" + start.UTC().Format(time.RFC3339),
		Status: status, Title: "Checkout 5xx ratio above 5%", Description: description, Severity: "critical",
		Service: "checkout", Environment: "production", StartsAt: start, EndsAt: end, URL: promURL,
		Labels: checkoutLabels,
	}
}

func TestParse(t *testing.T) {
	start := ingesttest.Time("2024-03-11T09:14:05.123456789Z")
	cases := []struct {
		file string
		want []ingest.Event
	}{
		{"firing.json", []ingest.Event{checkout("firing", "12.4% of checkout requests failed over the last 5 minutes.", start, nil)}},
		{"renotify.json", []ingest.Event{checkout("firing", "18.9% of checkout requests failed over the last 5 minutes.", start, nil)}},
		{"resolved.json", []ingest.Event{checkout("resolved", "0.3% of checkout requests failed over the last 5 minutes.", start,
			ingesttest.Ptr(ingesttest.Time("2024-03-11T09:52:35.5Z")))}},
		{"refire.json", []ingest.Event{checkout("firing", "", ingesttest.Time("2024-03-11T13:02:50.04Z"), nil)}},
		{"grouped.json", []ingest.Event{
			{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "0b1e0cbb2a3f1d77@2024-03-12T22:01:00Z", Status: "firing",
				Title: "KubePodCrashLooping", Description: "Pod ledger/ledger-5c6b7-x2x9q restarted 6 times in 10 minutes.",
				Severity: "warning", Service: "ledger", Environment: "staging", StartsAt: ingesttest.Time("2024-03-12T22:01:00Z"),
				URL: "http://prometheus.example.org:9090/graph?g0.expr=kube_pod_restarts",
				Labels: map[string]string{"alertname": "KubePodCrashLooping", "app": "ledger", "environment": "staging",
					"severity": "warning", "namespace": "ledger", "pod": "ledger-5c6b7-x2x9q"},
			},
			{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "9d2e11f0a4c3b5e2@2024-03-12T22:03:30Z", Status: "firing",
				Title: "search-api-0 is crash looping", Severity: "warning", Service: "kube-state-metrics",
				StartsAt: ingesttest.Time("2024-03-12T22:03:30Z"), URL: "http://alertmanager.example.org:9093",
				Labels: map[string]string{"alertname": "KubePodCrashLooping", "job": "kube-state-metrics", "severity": "warning",
					"namespace": "search", "pod": "search-api-0"},
			},
			{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "71c4a9e0d3b2f815@2024-03-12T21:40:00Z", Status: "resolved",
				Title: "billing-0 is crash looping", Description: "Recovered.", Severity: "warning", Service: "billing",
				Environment: "production", StartsAt: ingesttest.Time("2024-03-12T21:40:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-03-12T22:04:00Z")),
				URL: "http://prometheus.example.org:9090/graph?g0.expr=kube_pod_restarts",
				Labels: map[string]string{"alertname": "KubePodCrashLooping", "service": "billing", "app": "billing-worker",
					"env": "production", "environment": "prod-eu", "severity": "warning", "namespace": "billing", "pod": "billing-0"},
			},
		}},
		{"odd.json", []ingest.Event{
			{
				// no labels, no status, no fingerprint, epoch seconds, null endsAt, unknown fields
				Kind: ingest.KindAlert, Source: Name, DedupKey: "e3b0c44298fc1c149afbf4c8996fb924@2024-03-12T08:00:00Z",
				Status: "firing", Title: "Labels went missing", StartsAt: ingesttest.Time("2024-03-12T08:00:00Z"),
			},
			{
				// upper-case status, numeric severity and labels, epoch ms as a string, endsAt on a firing alert
				Kind: ingest.KindAlert, Source: Name, DedupKey: "12345@2024-03-12T08:00:00Z", Status: "firing",
				Title: "DiskAlmostFull", Severity: "2", StartsAt: ingesttest.Time("2024-03-12T08:00:00Z"),
				Labels: map[string]string{"alertname": "DiskAlmostFull", "severity": "2", "replicas": "3", "canary": "false", "service": "  "},
			},
			{
				// no status: resolved from endsAt; zone offset; service from job
				Kind: ingest.KindAlert, Source: Name,
				DedupKey: ingest.LabelSetFingerprint(map[string]string{"alertname": "QueueStalled", "job": "worker"}) + "@2024-03-12T06:00:00Z",
				Status:   "resolved", Title: "QueueStalled", Service: "worker", StartsAt: ingesttest.Time("2024-03-12T06:00:00Z"),
				EndsAt: ingesttest.Ptr(ingesttest.Time("2024-03-12T07:30:00Z")), Labels: map[string]string{"alertname": "QueueStalled", "job": "worker"},
			},
			{
				// resolved without startsAt: endsAt is the closest time
				Kind: ingest.KindAlert, Source: Name, DedupKey: "aaaabbbbccccdddd@2024-03-12T07:30:00Z", Status: "resolved",
				Title: "NoStart", StartsAt: ingesttest.Time("2024-03-12T07:30:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-03-12T07:30:00Z")),
				Labels: map[string]string{"alertname": "NoStart"},
			},
		}},
		{"test_notification.json", nil},
	}
	var run []ingesttest.Case
	for _, c := range cases {
		run = append(run, ingesttest.Case{Name: c.file, Body: ingesttest.Fixture(t, c.file), Want: ingest.Delivery{Events: c.want}})
	}
	ingesttest.RunCases(t, Parse, run)
}

func TestDerivedFingerprintIsStable(t *testing.T) {
	// The fingerprint of an empty label set is pinned: changing the
	// derivation would split stored alerts in two.
	if got := ingest.LabelSetFingerprint(nil); got != "e3b0c44298fc1c149afbf4c8996fb924" {
		t.Errorf("LabelSetFingerprint(nil) = %s", got)
	}
	a := ingest.LabelSetFingerprint(map[string]string{"a": "1", "b": "2"})
	b := ingest.LabelSetFingerprint(map[string]string{"b": "2", "a": "1"})
	c := ingest.LabelSetFingerprint(map[string]string{"a": "12"})
	if a != b || a == c {
		t.Errorf("fingerprints: %s %s %s", a, b, c)
	}
}

// TestLifecycle: re-notifications and the resolution of one firing share
// the DedupKey; a later re-fire is a new event.
func TestLifecycle(t *testing.T) {
	key := func(file string) string {
		d, err := Parse(ingesttest.Fixture(t, file), nil, ingest.Mapping{})
		if err != nil || len(d.Events) != 1 {
			t.Fatalf("%s: %v %+v", file, err, d)
		}
		return d.Events[0].DedupKey
	}
	firing, again, resolved, refire := key("firing.json"), key("renotify.json"), key("resolved.json"), key("refire.json")
	if firing != again || firing != resolved {
		t.Errorf("one firing has keys %q, %q, %q", firing, again, resolved)
	}
	if refire == firing {
		t.Errorf("re-fire reuses key %q", refire)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, body string
		index      int
		field, msg string
	}{
		{"empty", "", -1, "", "empty body"},
		{"malformed", `{"alerts": [`, -1, "", "malformed JSON"},
		{"trailing garbage", `{"alerts": []} x`, -1, "", "malformed JSON"},
		{"array body", `[{"alerts": []}]`, -1, "", "expected a JSON object"},
		{"string body", `"hello"`, -1, "", "expected a JSON object"},
		{"no alerts", `{"receiver": "x", "status": "firing"}`, -1, "alerts", "is missing"},
		{"null alerts", `{"alerts": null}`, -1, "alerts", "is missing"},
		{"alerts object", `{"alerts": {"status": "firing"}}`, -1, "alerts", "must be an array"},
		{"empty alerts", `{"alerts": []}`, -1, "alerts", "is empty"},
		{"externalURL number", `{"externalURL": 9093, "alerts": [{"startsAt": "2024-03-12T08:00:00Z"}]}`, -1, "externalURL", "must be a string"},
		{"alert not object", `{"alerts": [{"startsAt": "2024-03-12T08:00:00Z"}, "firing"]}`, 1, "alerts[1]", "must be an alert object"},
		{"labels string", `{"alerts": [{"labels": "severity=critical", "startsAt": "2024-03-12T08:00:00Z"}]}`, 0, "alerts[0].labels", "must be an object"},
		{"label object", `{"alerts": [{"labels": {"severity": {"level": 1}}, "startsAt": "2024-03-12T08:00:00Z"}]}`, 0, "alerts[0].labels.severity", "must be a string or a number"},
		{"annotations array", `{"alerts": [{"annotations": ["x"], "startsAt": "2024-03-12T08:00:00Z"}]}`, 0, "alerts[0].annotations", "must be an object"},
		{"status number", `{"alerts": [{"status": 1, "startsAt": "2024-03-12T08:00:00Z"}]}`, 0, "alerts[0].status", "must be a string"},
		{"status unknown", `{"alerts": [{"status": "pending", "startsAt": "2024-03-12T08:00:00Z"}]}`, 0, "alerts[0].status", "must be firing or resolved"},
		{"startsAt bad", `{"alerts": [{"startsAt": "yesterday"}]}`, 0, "alerts[0].startsAt", "RFC 3339"},
		{"startsAt bool", `{"alerts": [{"startsAt": true}]}`, 0, "alerts[0].startsAt", "RFC 3339"},
		{"startsAt missing", `{"alerts": [{"labels": {"alertname": "A"}}, {"labels": {"alertname": "B"}, "endsAt": "0001-01-01T00:00:00Z"}]}`, 0, "alerts[0].startsAt", "is required"},
		{"endsAt bad", `{"alerts": [{"startsAt": "2024-03-12T08:00:00Z", "endsAt": "soon"}]}`, 0, "alerts[0].endsAt", "RFC 3339"},
		{"generatorURL object", `{"alerts": [{"startsAt": "2024-03-12T08:00:00Z", "generatorURL": {}}]}`, 0, "alerts[0].generatorURL", "must be a string"},
		{"fingerprint array", `{"alerts": [{"startsAt": "2024-03-12T08:00:00Z"}, {"startsAt": "2024-03-12T08:00:00Z", "fingerprint": ["a"]}]}`, 1, "alerts[1].fingerprint", "must be a string or a number"},
		// The first wrong field in the order labels, annotations, status, startsAt, endsAt, generatorURL, fingerprint.
		{"status and startsAt wrong", `{"alerts": [{"status": 1, "startsAt": "soon"}]}`, 0, "alerts[0].status", "must be a string"},
		{"generatorURL and fingerprint wrong", `{"alerts": [{"startsAt": "2024-03-12T08:00:00Z", "generatorURL": 1, "fingerprint": {}}]}`, 0, "alerts[0].generatorURL", "must be a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body), nil, ingest.Mapping{})
			ingesttest.CheckError(t, err, c.index, c.field, c.msg)
		})
	}
}

func TestLongValuesBounded(t *testing.T) {
	var labels []string
	for i := range 100 {
		labels = append(labels, fmt.Sprintf(`"l%03d": "v"`, i))
	}
	long := strings.Repeat("é", 2000)
	body := `{"alerts": [{"startsAt": "2024-03-12T08:00:00Z", "fingerprint": "` + strings.Repeat("f", 500) + `",
		"labels": {"alertname": "Big", "zzz": "` + long + `", ` + strings.Join(labels, ", ") + `},
		"annotations": {"summary": "` + strings.Repeat("s", 900) + `", "description": "` + strings.Repeat("d", 30000) + `"}}]}`
	d, err := Parse([]byte(body), nil, ingest.Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	ev := d.Events[0]
	if len(ev.Labels) != ingest.MaxLabels || ev.Labels["alertname"] != "Big" || ev.Labels["l000"] != "v" {
		t.Errorf("labels not bounded with priority keys first: %d %q", len(ev.Labels), ev.Labels["alertname"])
	}
	if _, ok := ev.Labels["zzz"]; ok {
		t.Error("sorted-last label kept over the bound")
	}
	if len(ev.Title) != ingest.MaxTitle || len(ev.Description) != ingest.MaxDescription || len(ev.DedupKey) > 60 {
		t.Errorf("lengths: title %d description %d key %d", len(ev.Title), len(ev.Description), len(ev.DedupKey))
	}
	if err := ingest.Validate(&ev, 0); err != nil {
		t.Error(err)
	}
	bounded := ingest.BoundLabelSet(map[string]string{"a": long}, nil)
	if len(bounded["a"]) > ingest.MaxLabelValue || !strings.HasSuffix(bounded["a"], "…") {
		t.Errorf("long value not cut: %d bytes", len(bounded["a"]))
	}
}

var validFixtures = []string{"firing.json", "renotify.json", "resolved.json", "refire.json", "grouped.json", "odd.json"}

// TestApplyValidate: every event of every valid fixture passes the caller's
// Apply and Validate, with a zero mapping and with overrides.
func TestApplyValidate(t *testing.T) {
	override := ingest.Mapping{
		ServiceLabels: []string{"namespace"},
		Services:      map[string]string{"checkout": "checkout-web", "ledger": "ledger-core"},
		Severities:    map[string]string{"2": ingest.SeverityHigh},
		Environment:   "unknown-env",
	}
	got := ingesttest.CheckFixturesValidate(t, Parse, validFixtures, nil, override)
	got.Check(t, "firing.json", 0, "checkout-web", ingest.SeverityCritical, "production")
	got.Check(t, "grouped.json", 0, "ledger-core", ingest.SeverityWarning, "staging") // namespace label wins over app, then renamed
	got.Check(t, "grouped.json", 1, "search", ingest.SeverityWarning, "unknown-env")  // namespace over job; default environment
	got.Check(t, "odd.json", 1, "", ingest.SeverityHigh, "unknown-env")               // numeric severity mapped
	got.Check(t, "odd.json", 0, "", "", "unknown-env")
}

func TestInstructions(t *testing.T) {
	s := Instructions("https://hindsight.example.com/hooks/int_42", `s3cr"et`)
	if s.ConfigLanguage != "yaml" || len(s.Steps) == 0 {
		t.Fatalf("setup: %+v", s)
	}
	var cfg struct {
		Receivers []struct {
			Name           string
			WebhookConfigs []struct {
				URL          string `yaml:"url"`
				SendResolved bool   `yaml:"send_resolved"`
				HTTPConfig   struct {
					Authorization struct{ Type, Credentials string }
				} `yaml:"http_config"`
			} `yaml:"webhook_configs"`
		}
		Route struct {
			Routes []struct {
				Receiver string
				Continue bool
			}
		}
	}
	if err := yaml.Unmarshal([]byte(s.Config), &cfg); err != nil {
		t.Fatalf("config is not YAML: %v\n%s", err, s.Config)
	}
	wc := cfg.Receivers[0].WebhookConfigs[0]
	if cfg.Receivers[0].Name != "hindsight" || wc.URL != "https://hindsight.example.com/hooks/int_42" || !wc.SendResolved ||
		wc.HTTPConfig.Authorization.Type != "Bearer" || wc.HTTPConfig.Authorization.Credentials != `s3cr"et` {
		t.Errorf("receiver: %+v", cfg.Receivers)
	}
	if r := cfg.Route.Routes; len(r) != 2 || r[0].Receiver != "hindsight" || !r[0].Continue {
		t.Errorf("routes: %+v", r)
	}
}

func FuzzParse(f *testing.F) {
	ingesttest.AddFixtures(f)
	for _, s := range []string{``, `{}`, `[]`, `null`, `{"alerts":[{}]}`, `{"alerts":[{"startsAt":-1,"endsAt":1e300}]}`,
		`{"alerts":[{"startsAt":"2024-03-12T08:00:00Z","endsAt":"2024-03-12T07:00:00Z","status":"resolved"}]}`} {
		f.Add([]byte(s))
	}
	props := ingesttest.Properties{
		Mappings: []ingest.Mapping{{}, {ServiceLabels: []string{"namespace"}, Services: map[string]string{"checkout": "web"},
			Severities: map[string]string{"2": "high"}, Environment: "prod"}},
		Delivery: ingesttest.Identified(ingest.KindAlert, Name),
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ingesttest.CheckParseProperties(t, Parse, body, nil, props)
	})
}

// A real alert grouped with a TestAlert is not mistaken for a test, and a
// TestAlert from another instance is a real alert.
func TestTestAlertDetection(t *testing.T) {
	for body, want := range map[string]int{
		`{"alerts": [{"labels": {"alertname": "TestAlert", "instance": "Alertmanager"}, "startsAt": "2024-03-12T10:00:00Z"},
			{"labels": {"alertname": "Real"}, "startsAt": "2024-03-12T10:00:00Z"}]}`: 2,
		`{"alerts": [{"labels": {"alertname": "TestAlert", "instance": "db-1:9100"}, "startsAt": "2024-03-12T10:00:00Z"}]}`: 1,
		`{"alerts": [{"labels": {"alertname": "TestAlert", "instance": "Grafana"}, "startsAt": "2024-03-12T10:00:00Z"}]}`:   0,
	} {
		d, err := Parse([]byte(body), nil, ingest.Mapping{})
		if err != nil || len(d.Events) != want {
			t.Errorf("%s: %v, %d events, want %d", body, err, len(d.Events), want)
		}
	}
}
