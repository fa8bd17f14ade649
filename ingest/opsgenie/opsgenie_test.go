package opsgenie

import (
	"strings"
	"testing"

	"hindsight/ingest"
	"hindsight/ingest/ingesttest"
)

// edit lets change modify a fixture and its alert.
func edit(t testing.TB, name string, change func(p, alert map[string]any)) []byte {
	t.Helper()
	return ingesttest.EditJSON(t, ingesttest.Fixture(t, name), func(p map[string]any) {
		change(p, p["alert"].(map[string]any))
	})
}

const alertID = "3e1f6a2b-8c4d-4e5f-9a0b-1c2d3e4f5a6b"

func baseLabels(action, user string) map[string]string {
	return map[string]string{
		"alert_id": alertID, "tiny_id": "1872", "alias": "checkout-error-rate", "entity": "checkout-web",
		"source": "Prometheus", "priority": "P1", "action": action, "integration": "Hindsight", "user": user,
		"service": "checkout", "env": "production", "team": "payments", "customer-facing": "",
	}
}

var (
	createWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "alert:" + alertID, Status: ingest.StatusFiring,
		Title: "Checkout error rate above 5%", Description: "Error rate 7.2% over the last 5 minutes.",
		Severity: "P1", Service: "checkout", Environment: "production", StartsAt: ingesttest.Time("2024-05-14T12:00:00.123Z"),
		Labels: func() map[string]string {
			l := baseLabels("Create", "System")
			l["teams"] = "6f8e2d1c-4b3a-4e5f-8a9b-0c1d2e3f4a5b"
			l["runbook"], l["region"] = "https://runbooks.example.com/checkout", "eu-west-1"
			return l
		}(),
	}
	ackWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "alert:" + alertID, Status: ingest.StatusFiring,
		Title: "Checkout error rate above 5%", Severity: "P1", Service: "checkout", Environment: "production",
		StartsAt: ingesttest.Time("2024-05-14T12:00:00.123Z"),
		Labels: func() map[string]string {
			l := baseLabels("Acknowledge", "rosa@example.com")
			l["acknowledged_at"] = "2024-05-14T12:04:00Z"
			return l
		}(),
	}
	closeWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "alert:" + alertID, Status: ingest.StatusResolved,
		Title: "Checkout error rate above 5%", Severity: "P1", Service: "checkout", Environment: "production",
		StartsAt: ingesttest.Time("2024-05-14T12:00:00.123Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-14T12:45:00.5Z")),
		Labels: baseLabels("Close", "rosa@example.com"),
	}
)

func TestParse(t *testing.T) {
	cases := []ingesttest.Case{
		{Name: "create fires", Body: ingesttest.Fixture(t, "create.json"), Want: ingest.Delivery{Events: []ingest.Event{createWant}}},
		{Name: "acknowledge stays firing with the same key", Body: ingesttest.Fixture(t, "acknowledge.json"),
			Want: ingest.Delivery{Events: []ingest.Event{ackWant}}},
		{Name: "close resolves at updatedAt (nanoseconds)", Body: ingesttest.Fixture(t, "close.json"),
			Want: ingest.Delivery{Events: []ingest.Event{closeWant}}},
		{
			Name: "escalate (any other action) is a firing update",
			Body: edit(t, "acknowledge.json", func(p, a map[string]any) { p["action"] = "Escalate" }),
			Want: ingest.Delivery{Events: []ingest.Event{ingesttest.With(ackWant, func(e *ingest.Event) {
				e.Labels["action"] = "Escalate"
				delete(e.Labels, "acknowledged_at")
			})}},
		},
		{
			Name: "add note is a note event",
			Body: ingesttest.Fixture(t, "addnote.json"),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindNote, Source: Name, DedupKey: "note:" + alertID + ":1715689500000000789",
				Title: "Note on Checkout error rate above 5%", Description: "Rolled back payment-gateway to v41.",
				Service: "checkout", Environment: "production", StartsAt: ingesttest.Time("2024-05-14T12:25:00.000000789Z"),
				Labels: map[string]string{"alert_id": alertID, "tiny_id": "1872", "alias": "checkout-error-rate",
					"entity": "checkout-web", "source": "Prometheus", "action": "AddNote", "integration": "Hindsight",
					"user": "rosa@example.com", "service": "checkout", "env": "production"},
			}}},
		},
		{Name: "delete is ignored", Body: edit(t, "close.json", func(p, a map[string]any) { p["action"] = "Delete" }),
			Want: ingest.Delivery{}},
		{
			Name: "numeric priority, string times, details service, object teams, tags as a string, unknown fields",
			Body: []byte(`{"action":"create","alert":{"alertId":"a1","message":"Disk full","priority":3,
				"createdAt":"2024-05-14T12:00:00Z","updatedAt":"1715688000000000000","tags":"env=staging, db",
				"teams":[{"id":"t1","name":"storage"},{"id":"t2"},7],"details":{"service":"postgres","count":4,"extra":{"a":1}},
				"somethingNew":[1,2]},"integrationName":"Hindsight","brandNew":{}}`),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "alert:a1", Status: ingest.StatusFiring, Title: "Disk full",
				Severity: "P3", Service: "postgres", Environment: "staging", StartsAt: ingesttest.Time("2024-05-14T12:00:00Z"),
				Labels: map[string]string{"alert_id": "a1", "priority": "P3", "action": "create", "integration": "Hindsight",
					"teams": "storage, t2, 7", "service": "postgres", "count": "4", "extra": `{"a":1}`, "env": "staging", "db": ""},
			}}},
		},
		{
			Name: "no alertId: keyed by alias and start; no message: titled by alias; no tags",
			Body: []byte(`{"action":"Create","alert":{"alias":"db-down","createdAt":1715688000000}}`),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "alias:db-down@2024-05-14T12:00:00Z", Status: ingest.StatusFiring,
				Title: "db-down", StartsAt: ingesttest.Time("2024-05-14T12:00:00Z"),
				Labels: map[string]string{"alias": "db-down", "action": "Create"},
			}}},
		},
		{
			Name: "close with updatedAt before createdAt is clamped",
			Body: []byte(`{"action":"Close","alert":{"alertId":"a2","message":"m","createdAt":1715688000000,"updatedAt":1715687000000000000}}`),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "alert:a2", Status: ingest.StatusResolved, Title: "m",
				StartsAt: ingesttest.Time("2024-05-14T12:00:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-14T12:00:00Z")),
				Labels: map[string]string{"alert_id": "a2", "action": "Close"},
			}}},
		},
		{
			Name: "close without updatedAt has no EndsAt",
			Body: []byte(`{"action":"Close","alert":{"alertId":"a3","tinyId":"5","createdAt":1715688000000,"updatedAt":0}}`),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "alert:a3", Status: ingest.StatusResolved, Title: "Opsgenie alert 5",
				StartsAt: ingesttest.Time("2024-05-14T12:00:00Z"), Labels: map[string]string{"alert_id": "a3", "tiny_id": "5", "action": "Close"},
			}}},
		},
		{Name: "no action", WantField: "action", Body: []byte(`{"alert":{"alertId":"a"}}`)},
		{Name: "no alert", WantField: "alert", Body: []byte(`{"action":"Create"}`)},
		{Name: "no alert id or alias", WantField: "alert.alertId", Body: []byte(`{"action":"Create","alert":{"createdAt":1715688000000}}`)},
		{Name: "no time", WantField: "alert.createdAt", Body: []byte(`{"action":"Create","alert":{"alertId":"a"}}`)},
		{Name: "bad createdAt", WantField: "alert.createdAt", Body: []byte(`{"action":"Create","alert":{"alertId":"a","createdAt":"last tuesday"}}`)},
		{Name: "updatedAt out of range", WantField: "alert.updatedAt",
			Body: []byte(`{"action":"Close","alert":{"alertId":"a","createdAt":1,"updatedAt":99999999999999999999999999}}`)},
		{Name: "message of the wrong type", WantField: "alert.message", Body: []byte(`{"action":"Create","alert":{"alertId":"a","message":["x"]}}`)},
		{Name: "tags of the wrong type", WantField: "alert.tags", Body: []byte(`{"action":"Create","alert":{"alertId":"a","createdAt":1,"tags":{"a":1}}}`)},
		{Name: "details of the wrong type", WantField: "alert.details", Body: []byte(`{"action":"Create","alert":{"alertId":"a","details":"x"}}`)},
		{Name: "alert of the wrong type", WantField: "alert", Body: []byte(`{"action":"Create","alert":"a"}`)},
		{Name: "malformed JSON", WantErr: true, Body: []byte(`{"action":"Create",`)},
		{Name: "not an object", WantErr: true, Body: []byte(`"Create"`)},
	}
	for i := range cases {
		cases[i].Header = ingesttest.Headers("Authorization", "Bearer x")
	}
	ingesttest.RunCases(t, Parse, cases)
}

var validFixtures = []string{"create.json", "acknowledge.json", "addnote.json", "close.json"}

func TestFixturesValidate(t *testing.T) {
	override := ingest.Mapping{
		ServiceLabels: []string{"team"},
		Services:      map[string]string{"checkout": "checkout-web", "payments": "payments-api"},
		Severities:    map[string]string{"P1": ingest.SeverityHigh},
		Environment:   "staging",
	}
	for name, events := range ingesttest.CheckFixturesValidate(t, Parse, validFixtures, nil, override) {
		for _, ev := range events {
			// addnote.json has no team tag: the service falls back to the tag service, renamed.
			wantService := "payments-api"
			if name == "addnote.json" {
				wantService = "checkout-web"
			}
			wantSeverity := ingest.SeverityHigh
			if ev.Kind == ingest.KindNote {
				wantSeverity = ""
			}
			if ev.Service != wantService || ev.Severity != wantSeverity || ev.Environment != "production" {
				t.Errorf("%s with mapping: service %q severity %q env %q", name, ev.Service, ev.Severity, ev.Environment)
			}
		}
	}
}

func TestInstructions(t *testing.T) {
	s := Instructions("https://hindsight.example.com/hooks/int-3", "s3cret")
	if !strings.Contains(s.Config, "https://hindsight.example.com/hooks/int-3") || !strings.Contains(s.Config, "Bearer s3cret") {
		t.Errorf("config lacks the URL or the bearer token:\n%s", s.Config)
	}
	if len(s.Steps) == 0 || s.ConfigLanguage == "" {
		t.Errorf("Instructions = %+v", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range validFixtures {
		f.Add(ingesttest.Fixture(f, name))
	}
	f.Add([]byte(`{"action":"AddNote","alert":{"alias":"x","createdAt":"1e3","updatedAt":"00000000000000000000001"}}`))
	f.Add([]byte(`{"action":"Close","alert":{"alertId":"x","createdAt":1.5,"updatedAt":-5,"tags":[null,1,true]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ingesttest.CheckParseProperties(t, Parse, body, ingesttest.Headers(), ingesttest.Properties{})
	})
}
