package datadog

import (
	"encoding/json"
	"strings"
	"testing"

	"hindsight/ingest"
	"hindsight/ingest/ingesttest"
)

// edit lets change modify a fixture.
func edit(t testing.TB, name string, change func(p map[string]any)) []byte {
	t.Helper()
	return ingesttest.EditJSON(t, ingesttest.Fixture(t, name), change)
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
		Severity:    "P2", Service: "checkout", Environment: "production", StartsAt: ingesttest.Time("2024-05-14T12:00:00Z"),
		URL:    "https://app.datadoghq.com/event/event?id=7716548234011234567",
		Labels: cycleLabels("Triggered", "error"),
	}
	recoveredWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "cycle:7716548234011230000", Status: ingest.StatusResolved,
		Title: "Checkout p99 latency is high", Description: "p99 latency for checkout is back to 0.84s.",
		Severity: "P2", Service: "checkout", Environment: "production",
		StartsAt: ingesttest.Time("2024-05-14T12:45:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-14T12:45:00Z")),
		URL:    "https://app.datadoghq.com/event/event?id=7716548234099990001",
		Labels: cycleLabels("Recovered", "success"),
	}
)

func TestParse(t *testing.T) {
	jsonCT := ingesttest.Headers("Content-Type", "application/json")
	cases := []ingesttest.Case{
		{Name: "triggered", Body: ingesttest.Fixture(t, "triggered.json"), Header: jsonCT, Want: ingest.Delivery{Events: []ingest.Event{triggeredWant}}},
		{Name: "recovered shares the cycle key", Body: ingesttest.Fixture(t, "recovered.json"), Header: jsonCT,
			Want: ingest.Delivery{Events: []ingest.Event{recoveredWant}}},
		{
			Name: "re-triggered (re-notification) keeps the key",
			Body: edit(t, "triggered.json", func(p map[string]any) {
				p["alert_transition"], p["date"], p["last_updated"], p["id"] = "Re-Triggered", "1715689800000", "1715689800000", "7716548234022220000"
				p["title"] = "[P2] [Re-Triggered on {service:checkout,env:production}] Checkout p99 latency is high"
			}),
			Header: jsonCT,
			Want: ingest.Delivery{Events: []ingest.Event{ingesttest.With(triggeredWant, func(e *ingest.Event) {
				e.StartsAt = ingesttest.Time("2024-05-14T12:30:00Z")
				e.Labels["transition"] = "Re-Triggered"
			})}},
		},
		{
			Name: "warn with an empty priority: severity from the alert type",
			Body: edit(t, "triggered.json", func(p map[string]any) {
				p["alert_transition"], p["alert_type"], p["alert_priority"] = "Warn", "warning", ""
				p["alert_title"] = "[Warn on {service:checkout,env:production}] Checkout p99 latency is high"
			}),
			Header: jsonCT,
			Want: ingest.Delivery{Events: []ingest.Event{ingesttest.With(triggeredWant, func(e *ingest.Event) {
				e.Severity = "warning"
				e.Labels["transition"], e.Labels["alert_type"] = "Warn", "warning"
				delete(e.Labels, "priority")
			})}},
		},
		{
			Name:   "no data is firing",
			Body:   edit(t, "triggered.json", func(p map[string]any) { p["alert_transition"] = "No Data" }),
			Header: jsonCT,
			Want:   ingest.Delivery{Events: []ingest.Event{ingesttest.With(triggeredWant, func(e *ingest.Event) { e.Labels["transition"] = "No Data" })}},
		},
		{
			Name: "unsubstituted and None variables are absent: keyed by monitor and scope",
			Body: edit(t, "triggered.json", func(p map[string]any) {
				p["alert_cycle_key"], p["alert_priority"], p["hostname"], p["aggreg_key"] = "$ALERT_CYCLE_KEY", "$ALERT_PRIORITY", "None", "$AGGREG_KEY"
			}),
			Header: jsonCT,
			Want: ingest.Delivery{Events: []ingest.Event{ingesttest.With(triggeredWant, func(e *ingest.Event) {
				e.DedupKey = "monitor:148275309/env:production,service:checkout"
				e.Severity = "error"
				delete(e.Labels, "priority")
				delete(e.Labels, "aggreg_key")
			})}},
		},
		{
			Name: "numbers unquoted, epoch seconds, tags as an array, host",
			Body: []byte(`{"id":1,"date":1715688000,"alert_id":42,"alert_cycle_key":777,"alert_transition":"Triggered",
				"alert_title":"CPU high","hostname":"web-1","tags":["service:web","env:dev","bare"],"brand_new":{"x":1}}`),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "cycle:777", Status: ingest.StatusFiring, Title: "CPU high",
				Service: "web", Environment: "dev", StartsAt: ingesttest.Time("2024-05-14T12:00:00Z"),
				Labels: map[string]string{"alert_id": "42", "transition": "Triggered", "host": "web-1",
					"service": "web", "env": "dev", "bare": ""},
			}}},
		},
		{
			Name:   "Datadog's default payload: title-keyed, state from the title",
			Body:   ingesttest.Fixture(t, "default_payload.json"),
			Header: jsonCT,
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "title:Disk usage high on db-3", Status: ingest.StatusFiring,
				Title: "Disk usage high on db-3", Description: "%%%\nDisk usage on db-3 is 93%.\n\n@webhook-hindsight\n%%%",
				StartsAt: ingesttest.Time("2024-05-14T12:30:00Z"),
				Labels:   map[string]string{"event_type": "metric_alert_monitor", "org_id": "123456"},
			}}},
		},
		{
			Name:   "no transition: [Recovered] title bracket resolves; RFC 3339 dates",
			Body:   []byte(`{"id":"9","title":"[P1] [Recovered] Disk usage high on db-3","date":"2024-05-14T12:50:00Z","last_updated":"2024-05-14T12:51:00Z"}`),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "title:Disk usage high on db-3", Status: ingest.StatusResolved,
				Title: "Disk usage high on db-3", StartsAt: ingesttest.Time("2024-05-14T12:50:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-14T12:51:00Z")),
			}}},
		},
		{
			Name:   "no transition: alert type success resolves; only an event id",
			Body:   []byte(`{"id":"55","date":"1715688000000","alert_type":"success","alert_transition":"$ALERT_TRANSITION"}`),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "event:55", Status: ingest.StatusResolved,
				Title: "Datadog monitor 55", StartsAt: ingesttest.Time("2024-05-14T12:00:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-14T12:00:00Z")),
				Labels: map[string]string{"alert_type": "success"},
			}}},
		},
		{
			Name:   "a raw newline inside a string is tolerated",
			Body:   []byte("{\"date\":\"1715688000000\",\"alert_cycle_key\":\"c1\",\"alert_transition\":\"Triggered\",\"alert_title\":\"Queue backlog\",\"body\":\"line one\nline two\ttab\"}"),
			Header: ingesttest.Headers(),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "cycle:c1", Status: ingest.StatusFiring, Title: "Queue backlog",
				Description: "line one\nline two\ttab", StartsAt: ingesttest.Time("2024-05-14T12:00:00Z"),
				Labels: map[string]string{"transition": "Triggered"},
			}}},
		},
		{
			Name:   "encode as form",
			Body:   []byte("date=1715688000000&alert_cycle_key=c2&alert_transition=Recovered&alert_title=%5BRecovered%5D+Queue+backlog&tags=service%3Aqueue%2Cenv%3Aprod&last_updated=1715688600000"),
			Header: ingesttest.Headers("Content-Type", "application/x-www-form-urlencoded"),
			Want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "cycle:c2", Status: ingest.StatusResolved, Title: "Queue backlog",
				Service: "queue", Environment: "prod", StartsAt: ingesttest.Time("2024-05-14T12:00:00Z"), EndsAt: ingesttest.Ptr(ingesttest.Time("2024-05-14T12:10:00Z")),
				Labels: map[string]string{"transition": "Recovered", "service": "queue", "env": "prod"},
			}}},
		},
		{Name: "no date at all", Header: ingesttest.Headers(), WantField: "date",
			Body: []byte(`{"alert_cycle_key":"c","alert_transition":"Triggered","date":"$DATE","last_updated":""}`)},
		{Name: "bad date", Header: ingesttest.Headers(), WantField: "date", Body: []byte(`{"alert_cycle_key":"c","date":"yesterday"}`)},
		{Name: "bad last_updated", Header: ingesttest.Headers(), WantField: "last_updated",
			Body: []byte(`{"alert_cycle_key":"c","date":"1715688000000","last_updated":"soon"}`)},
		{Name: "nothing to key on", Header: ingesttest.Headers(), WantField: "alert_cycle_key", Body: []byte(`{"date":"1715688000000"}`)},
		{Name: "title of the wrong type", Header: ingesttest.Headers(), WantField: "alert_title",
			Body: []byte(`{"date":"1715688000000","alert_title":{"t":1}}`)},
		{Name: "tags of the wrong type", Header: ingesttest.Headers(), WantField: "tags",
			Body: []byte(`{"date":"1715688000000","alert_cycle_key":"c","tags":{"service":"x"}}`)},
		{Name: "malformed JSON", Header: jsonCT, WantErr: true, Body: []byte(`{"date": "1715688000000",`)},
		{Name: "JSON array", Header: jsonCT, WantErr: true, Body: []byte(`[{"date": "1715688000000"}]`)},
		{Name: "empty body", Header: jsonCT, WantErr: true, Body: nil},
	}
	ingesttest.RunCases(t, Parse, cases)
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
	d, err := Parse([]byte(rendered), ingesttest.Headers(), ingest.Mapping{})
	if err != nil || len(d.Events) != 1 {
		t.Fatalf("rendered template: %v %+v", err, d)
	}
	ev := d.Events[0]
	if ev.DedupKey != "cycle:c9" || ev.Title != "X" || ev.Service != "s" || ev.Environment != "e" || ev.Severity != "P1" ||
		ev.URL != "https://app.datadoghq.com/monitors/42" || ev.Labels["org_id"] != "9" || ev.Labels["host"] != "h" {
		t.Errorf("rendered template parsed to %+v", ev)
	}
	// Unrendered, the template has no date: an error naming it, not a panic.
	if _, err := Parse([]byte(PayloadTemplate), ingesttest.Headers(), ingest.Mapping{}); err == nil || err.(*ingest.Error).Field != "date" {
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
	for name, events := range ingesttest.CheckFixturesValidate(t, Parse, validFixtures, nil, override) {
		if name == "default_payload.json" {
			continue
		}
		for _, ev := range events {
			if ev.Service != "payments-api" || ev.Severity != ingest.SeverityCritical || ev.Environment != "production" {
				t.Errorf("%s with mapping: service %q severity %q env %q", name, ev.Service, ev.Severity, ev.Environment)
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
		f.Add(ingesttest.Fixture(f, name), "application/json")
	}
	f.Add([]byte("date=1&alert_cycle_key=%ZZ"), "application/x-www-form-urlencoded")
	f.Add([]byte("{\"date\":\"1715688000000\",\"alert_title\":\"[Recovered on {a}] [P1]\",\"body\":\"\x01\"}"), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		ingesttest.CheckParseProperties(t, Parse, body, ingesttest.Headers("Content-Type", contentType), ingesttest.Properties{})
	})
}
