package generic

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"hindsight/ingest"
	"hindsight/ingest/ingesttest"
)

func apiDeploy(status, description string, end *time.Time, labels map[string]string) ingest.Event {
	return ingest.Event{
		Kind: ingest.KindDeploy, Source: "github-actions", DedupKey: "api-deploy-8841", Status: status,
		Title: "Deploy api v2.14.0 to production", Description: description, Service: "api", Environment: "production",
		StartsAt: ingesttest.Time("2024-06-04T15:02:11Z"), EndsAt: end, Commit: "4e1d9c0b7a3f25e6d8c1b0a9f7e6d5c4b3a29180",
		Ref: "refs/tags/v2.14.0", URL: "https://ci.example.com/acme/api/actions/runs/8841", Labels: labels, HasMigrations: true,
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		file string
		want []ingest.Event
	}{
		{"deploy.json", []ingest.Event{apiDeploy("succeeded", "Rolled out 12 pods; schema migration 0042_add_invoice_index applied.",
			ingesttest.Ptr(ingesttest.Time("2024-06-04T15:09:47Z")), map[string]string{"team": "platform", "runner": "ubuntu-22.04"})}},
		{"deploy_pending.json", []ingest.Event{apiDeploy("pending", "", nil, nil)}},
		{"batch.json", []ingest.Event{
			{
				// numeric dedup_key and severity; the explicit severity wins over the label; service from app
				Kind: ingest.KindAlert, Source: "cron-watchdog", DedupKey: "917", Status: "firing",
				Title: "Nightly invoice export missed", Severity: "1", Service: "billing", Environment: "production",
				StartsAt: ingesttest.Time("2024-06-05T00:00:00Z"),
				Labels:   map[string]string{"app": "billing", "env": "production", "severity": "low"},
			},
			{
				// the same alert, resolved: epoch milliseconds as a string, epoch seconds; status left to Validate
				Kind: ingest.KindAlert, Source: "cron-watchdog", DedupKey: "917", Title: "Nightly invoice export missed",
				StartsAt: ingesttest.Time("2024-06-05T00:00:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-06-05T01:00:00Z")),
			},
			{
				// kind in any case; nulls; zone offset; service and environment from labels
				Kind: ingest.KindChange, Source: "terraform", DedupKey: "tf-run-2231", Title: "Raised RDS max_connections to 800",
				Service: "db", Environment: "staging", StartsAt: ingesttest.Time("2024-06-05T00:10:00Z"),
				Labels: map[string]string{"service": "db", "environment": "staging"},
			},
			{
				// no title: kind and service
				Kind: ingest.KindNote, Source: "oncall", DedupKey: "note-55", Title: "note api", Service: "api",
				StartsAt: ingesttest.Time("2024-06-05T08:00:00Z"),
			},
			{
				// has_migrations from the label; status in any case; title from kind and service
				Kind: ingest.KindDeploy, Source: "deploy.sh", DedupKey: "worker-rel-77", Status: "in_progress", Title: "deploy worker",
				Service: "worker", StartsAt: ingesttest.Time("2024-06-05T09:30:00.25Z"),
				Labels: map[string]string{"has_migrations": "TRUE", "app": "worker"}, HasMigrations: true,
			},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			h := http.Header{}
			h.Set("Idempotency-Key", "  run-8841-attempt-2 ")
			d, err := Parse(ingesttest.Fixture(t, c.file), h, ingest.Mapping{})
			if err != nil {
				t.Fatal(err)
			}
			if d.ID != "run-8841-attempt-2" {
				t.Errorf("ID = %q", d.ID)
			}
			ingesttest.CheckEvents(t, d.Events, c.want)
			events, err := ParseEvents(ingesttest.Fixture(t, c.file))
			if err != nil || !reflect.DeepEqual(events, d.Events) {
				t.Errorf("ParseEvents differs from Parse: %v", err)
			}
			if d, _ := Parse(ingesttest.Fixture(t, c.file), nil, ingest.Mapping{}); d.ID != "" {
				t.Errorf("ID without header = %q", d.ID)
			}
		})
	}
}

// TestDeployLifecycle: status updates of one deploy share the DedupKey.
func TestDeployLifecycle(t *testing.T) {
	var keys []string
	for _, f := range []string{"deploy_pending.json", "deploy.json"} {
		events, err := ParseEvents(ingesttest.Fixture(t, f))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, events[0].DedupKey)
	}
	if keys[0] != keys[1] {
		t.Errorf("keys %v", keys)
	}
}

func TestParseErrors(t *testing.T) {
	ok := `"kind": "deploy", "source": "ci", "dedup_key": "d1", "starts_at": "2024-06-05T08:00:00Z"`
	item := func(extra string) string { return "{" + ok + extra + "}" }
	many := "[" + strings.TrimSuffix(strings.Repeat(item("")+",", MaxBatch+1), ",") + "]"
	var labels []string
	for i := range ingest.MaxLabels + 1 {
		labels = append(labels, fmt.Sprintf(`"k%d": "v"`, i))
	}
	cases := []struct {
		name, body string
		index      int
		field, msg string
	}{
		{"empty", "", -1, "", "empty body"},
		{"malformed object", `{"kind": "deploy"`, -1, "", "malformed JSON"},
		{"malformed array", `[{"kind": "deploy"},]`, -1, "", "malformed JSON"},
		{"trailing data", item("") + ` {}`, -1, "", "malformed JSON"},
		{"string body", `"deploy"`, -1, "", "expected an event object or an array"},
		{"not JSON", `kind=deploy`, -1, "", "malformed JSON"},
		{"empty array", ` [ ] `, -1, "", "no events"},
		{"too many", many, -1, "", "at most 1000"},
		{"item not object", "[" + item("") + `, 42]`, 1, "", "must be an event object, not a number"},
		{"null item", `[null]`, 0, "", "must be an event object, not null"},
		{"unknown field", item(`, "severty": "high"`), 0, "severty", `did you mean "severity"`},
		{"unknown field, other case", item(`, "Title": "x"`), 0, "Title", `did you mean "title"`},
		{"unknown field, no guess", item(`, "pipeline": {"id": 4}`), 0, "pipeline", "unknown field; the fields are kind, source"},
		{"kind number", `{"kind": 1, "source": "ci", "dedup_key": "d1", "starts_at": 1717545600}`, 0, "kind", "must be a string, not a number"},
		{"source object", "[" + item("") + `, {"kind": "note", "source": {}, "dedup_key": "d1", "starts_at": 1717545600}]`, 1, "source", "must be a string, not an object"},
		{"title array", item(`, "title": ["a"]`), 0, "title", "must be a string, not an array"},
		{"commit number", item(`, "commit": 4711`), 0, "commit", "must be a string, not a number"},
		{"dedup_key object", `{"kind": "note", "source": "ci", "dedup_key": {"id": 1}, "starts_at": 1717545600}`, 0, "dedup_key", "must be a string or a number"},
		{"severity array", item(`, "severity": []`), 0, "severity", "must be a string or a number"},
		{"kind missing", `{"source": "ci", "dedup_key": "d1", "starts_at": 1717545600}`, 0, "kind", "is required"},
		{"source missing", `{"kind": "note", "dedup_key": "d1", "starts_at": 1717545600}`, 0, "source", "is required"},
		{"source blank", `{"kind": "note", "source": "  ", "dedup_key": "d1", "starts_at": 1717545600}`, 0, "source", "is required"},
		{"dedup_key missing", `[` + item("") + `,{"kind": "note", "source": "ci", "starts_at": 1717545600}]`, 1, "dedup_key", "is required"},
		{"starts_at missing", `{"kind": "note", "source": "ci", "dedup_key": "d1"}`, 0, "starts_at", "is required"},
		{"starts_at zero", `{"kind": "note", "source": "ci", "dedup_key": "d1", "starts_at": "0001-01-01T00:00:00Z"}`, 0, "starts_at", "is required"},
		{"starts_at bad", `{"kind": "note", "source": "ci", "dedup_key": "d1", "starts_at": "June 5th"}`, 0, "starts_at", "RFC 3339"},
		{"ends_at bool", item(`, "ends_at": true`), 0, "ends_at", "RFC 3339"},
		{"labels array", item(`, "labels": ["a"]`), 0, "labels", "must be an object of strings"},
		{"label number", item(`, "labels": {"team": "a", "replicas": 3}`), 0, "labels.replicas", "must be a string, not a number"},
		{"label null", item(`, "labels": {"team": null}`), 0, "labels.team", "must be a string, not null"},
		{"label bool", item(`, "labels": {"has_migrations": true}`), 0, "labels.has_migrations", "must be a string, not a boolean"},
		{"too many labels", item(`, "labels": {` + strings.Join(labels, ", ") + `}`), 0, "labels", "at most 64"},
		{"label too long", item(`, "labels": {"stack": "` + strings.Repeat("x", ingest.MaxLabelValue+1) + `"}`), 0, "labels.stack", "longer than 1024"},
		{"label empty name", item(`, "labels": {"": "x"}`), 0, "labels", "empty name"},
		{"has_migrations string", item(`, "has_migrations": "yes"`), 0, "has_migrations", "must be true or false, not a string"},
		{"has_migrations number", item(`, "has_migrations": 1`), 0, "has_migrations", "must be true or false, not a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body), nil, ingest.Mapping{})
			ingesttest.CheckError(t, err, c.index, c.field, c.msg)
		})
	}
}

func TestBatchLimit(t *testing.T) {
	item := `{"kind": "note", "source": "ci", "dedup_key": "n", "starts_at": 1717545600}`
	body := "[" + strings.TrimSuffix(strings.Repeat(item+",", MaxBatch), ",") + "]"
	events, err := ParseEvents([]byte(body))
	if err != nil || len(events) != MaxBatch {
		t.Fatalf("%d events, %v", len(events), err)
	}
}

// TestValidateAfterParse: Parse leaves kind, status and length checks to the
// caller's Validate, which names the same item and field.
func TestValidateAfterParse(t *testing.T) {
	body := `[{"kind": "note", "source": "ci", "dedup_key": "n1", "starts_at": 1717545600},
		{"kind": "incident", "source": "ci", "dedup_key": "i1", "starts_at": 1717545600},
		{"kind": "deploy", "source": "ci", "dedup_key": "d1", "status": "done", "starts_at": 1717545600},
		{"kind": "alert", "source": "ci", "dedup_key": "a1", "starts_at": 1717545600, "ends_at": 1717500000},
		{"kind": "note", "source": "ci", "dedup_key": "n2", "title": "` + strings.Repeat("t", ingest.MaxTitle+1) + `", "starts_at": 1717545600}]`
	events, err := ParseEvents([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "kind", "status", "ends_at", "title"}
	for i := range events {
		var m ingest.Mapping
		m.Apply(&events[i])
		err := ingest.Validate(&events[i], i)
		var ie *ingest.Error
		if want[i] == "" {
			if err != nil {
				t.Errorf("event %d: %v", i, err)
			}
		} else if !errors.As(err, &ie) || ie.Field != want[i] || ie.Index != i {
			t.Errorf("event %d: err = %v, want field %s", i, err, want[i])
		}
	}
}

var validFixtures = []string{"deploy.json", "deploy_pending.json", "batch.json"}

func TestApplyValidate(t *testing.T) {
	override := ingest.Mapping{
		ServiceLabels: []string{"team"},
		Services:      map[string]string{"platform": "platform-infra", "billing": "billing-core"},
		Severities:    map[string]string{"1": ingest.SeverityCritical},
		Environment:   "staging",
	}
	got := ingesttest.CheckFixturesValidate(t, Parse, validFixtures, nil, override)
	check := func(file string, i int, service, severity, env, status string) {
		t.Helper()
		ev := got[file][i]
		if ev.Service != service || ev.Severity != severity || ev.Environment != env || ev.Status != status {
			t.Errorf("%s event %d: service %q severity %q env %q status %q, want %q %q %q %q", file, i,
				ev.Service, ev.Severity, ev.Environment, ev.Status, service, severity, env, status)
		}
	}
	check("deploy.json", 0, "platform-infra", "", "production", "succeeded") // the team label wins, then renamed
	check("deploy_pending.json", 0, "api", "", "production", "pending")
	check("batch.json", 0, "billing-core", ingest.SeverityCritical, "production", "firing")
	check("batch.json", 1, "", "", "staging", "resolved") // Validate derives resolved from ends_at
	check("batch.json", 3, "api", "", "staging", "")
}

func TestInstructions(t *testing.T) {
	s := Instructions("https://hindsight.example.com/hooks/int_9", "it's-secret")
	if len(s.Steps) == 0 || s.ConfigLanguage != "text" {
		t.Fatalf("setup: %+v", s)
	}
	for _, want := range []string{`'https://hindsight.example.com/hooks/int_9'`, `'Authorization: Bearer it'\''s-secret'`,
		`"kind": "deploy"`, `"has_migrations": true`, `%Y-%m-%dT%H:%M:%SZ`} {
		if !strings.Contains(s.Config, want) {
			t.Errorf("config lacks %s:\n%s", want, s.Config)
		}
	}
	// The JSON in the example, with the shell expansions filled in, is valid.
	start := strings.Index(s.Config, "<<EOF\n") + len("<<EOF\n")
	end := strings.LastIndex(s.Config, "EOF")
	payload := s.Config[start:end]
	payload = strings.NewReplacer("${CI_PIPELINE_ID:-1042}", "1042", "${GIT_COMMIT:-9f2c1e7d4b}", "9f2c1e7d4b",
		"${DEPLOY_STARTED_AT:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}", "2024-06-05T08:00:00Z").Replace(payload)
	events, err := ParseEvents([]byte(payload))
	if err != nil || len(events) != 1 || !events[0].HasMigrations || events[0].Kind != ingest.KindDeploy {
		t.Fatalf("example payload: %v %+v\n%s", err, events, payload)
	}
}

func FuzzParse(f *testing.F) {
	ingesttest.AddFixtures(f)
	for _, s := range []string{``, `{}`, `[]`, `[{}]`, `null`, `{"kind":"alert","source":"x","dedup_key":"k","starts_at":1,"ends_at":0.5}`,
		`{"kind":"deploy","source":"x","dedup_key":1e400,"starts_at":"2024-06-05T08:00:00Z"}`} {
		f.Add([]byte(s))
	}
	identified := ingesttest.Identified("", "")
	props := ingesttest.Properties{
		Mappings: []ingest.Mapping{{}, {ServiceLabels: []string{"team"}, Services: map[string]string{"api": "web"},
			Severities: map[string]string{"1": "critical"}, Environment: "prod"}},
		Delivery: func(t testing.TB, d ingest.Delivery) {
			if len(d.Events) == 0 || len(d.Events) > MaxBatch {
				t.Fatalf("%d events without an error", len(d.Events))
			}
			identified(t, d)
			for i, ev := range d.Events {
				if ev.Title == "" {
					t.Fatalf("event %d lacks a title: %+v", i, ev)
				}
			}
		},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ingesttest.CheckParseProperties(t, Parse, body, nil, props)
	})
}
