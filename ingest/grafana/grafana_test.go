package grafana

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"hindsight/ingest"
	"hindsight/ingest/ingesttest"
)

var paymentsLabels = map[string]string{
	"alertname": "PaymentsLatencyP99", "grafana_folder": "Payments", "service": "payments-api",
	"environment": "production", "severity": "high", "region": "eu-west-1",
}

func payments(status, description, to string, end *time.Time) ingest.Event {
	return ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "8c5d0e4b6a2f1937@2024-05-02T12:20:00Z", Status: status,
		Title: "Payments p99 latency above 1.5s", Description: description, Severity: "high",
		Service: "payments-api", Environment: "production", StartsAt: ingesttest.Time("2024-05-02T12:20:00Z"), EndsAt: end,
		URL:    "https://grafana.example.org/d/payments-overview?from=1714648800000&orgId=1&to=" + to + "&viewPanel=4",
		Labels: paymentsLabels,
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		file string
		want []ingest.Event
	}{
		{"firing.json", []ingest.Event{payments("firing", "p99 latency of POST /charges is 1.73s (threshold 1.5s).", "1714652700000", nil)}},
		{"renotify.json", []ingest.Event{payments("firing", "p99 latency of POST /charges is 2.41s (threshold 1.5s).", "1714656300000", nil)}},
		{"resolved.json", []ingest.Event{payments("resolved", "p99 latency of POST /charges is 0.41s (threshold 1.5s).", "1714655100000",
			ingesttest.Ptr(ingesttest.Time("2024-05-02T13:05:00Z")))}},
		{"grouped.json", []ingest.Event{
			{
				// no annotations: title from alertname, description from valueString, URL from dashboardURL
				Kind: ingest.KindAlert, Source: Name, DedupKey: "1a2b3c4d5e6f7081@2024-05-03T07:00:10Z", Status: "firing",
				Title: "DiskUsage", Description: "[ var='B' labels={instance=db-1} value=91.2 ]", Severity: "warning",
				Service: "postgres", Environment: "staging", StartsAt: ingesttest.Time("2024-05-03T07:00:10.5Z"),
				URL: "https://grafana.example.org/d/infra-disks?orgId=3",
				Labels: map[string]string{"alertname": "DiskUsage", "grafana_folder": "Infra", "app": "postgres", "env": "staging",
					"severity": "warning", "instance": "db-1"},
			},
			{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "2b3c4d5e6f708192@2024-05-03T07:00:10Z", Status: "firing",
				Title: "db-2 disk above 90%", Severity: "warning", Service: "node", StartsAt: ingesttest.Time("2024-05-03T07:00:10.5Z"),
				URL:    "https://grafana.example.org/alerting/grafana/disk01/view?orgId=3",
				Labels: map[string]string{"alertname": "DiskUsage", "grafana_folder": "Infra", "job": "node", "severity": "warning", "instance": "db-2"},
			},
			{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "3c4d5e6f70819203@2024-05-03T06:10:00Z", Status: "resolved",
				Title: "search-1 disk above 90%", Description: "Back to 71%.", Severity: "warning", Service: "search",
				Environment: "production", StartsAt: ingesttest.Time("2024-05-03T06:10:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-03T07:00:00Z")),
				URL: "https://grafana.example.org/", // externalURL, the only URL left
				Labels: map[string]string{"alertname": "DiskUsage", "grafana_folder": "Infra", "service": "search",
					"environment": "production", "severity": "warning", "instance": "search-1"},
			},
		}},
		{"odd.json", []ingest.Event{
			{
				// no status, no fingerprint, epoch milliseconds, numeric severity, unknown fields and odd values ignored
				Kind: ingest.KindAlert, Source: Name,
				DedupKey: ingest.LabelSetFingerprint(map[string]string{"alertname": "NoStatus", "severity": "1", "service": "edge", "env": "prod"}) +
					"@2024-05-03T08:00:00Z",
				Status: "firing", Title: "NoStatus", Severity: "1", Service: "edge", Environment: "prod",
				StartsAt: ingesttest.Time("2024-05-03T08:00:00Z"),
				Labels:   map[string]string{"alertname": "NoStatus", "severity": "1", "service": "edge", "env": "prod"},
			},
			{
				// resolved with the zero endsAt: no EndsAt; numeric fingerprint; empty annotations fall back
				Kind: ingest.KindAlert, Source: Name, DedupKey: "998877@2024-05-03T08:00:00Z", Status: "resolved",
				Title: "NoEnd", Description: "[ var='A' value=0 ]", Service: "cron", StartsAt: ingesttest.Time("2024-05-03T08:00:00Z"),
				Labels: map[string]string{"alertname": "NoEnd", "job": "cron"},
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

// TestLifecycle: re-notifications and the resolution share the DedupKey.
func TestLifecycle(t *testing.T) {
	var keys []string
	for _, f := range []string{"firing.json", "renotify.json", "resolved.json"} {
		d, err := Parse(ingesttest.Fixture(t, f), nil, ingest.Mapping{})
		if err != nil || len(d.Events) != 1 {
			t.Fatalf("%s: %v", f, err)
		}
		keys = append(keys, d.Events[0].DedupKey)
	}
	if keys[0] != keys[1] || keys[0] != keys[2] {
		t.Errorf("keys differ: %v", keys)
	}
	refire := strings.Replace(string(ingesttest.Fixture(t, "firing.json")), `"startsAt": "2024-05-02T12:20:00Z"`, `"startsAt": "2024-05-02T18:00:00Z"`, 1)
	d, err := Parse([]byte(refire), nil, ingest.Mapping{})
	if err != nil || d.Events[0].DedupKey == keys[0] {
		t.Errorf("re-fire: %v, key %q", err, d.Events[0].DedupKey)
	}
}

// A real alert grouped with a TestAlert is not mistaken for a test.
func TestTestAlertInRealGroup(t *testing.T) {
	body := `{"alerts": [
		{"labels": {"alertname": "TestAlert", "instance": "Grafana"}, "startsAt": "2024-05-02T09:00:00Z"},
		{"labels": {"alertname": "Real"}, "startsAt": "2024-05-02T09:00:00Z"}]}`
	d, err := Parse([]byte(body), nil, ingest.Mapping{})
	if err != nil || len(d.Events) != 2 {
		t.Fatalf("%v %+v", err, d)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, body string
		index      int
		field, msg string
	}{
		{"empty", "  ", -1, "", "empty body"},
		{"malformed", `{"alerts": [{"status": "firing",}]}`, -1, "", "malformed JSON"},
		{"array body", `[]`, -1, "", "expected a JSON object"},
		{"legacy", string(ingesttest.Fixture(t, "legacy.json")), -1, "alerts", "legacy dashboard alerting"},
		{"custom payload", `{"text": "CPU high"}`, -1, "alerts", "custom payload"},
		{"alerts string", `{"alerts": "none"}`, -1, "alerts", "must be an array"},
		{"empty alerts", `{"alerts": []}`, -1, "alerts", "is empty"},
		{"externalURL bool", `{"externalURL": true, "alerts": [{}]}`, -1, "externalURL", "must be a string"},
		{"alert array", `{"alerts": [[]]}`, 0, "alerts[0]", "must be an alert object"},
		{"labels array", `{"alerts": [{"startsAt": "2024-05-02T09:00:00Z"}, {"labels": [], "startsAt": "2024-05-02T09:00:00Z"}]}`, 1, "alerts[1].labels", "must be an object"},
		{"label array value", `{"alerts": [{"labels": {"team": ["a"]}, "startsAt": "2024-05-02T09:00:00Z"}]}`, 0, "alerts[0].labels.team", "must be a string or a number"},
		{"annotation object", `{"alerts": [{"annotations": {"summary": {}}, "startsAt": "2024-05-02T09:00:00Z"}]}`, 0, "alerts[0].annotations.summary", "must be a string or a number"},
		{"status bool", `{"alerts": [{"status": false, "startsAt": "2024-05-02T09:00:00Z"}]}`, 0, "alerts[0].status", "must be a string"},
		{"status pending", `{"alerts": [{"status": "pending", "startsAt": "2024-05-02T09:00:00Z"}]}`, 0, "alerts[0].status", "firing or resolved"},
		{"startsAt garbage", `{"alerts": [{"startsAt": "02/05/2024"}]}`, 0, "alerts[0].startsAt", "RFC 3339"},
		{"startsAt missing", `{"alerts": [{"status": "firing"}]}`, 0, "alerts[0].startsAt", "is required"},
		{"endsAt object", `{"alerts": [{"startsAt": "2024-05-02T09:00:00Z", "endsAt": {}}]}`, 0, "alerts[0].endsAt", "RFC 3339"},
		{"panelURL number", `{"alerts": [{"startsAt": "2024-05-02T09:00:00Z", "panelURL": 4}]}`, 0, "alerts[0].panelURL", "must be a string"},
		{"dashboardURL array", `{"alerts": [{"startsAt": "2024-05-02T09:00:00Z", "dashboardURL": []}]}`, 0, "alerts[0].dashboardURL", "must be a string"},
		{"valueString number", `{"alerts": [{"startsAt": "2024-05-02T09:00:00Z", "valueString": 1}]}`, 0, "alerts[0].valueString", "must be a string"},
		{"fingerprint object", `{"alerts": [{"startsAt": "2024-05-02T09:00:00Z", "fingerprint": {}}]}`, 0, "alerts[0].fingerprint", "must be a string or a number"},
		// Grafana checks its string fields (status, the URLs, valueString) after the others.
		{"status and startsAt wrong", `{"alerts": [{"status": 1, "startsAt": "soon"}]}`, 0, "alerts[0].startsAt", "RFC 3339"},
		{"generatorURL and fingerprint wrong", `{"alerts": [{"startsAt": "2024-05-02T09:00:00Z", "generatorURL": 1, "fingerprint": {}}]}`, 0, "alerts[0].fingerprint", "must be a string or a number"},
		{"panelURL and generatorURL wrong", `{"alerts": [{"startsAt": "2024-05-02T09:00:00Z", "generatorURL": 1, "panelURL": 2}]}`, 0, "alerts[0].panelURL", "must be a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body), nil, ingest.Mapping{})
			ingesttest.CheckError(t, err, c.index, c.field, c.msg)
		})
	}
}

var validFixtures = []string{"firing.json", "renotify.json", "resolved.json", "grouped.json", "odd.json"}

func TestApplyValidate(t *testing.T) {
	override := ingest.Mapping{
		ServiceLabels: []string{"grafana_folder"},
		Services:      map[string]string{"Payments": "payments-api", "edge": "edge-proxy"},
		Severities:    map[string]string{"1": ingest.SeverityCritical, "high": ingest.SeverityWarning},
		Environment:   "prod",
	}
	got := ingesttest.CheckFixturesValidate(t, Parse, validFixtures, nil, override)
	got.Check(t, "firing.json", 0, "payments-api", ingest.SeverityWarning, "production") // folder label renamed; severity remapped
	got.Check(t, "grouped.json", 0, "infra", ingest.SeverityWarning, "staging")
	got.Check(t, "grouped.json", 1, "infra", ingest.SeverityWarning, "prod")
	got.Check(t, "odd.json", 0, "edge-proxy", ingest.SeverityCritical, "prod")
	got.Check(t, "odd.json", 1, "cron", "", "prod")
}

// --- signatures ---

const secret = "grafana-hmac-secret"

func sign(key string, msg ...string) string {
	var b []byte
	for _, m := range msg {
		b = append(b, m...)
	}
	return hex.EncodeToString(ingest.HMACSHA256(key, b))
}

func TestVerify(t *testing.T) {
	body := string(ingesttest.Fixture(t, "firing.json"))
	now := time.Date(2024, 5, 2, 12, 21, 0, 0, time.UTC)
	ts := strconv.FormatInt(now.Add(-40*time.Second).Unix(), 10)
	old := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
	future := strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10)
	const tsh = "X-Grafana-Alerting-Signature-Timestamp"
	withTS := ingest.VerifyOptions{TimestampHeader: tsh}
	cases := []struct {
		name    string
		headers map[string]string
		opts    ingest.VerifyOptions
		secret  string
		refuse  string // "" when valid, else part of the refusal
	}{
		{"body signed", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, body)}, ingest.VerifyOptions{}, secret, ""},
		{"upper-case hex", map[string]string{"X-Grafana-Alerting-Signature": strings.ToUpper(sign(secret, body))}, ingest.VerifyOptions{}, secret, ""},
		{"older default header", map[string]string{"X-Grafana-Alert-Signature": sign(secret, body)}, ingest.VerifyOptions{}, secret, ""},
		{"custom header", map[string]string{"X-Hindsight-Sig": sign(secret, body)}, ingest.VerifyOptions{SignatureHeader: "X-Hindsight-Sig"}, secret, ""},
		{"custom header missing", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, body)},
			ingest.VerifyOptions{SignatureHeader: "X-Hindsight-Sig"}, secret, "missing X-Hindsight-Sig"},
		{"missing", map[string]string{}, ingest.VerifyOptions{}, secret, "missing X-Grafana-Alerting-Signature"},
		{"wrong body", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, body+" ")}, ingest.VerifyOptions{}, secret, "X-Grafana-Alerting-Signature does not match"},
		{"not hex", map[string]string{"X-Grafana-Alerting-Signature": "sha256=" + sign(secret, body)}, ingest.VerifyOptions{}, secret, "does not match"},
		{"rotated: old secret", map[string]string{"X-Grafana-Alerting-Signature": sign("previous-secret", body)}, ingest.VerifyOptions{}, secret, "does not match"},
		{"rotated: verified with the old secret", map[string]string{"X-Grafana-Alerting-Signature": sign("previous-secret", body)}, ingest.VerifyOptions{}, "previous-secret", ""},
		{"no secret", map[string]string{"X-Grafana-Alerting-Signature": sign("", body)}, ingest.VerifyOptions{}, "", "no secret"},
		{"timestamp signed", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, ts, ":", body), tsh: ts}, withTS, secret, ""},
		{"custom timestamp header", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, ts, ":", body), "X-Ts": ts},
			ingest.VerifyOptions{TimestampHeader: "X-Ts"}, secret, ""},
		{"timestamp missing", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, body)}, withTS, secret, "missing " + tsh},
		{"timestamp not signed", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, body), tsh: ts}, withTS, secret, "does not match"},
		{"timestamp altered", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, ts, ":", body), tsh: old}, withTS, secret, "does not match"},
		{"timestamp too old", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, old, ":", body), tsh: old}, withTS, secret, "more than 5 minutes"},
		{"timestamp in the future", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, future, ":", body), tsh: future}, withTS, secret, "more than 5 minutes"},
		{"timestamp not a number", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, "soon", ":", body), tsh: "soon"}, withTS, secret, "not a Unix timestamp"},
		{"timestamp, integration not told", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, ts, ":", body), tsh: ts}, ingest.VerifyOptions{}, secret, ""},
		{"timestamp, integration not told, replayed", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, old, ":", body), tsh: old}, ingest.VerifyOptions{}, secret, "more than 5 minutes"},
		{"timestamp header, body signed", map[string]string{"X-Grafana-Alerting-Signature": sign(secret, body), tsh: old}, ingest.VerifyOptions{}, secret, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range c.headers {
				h.Set(k, v)
			}
			err := VerifyAt(c.secret, h, []byte(body), c.opts, now)
			ingesttest.CheckVerify(t, err, c.refuse == "", c.refuse, secret)
		})
	}
}

func TestVerifyUsesTheClock(t *testing.T) {
	body := ingesttest.Fixture(t, "firing.json")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set("X-Grafana-Alerting-Signature", sign(secret, ts, ":", string(body)))
	h.Set("X-Grafana-Alerting-Signature-Timestamp", ts)
	if err := Verify(secret, h, body, ingest.VerifyOptions{TimestampHeader: "X-Grafana-Alerting-Signature-Timestamp"}); err != nil {
		t.Fatal(err)
	}
	h.Set("X-Grafana-Alerting-Signature-Timestamp", "1714652460")
	h.Set("X-Grafana-Alerting-Signature", sign(secret, "1714652460:", string(body)))
	if err := Verify(secret, h, body, ingest.VerifyOptions{}); err == nil {
		t.Fatal("a 2024 timestamp passed today")
	}
}

func TestInstructions(t *testing.T) {
	s := Instructions("https://hindsight.example.com/hooks/int_7", "top'secret")
	if s.ConfigLanguage != "yaml" || len(s.Steps) == 0 || !strings.Contains(strings.Join(s.Steps, "\n"), "https://hindsight.example.com/hooks/int_7") {
		t.Fatalf("setup: %+v", s)
	}
	var cfg struct {
		APIVersion    int `yaml:"apiVersion"`
		ContactPoints []struct {
			Name      string
			Receivers []struct {
				Type     string
				Settings struct {
					URL         string `yaml:"url"`
					HTTPMethod  string `yaml:"httpMethod"`
					Scheme      string `yaml:"authorization_scheme"`
					Credentials string `yaml:"authorization_credentials"`
					HMAC        struct {
						Secret          string
						Header          string
						TimestampHeader string `yaml:"timestampHeader"`
					} `yaml:"hmacConfig"`
				}
			}
		} `yaml:"contactPoints"`
	}
	if err := yaml.Unmarshal([]byte(s.Config), &cfg); err != nil {
		t.Fatalf("config is not YAML: %v\n%s", err, s.Config)
	}
	r := cfg.ContactPoints[0].Receivers[0]
	st := r.Settings
	if cfg.APIVersion != 1 || r.Type != "webhook" || st.URL != "https://hindsight.example.com/hooks/int_7" || st.HTTPMethod != "POST" ||
		st.Scheme != "Bearer" || st.Credentials != "top'secret" || st.HMAC.Secret != "top'secret" ||
		st.HMAC.Header != SignatureHeaders[0] || st.HMAC.TimestampHeader != DefaultTimestampHeader {
		t.Errorf("contact point: %+v", cfg)
	}
}

func FuzzParse(f *testing.F) {
	ingesttest.AddFixtures(f)
	for _, s := range []string{``, `{}`, `null`, `{"alerts":[{}]}`, `{"alerts":[{"startsAt":1e12,"endsAt":"0001-01-01T00:00:00Z"}]}`,
		`{"alerts":[{"startsAt":"2024-05-02T09:00:00Z","endsAt":"2024-05-02T08:00:00Z","status":"resolved"}]}`} {
		f.Add([]byte(s))
	}
	props := ingesttest.Properties{
		Mappings: []ingest.Mapping{{}, {ServiceLabels: []string{"grafana_folder"}, Services: map[string]string{"Payments": "pay"},
			Severities: map[string]string{"1": "critical"}, Environment: "prod"}},
		Delivery: ingesttest.Identified(ingest.KindAlert, Name),
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ingesttest.CheckParseProperties(t, Parse, body, nil, props)
		// Verify never panics on any body and header value.
		h := http.Header{}
		h.Set("X-Grafana-Alerting-Signature", string(body))
		h.Set("X-Grafana-Alerting-Signature-Timestamp", string(body))
		_ = VerifyAt(secret, h, body, ingest.VerifyOptions{}, time.Unix(1714652460, 0))
		_ = VerifyAt(secret, h, body, ingest.VerifyOptions{TimestampHeader: "X-Grafana-Alerting-Signature-Timestamp"}, time.Unix(1714652460, 0))
	})
}
