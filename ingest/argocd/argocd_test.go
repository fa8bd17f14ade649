package argocd

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"

	"hindsight/ingest"
	"hindsight/ingest/ingesttest"
)

var update = flag.Bool("update", false, "rewrite the rendered bodies in testdata from testdata/apps")

// funcs are the two Sprig functions the template uses, as Sprig defines them.
var funcs = template.FuncMap{
	"toJson": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"pick": func(dict map[string]any, keys ...string) map[string]any {
		out := map[string]any{}
		for _, k := range keys {
			if v, ok := dict[k]; ok {
				out[k] = v
			}
		}
		return out
	},
}

// render fills the webhook body the way Argo CD's notifications engine
// does: Go text/template over {app: <the Application as unstructured
// JSON>, context: <the notifications context>}.
func render(t testing.TB, body string, app []byte, context map[string]any) []byte {
	t.Helper()
	tmpl, err := template.New("body").Funcs(funcs).Parse(body)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	var obj map[string]any
	if err := json.Unmarshal(app, &obj); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, map[string]any{"app": obj, "context": context}); err != nil {
		t.Fatalf("render: %v", err)
	}
	return out.Bytes()
}

var argoContext = map[string]any{"argocdUrl": "https://argocd.acme.example", "environmentName": "prod-cluster"}

// bodies are the rendered notifications in testdata, from the Application
// objects in testdata/apps.
var bodies = []struct {
	file    string
	context map[string]any
}{
	{"running.json", argoContext}, {"succeeded.json", argoContext}, {"failed.json", argoContext},
	{"terminated.json", argoContext}, {"multisource_error.json", map[string]any{}},
}

// TestTemplateRendersFixtures: every body fixture is exactly what the
// shipped template renders from its Application; each is valid JSON.
func TestTemplateRendersFixtures(t *testing.T) {
	for _, b := range bodies {
		got := render(t, TemplateBody, ingesttest.Fixture(t, filepath.Join("apps", b.file)), b.context)
		if !json.Valid(got) {
			t.Fatalf("%s: rendered body is not JSON:\n%s", b.file, got)
		}
		if *update {
			if err := os.WriteFile(filepath.Join("testdata", b.file), got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if want := ingesttest.Fixture(t, b.file); !bytes.Equal(got, want) {
			t.Errorf("%s: rendered body differs from testdata (go test -update to rewrite):\n%s", b.file, got)
		}
	}
}

const checkoutSHA = "e4d909c290d0fb1ca068ffaddf22cbd0e4d909c2"

func checkout(status, phase, sync, health, msg string, end *time.Time) ingest.Event {
	return ingest.Event{
		Kind: ingest.KindDeploy, Source: "argocd", DedupKey: "checkout@" + checkoutSHA + "@2024-06-03T12:30:00Z", Status: status,
		Title: "Deploy e4d909c of checkout to production", Description: msg, Service: "checkout", Environment: "production",
		StartsAt: ingesttest.Time("2024-06-03T12:30:00Z"), EndsAt: end, Commit: checkoutSHA, Ref: "main",
		URL: "https://argocd.acme.example/applications/checkout",
		Labels: map[string]string{"argocd_app": "checkout", "argocd_project": "shop", "argocd_phase": phase, "sync_status": sync,
			"health_status": health, "destination_namespace": "shop-prod", "destination_server": "https://kubernetes.default.svc",
			"repo_url": "https://git.acme.example/platform/shop-deploy.git", "initiated_by": "automated", "app_namespace": "argocd",
			"hindsight.io/has-migrations": "true", "team": "payments", "environment": "production", "tier": "1"},
		HasMigrations: true,
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		file string
		want ingest.Event
	}{
		{"running.json", checkout(ingest.StatusInProgress, "Running", "OutOfSync", "Progressing", "one or more tasks are running", nil)},
		{"succeeded.json", checkout(ingest.StatusSucceeded, "Succeeded", "Synced", "Healthy", "successfully synced (all tasks run)",
			ingesttest.Ptr(ingesttest.Time("2024-06-03T12:31:42Z")))},
		{"failed.json", ingest.Event{
			Kind: ingest.KindDeploy, Source: "argocd", DedupKey: "inventory@HEAD@2024-06-04T09:00:00Z", Status: ingest.StatusFailed,
			Title: "Deploy aaf4c61 of inventory to inventory",
			Description: "one or more objects failed to apply, reason: Deployment.apps \"inventory\" is invalid: " +
				"spec.template.spec.containers[0].image: Required value\n(retried 2 times).",
			Service: "inventory", Environment: "inventory", StartsAt: ingesttest.Time("2024-06-04T09:00:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-06-04T09:02:30Z")),
			Commit: "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", Ref: "HEAD", URL: "https://argocd.acme.example/applications/inventory",
			Labels: map[string]string{"argocd_app": "inventory", "argocd_project": "default", "argocd_phase": "Failed",
				"sync_status": "OutOfSync", "health_status": "Degraded", "destination_namespace": "inventory", "destination_name": "prod-eu",
				"repo_url": "https://github.com/acme/inventory-chart.git", "initiated_by": "admin", "app_namespace": "argocd"},
		}},
		{"terminated.json", ingest.Event{
			Kind: ingest.KindDeploy, Source: "argocd", DedupKey: "search@1b6453892473a467d07372d45eb05abc2031647a@2024-06-05T16:20:00Z",
			Status: ingest.StatusCancelled, Title: "Deploy 1b64538 of search to staging-blue", Description: "Operation terminated",
			Service: "search-backend", Environment: "staging-blue", StartsAt: ingesttest.Time("2024-06-05T16:20:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-06-05T16:21:05Z")),
			Commit: "1b6453892473a467d07372d45eb05abc2031647a", Ref: "v2.8.0", URL: "https://argocd.acme.example/applications/search",
			Labels: map[string]string{"argocd_app": "search", "argocd_project": "platform", "argocd_phase": "Failed",
				"sync_status": "OutOfSync", "health_status": "Healthy", "destination_namespace": "search",
				"destination_server": "https://10.0.0.12:6443", "repo_url": "https://git.acme.example/platform/search.git",
				"initiated_by": "jdoe@acme.example", "app_namespace": "argocd", "hindsight.io/service": "search-backend",
				"hindsight.io/environment": "staging-blue", "service": "search-api", "has_migrations": "true"},
			HasMigrations: true,
		}},
		{"multisource_error.json", ingest.Event{
			Kind: ingest.KindDeploy, Source: "argocd", DedupKey: "observability@@2024-06-06T01:00:00Z", Status: ingest.StatusFailed,
			Title: "Deploy observability to monitoring", Description: "ComparisonError: failed to load target state",
			Service: "observability", Environment: "monitoring", StartsAt: ingesttest.Time("2024-06-06T01:00:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-06-06T01:00:03Z")),
			Labels: map[string]string{"argocd_app": "observability", "argocd_project": "sre", "argocd_phase": "Error",
				"sync_status": "Unknown", "health_status": "Missing", "destination_namespace": "monitoring",
				"destination_server": "https://kubernetes.default.svc", "initiated_by": "automated", "app_namespace": "team-sre"},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			h := ingesttest.Headers("Authorization", "Bearer whatever")
			d, err := Parse(ingesttest.Fixture(t, c.file), h, ingest.Mapping{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ingesttest.CheckDelivery(t, d, ingest.Delivery{Events: []ingest.Event{c.want}})
		})
	}
}

// TestOneSyncOneKey: the Running and the finished notification of one sync
// (and a retry of either) share the dedup key; the next sync does not.
func TestOneSyncOneKey(t *testing.T) {
	key := func(body []byte) string {
		d, err := Parse(body, nil, ingest.Mapping{})
		if err != nil {
			t.Fatal(err)
		}
		return d.Events[0].DedupKey
	}
	running, succeeded := ingesttest.Fixture(t, "running.json"), ingesttest.Fixture(t, "succeeded.json")
	if key(running) != key(succeeded) || key(succeeded) != key(succeeded) {
		t.Error("one sync has several dedup keys")
	}
	next := bytes.Replace(running, []byte("2024-06-03T12:30:00Z"), []byte("2024-06-03T13:05:00Z"), 1)
	if key(next) == key(running) {
		t.Error("the next sync shares the dedup key")
	}
}

func TestPhases(t *testing.T) {
	base := string(ingesttest.Fixture(t, "succeeded.json"))
	for _, c := range []struct{ phase, message, want string }{
		{"Running", "", ingest.StatusInProgress},
		{"Succeeded", "", ingest.StatusSucceeded},
		{"Failed", "hook failed", ingest.StatusFailed},
		{"Error", "boom", ingest.StatusFailed},
		{"Terminating", "", ingest.StatusCancelled},
		{"Failed", "Operation terminated", ingest.StatusCancelled},
		{"succeeded", "", ingest.StatusSucceeded},
	} {
		body := strings.Replace(base, `"phase": "Succeeded"`, `"phase": "`+c.phase+`"`, 1)
		body = strings.Replace(body, `"message": "successfully synced (all tasks run)"`, `"message": "`+c.message+`"`, 1)
		d, err := Parse([]byte(body), nil, ingest.Mapping{})
		if err != nil {
			t.Errorf("%s: %v", c.phase, err)
			continue
		}
		ev := d.Events[0]
		if ev.Status != c.want {
			t.Errorf("%s %q: status %q, want %q", c.phase, c.message, ev.Status, c.want)
		}
		if (ev.EndsAt == nil) != (c.want == ingest.StatusInProgress) {
			t.Errorf("%s: EndsAt = %v", c.phase, ev.EndsAt)
		}
	}
}

func TestOddBodies(t *testing.T) {
	body := `{
	  "app": "billing", "phase": "Succeeded", "future_field": {"x": [1]},
	  "started_at": 1717416000, "finished_at": "1717416090000",
	  "labels": {"replicas": 3, "canary": false, "owner": null}, "annotations": null,
	  "operation_revision": null, "sync_result_revision": "v1.4.2", "destination_namespace": "billing",
	  "argocd_url": "https://argocd.acme.example/", "initiated_by": {"username": "", "automated": "true"}
	}`
	d, err := Parse([]byte(body), nil, ingest.Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	ingesttest.CheckEvent(t, d.Events[0], ingest.Event{
		Kind: ingest.KindDeploy, Source: "argocd", DedupKey: "billing@@2024-06-03T12:00:00Z", Status: ingest.StatusSucceeded,
		Title: "Deploy v1.4.2 of billing to billing", Service: "billing", Environment: "billing",
		StartsAt: ingesttest.Time("2024-06-03T12:00:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-06-03T12:01:30Z")), Commit: "v1.4.2",
		URL: "https://argocd.acme.example/applications/billing",
		Labels: map[string]string{"argocd_app": "billing", "argocd_phase": "Succeeded", "destination_namespace": "billing",
			"initiated_by": "automated", "replicas": "3", "canary": "false"},
	})
	// a finished notification without startedAt starts at finishedAt
	d, err = Parse([]byte(`{"app": "a", "phase": "Failed", "finished_at": "2024-06-03T12:00:00Z"}`), nil, ingest.Mapping{})
	if err != nil || !d.Events[0].StartsAt.Equal(ingesttest.Time("2024-06-03T12:00:00Z")) || d.Events[0].EndsAt == nil {
		t.Errorf("%+v %v", d, err)
	}
	// finishedAt before startedAt is clamped
	d, _ = Parse([]byte(`{"app": "a", "phase": "Failed", "started_at": "2024-06-03T12:00:00Z", "finished_at": "2024-06-03T11:00:00Z"}`), nil, ingest.Mapping{})
	if !d.Events[0].EndsAt.Equal(ingesttest.Time("2024-06-03T12:00:00Z")) {
		t.Errorf("EndsAt = %v", d.Events[0].EndsAt)
	}
}

func TestHasMigrations(t *testing.T) {
	for extra, want := range map[string]bool{
		`"annotations": {"hindsight.io/has-migrations": "true"}`:  true,
		`"annotations": {"hindsight.io/has-migrations": "yes"}`:   true,
		`"annotations": {"hindsight.io/has-migrations": "false"}`: false,
		`"labels": {"has_migrations": "true"}`:                    true,
		`"labels": {"has_migrations": "false"}`:                   false,
		`"labels": {"hindsight.io/has-migrations": "true"}`:       true,
		`"labels": {"migrations": "true"}`:                        false,
		`"labels": null`:                                          false,
	} {
		body := `{"app": "a", "phase": "Running", "started_at": "2024-06-03T12:00:00Z", ` + extra + `}`
		d, err := Parse([]byte(body), nil, ingest.Mapping{})
		if err != nil {
			t.Errorf("%s: %v", extra, err)
			continue
		}
		if d.Events[0].HasMigrations != want {
			t.Errorf("%s: HasMigrations = %v, want %v", extra, d.Events[0].HasMigrations, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	good := string(ingesttest.Fixture(t, "running.json"))
	cases := []struct{ name, body, field, msg string }{
		{"malformed JSON", `{"app": "checkout",`, "", "malformed JSON"},
		{"unrendered template", `{"app": {{toJson .app.metadata.name}}}`, "", "malformed JSON"},
		{"empty body", ``, "", "empty body"},
		{"array body", `[{"app": "x"}]`, "", "expected a JSON object"},
		{"catalog Slack-style body", `{"text": "Application checkout has been successfully synced"}`, "app", "hindsight-deploy"},
		{"app missing", strings.Replace(good, `"app": "checkout",`, ``, 1), "app", "is required"},
		{"app is a number", strings.Replace(good, `"app": "checkout"`, `"app": 7`, 1), "app", "must be a string"},
		{"phase missing", strings.Replace(good, `"phase": "Running",`, ``, 1), "phase", "is required"},
		{"unknown phase", strings.Replace(good, `"phase": "Running"`, `"phase": "Paused"`, 1), "phase", `"Paused" is not a sync operation phase`},
		{"started_at bad", strings.Replace(good, `"2024-06-03T12:30:00Z"`, `"soon"`, 1), "started_at", "RFC 3339"},
		{"no times", strings.Replace(good, `"started_at": "2024-06-03T12:30:00Z",`, ``, 1), "started_at", "is required"},
		{"labels a list", strings.Replace(good, `"labels": {`, `"labels": ["x"], "l": {`, 1), "labels", "must be an object"},
		{"label value an object", strings.Replace(good, `"team":"payments"`, `"team":{"name":"payments"}`, 1), "labels.team", "must be a string"},
		{"annotation value a list", `{"app": "a", "phase": "Running", "started_at": "2024-06-03T12:00:00Z", "annotations": {"hindsight.io/service": ["x"]}}`, "annotations.hindsight.io/service", "must be a string"},
		{"initiated_by a string", strings.Replace(good, `"initiated_by": {"automated":true}`, `"initiated_by": "admin"`, 1), "initiated_by", "must be an object"},
		{"username a number", `{"app": "a", "phase": "Running", "started_at": "2024-06-03T12:00:00Z", "initiated_by": {"username": 1}}`, "initiated_by.username", "must be a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body), nil, ingest.Mapping{})
			ingesttest.CheckError(t, err, -1, c.field, c.msg)
		})
	}
}

var override = ingest.Mapping{
	ServiceLabels: []string{"team"},
	Services:      map[string]string{"payments": "payments-platform", "inventory": "stock"},
	Severities:    map[string]string{"Failed": ingest.SeverityCritical},
	Environment:   "fallback",
}

func TestFixturesValidate(t *testing.T) {
	var files []string
	for _, b := range bodies {
		files = append(files, b.file)
	}
	got := ingesttest.CheckFixturesValidate(t, Parse, files, nil, override)
	for file, want := range map[string]string{"running.json": "payments-platform", "failed.json": "stock", "terminated.json": "search-backend"} {
		ev := got[file][0]
		if ev.Service != want || ev.Severity != "" || ev.Environment == "fallback" {
			t.Errorf("%s: service %q severity %q env %q, want service %q", file, ev.Service, ev.Severity, ev.Environment, want)
		}
	}
}

func TestMappingOverride(t *testing.T) {
	// the mapping's default environment fills in when nothing names one
	m := override
	d, _ := Parse([]byte(`{"app": "a", "phase": "Running", "started_at": "2024-06-03T12:00:00Z"}`), nil, m)
	ev := d.Events[0]
	m.Apply(&ev)
	if ev.Environment != "fallback" || ev.Service != "a" {
		t.Errorf("env %q service %q", ev.Environment, ev.Service)
	}
}

// TestNotificationTemplate reads the ConfigMap data the way Argo CD does
// (YAML, then each key's YAML) and renders the template's body from it.
func TestNotificationTemplate(t *testing.T) {
	const hook = "https://hindsight.example.com/hooks/int_3?x=1&y=#2"
	var patch struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal([]byte(NotificationTemplate(hook)), &patch); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, NotificationTemplate(hook))
	}
	if len(patch.Data) != 3 {
		t.Errorf("keys = %v", patch.Data)
	}
	var service struct {
		URL     string `yaml:"url"`
		Headers []struct{ Name, Value string }
	}
	if err := yaml.Unmarshal([]byte(patch.Data["service.webhook.hindsight"]), &service); err != nil {
		t.Fatal(err)
	}
	if service.URL != hook || len(service.Headers) != 2 || service.Headers[1].Name != "Authorization" ||
		service.Headers[1].Value != "Bearer $hindsight-token" {
		t.Errorf("service = %+v", service)
	}
	var tmpl struct {
		Webhook map[string]struct{ Method, Body string } `yaml:"webhook"`
	}
	if err := yaml.Unmarshal([]byte(patch.Data["template.hindsight-deploy"]), &tmpl); err != nil {
		t.Fatal(err)
	}
	wh := tmpl.Webhook["hindsight"]
	if wh.Method != "POST" || wh.Body != TemplateBody {
		t.Errorf("webhook template = %q %q", wh.Method, wh.Body)
	}
	// the body as Argo CD reads it from the ConfigMap renders the fixtures
	for _, b := range bodies {
		if got := render(t, wh.Body, ingesttest.Fixture(t, filepath.Join("apps", b.file)), b.context); !bytes.Equal(got, ingesttest.Fixture(t, b.file)) {
			t.Errorf("%s: the ConfigMap's body renders differently", b.file)
		}
	}
	var trigger []struct {
		Description any `yaml:"description"`
		When        any `yaml:"when"`
		OncePer     any `yaml:"oncePer"`
		Send        any `yaml:"send"`
	}
	if err := yaml.Unmarshal([]byte(patch.Data["trigger.on-hindsight-sync"]), &trigger); err != nil {
		t.Fatal(err)
	}
	var whens []string
	for _, c := range trigger {
		whens = append(whens, c.When.(string))
		if c.OncePer != "app.status.operationState.startedAt" || !reflect.DeepEqual(c.Send, []any{"hindsight-deploy"}) {
			t.Errorf("condition = %+v", c)
		}
	}
	all := strings.Join(whens, "\n")
	for _, phase := range []string{"'Running'", "'Succeeded'", "'Error', 'Failed'"} {
		if !strings.Contains(all, "phase in ["+phase+"]") {
			t.Errorf("no condition for %s in %v", phase, whens)
		}
	}
}

func TestInstructions(t *testing.T) {
	s := Instructions("https://hindsight.example.com/hooks/int_3", "tok-3x")
	steps := strings.Join(s.Steps, "\n")
	if s.ConfigLanguage != "yaml" || s.Config != NotificationTemplate("https://hindsight.example.com/hooks/int_3") {
		t.Errorf("config = %s", s.Config)
	}
	for _, want := range []string{`{"stringData":{"hindsight-token":"tok-3x"}}`, "argocd-notifications-cm", Subscription, AnnotationHasMigrations} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps lack %q:\n%s", want, steps)
		}
	}
	quoted := strings.Join(Instructions("https://h/hooks/1", "it's").Steps, "\n")
	if !strings.Contains(quoted, `-p '{"stringData":{"hindsight-token":"it'\''s"}}'`) {
		t.Errorf("a quote in the secret is not shell-quoted:\n%s", quoted)
	}
	if strings.Contains(s.Config, "tok-3x") {
		t.Error("the ConfigMap holds the secret; it belongs in argocd-notifications-secret")
	}
}

// FuzzParse: Parse never panics; it returns an *ingest.Error or events that
// are valid after Apply and Validate.
func FuzzParse(f *testing.F) {
	for _, b := range bodies {
		f.Add(ingesttest.Fixture(f, b.file))
	}
	f.Add([]byte(`{"app": "a", "phase": "Terminating", "started_at": 1717416000, "labels": {"has_migrations": 1}}`))
	f.Add([]byte(`{"app": "\u0000", "phase": "Failed", "finished_at": "2024-06-03T12:00:00Z", "annotations": {"hindsight.io/environment": "x"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ingesttest.CheckParseProperties(t, Parse, body, nil, ingesttest.Properties{Valid: true})
	})
}
