package github

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"hindsight/ingest"
	"hindsight/ingest/ingesttest"
)

func headers(event, delivery string) http.Header {
	return ingesttest.Headers("Content-Type", "application/json", "User-Agent", "GitHub-Hookshot/4b1d2e7",
		EventHeader, event, DeliveryHeader, delivery)
}

const (
	storefrontSHA = "5d41402abc4b2a76b9719d911017c592ae2b31c9"
	runLog        = "https://github.com/northwind/storefront/actions/runs/8251117777/job/22568012345"
)

func storefrontLabels(extra map[string]string) map[string]string {
	l := map[string]string{"repository": "northwind/storefront", "task": "deploy", "creator": "mia-ops",
		"has_migrations": "true", "version": "2024.03.2", "replicas": "3"}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

func storefront(status, url, description string, end *time.Time, extra map[string]string) ingest.Event {
	return ingest.Event{
		Kind: ingest.KindDeploy, Source: "github", DedupKey: "deployment:981234567", Status: status,
		Title:       "Deploy 5d41402 of northwind/storefront to production",
		Description: description, Service: "storefront", Environment: "production",
		StartsAt: ingesttest.Time("2024-03-12T09:15:04Z"), EndsAt: end, Commit: storefrontSHA, Ref: "main", URL: url,
		Labels: storefrontLabels(extra), HasMigrations: true,
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name, file, event, delivery string
		want                        []ingest.Event
	}{
		{"deployment created is pending", "deployment.json", "deployment", "d-1",
			[]ingest.Event{storefront(ingest.StatusPending, "https://github.com/northwind/storefront", "Release 2024.03.2", nil, nil)}},
		{"status in_progress", "status_in_progress.json", "deployment_status", "d-2",
			[]ingest.Event{storefront(ingest.StatusInProgress, runLog, "Release 2024.03.2\n\nRolling out to 3 replicas", nil,
				map[string]string{"github_state": "in_progress"})}},
		{"status success ends at the status's updated_at", "status_success.json", "deployment_status", "d-3",
			[]ingest.Event{storefront(ingest.StatusSucceeded, runLog, "Release 2024.03.2\n\nDeployed 2024.03.2",
				ingesttest.Ptr(ingesttest.Time("2024-03-12T09:21:47Z")), map[string]string{"github_state": "success"})}},
		{"status failure, payload as a JSON string, service from payload", "status_failure.json", "deployment_status", "d-4",
			[]ingest.Event{{
				Kind: ingest.KindDeploy, Source: "github", DedupKey: "deployment:981234999", Status: ingest.StatusFailed,
				Title: "Deploy 9f86d08 of northwind/storefront to staging", Service: "checkout-api", Environment: "staging",
				StartsAt: ingesttest.Time("2024-03-13T13:58:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-03-13T14:02:11Z")),
				Commit: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", Ref: "refs/tags/v4.1.0", URL: "https://ci.northwind.example/jobs/7781",
				Labels: map[string]string{"repository": "northwind/storefront", "task": "deploy:migrations", "creator": "deploybot",
					"github_state": "failure", "service": "checkout-api"},
				HasMigrations: true,
			}}},
		{"status error, environment moved, id as string, end clamped to start", "status_error_moved.json", "deployment_status", "",
			[]ingest.Event{{
				Kind: ingest.KindDeploy, Source: "github", DedupKey: "deployment:981235100", Status: ingest.StatusFailed,
				Title: "Deploy release/4.2 of northwind/storefront to production-eu", Description: "Helm upgrade timed out",
				Service: "storefront", Environment: "production-eu",
				StartsAt: ingesttest.Time("2024-03-14T07:59:30Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-03-14T07:59:30Z")),
				Ref: "release/4.2", URL: "https://ci.northwind.example/jobs/7790/log",
				Labels: map[string]string{"repository": "northwind/storefront", "task": "deploy", "github_state": "error",
					"environment_url": "https://eu.shop.northwind.example", "original_environment": "production"},
			}}},
		{"epoch created_at, plain-string payload, unknown fields, no full_name", "deployment_odd.json", "Deployment", "d-6",
			[]ingest.Event{{
				Kind: ingest.KindDeploy, Source: "github", DedupKey: "deployment:77", Status: ingest.StatusPending,
				Title: "Deploy 0123456 of search-svc to qa", Service: "search-svc", Environment: "qa",
				StartsAt: ingesttest.Time("2024-03-15T10:53:20Z"), Commit: "0123456789abcdef0123456789abcdef01234567", Ref: "feature/search",
				URL: "https://github.example.com/retail/search-svc", Labels: map[string]string{"repository": "search-svc", "task": "deploy"},
			}}},
		{"inactive is acknowledged without events", "status_inactive.json", "deployment_status", "d-7", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Parse(ingesttest.Fixture(t, c.file), headers(c.event, c.delivery), ingest.Mapping{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ingesttest.CheckDelivery(t, d, ingest.Delivery{ID: c.delivery, Events: c.want})
		})
	}
}

func TestPingIsEmpty(t *testing.T) {
	d, err := Parse(ingesttest.Fixture(t, "ping.json"), headers("ping", "p-1"), ingest.Mapping{})
	if err != nil || d.ID != "" || d.Events != nil {
		t.Errorf("ping: %+v, %v; want an empty Delivery", d, err)
	}
	// ping is acknowledged whatever its body
	if d, err := Parse([]byte("not json"), headers("ping", ""), ingest.Mapping{}); err != nil || len(d.Events) != 0 {
		t.Errorf("ping with odd body: %+v, %v", d, err)
	}
}

// TestLifecycleSharesDedupKey: the deployment event and all its statuses
// (and redeliveries of any of them) update one event.
func TestLifecycleSharesDedupKey(t *testing.T) {
	keys := map[string]bool{}
	for _, c := range []struct{ file, event string }{
		{"deployment.json", "deployment"}, {"status_in_progress.json", "deployment_status"},
		{"status_success.json", "deployment_status"}, {"status_success.json", "deployment_status"},
	} {
		d, err := Parse(ingesttest.Fixture(t, c.file), headers(c.event, "same-delivery"), ingest.Mapping{})
		if err != nil || len(d.Events) != 1 {
			t.Fatalf("%s: %v", c.file, err)
		}
		keys[d.Events[0].DedupKey] = true
	}
	if len(keys) != 1 || !keys["deployment:981234567"] {
		t.Errorf("dedup keys = %v, want only deployment:981234567", keys)
	}
	other, _ := Parse(ingesttest.Fixture(t, "status_failure.json"), headers("deployment_status", ""), ingest.Mapping{})
	if keys[other.Events[0].DedupKey] {
		t.Error("another deployment shares the dedup key")
	}
}

func TestFormEncodedBody(t *testing.T) {
	raw := ingesttest.Fixture(t, "status_success.json")
	body := []byte("payload=" + url.QueryEscape(string(raw)))
	h := headers("deployment_status", "f-1")
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	form, err := Parse(body, h, ingest.Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := Parse(raw, headers("deployment_status", "f-1"), ingest.Mapping{})
	if !reflect.DeepEqual(form, plain) {
		t.Errorf("form-encoded delivery differs:\n%+v\n%+v", form, plain)
	}
}

func TestParseErrors(t *testing.T) {
	good := string(ingesttest.Fixture(t, "status_success.json"))
	cases := []struct {
		name, event, body, field, msg string
	}{
		{"missing event header", "", good, EventHeader, "is missing"},
		{"push event", "push", good, EventHeader, `"push" is not supported`},
		{"check_run event", "check_run", good, EventHeader, "Deployment statuses"},
		{"malformed JSON", "deployment", `{"deployment": {"id": 1,`, "", "malformed JSON"},
		{"empty body", "deployment", "  ", "", "empty body"},
		{"array body", "deployment", `[{"deployment": {}}]`, "", "expected a JSON object"},
		{"null body", "deployment", `null`, "", "not null"},
		{"no deployment", "deployment", `{"repository": {"name": "x"}}`, "deployment", "is required"},
		{"deployment is a string", "deployment", `{"deployment": "981234567"}`, "deployment", "must be an object"},
		{"no status object", "deployment_status", `{"deployment": {"id": 1, "created_at": "2024-03-12T09:15:04Z"}}`, "deployment_status", "is required"},
		{"id is an object", "deployment", `{"deployment": {"id": {"n": 1}, "created_at": "2024-03-12T09:15:04Z"}}`, "deployment.id", "string or a number"},
		{"id missing", "deployment", `{"deployment": {"created_at": "2024-03-12T09:15:04Z"}}`, "deployment.id", "is required"},
		{"sha is a number", "deployment", `{"deployment": {"id": 1, "sha": 5, "created_at": "2024-03-12T09:15:04Z"}}`, "deployment.sha", "must be a string"},
		{"creator is a string", "deployment", `{"deployment": {"id": 1, "creator": "mia", "created_at": "2024-03-12T09:15:04Z"}}`, "deployment.creator", "must be an object"},
		{"bad time", "deployment", `{"deployment": {"id": 1, "created_at": "yesterday"}}`, "deployment.created_at", "RFC 3339"},
		{"no time at all", "deployment", `{"deployment": {"id": 1}}`, "deployment.created_at", "is required"},
		{"unknown state", "deployment_status", strings.Replace(good, `"state": "success"`, `"state": "exploded"`, 1), "deployment_status.state", `"exploded" is not a deployment state`},
		{"state missing", "deployment_status", strings.Replace(good, `"state": "success",`, ``, 1), "deployment_status.state", "is required"},
		{"state is a number", "deployment_status", strings.Replace(good, `"state": "success"`, `"state": 3`, 1), "deployment_status.state", "must be a string"},
		{"repository name is a number", "deployment", `{"deployment": {"id": 1, "created_at": "2024-03-12T09:15:04Z"}, "repository": {"full_name": 7}}`, "repository.full_name", "must be a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body), headers(c.event, "x"), ingest.Mapping{})
			ingesttest.CheckError(t, err, -1, c.field, c.msg)
		})
	}
}

func TestHasMigrationsVariants(t *testing.T) {
	for payload, want := range map[string]bool{
		`{"has_migrations": true}`:            true,
		`{"has_migrations": "true"}`:          true,
		`{"has_migrations": "TRUE"}`:          true,
		`{"has_migrations": 1}`:               true,
		`{"has_migrations": false}`:           false,
		`{"has_migrations": "false"}`:         false,
		`{"migrations": ["0001_init"]}`:       true,
		`{"migrations": []}`:                  false,
		`{"migrations": true}`:                true,
		`"{\"has_migrations\": true}"`:        true,
		`"{\"has_migrations\": \"yes\"}"`:     true,
		`"has_migrations"`:                    false,
		`{}`:                                  false,
		`null`:                                false,
		`[true]`:                              false,
		`{"notes": {"has_migrations": true}}`: false,
	} {
		body := `{"deployment": {"id": 1, "created_at": "2024-03-12T09:15:04Z", "payload": ` + payload + `}, "repository": {"name": "r"}}`
		d, err := Parse([]byte(body), headers("deployment", ""), ingest.Mapping{})
		if err != nil {
			t.Errorf("%s: %v", payload, err)
			continue
		}
		if got := d.Events[0].HasMigrations; got != want {
			t.Errorf("payload %s: HasMigrations = %v, want %v", payload, got, want)
		}
	}
}

func TestLabelsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + string(rune('a'+i%26)) + strings.Repeat("x", i) + `": "` + strings.Repeat("v", 3000) + `"`)
	}
	b.WriteString(`}`)
	body := `{"deployment": {"id": 1, "created_at": "2024-03-12T09:15:04Z", "payload": ` + b.String() + `}, "repository": {"full_name": "a/b", "name": "b"}}`
	d, err := Parse([]byte(body), headers("deployment", ""), ingest.Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	l := d.Events[0].Labels
	if len(l) != ingest.MaxLabels || l["repository"] != "a/b" {
		t.Errorf("%d labels (repository %q), want %d with repository first", len(l), l["repository"], ingest.MaxLabels)
	}
	for k, v := range l {
		if len(k) > ingest.MaxLabelName || len(v) > ingest.MaxLabelValue {
			t.Errorf("label %q too long (%d)", k[:20], len(v))
		}
	}
}

var validFixtures = []struct{ file, event string }{
	{"deployment.json", "deployment"}, {"status_in_progress.json", "deployment_status"},
	{"status_success.json", "deployment_status"}, {"status_failure.json", "deployment_status"},
	{"status_error_moved.json", "deployment_status"}, {"deployment_odd.json", "deployment"},
}

func TestFixturesValidate(t *testing.T) {
	m := ingest.Mapping{
		Services:    map[string]string{"northwind/storefront": "shop-web", "search-svc": "search", "checkout-api": "checkout"},
		Severities:  map[string]string{"p0": ingest.SeverityCritical},
		Environment: "default-env",
	}
	events := map[string]string{}
	var files []string
	for _, f := range validFixtures {
		events[f.file] = f.event
		files = append(files, f.file)
	}
	got := ingesttest.CheckFixturesValidate(t, Parse, files, func(file string) http.Header { return headers(events[file], "") }, m)
	for file, w := range map[string]struct{ service, env string }{
		"deployment.json":         {"shop-web", "production"}, // renamed by full name
		"status_failure.json":     {"checkout", "staging"},    // payload label "service", renamed
		"deployment_odd.json":     {"search", "qa"},           // renamed by short name
		"status_error_moved.json": {"shop-web", "production-eu"},
	} {
		ev := got[file][0]
		if ev.Service != w.service || ev.Environment != w.env || ev.Severity != "" {
			t.Errorf("%s: service %q env %q severity %q, want %q %q \"\"", file, ev.Service, ev.Environment, ev.Severity, w.service, w.env)
		}
	}
}

func TestMappingOverride(t *testing.T) {
	// the mapping's service labels come first; the default environment fills a missing one
	m2 := ingest.Mapping{ServiceLabels: []string{"version"}, Environment: "default-env"}
	d, _ := Parse([]byte(`{"deployment": {"id": 1, "created_at": "2024-03-12T09:15:04Z", "payload": {"version": "v9"}}, "repository": {"name": "r"}}`),
		headers("deployment", ""), m2)
	ev := d.Events[0]
	m2.Apply(&ev)
	if ev.Service != "v9" || ev.Environment != "default-env" {
		t.Errorf("service %q env %q, want v9 default-env", ev.Service, ev.Environment)
	}
}

func sign256(secret string, body []byte) string {
	return "sha256=" + hex.EncodeToString(ingest.HMACSHA256(secret, body))
}

func TestVerify(t *testing.T) {
	body := ingesttest.Fixture(t, "status_success.json")
	const secret = "hs_whk_7Qm2pX9vLr4Tz8Nd"
	sha1 := "sha1=" + hex.EncodeToString(ingest.HMACSHA1(secret, body))
	cases := []struct {
		name    string
		secret  string
		headers map[string]string
		body    []byte
		ok      bool
		msg     string
	}{
		{"good sha256", secret, map[string]string{"X-Hub-Signature-256": sign256(secret, body)}, body, true, ""},
		{"good with sha1 too", secret, map[string]string{"X-Hub-Signature-256": sign256(secret, body), "X-Hub-Signature": sha1}, body, true, ""},
		{"uppercase prefix and hex", secret, map[string]string{"X-Hub-Signature-256": "SHA256=" + strings.ToUpper(sign256(secret, body)[7:])}, body, true, ""},
		{"bad signature", secret, map[string]string{"X-Hub-Signature-256": sign256("other", body)}, body, false, "X-Hub-Signature-256 does not match"},
		{"tampered body", secret, map[string]string{"X-Hub-Signature-256": sign256(secret, body)}, append([]byte(" "), body...), false, "does not match"},
		{"no prefix", secret, map[string]string{"X-Hub-Signature-256": sign256(secret, body)[7:]}, body, false, "does not match"},
		{"not hex", secret, map[string]string{"X-Hub-Signature-256": "sha256=zz"}, body, false, "does not match"},
		{"sha256 wrong, sha1 right", secret, map[string]string{"X-Hub-Signature-256": sign256("x", body), "X-Hub-Signature": sha1}, body, false, "X-Hub-Signature-256"},
		{"missing", secret, nil, body, false, "X-Hub-Signature-256 is missing"},
		{"legacy sha1 only", secret, map[string]string{"X-Hub-Signature": sha1}, body, true, ""},
		{"legacy sha1 wrong", secret, map[string]string{"X-Hub-Signature": "sha1=" + hex.EncodeToString(ingest.HMACSHA1("x", body))}, body, false, "X-Hub-Signature does not match"},
		{"rotated: signed with the old secret", "hs_whk_NEW", map[string]string{"X-Hub-Signature-256": sign256(secret, body)}, body, false, "does not match"},
		{"no secret configured", "", map[string]string{"X-Hub-Signature-256": sign256("", body)}, body, false, "no secret"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range c.headers {
				h.Set(k, v)
			}
			ingesttest.CheckVerify(t, Verify(c.secret, h, c.body, ingest.VerifyOptions{}), c.ok, c.msg, c.secret)
		})
	}
	// During a rotation the caller tries each secret: the old one still verifies.
	h := http.Header{}
	h.Set("X-Hub-Signature-256", sign256(secret, body))
	if Verify("hs_whk_NEW", h, body, ingest.VerifyOptions{}) == nil || Verify(secret, h, body, ingest.VerifyOptions{}) != nil {
		t.Error("rotation: want the old secret to verify and the new one to refuse")
	}
}

func TestSignatureHeaders(t *testing.T) {
	for _, want := range []string{"X-Hub-Signature-256", "X-Hub-Signature"} {
		found := false
		for _, h := range SignatureHeaders {
			found = found || http.CanonicalHeaderKey(h) == http.CanonicalHeaderKey(want)
		}
		if !found {
			t.Errorf("SignatureHeaders lacks %s", want)
		}
	}
}

func TestInstructions(t *testing.T) {
	s := Instructions("https://hindsight.example.com/hooks/int_42", "s3cret-value")
	var cfg struct {
		Events []string          `json:"events"`
		Config map[string]string `json:"config"`
		Active bool              `json:"active"`
	}
	if err := json.Unmarshal([]byte(s.Config), &cfg); err != nil {
		t.Fatalf("config is not JSON: %v", err)
	}
	if s.ConfigLanguage != "json" || !cfg.Active || cfg.Config["url"] != "https://hindsight.example.com/hooks/int_42" ||
		cfg.Config["secret"] != "s3cret-value" || cfg.Config["content_type"] != "json" ||
		!reflect.DeepEqual(cfg.Events, []string{"deployment", "deployment_status"}) {
		t.Errorf("config = %s", s.Config)
	}
	if len(s.Steps) == 0 || !strings.Contains(strings.Join(s.Steps, "\n"), "https://hindsight.example.com/hooks/int_42") {
		t.Errorf("steps = %v", s.Steps)
	}
}

// FuzzParse: Parse never panics; it returns an *ingest.Error or events that
// are valid after Apply and Validate.
func FuzzParse(f *testing.F) {
	for _, fx := range validFixtures {
		f.Add(ingesttest.Fixture(f, fx.file), fx.event, "application/json")
	}
	f.Add(ingesttest.Fixture(f, "status_inactive.json"), "deployment_status", "application/json")
	f.Add(ingesttest.Fixture(f, "ping.json"), "ping", "application/json")
	f.Add([]byte("payload="+url.QueryEscape(string(ingesttest.Fixture(f, "deployment.json")))), "deployment", "application/x-www-form-urlencoded")
	f.Add([]byte(`{"deployment": {"id": 1, "created_at": 1710500000, "payload": "{\"has_migrations\": \"true\"}"}}`), "deployment", "")
	f.Add([]byte(`{"deployment": {"id": "\u0000", "created_at": "0001-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}}`), "deployment", "")
	f.Fuzz(func(t *testing.T, body []byte, event, contentType string) {
		h := ingesttest.Headers(EventHeader, event, "Content-Type", contentType)
		ingesttest.CheckParseProperties(t, Parse, body, h, ingesttest.Properties{Valid: true})
	})
}
