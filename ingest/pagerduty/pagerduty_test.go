package pagerduty

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"hindsight/ingest"
	"hindsight/ingest/ingesttest"
)

// edit lets change modify a fixture's event and its data.
func edit(t testing.TB, name string, change func(ev map[string]any, data map[string]any)) []byte {
	t.Helper()
	return ingesttest.EditJSON(t, ingesttest.Fixture(t, name), func(p map[string]any) {
		ev := p["event"].(map[string]any)
		data, _ := ev["data"].(map[string]any)
		change(ev, data)
	})
}

func incidentLabels(typ, status string) map[string]string {
	return map[string]string{
		"incident_number": "1423", "incident_key": "bookbot-db-connections", "status": status, "urgency": "high",
		"priority": "P2", "event_type": typ, "service_id": "PBK9A2Q", "escalation_policy": "Bookbot on-call",
		"teams": "Books, Platform", "assignees": "Rosa Diaz", "agent": "Rosa Diaz",
	}
}

var (
	triggeredWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "incident:Q3K1ZL8M2N4P6R", Status: ingest.StatusFiring,
		Title: "Database connection pool exhausted", Severity: "P2", Service: "Bookbot API",
		StartsAt: ingesttest.Time("2024-05-14T12:00:04Z"), URL: "https://acme.pagerduty.com/incidents/Q3K1ZL8M2N4P6R",
		Labels: func() map[string]string {
			l := incidentLabels("incident.triggered", "triggered")
			l["agent"] = "Bookbot API"
			return l
		}(),
	}
	acknowledgedWant = ingesttest.With(triggeredWant, func(e *ingest.Event) {
		e.Labels = incidentLabels("incident.acknowledged", "acknowledged")
		e.Labels["acknowledged_at"] = "2024-05-14T12:03:40Z"
	})
	resolvedWant = ingesttest.With(triggeredWant, func(e *ingest.Event) {
		e.Status = ingest.StatusResolved
		e.EndsAt = ingesttest.Ptr(ingesttest.Time("2024-05-14T12:41:00Z"))
		e.Labels = incidentLabels("incident.resolved", "resolved")
	})
)

func TestParse(t *testing.T) {
	cases := []ingesttest.Case{
		{
			Name:   "triggered",
			Body:   ingesttest.Fixture(t, "incident_triggered.json"),
			Header: ingesttest.Headers(webhookIDHeader, "wh-1", "User-Agent", "PagerDuty-Webhook/V3.0"),
			Want:   ingest.Delivery{ID: "01EZ4K7Q2M9V8C3B6N1X5T0RJA", Events: []ingest.Event{triggeredWant}},
		},
		{
			Name:   "acknowledged stays firing and records the time",
			Body:   ingesttest.Fixture(t, "incident_acknowledged.json"),
			Header: ingesttest.Headers(),
			Want:   ingest.Delivery{ID: "01EZ4M0X8T2Y6W4Q9P7N3K5H1G", Events: []ingest.Event{acknowledgedWant}},
		},
		{
			Name:   "resolved shares the key and ends at occurred_at",
			Body:   ingesttest.Fixture(t, "incident_resolved.json"),
			Header: ingesttest.Headers(),
			Want:   ingest.Delivery{ID: "01EZ4P3D5F7H9J1K3M5N7Q9S2U", Events: []ingest.Event{resolvedWant}},
		},
		{
			Name: "reopened fires again with the same key",
			Body: edit(t, "incident_resolved.json", func(ev, data map[string]any) {
				ev["event_type"], ev["occurred_at"] = "incident.reopened", "2024-05-14T13:05:00Z"
				data["status"] = "triggered"
			}),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{ID: "01EZ4P3D5F7H9J1K3M5N7Q9S2U", Events: []ingest.Event{ingesttest.With(resolvedWant, func(e *ingest.Event) {
				e.Status, e.EndsAt = ingest.StatusFiring, nil
				e.Labels["event_type"], e.Labels["status"] = "incident.reopened", "triggered"
			})}},
		},
		{
			Name: "priority removed: severity falls back to urgency; no delivery id in the body uses X-Webhook-Id",
			Body: edit(t, "incident_triggered.json", func(ev, data map[string]any) {
				delete(ev, "id")
				ev["event_type"] = "incident.priority_updated"
				data["priority"] = nil
				data["urgency"] = "low"
			}),
			Header: ingesttest.Headers(webhookIDHeader, "wh-7"),
			Want: ingest.Delivery{ID: "wh-7", Events: []ingest.Event{ingesttest.With(triggeredWant, func(e *ingest.Event) {
				e.Severity = "low"
				e.Labels["urgency"], e.Labels["event_type"] = "low", "incident.priority_updated"
				delete(e.Labels, "priority")
			})}},
		},
		{
			Name: "an escalation event on a resolved incident keeps it resolved",
			Body: edit(t, "incident_resolved.json", func(ev, data map[string]any) {
				ev["event_type"] = "incident.escalated"
			}),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{ID: "01EZ4P3D5F7H9J1K3M5N7Q9S2U", Events: []ingest.Event{ingesttest.With(resolvedWant, func(e *ingest.Event) {
				e.Labels["event_type"] = "incident.escalated"
			})}},
		},
		{
			Name: "minimal incident: numeric ids, epoch times, no title, no service, unknown fields",
			Body: []byte(`{"event":{"id":7,"event_type":"incident.triggered","occurred_at":1715688000,
				"data":{"id":12345,"type":"incident","number":9,"created_at":1715687940000,"urgency":"high","new_field":{"x":[1]}},
				"brand_new":true}}`),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{ID: "7", Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "incident:12345", Status: ingest.StatusFiring,
				Title: "PagerDuty incident #9", Severity: "high", StartsAt: ingesttest.Time("2024-05-14T11:59:00Z"),
				Labels: map[string]string{"incident_number": "9", "urgency": "high", "event_type": "incident.triggered"},
			}}},
		},
		{
			Name: "resolved without created_at starts and ends at occurred_at",
			Body: []byte(`{"event":{"event_type":"incident.resolved","occurred_at":"2024-05-14T12:41:00Z",
				"data":{"id":"Q1","type":"incident","title":"x","status":"resolved"}}}`),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "incident:Q1", Status: ingest.StatusResolved, Title: "x",
				StartsAt: ingesttest.Time("2024-05-14T12:41:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-14T12:41:00Z")),
				Labels: map[string]string{"status": "resolved", "event_type": "incident.resolved"},
			}}},
		},
		{
			Name: "resolved with a zero occurred_at has no EndsAt",
			Body: []byte(`{"event":{"event_type":"incident.resolved","occurred_at":"0001-01-01T00:00:00Z",
				"data":{"id":"Q2","type":"incident","title":"y","created_at":"2024-05-14T12:00:00Z"}}}`),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "incident:Q2", Status: ingest.StatusResolved, Title: "y",
				StartsAt: ingesttest.Time("2024-05-14T12:00:00Z"), Labels: map[string]string{"event_type": "incident.resolved"},
			}}},
		},
		{
			Name:   "note",
			Body:   ingesttest.Fixture(t, "incident_annotated.json"),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{ID: "01EZ4N6B1C3D5F7G9H2J4K6L8M", Events: []ingest.Event{{
				Kind: ingest.KindNote, Source: Name, DedupKey: "note:PNT5Z9A",
				Title:       "Note on [#1423] Database connection pool exhausted",
				Description: "Raised max_connections from 100 to 200; pool recovering.",
				StartsAt:    ingesttest.Time("2024-05-14T12:20:17.456Z"), URL: "https://acme.pagerduty.com/incidents/Q3K1ZL8M2N4P6R",
				Labels: map[string]string{"incident_id": "Q3K1ZL8M2N4P6R", "event_type": "incident.annotated", "agent": "Rosa Diaz"},
			}}},
		},
		{
			Name: "status update",
			Body: []byte(`{"event":{"id":"E9","event_type":"incident.status_update_published","occurred_at":"2024-05-14T12:25:00Z",
				"data":{"incident":{"id":"Q3K1ZL8M2N4P6R","summary":"DB pool","html_url":"https://acme.pagerduty.com/incidents/Q3K1ZL8M2N4P6R"},
				"id":"PSU1","message":"Mitigated; monitoring.","type":"incident_status_update"}}}`),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{ID: "E9", Events: []ingest.Event{{
				Kind: ingest.KindNote, Source: Name, DedupKey: "status_update:PSU1", Title: "Status update on DB pool",
				Description: "Mitigated; monitoring.", StartsAt: ingesttest.Time("2024-05-14T12:25:00Z"),
				URL:    "https://acme.pagerduty.com/incidents/Q3K1ZL8M2N4P6R",
				Labels: map[string]string{"incident_id": "Q3K1ZL8M2N4P6R", "event_type": "incident.status_update_published"},
			}}},
		},
		{Name: "ping", Body: ingesttest.Fixture(t, "pagey_ping.json"), Header: ingesttest.Headers(), Want: ingest.Delivery{}},
		{Name: "responder added is accepted and ignored", Header: ingesttest.Headers(), Want: ingest.Delivery{},
			Body: []byte(`{"event":{"id":"E3","event_type":"incident.responder.added","occurred_at":"2024-05-14T12:10:00Z",
				"data":{"incident":{"id":"Q1"},"user":{"id":"PU1"},"message":"help","state":"pending","type":"incident_responder"}}}`)},
		{Name: "service event is refused", Header: ingesttest.Headers(), WantField: "event.event_type",
			Body: []byte(`{"event":{"id":"E4","event_type":"service.updated","resource_type":"service","occurred_at":"2024-05-14T12:10:00Z",
				"data":{"id":"PBK9A2Q","type":"service","summary":"Bookbot API"}}}`)},
		{Name: "V2 webhook body is refused", Header: ingesttest.Headers(), WantField: "event",
			Body: []byte(`{"messages":[{"event":"incident.trigger","incident":{"id":"Q1"}}]}`)},
		{Name: "no event type", Header: ingesttest.Headers(), WantField: "event.event_type", Body: []byte(`{"event":{"id":"E5","data":{}}}`)},
		{Name: "incident without data", Header: ingesttest.Headers(), WantField: "event.data", Body: []byte(`{"event":{"event_type":"incident.triggered"}}`)},
		{Name: "incident without id", Header: ingesttest.Headers(), WantField: "event.data.id",
			Body: []byte(`{"event":{"event_type":"incident.triggered","occurred_at":"2024-05-14T12:00:00Z","data":{"type":"incident"}}}`)},
		{Name: "incident without any time", Header: ingesttest.Headers(), WantField: "event.data.created_at",
			Body: []byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","type":"incident"}}}`)},
		{Name: "bad occurred_at", Header: ingesttest.Headers(), WantField: "event.occurred_at",
			Body: []byte(`{"event":{"event_type":"incident.triggered","occurred_at":"soon","data":{"id":"Q1"}}}`)},
		{Name: "bad created_at", Header: ingesttest.Headers(), WantField: "event.data.created_at",
			Body: []byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","created_at":[2024]}}}`)},
		{Name: "title of the wrong type", Header: ingesttest.Headers(), WantField: "event.data.title",
			Body: []byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","title":{"t":1}}}}`)},
		{Name: "service of the wrong type", Header: ingesttest.Headers(), WantField: "event.data.service",
			Body: []byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","service":"Bookbot"}}}`)},
		{Name: "teams of the wrong type", Header: ingesttest.Headers(), WantField: "event.data.teams",
			Body: []byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","teams":{"summary":"x"}}}}`)},
		{Name: "event of the wrong type", Header: ingesttest.Headers(), WantField: "event", Body: []byte(`{"event":"incident.triggered"}`)},
		{Name: "note without id", Header: ingesttest.Headers(), WantField: "event.data.id",
			Body: []byte(`{"event":{"event_type":"incident.annotated","occurred_at":"2024-05-14T12:00:00Z","data":{"content":"x"}}}`)},
		{Name: "malformed JSON", Header: ingesttest.Headers(), WantErr: true, Body: []byte(`{"event":{"id":"x",}}`)},
		{Name: "empty body", Header: ingesttest.Headers(), WantErr: true, Body: []byte("  ")},
	}
	ingesttest.RunCases(t, Parse, cases)
}

func sign(secret string, body []byte) string {
	return fmt.Sprintf("v1=%x", ingest.HMACSHA256(secret, body))
}

func TestVerify(t *testing.T) {
	body := ingesttest.Fixture(t, "incident_triggered.json")
	const secret, old = "Vq3nP8sT2xK7mR4wZ9bF6hJ1cL5dG0aE", "oldSecretBeforeRotation000000000"
	cases := []struct {
		name, secret string
		values       []string
		body         []byte
		ok           bool
	}{
		{"good", secret, []string{sign(secret, body)}, body, true},
		{"rotation: new secret second", secret, []string{sign(old, body) + "," + sign(secret, body)}, body, true},
		{"rotation: new secret first, spaces", secret, []string{sign(secret, body) + " , " + sign(old, body)}, body, true},
		{"rotation in two header lines", secret, []string{sign(old, body), sign(secret, body)}, body, true},
		{"only the old secret", secret, []string{sign(old, body)}, body, false},
		{"body changed", secret, []string{sign(secret, body)}, append(body, '\n'), false},
		{"unknown version only", secret, []string{strings.Replace(sign(secret, body), "v1=", "v2=", 1)}, body, false},
		{"bare hex without v1=", secret, []string{strings.TrimPrefix(sign(secret, body), "v1=")}, body, false},
		{"garbage", secret, []string{"v1=zz,v1="}, body, false},
		{"missing", secret, nil, body, false},
		{"empty", secret, []string{" "}, body, false},
		{"no secret configured", "", []string{sign("", body)}, body, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add(signatureHeader, v)
			}
			ingesttest.CheckVerify(t, Verify(tc.secret, h, tc.body, ingest.VerifyOptions{}), tc.ok, signatureHeader, tc.secret)
		})
	}
	if !reflect.DeepEqual(SignatureHeaders, []string{"X-PagerDuty-Signature"}) {
		t.Errorf("SignatureHeaders = %v", SignatureHeaders)
	}
}

var validFixtures = []string{"incident_triggered.json", "incident_acknowledged.json", "incident_resolved.json",
	"incident_annotated.json", "pagey_ping.json"}

func TestFixturesValidate(t *testing.T) {
	override := ingest.Mapping{
		ServiceLabels: []string{"teams"},
		Services:      map[string]string{"Bookbot API": "bookbot", "Books, Platform": "books"},
		Severities:    map[string]string{"P2": ingest.SeverityCritical},
		Environment:   "production",
	}
	partial := ingest.Mapping{Services: map[string]string{"Bookbot API": "bookbot"}, Severities: map[string]string{"P2": "critical"}}
	for _, m := range []ingest.Mapping{partial, override} {
		for name, events := range ingesttest.CheckFixturesValidate(t, Parse, validFixtures, nil, m) {
			for _, ev := range events {
				if ev.Kind != ingest.KindAlert {
					continue
				}
				wantService := "bookbot"
				if m.ServiceLabels != nil {
					wantService = "books"
				}
				if ev.Service != wantService || ev.Severity != ingest.SeverityCritical {
					t.Errorf("%s with mapping: service %q severity %q", name, ev.Service, ev.Severity)
				}
				if m.Environment != "" && ev.Environment != "production" {
					t.Errorf("%s with mapping: environment %q", name, ev.Environment)
				}
			}
		}
	}
	// Without a mapping, P2 normalises to high and the urgency "low" to info.
	d, _ := Parse(ingesttest.Fixture(t, "incident_triggered.json"), ingesttest.Headers(), ingest.Mapping{})
	ev := d.Events[0]
	ingest.Mapping{}.Apply(&ev)
	if ev.Severity != ingest.SeverityHigh {
		t.Errorf("P2 normalised to %q", ev.Severity)
	}
}

func TestInstructions(t *testing.T) {
	s := Instructions("https://hindsight.example.com/hooks/int-9", "s3cret")
	var sub map[string]any
	if err := json.Unmarshal([]byte(s.Config), &sub); err != nil || s.ConfigLanguage != "json" {
		t.Fatalf("config is not JSON: %v\n%s", err, s.Config)
	}
	if !strings.Contains(s.Config, `"url": "https://hindsight.example.com/hooks/int-9"`) {
		t.Errorf("config lacks the URL:\n%s", s.Config)
	}
	if !strings.Contains(strings.Join(s.Steps, "\n"), "signing secret") {
		t.Error("the steps must say to copy the signing secret into Hindsight")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range validFixtures {
		f.Add(ingesttest.Fixture(f, name), "")
	}
	f.Add([]byte(`{"event":{"event_type":"incident.resolved","occurred_at":"0001-01-01T00:00:00Z","data":{"id":"1","created_at":99999999999999}}}`), "x")
	f.Add([]byte(`{"event":{"event_type":"incident.annotated","occurred_at":1,"data":{"id":"n","incident":null}}}`), "")
	f.Fuzz(func(t *testing.T, body []byte, webhookID string) {
		ingesttest.CheckParseProperties(t, Parse, body, ingesttest.Headers(webhookIDHeader, webhookID), ingesttest.Properties{})
	})
}
