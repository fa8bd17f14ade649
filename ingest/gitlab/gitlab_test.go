package gitlab

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"hindsight/ingest"
	"hindsight/ingest/ingesttest"
)

func headers(event string, extra ...string) http.Header {
	return ingesttest.Headers(append([]string{"Content-Type", "application/json", "User-Agent", "GitLab/17.6.1",
		"X-Gitlab-Instance", "https://gitlab.acme.example", "X-Gitlab-Webhook-UUID", "6b1b4e0e-0d2c-4a47-9c39-2b4c1f1f7a10",
		EventHeader, event}, extra...)...)
}

const (
	ledgerSHA = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
	ledgerJob = "https://gitlab.acme.example/acme-group/payments/ledger/-/jobs/918273"
	ledgerWeb = "https://gitlab.acme.example/acme-group/payments/ledger"
)

func ledger(status, raw string, start time.Time, end *time.Time) ingest.Event {
	return ingest.Event{
		Kind: ingest.KindDeploy, Source: "gitlab", DedupKey: "deployment:4021", Status: status,
		Title:       "Deploy a94a8fe of acme-group/payments/ledger to production",
		Description: "Post refunds to the suspense account", Service: "ledger", Environment: "production",
		StartsAt: start, EndsAt: end, Commit: ledgerSHA, Ref: "main", URL: ledgerJob,
		Labels: map[string]string{"project": "acme-group/payments/ledger", "environment_tier": "production",
			"environment_slug": "production", "environment_url": "https://ledger.acme.example", "gitlab_status": raw,
			"user": "praman", "job_id": "918273"},
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name, file string
		header     []string
		wantID     string
		want       ingest.Event
	}{
		{"running, GitLab's time layout, Idempotency-Key", "running.json",
			[]string{"Idempotency-Key", "f5e5f430-f57b-4e6e-9fac-d9128cd7232f", "X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e"},
			"f5e5f430-f57b-4e6e-9fac-d9128cd7232f",
			ledger(ingest.StatusInProgress, "running", ingesttest.Time("2024-05-06T08:00:05Z"), nil)},
		{"success ends at status_changed_at, event UUID as id", "success.json",
			[]string{"X-Gitlab-Event-UUID", "2a4f7d0e-8c61-4b53-9f0a-5d3e2c1b0a99"}, "2a4f7d0e-8c61-4b53-9f0a-5d3e2c1b0a99",
			ledger(ingest.StatusSucceeded, "success", ingesttest.Time("2024-05-06T08:04:40Z"), ingesttest.Ptr(ingesttest.Time("2024-05-06T08:04:40Z")))},
		{"failed API deployment: nulls, short sha, RFC 3339, string id, unknown fields", "failed_api.json", nil, "",
			ingest.Event{
				Kind: ingest.KindDeploy, Source: "gitlab", DedupKey: "deployment:4022", Status: ingest.StatusFailed,
				Title:       "Deploy b1946ac of acme-group/payments/ledger to review/feat-refunds",
				Description: "Refund flow behind a flag", Service: "ledger", Environment: "review/feat-refunds",
				StartsAt: ingesttest.Time("2024-05-07T08:00:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-07T08:00:00Z")),
				Commit: "b1946ac9", Ref: "feat-refunds", URL: ledgerWeb,
				Labels: map[string]string{"project": "acme-group/payments/ledger", "environment_tier": "development",
					"environment_slug": "review-feat-r-x1c2z3", "gitlab_status": "failed"},
			}},
		{"canceled, UTC layout, webhook-id as id", "canceled_utc.json", []string{"Webhook-Id", "msg_2xYz"}, "msg_2xYz",
			ingest.Event{
				Kind: ingest.KindDeploy, Source: "gitlab", DedupKey: "deployment:4030", Status: ingest.StatusCancelled,
				Title:       "Deploy c3499c2 of acme-group/payments/ledger to staging",
				Description: "Bump ledger-core to 3.2", Service: "ledger", Environment: "staging",
				StartsAt: ingesttest.Time("2024-05-08T12:00:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-08T12:00:00Z")),
				Commit: "c3499c2729730a7f807efb8676a92dcb6f8a3f8f", Ref: "v3.2.0",
				URL: "https://gitlab.acme.example/acme-group/payments/ledger/-/jobs/918400",
				Labels: map[string]string{"project": "acme-group/payments/ledger", "environment_tier": "staging",
					"environment_slug": "staging", "gitlab_status": "canceled", "user": "tbecker", "job_id": "918400"},
			}},
		{"older GitLab without deployment_id keys on the job", "old_gitlab.json", nil, "",
			ingest.Event{
				Kind: ingest.KindDeploy, Source: "gitlab", DedupKey: "job:796", Status: ingest.StatusSucceeded,
				Title: "Deploy 279484c of root/webshop to staging", Description: "Add new file", Service: "webshop",
				Environment: "staging", StartsAt: ingesttest.Time("2021-04-28T19:50:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2021-04-28T19:50:00Z")),
				Commit: "279484c09fbe69ededfced8c1bb6e6d24616b468", URL: "https://gitlab.old.example/root/webshop/-/jobs/796",
				Labels: map[string]string{"project": "root/webshop", "gitlab_status": "success", "user": "root", "job_id": "796"},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Parse(ingesttest.Fixture(t, c.file), headers("Deployment Hook", c.header...), ingest.Mapping{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ingesttest.CheckDelivery(t, d, ingest.Delivery{ID: c.wantID, Events: []ingest.Event{c.want}})
		})
	}
}

func TestStatuses(t *testing.T) {
	body := string(ingesttest.Fixture(t, "running.json"))
	for raw, want := range map[string]string{
		"created": ingest.StatusPending, "blocked": ingest.StatusPending, "running": ingest.StatusInProgress,
		"success": ingest.StatusSucceeded, "failed": ingest.StatusFailed, "canceled": ingest.StatusCancelled,
		"skipped": ingest.StatusCancelled, "SUCCESS": ingest.StatusSucceeded,
	} {
		b := strings.Replace(body, `"status": "running"`, `"status": "`+raw+`"`, 1)
		d, err := Parse([]byte(b), headers("Deployment Hook"), ingest.Mapping{})
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		ev := d.Events[0]
		if ev.Status != want {
			t.Errorf("%s: status %q, want %q", raw, ev.Status, want)
		}
		finished := want == ingest.StatusSucceeded || want == ingest.StatusFailed || want == ingest.StatusCancelled
		if (ev.EndsAt != nil) != finished {
			t.Errorf("%s: EndsAt = %v", raw, ev.EndsAt)
		}
	}
}

// TestUpdatesShareDedupKey: every status change (and a redelivery) of one
// deployment updates one event.
func TestUpdatesShareDedupKey(t *testing.T) {
	keys := map[string]bool{}
	for _, f := range []string{"running.json", "success.json", "success.json"} {
		d, err := Parse(ingesttest.Fixture(t, f), headers("Deployment Hook"), ingest.Mapping{})
		if err != nil {
			t.Fatal(err)
		}
		keys[d.Events[0].DedupKey] = true
	}
	if len(keys) != 1 || !keys["deployment:4021"] {
		t.Errorf("keys = %v", keys)
	}
}

func TestParseErrors(t *testing.T) {
	good := string(ingesttest.Fixture(t, "running.json"))
	cases := []struct {
		name, event, body, field, msg string
	}{
		{"missing event header", "", good, EventHeader, "is missing"},
		{"push hook", "Push Hook", good, EventHeader, `"Push Hook" is not supported`},
		{"pipeline hook", "Pipeline Hook", good, EventHeader, "Deployment events"},
		{"system hook", "System Hook", good, EventHeader, "not supported"},
		{"malformed JSON", "Deployment Hook", `{"object_kind": "deployment",`, "", "malformed JSON"},
		{"empty body", "Deployment Hook", ``, "", "empty body"},
		{"array body", "Deployment Hook", `[]`, "", "expected a JSON object"},
		{"other object_kind", "Deployment Hook", strings.Replace(good, `"object_kind": "deployment"`, `"object_kind": "build"`, 1), "object_kind", "not a deployment"},
		{"unknown status", "Deployment Hook", strings.Replace(good, `"status": "running"`, `"status": "paused"`, 1), "status", `"paused" is not a deployment status`},
		{"status missing", "Deployment Hook", strings.Replace(good, `"status": "running",`, ``, 1), "status", "is required"},
		{"status is a number", "Deployment Hook", strings.Replace(good, `"status": "running"`, `"status": 2`, 1), "status", "must be a string"},
		{"deployment_id is an array", "Deployment Hook", strings.Replace(good, `"deployment_id": 4021`, `"deployment_id": [4021]`, 1), "deployment_id", "string or a number"},
		{"no ids", "Deployment Hook", strings.Replace(strings.Replace(good, `"deployment_id": 4021,`, ``, 1), `"deployable_id": 918273,`, ``, 1), "deployment_id", "is required"},
		{"bad time", "Deployment Hook", strings.Replace(good, `2024-05-06 10:00:05 +0200`, `last tuesday`, 1), "status_changed_at", "RFC 3339"},
		{"time missing", "Deployment Hook", strings.Replace(good, `"status_changed_at": "2024-05-06 10:00:05 +0200",`, ``, 1), "status_changed_at", "is required"},
		{"project is a string", "Deployment Hook", strings.Replace(good, `"project": {`, `"project": "ledger", "x": {`, 1), "project", "must be an object"},
		{"project name is a number", "Deployment Hook", strings.Replace(good, `"name": "ledger"`, `"name": 311`, 1), "project.name", "must be a string"},
		{"user is a string", "Deployment Hook", strings.Replace(good, `"user": {`, `"user": "praman", "y": {`, 1), "user", "must be an object"},
		{"username is a number", "Deployment Hook", strings.Replace(good, `"username": "praman"`, `"username": 57`, 1), "user.username", "must be a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body), headers(c.event), ingest.Mapping{})
			ingesttest.CheckError(t, err, -1, c.field, c.msg)
		})
	}
}

func TestCommitFromURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://gitlab.example/g/p/-/commit/279484c09fbe69ededfced8c1bb6e6d24616b468":        "279484c09fbe69ededfced8c1bb6e6d24616b468",
		"https://gitlab.example/g/p/commit/279484C09FBE69EDEDFCED8C1BB6E6D24616B468/":         "279484c09fbe69ededfced8c1bb6e6d24616b468",
		"https://gitlab.example/g/p/-/commit/279484c09fbe69ededfced8c1bb6e6d24616b468?view=x": "279484c09fbe69ededfced8c1bb6e6d24616b468",
		"https://gitlab.example/g/p/-/commit/not-a-sha":                                       "",
		"https://gitlab.example/g/p/-/jobs/12":                                                "",
		"":                                                                                    "",
		"https://gitlab.example/g/p/-/commit/" + strings.Repeat("ab", 32):                     strings.Repeat("ab", 32),
		"https://gitlab.example/g/p/-/commit/" + strings.Repeat("ab", 33):                     "",
	} {
		if got := commitFromURL(raw); got != want {
			t.Errorf("commitFromURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

var validFixtures = []string{"running.json", "success.json", "failed_api.json", "canceled_utc.json", "old_gitlab.json"}

func TestFixturesValidate(t *testing.T) {
	m := ingest.Mapping{
		Services:    map[string]string{"acme-group/payments/ledger": "ledger-api", "webshop": "shop"},
		Severities:  map[string]string{"failed": ingest.SeverityCritical},
		Environment: "unknown-env",
	}
	got := ingesttest.CheckFixturesValidate(t, Parse, validFixtures, func(string) http.Header { return headers("Deployment Hook") }, m)
	for f, want := range map[string]string{"running.json": "ledger-api", "failed_api.json": "ledger-api", "old_gitlab.json": "shop"} {
		ev := got[f][0]
		if ev.Service != want || ev.Severity != "" || ev.Environment == "unknown-env" {
			t.Errorf("%s: service %q severity %q env %q", f, ev.Service, ev.Severity, ev.Environment)
		}
	}
}

func TestMappingOverride(t *testing.T) {
	// a service label the mapping names wins over the project
	m2 := ingest.Mapping{ServiceLabels: []string{"environment_tier"}}
	d, _ := Parse(ingesttest.Fixture(t, "running.json"), headers("Deployment Hook"), m2)
	if d.Events[0].Service != "production" {
		t.Errorf("service %q, want the environment_tier label", d.Events[0].Service)
	}
}

func signingToken(key []byte) string { return "whsec_" + base64.StdEncoding.EncodeToString(key) }

func sign(key []byte, id, ts string, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(ingest.HMACSHA256(string(key), []byte(id+"."+ts+"."), body))
}

func TestVerify(t *testing.T) {
	body := ingesttest.Fixture(t, "success.json")
	const secret = "glw-7Qm2pX9vLr4Tz8Nd"
	key := []byte("0123456789abcdef0123456789abcdef")
	whsec := signingToken(key)
	const id, ts = "f5e5f430-f57b-4e6e-9fac-d9128cd7232f", "1714982680"
	good := sign(key, id, ts, body)
	cases := []struct {
		name    string
		secret  string
		headers map[string]string
		body    []byte
		ok      bool
		msg     string
	}{
		{"token good", secret, map[string]string{"X-Gitlab-Token": secret}, body, true, ""},
		{"token wrong", secret, map[string]string{"X-Gitlab-Token": "glw-other"}, body, false, "X-Gitlab-Token does not match"},
		{"token prefix only", secret, map[string]string{"X-Gitlab-Token": secret[:5]}, body, false, "X-Gitlab-Token does not match"},
		{"token with a space", secret, map[string]string{"X-Gitlab-Token": secret + " "}, body, false, "does not match"},
		{"missing", secret, nil, body, false, "X-Gitlab-Token is missing"},
		{"rotated: the old token", "glw-NEW", map[string]string{"X-Gitlab-Token": secret}, body, false, "does not match"},
		{"no secret configured", "", map[string]string{"X-Gitlab-Token": ""}, body, false, "no secret"},
		{"signing token good", whsec, map[string]string{"Webhook-Id": id, "Webhook-Timestamp": ts, "Webhook-Signature": good}, body, true, ""},
		{"signing token, several signatures", whsec, map[string]string{"Webhook-Id": id, "Webhook-Timestamp": ts, "Webhook-Signature": "v1,AAAA " + good}, body, true, ""},
		{"signing token, wrong key", whsec, map[string]string{"Webhook-Id": id, "Webhook-Timestamp": ts, "Webhook-Signature": sign([]byte("x"), id, ts, body)}, body, false, "webhook-signature does not match"},
		{"signing token, tampered body", whsec, map[string]string{"Webhook-Id": id, "Webhook-Timestamp": ts, "Webhook-Signature": good}, append(body, ' '), false, "does not match"},
		{"signing token, other timestamp", whsec, map[string]string{"Webhook-Id": id, "Webhook-Timestamp": "1714982681", "Webhook-Signature": good}, body, false, "does not match"},
		{"signing token, v2 only", whsec, map[string]string{"Webhook-Id": id, "Webhook-Timestamp": ts, "Webhook-Signature": "v2" + good[2:]}, body, false, "does not match"},
		{"signing token, no id", whsec, map[string]string{"Webhook-Timestamp": ts, "Webhook-Signature": good}, body, false, "webhook-id"},
		{"signing token and token both right", whsec, map[string]string{"X-Gitlab-Token": whsec, "Webhook-Id": id, "Webhook-Timestamp": ts, "Webhook-Signature": good}, body, true, ""},
		{"signing token right, token wrong", whsec, map[string]string{"X-Gitlab-Token": "x", "Webhook-Id": id, "Webhook-Timestamp": ts, "Webhook-Signature": good}, body, false, "X-Gitlab-Token"},
		{"token right, signed with a token Hindsight lacks", secret, map[string]string{"X-Gitlab-Token": secret, "Webhook-Id": id, "Webhook-Timestamp": ts, "Webhook-Signature": good}, body, true, ""},
		{"signature only, secret not a signing token", secret, map[string]string{"Webhook-Id": id, "Webhook-Timestamp": ts, "Webhook-Signature": good}, body, false, "not a GitLab signing token"},
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
}

func TestSignatureHeaders(t *testing.T) {
	want := map[string]bool{"X-Gitlab-Token": true, "Webhook-Signature": true}
	for _, h := range SignatureHeaders {
		delete(want, http.CanonicalHeaderKey(h))
	}
	if len(want) != 0 {
		t.Errorf("SignatureHeaders lacks %v", want)
	}
}

func TestInstructions(t *testing.T) {
	s := Instructions("https://hindsight.example.com/hooks/int_9", "tok-123")
	var cfg map[string]any
	if err := json.Unmarshal([]byte(s.Config), &cfg); err != nil {
		t.Fatalf("config is not JSON: %v", err)
	}
	if s.ConfigLanguage != "json" || cfg["url"] != "https://hindsight.example.com/hooks/int_9" || cfg["token"] != "tok-123" ||
		cfg["deployment_events"] != true || cfg["push_events"] != false {
		t.Errorf("config = %s", s.Config)
	}
	if !strings.Contains(strings.Join(s.Steps, "\n"), "Deployment events") {
		t.Errorf("steps = %v", s.Steps)
	}
}

// FuzzParse: Parse never panics; it returns an *ingest.Error or events that
// are valid after Apply and Validate.
func FuzzParse(f *testing.F) {
	for _, fx := range validFixtures {
		f.Add(ingesttest.Fixture(f, fx), "Deployment Hook")
	}
	f.Add([]byte(`{"status": "success", "deployable_id": 1, "status_changed_at": 1714982680}`), "Deployment Hook")
	f.Add([]byte(`{"status": "running", "deployment_id": "\u0000", "status_changed_at": "2024-05-06 10:00:05 +0200", "commit_url": "/commit/abcdef0"}`), "deployment hook")
	f.Add([]byte(`{}`), "Push Hook")
	f.Fuzz(func(t *testing.T, body []byte, event string) {
		ingesttest.CheckParseProperties(t, Parse, body, ingesttest.Headers(EventHeader, event), ingesttest.Properties{Valid: true})
	})
}
