package pagerduty

import (
	"encoding/json"
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

// edit decodes a fixture, lets change modify it, and encodes it again.
func edit(t testing.TB, name string, change func(ev map[string]any, data map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(fixture(t, name), &p); err != nil {
		t.Fatal(err)
	}
	ev := p["event"].(map[string]any)
	data, _ := ev["data"].(map[string]any)
	change(ev, data)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
		StartsAt: ts("2024-05-14T12:00:04Z"), URL: "https://acme.pagerduty.com/incidents/Q3K1ZL8M2N4P6R",
		Labels: func() map[string]string {
			l := incidentLabels("incident.triggered", "triggered")
			l["agent"] = "Bookbot API"
			return l
		}(),
	}
	acknowledgedWant = with(triggeredWant, func(e *ingest.Event) {
		e.Labels = incidentLabels("incident.acknowledged", "acknowledged")
		e.Labels["acknowledged_at"] = "2024-05-14T12:03:40Z"
	})
	resolvedWant = with(triggeredWant, func(e *ingest.Event) {
		e.Status = ingest.StatusResolved
		e.EndsAt = ptr(ts("2024-05-14T12:41:00Z"))
		e.Labels = incidentLabels("incident.resolved", "resolved")
	})
)

func TestParse(t *testing.T) {
	cases := []struct {
		name      string
		body      []byte
		h         http.Header
		want      ingest.Delivery
		wantField string
		wantErr   bool
	}{
		{
			name: "triggered",
			body: fixture(t, "incident_triggered.json"),
			h:    headers(webhookIDHeader, "wh-1", "User-Agent", "PagerDuty-Webhook/V3.0"),
			want: ingest.Delivery{ID: "01EZ4K7Q2M9V8C3B6N1X5T0RJA", Events: []ingest.Event{triggeredWant}},
		},
		{
			name: "acknowledged stays firing and records the time",
			body: fixture(t, "incident_acknowledged.json"),
			h:    headers(),
			want: ingest.Delivery{ID: "01EZ4M0X8T2Y6W4Q9P7N3K5H1G", Events: []ingest.Event{acknowledgedWant}},
		},
		{
			name: "resolved shares the key and ends at occurred_at",
			body: fixture(t, "incident_resolved.json"),
			h:    headers(),
			want: ingest.Delivery{ID: "01EZ4P3D5F7H9J1K3M5N7Q9S2U", Events: []ingest.Event{resolvedWant}},
		},
		{
			name: "reopened fires again with the same key",
			body: edit(t, "incident_resolved.json", func(ev, data map[string]any) {
				ev["event_type"], ev["occurred_at"] = "incident.reopened", "2024-05-14T13:05:00Z"
				data["status"] = "triggered"
			}),
			h: headers(),
			want: ingest.Delivery{ID: "01EZ4P3D5F7H9J1K3M5N7Q9S2U", Events: []ingest.Event{with(resolvedWant, func(e *ingest.Event) {
				e.Status, e.EndsAt = ingest.StatusFiring, nil
				e.Labels["event_type"], e.Labels["status"] = "incident.reopened", "triggered"
			})}},
		},
		{
			name: "priority removed: severity falls back to urgency; no delivery id in the body uses X-Webhook-Id",
			body: edit(t, "incident_triggered.json", func(ev, data map[string]any) {
				delete(ev, "id")
				ev["event_type"] = "incident.priority_updated"
				data["priority"] = nil
				data["urgency"] = "low"
			}),
			h: headers(webhookIDHeader, "wh-7"),
			want: ingest.Delivery{ID: "wh-7", Events: []ingest.Event{with(triggeredWant, func(e *ingest.Event) {
				e.Severity = "low"
				e.Labels["urgency"], e.Labels["event_type"] = "low", "incident.priority_updated"
				delete(e.Labels, "priority")
			})}},
		},
		{
			name: "an escalation event on a resolved incident keeps it resolved",
			body: edit(t, "incident_resolved.json", func(ev, data map[string]any) {
				ev["event_type"] = "incident.escalated"
			}),
			h: headers(),
			want: ingest.Delivery{ID: "01EZ4P3D5F7H9J1K3M5N7Q9S2U", Events: []ingest.Event{with(resolvedWant, func(e *ingest.Event) {
				e.Labels["event_type"] = "incident.escalated"
			})}},
		},
		{
			name: "minimal incident: numeric ids, epoch times, no title, no service, unknown fields",
			body: []byte(`{"event":{"id":7,"event_type":"incident.triggered","occurred_at":1715688000,
				"data":{"id":12345,"type":"incident","number":9,"created_at":1715687940000,"urgency":"high","new_field":{"x":[1]}},
				"brand_new":true}}`),
			h: headers(),
			want: ingest.Delivery{ID: "7", Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "incident:12345", Status: ingest.StatusFiring,
				Title: "PagerDuty incident #9", Severity: "high", StartsAt: ts("2024-05-14T11:59:00Z"),
				Labels: map[string]string{"incident_number": "9", "urgency": "high", "event_type": "incident.triggered"},
			}}},
		},
		{
			name: "resolved without created_at starts and ends at occurred_at",
			body: []byte(`{"event":{"event_type":"incident.resolved","occurred_at":"2024-05-14T12:41:00Z",
				"data":{"id":"Q1","type":"incident","title":"x","status":"resolved"}}}`),
			h: headers(),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "incident:Q1", Status: ingest.StatusResolved, Title: "x",
				StartsAt: ts("2024-05-14T12:41:00Z"), EndsAt: ptr(ts("2024-05-14T12:41:00Z")),
				Labels: map[string]string{"status": "resolved", "event_type": "incident.resolved"},
			}}},
		},
		{
			name: "resolved with a zero occurred_at has no EndsAt",
			body: []byte(`{"event":{"event_type":"incident.resolved","occurred_at":"0001-01-01T00:00:00Z",
				"data":{"id":"Q2","type":"incident","title":"y","created_at":"2024-05-14T12:00:00Z"}}}`),
			h: headers(),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "incident:Q2", Status: ingest.StatusResolved, Title: "y",
				StartsAt: ts("2024-05-14T12:00:00Z"), Labels: map[string]string{"event_type": "incident.resolved"},
			}}},
		},
		{
			name: "note",
			body: fixture(t, "incident_annotated.json"),
			h:    headers(),
			want: ingest.Delivery{ID: "01EZ4N6B1C3D5F7G9H2J4K6L8M", Events: []ingest.Event{{
				Kind: ingest.KindNote, Source: Name, DedupKey: "note:PNT5Z9A",
				Title:       "Note on [#1423] Database connection pool exhausted",
				Description: "Raised max_connections from 100 to 200; pool recovering.",
				StartsAt:    ts("2024-05-14T12:20:17.456Z"), URL: "https://acme.pagerduty.com/incidents/Q3K1ZL8M2N4P6R",
				Labels: map[string]string{"incident_id": "Q3K1ZL8M2N4P6R", "event_type": "incident.annotated", "agent": "Rosa Diaz"},
			}}},
		},
		{
			name: "status update",
			body: []byte(`{"event":{"id":"E9","event_type":"incident.status_update_published","occurred_at":"2024-05-14T12:25:00Z",
				"data":{"incident":{"id":"Q3K1ZL8M2N4P6R","summary":"DB pool","html_url":"https://acme.pagerduty.com/incidents/Q3K1ZL8M2N4P6R"},
				"id":"PSU1","message":"Mitigated; monitoring.","type":"incident_status_update"}}}`),
			h: headers(),
			want: ingest.Delivery{ID: "E9", Events: []ingest.Event{{
				Kind: ingest.KindNote, Source: Name, DedupKey: "status_update:PSU1", Title: "Status update on DB pool",
				Description: "Mitigated; monitoring.", StartsAt: ts("2024-05-14T12:25:00Z"),
				URL:    "https://acme.pagerduty.com/incidents/Q3K1ZL8M2N4P6R",
				Labels: map[string]string{"incident_id": "Q3K1ZL8M2N4P6R", "event_type": "incident.status_update_published"},
			}}},
		},
		{name: "ping", body: fixture(t, "pagey_ping.json"), h: headers(), want: ingest.Delivery{}},
		{name: "responder added is accepted and ignored", h: headers(), want: ingest.Delivery{},
			body: []byte(`{"event":{"id":"E3","event_type":"incident.responder.added","occurred_at":"2024-05-14T12:10:00Z",
				"data":{"incident":{"id":"Q1"},"user":{"id":"PU1"},"message":"help","state":"pending","type":"incident_responder"}}}`)},
		{name: "service event is refused", h: headers(), wantField: "event.event_type",
			body: []byte(`{"event":{"id":"E4","event_type":"service.updated","resource_type":"service","occurred_at":"2024-05-14T12:10:00Z",
				"data":{"id":"PBK9A2Q","type":"service","summary":"Bookbot API"}}}`)},
		{name: "V2 webhook body is refused", h: headers(), wantField: "event",
			body: []byte(`{"messages":[{"event":"incident.trigger","incident":{"id":"Q1"}}]}`)},
		{name: "no event type", h: headers(), wantField: "event.event_type", body: []byte(`{"event":{"id":"E5","data":{}}}`)},
		{name: "incident without data", h: headers(), wantField: "event.data", body: []byte(`{"event":{"event_type":"incident.triggered"}}`)},
		{name: "incident without id", h: headers(), wantField: "event.data.id",
			body: []byte(`{"event":{"event_type":"incident.triggered","occurred_at":"2024-05-14T12:00:00Z","data":{"type":"incident"}}}`)},
		{name: "incident without any time", h: headers(), wantField: "event.data.created_at",
			body: []byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","type":"incident"}}}`)},
		{name: "bad occurred_at", h: headers(), wantField: "event.occurred_at",
			body: []byte(`{"event":{"event_type":"incident.triggered","occurred_at":"soon","data":{"id":"Q1"}}}`)},
		{name: "bad created_at", h: headers(), wantField: "event.data.created_at",
			body: []byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","created_at":[2024]}}}`)},
		{name: "title of the wrong type", h: headers(), wantField: "event.data.title",
			body: []byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","title":{"t":1}}}}`)},
		{name: "service of the wrong type", h: headers(), wantField: "event.data.service",
			body: []byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","service":"Bookbot"}}}`)},
		{name: "teams of the wrong type", h: headers(), wantField: "event.data.teams",
			body: []byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","teams":{"summary":"x"}}}}`)},
		{name: "event of the wrong type", h: headers(), wantField: "event", body: []byte(`{"event":"incident.triggered"}`)},
		{name: "note without id", h: headers(), wantField: "event.data.id",
			body: []byte(`{"event":{"event_type":"incident.annotated","occurred_at":"2024-05-14T12:00:00Z","data":{"content":"x"}}}`)},
		{name: "malformed JSON", h: headers(), wantErr: true, body: []byte(`{"event":{"id":"x",}}`)},
		{name: "empty body", h: headers(), wantErr: true, body: []byte("  ")},
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

func sign(secret string, body []byte) string {
	return fmt.Sprintf("v1=%x", ingest.HMACSHA256(secret, body))
}

func TestVerify(t *testing.T) {
	body := fixture(t, "incident_triggered.json")
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
			err := Verify(tc.secret, h, tc.body, ingest.VerifyOptions{})
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
	for _, name := range validFixtures {
		for _, m := range []ingest.Mapping{{}, {Services: map[string]string{"Bookbot API": "bookbot"}, Severities: map[string]string{"P2": "critical"}}, override} {
			d, err := Parse(fixture(t, name), headers(), m)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for i := range d.Events {
				ev := d.Events[i]
				m.Apply(&ev)
				if err := ingest.Validate(&ev, i); err != nil {
					t.Errorf("%s event %d: %v", name, i, err)
				}
				if m.Services == nil || ev.Kind != ingest.KindAlert {
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
	d, _ := Parse(fixture(t, "incident_triggered.json"), headers(), ingest.Mapping{})
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
		f.Add(fixture(f, name), "")
	}
	f.Add([]byte(`{"event":{"event_type":"incident.resolved","occurred_at":"0001-01-01T00:00:00Z","data":{"id":"1","created_at":99999999999999}}}`), "x")
	f.Add([]byte(`{"event":{"event_type":"incident.annotated","occurred_at":1,"data":{"id":"n","incident":null}}}`), "")
	f.Fuzz(func(t *testing.T, body []byte, webhookID string) {
		d, err := Parse(body, headers(webhookIDHeader, webhookID), ingest.Mapping{})
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
