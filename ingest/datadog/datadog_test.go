package datadog

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
func edit(t testing.TB, name string, change func(p map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(fixture(t, name), &p); err != nil {
		t.Fatal(err)
	}
	change(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cycleLabels(transition, alertType string) map[string]string {
	return map[string]string{
		"alert_id": "148275309", "transition": transition, "alert_type": alertType, "priority": "P2",
		"metric":     "trace.http.request.duration.by.service.99p",
		"query":      "avg(last_5m):p99:trace.http.request{env:production} by {service,env} > 2",
		"event_type": "query_alert_monitor", "org_id": "123456", "aggreg_key": "5c1e9a7b3d2f4e6a8b0c1d2e3f4a5b6c",
		"env": "production", "service": "checkout", "monitor": "", "team": "payments",
	}
}

var (
	triggeredWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "cycle:7716548234011230000", Status: ingest.StatusFiring,
		Title:       "Checkout p99 latency is high",
		Description: "p99 latency for checkout is 2.41s, above the 2s threshold.\n\nRunbook: https://runbooks.example.com/checkout-latency",
		Severity:    "P2", Service: "checkout", Environment: "production", StartsAt: ts("2024-05-14T12:00:00Z"),
		URL:    "https://app.datadoghq.com/event/event?id=7716548234011234567",
		Labels: cycleLabels("Triggered", "error"),
	}
	recoveredWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "cycle:7716548234011230000", Status: ingest.StatusResolved,
		Title: "Checkout p99 latency is high", Description: "p99 latency for checkout is back to 0.84s.",
		Severity: "P2", Service: "checkout", Environment: "production",
		StartsAt: ts("2024-05-14T12:45:00Z"), EndsAt: ptr(ts("2024-05-14T12:45:00Z")),
		URL:    "https://app.datadoghq.com/event/event?id=7716548234099990001",
		Labels: cycleLabels("Recovered", "success"),
	}
)

func TestParse(t *testing.T) {
	jsonCT := headers("Content-Type", "application/json")
	cases := []struct {
		name      string
		body      []byte
		h         http.Header
		want      ingest.Delivery
		wantField string
		wantErr   bool
	}{
		{name: "triggered", body: fixture(t, "triggered.json"), h: jsonCT, want: ingest.Delivery{Events: []ingest.Event{triggeredWant}}},
		{name: "recovered shares the cycle key", body: fixture(t, "recovered.json"), h: jsonCT,
			want: ingest.Delivery{Events: []ingest.Event{recoveredWant}}},
		{
			name: "re-triggered (re-notification) keeps the key",
			body: edit(t, "triggered.json", func(p map[string]any) {
				p["alert_transition"], p["date"], p["last_updated"], p["id"] = "Re-Triggered", "1715689800000", "1715689800000", "7716548234022220000"
				p["title"] = "[P2] [Re-Triggered on {service:checkout,env:production}] Checkout p99 latency is high"
			}),
			h: jsonCT,
			want: ingest.Delivery{Events: []ingest.Event{with(triggeredWant, func(e *ingest.Event) {
				e.StartsAt = ts("2024-05-14T12:30:00Z")
				e.Labels["transition"] = "Re-Triggered"
			})}},
		},
		{
			name: "warn with an empty priority: severity from the alert type",
			body: edit(t, "triggered.json", func(p map[string]any) {
				p["alert_transition"], p["alert_type"], p["alert_priority"] = "Warn", "warning", ""
				p["alert_title"] = "[Warn on {service:checkout,env:production}] Checkout p99 latency is high"
			}),
			h: jsonCT,
			want: ingest.Delivery{Events: []ingest.Event{with(triggeredWant, func(e *ingest.Event) {
				e.Severity = "warning"
				e.Labels["transition"], e.Labels["alert_type"] = "Warn", "warning"
				delete(e.Labels, "priority")
			})}},
		},
		{
			name: "no data is firing",
			body: edit(t, "triggered.json", func(p map[string]any) { p["alert_transition"] = "No Data" }),
			h:    jsonCT,
			want: ingest.Delivery{Events: []ingest.Event{with(triggeredWant, func(e *ingest.Event) { e.Labels["transition"] = "No Data" })}},
		},
		{
			name: "unsubstituted and None variables are absent: keyed by monitor and scope",
			body: edit(t, "triggered.json", func(p map[string]any) {
				p["alert_cycle_key"], p["alert_priority"], p["hostname"], p["aggreg_key"] = "$ALERT_CYCLE_KEY", "$ALERT_PRIORITY", "None", "$AGGREG_KEY"
			}),
			h: jsonCT,
			want: ingest.Delivery{Events: []ingest.Event{with(triggeredWant, func(e *ingest.Event) {
				e.DedupKey = "monitor:148275309/env:production,service:checkout"
				e.Severity = "error"
				delete(e.Labels, "priority")
				delete(e.Labels, "aggreg_key")
			})}},
		},
		{
			name: "numbers unquoted, epoch seconds, tags as an array, host",
			body: []byte(`{"id":1,"date":1715688000,"alert_id":42,"alert_cycle_key":777,"alert_transition":"Triggered",
				"alert_title":"CPU high","hostname":"web-1","tags":["service:web","env:dev","bare"],"brand_new":{"x":1}}`),
			h: headers(),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "cycle:777", Status: ingest.StatusFiring, Title: "CPU high",
				Service: "web", Environment: "dev", StartsAt: ts("2024-05-14T12:00:00Z"),
				Labels: map[string]string{"alert_id": "42", "transition": "Triggered", "host": "web-1",
					"service": "web", "env": "dev", "bare": ""},
			}}},
		},
		{
			name: "Datadog's default payload: title-keyed, state from the title",
			body: fixture(t, "default_payload.json"),
			h:    jsonCT,
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "title:Disk usage high on db-3", Status: ingest.StatusFiring,
				Title: "Disk usage high on db-3", Description: "%%%\nDisk usage on db-3 is 93%.\n\n@webhook-hindsight\n%%%",
				StartsAt: ts("2024-05-14T12:30:00Z"),
				Labels:   map[string]string{"event_type": "metric_alert_monitor", "org_id": "123456"},
			}}},
		},
		{
			name: "no transition: [Recovered] title bracket resolves; RFC 3339 dates",
			body: []byte(`{"id":"9","title":"[P1] [Recovered] Disk usage high on db-3","date":"2024-05-14T12:50:00Z","last_updated":"2024-05-14T12:51:00Z"}`),
			h:    headers(),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "title:Disk usage high on db-3", Status: ingest.StatusResolved,
				Title: "Disk usage high on db-3", StartsAt: ts("2024-05-14T12:50:00Z"), EndsAt: ptr(ts("2024-05-14T12:51:00Z")),
			}}},
		},
		{
			name: "no transition: alert type success resolves; only an event id",
			body: []byte(`{"id":"55","date":"1715688000000","alert_type":"success","alert_transition":"$ALERT_TRANSITION"}`),
			h:    headers(),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "event:55", Status: ingest.StatusResolved,
				Title: "Datadog monitor 55", StartsAt: ts("2024-05-14T12:00:00Z"), EndsAt: ptr(ts("2024-05-14T12:00:00Z")),
				Labels: map[string]string{"alert_type": "success"},
			}}},
		},
		{
			name: "a raw newline inside a string is tolerated",
			body: []byte("{\"date\":\"1715688000000\",\"alert_cycle_key\":\"c1\",\"alert_transition\":\"Triggered\",\"alert_title\":\"Queue backlog\",\"body\":\"line one\nline two\ttab\"}"),
			h:    headers(),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "cycle:c1", Status: ingest.StatusFiring, Title: "Queue backlog",
				Description: "line one\nline two\ttab", StartsAt: ts("2024-05-14T12:00:00Z"),
				Labels: map[string]string{"transition": "Triggered"},
			}}},
		},
		{
			name: "encode as form",
			body: []byte("date=1715688000000&alert_cycle_key=c2&alert_transition=Recovered&alert_title=%5BRecovered%5D+Queue+backlog&tags=service%3Aqueue%2Cenv%3Aprod&last_updated=1715688600000"),
			h:    headers("Content-Type", "application/x-www-form-urlencoded"),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "cycle:c2", Status: ingest.StatusResolved, Title: "Queue backlog",
				Service: "queue", Environment: "prod", StartsAt: ts("2024-05-14T12:00:00Z"), EndsAt: ptr(ts("2024-05-14T12:10:00Z")),
				Labels: map[string]string{"transition": "Recovered", "service": "queue", "env": "prod"},
			}}},
		},
		{name: "no date at all", h: headers(), wantField: "date",
			body: []byte(`{"alert_cycle_key":"c","alert_transition":"Triggered","date":"$DATE","last_updated":""}`)},
		{name: "bad date", h: headers(), wantField: "date", body: []byte(`{"alert_cycle_key":"c","date":"yesterday"}`)},
		{name: "bad last_updated", h: headers(), wantField: "last_updated",
			body: []byte(`{"alert_cycle_key":"c","date":"1715688000000","last_updated":"soon"}`)},
		{name: "nothing to key on", h: headers(), wantField: "alert_cycle_key", body: []byte(`{"date":"1715688000000"}`)},
		{name: "title of the wrong type", h: headers(), wantField: "alert_title",
			body: []byte(`{"date":"1715688000000","alert_title":{"t":1}}`)},
		{name: "tags of the wrong type", h: headers(), wantField: "tags",
			body: []byte(`{"date":"1715688000000","alert_cycle_key":"c","tags":{"service":"x"}}`)},
		{name: "malformed JSON", h: jsonCT, wantErr: true, body: []byte(`{"date": "1715688000000",`)},
		{name: "JSON array", h: jsonCT, wantErr: true, body: []byte(`[{"date": "1715688000000"}]`)},
		{name: "empty body", h: jsonCT, wantErr: true, body: nil},
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

// TestPayloadTemplate renders the template the way Datadog does (every
// variable replaced by its text) and checks that it parses, and that a
// template with every variable left empty still decodes.
func TestPayloadTemplate(t *testing.T) {
	if !json.Valid([]byte(PayloadTemplate)) {
		t.Fatal("PayloadTemplate is not valid JSON")
	}
	vars := map[string]string{
		"$ID": "1", "$EVENT_TYPE": "query_alert_monitor", "$EVENT_TITLE": "[Triggered] X", "$TEXT_ONLY_MSG": "msg",
		"$DATE": "1715688000000", "$LAST_UPDATED": "1715688000000", "$LINK": "https://app.datadoghq.com/monitors/42",
		"$HOSTNAME": "h", "$TAGS": "service:s,env:e", "$ORG_ID": "9", "$ORG_NAME": "Acme", "$ALERT_ID": "42",
		"$ALERT_CYCLE_KEY": "c9", "$ALERT_TRANSITION": "Triggered", "$ALERT_TYPE": "error", "$ALERT_TITLE": "[Triggered] X",
		"$ALERT_PRIORITY": "P1", "$ALERT_STATUS": "s", "$ALERT_SCOPE": "service:s", "$ALERT_METRIC": "m", "$ALERT_QUERY": "q",
		"$AGGREG_KEY": "a",
	}
	rendered := PayloadTemplate
	for _, k := range []string{"$ALERT_CYCLE_KEY", "$ALERT_TRANSITION", "$ALERT_PRIORITY", "$ALERT_METRIC", "$ALERT_STATUS",
		"$ALERT_SCOPE", "$ALERT_QUERY", "$ALERT_TITLE", "$ALERT_TYPE", "$ALERT_ID", "$AGGREG_KEY", "$TEXT_ONLY_MSG",
		"$EVENT_TITLE", "$EVENT_TYPE", "$LAST_UPDATED", "$DATE", "$LINK", "$HOSTNAME", "$TAGS", "$ORG_ID", "$ORG_NAME", "$ID"} {
		rendered = strings.ReplaceAll(rendered, k, vars[k])
	}
	if strings.Contains(rendered, "$") {
		t.Fatalf("a variable is not covered:\n%s", rendered)
	}
	d, err := Parse([]byte(rendered), headers(), ingest.Mapping{})
	if err != nil || len(d.Events) != 1 {
		t.Fatalf("rendered template: %v %+v", err, d)
	}
	ev := d.Events[0]
	if ev.DedupKey != "cycle:c9" || ev.Title != "X" || ev.Service != "s" || ev.Environment != "e" || ev.Severity != "P1" ||
		ev.URL != "https://app.datadoghq.com/monitors/42" || ev.Labels["org_id"] != "9" || ev.Labels["host"] != "h" {
		t.Errorf("rendered template parsed to %+v", ev)
	}
	// Unrendered, the template has no date: an error naming it, not a panic.
	if _, err := Parse([]byte(PayloadTemplate), headers(), ingest.Mapping{}); err == nil || err.(*ingest.Error).Field != "date" {
		t.Errorf("unrendered template: %v", err)
	}
}

var validFixtures = []string{"triggered.json", "recovered.json", "default_payload.json"}

func TestFixturesValidate(t *testing.T) {
	override := ingest.Mapping{
		ServiceLabels: []string{"team"},
		Services:      map[string]string{"payments": "payments-api"},
		Severities:    map[string]string{"P2": ingest.SeverityCritical},
		Environment:   "production",
	}
	for _, name := range validFixtures {
		for _, m := range []ingest.Mapping{{}, override} {
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
				if m.Services == nil || name == "default_payload.json" {
					continue
				}
				if ev.Service != "payments-api" || ev.Severity != ingest.SeverityCritical || ev.Environment != "production" {
					t.Errorf("%s with mapping: service %q severity %q env %q", name, ev.Service, ev.Severity, ev.Environment)
				}
			}
		}
	}
}

func TestInstructions(t *testing.T) {
	s := Instructions("https://hindsight.example.com/hooks/int-5", "s3cret")
	if s.Config != PayloadTemplate || s.ConfigLanguage != "json" {
		t.Errorf("config is not the payload template: %+v", s)
	}
	steps := strings.Join(s.Steps, "\n")
	if !strings.Contains(steps, "https://hindsight.example.com/hooks/int-5") || !strings.Contains(steps, `{"Authorization":"Bearer s3cret"}`) {
		t.Errorf("steps lack the URL or the header:\n%s", steps)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range validFixtures {
		f.Add(fixture(f, name), "application/json")
	}
	f.Add([]byte("date=1&alert_cycle_key=%ZZ"), "application/x-www-form-urlencoded")
	f.Add([]byte("{\"date\":\"1715688000000\",\"alert_title\":\"[Recovered on {a}] [P1]\",\"body\":\"\x01\"}"), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		d, err := Parse(body, headers("Content-Type", contentType), ingest.Mapping{})
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
