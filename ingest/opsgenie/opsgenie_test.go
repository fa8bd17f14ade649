package opsgenie

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

// edit decodes a fixture, lets change modify its alert, and encodes it again.
func edit(t testing.TB, name string, change func(p, alert map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	d := json.NewDecoder(strings.NewReader(string(fixture(t, name))))
	d.UseNumber() // keep nanosecond timestamps exact
	if err := d.Decode(&p); err != nil {
		t.Fatal(err)
	}
	change(p, p["alert"].(map[string]any))
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
		Severity: "P1", Service: "checkout", Environment: "production", StartsAt: ts("2024-05-14T12:00:00.123Z"),
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
		StartsAt: ts("2024-05-14T12:00:00.123Z"),
		Labels: func() map[string]string {
			l := baseLabels("Acknowledge", "rosa@example.com")
			l["acknowledged_at"] = "2024-05-14T12:04:00Z"
			return l
		}(),
	}
	closeWant = ingest.Event{
		Kind: ingest.KindAlert, Source: Name, DedupKey: "alert:" + alertID, Status: ingest.StatusResolved,
		Title: "Checkout error rate above 5%", Severity: "P1", Service: "checkout", Environment: "production",
		StartsAt: ts("2024-05-14T12:00:00.123Z"), EndsAt: ptr(ts("2024-05-14T12:45:00.5Z")),
		Labels: baseLabels("Close", "rosa@example.com"),
	}
)

func TestParse(t *testing.T) {
	cases := []struct {
		name      string
		body      []byte
		want      ingest.Delivery
		wantField string
		wantErr   bool
	}{
		{name: "create fires", body: fixture(t, "create.json"), want: ingest.Delivery{Events: []ingest.Event{createWant}}},
		{name: "acknowledge stays firing with the same key", body: fixture(t, "acknowledge.json"),
			want: ingest.Delivery{Events: []ingest.Event{ackWant}}},
		{name: "close resolves at updatedAt (nanoseconds)", body: fixture(t, "close.json"),
			want: ingest.Delivery{Events: []ingest.Event{closeWant}}},
		{
			name: "escalate (any other action) is a firing update",
			body: edit(t, "acknowledge.json", func(p, a map[string]any) { p["action"] = "Escalate" }),
			want: ingest.Delivery{Events: []ingest.Event{with(ackWant, func(e *ingest.Event) {
				e.Labels["action"] = "Escalate"
				delete(e.Labels, "acknowledged_at")
			})}},
		},
		{
			name: "add note is a note event",
			body: fixture(t, "addnote.json"),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindNote, Source: Name, DedupKey: "note:" + alertID + ":1715689500000000789",
				Title: "Note on Checkout error rate above 5%", Description: "Rolled back payment-gateway to v41.",
				Service: "checkout", Environment: "production", StartsAt: ts("2024-05-14T12:25:00.000000789Z"),
				Labels: map[string]string{"alert_id": alertID, "tiny_id": "1872", "alias": "checkout-error-rate",
					"entity": "checkout-web", "source": "Prometheus", "action": "AddNote", "integration": "Hindsight",
					"user": "rosa@example.com", "service": "checkout", "env": "production"},
			}}},
		},
		{name: "delete is ignored", body: edit(t, "close.json", func(p, a map[string]any) { p["action"] = "Delete" }),
			want: ingest.Delivery{}},
		{
			name: "numeric priority, string times, details service, object teams, tags as a string, unknown fields",
			body: []byte(`{"action":"create","alert":{"alertId":"a1","message":"Disk full","priority":3,
				"createdAt":"2024-05-14T12:00:00Z","updatedAt":"1715688000000000000","tags":"env=staging, db",
				"teams":[{"id":"t1","name":"storage"},{"id":"t2"},7],"details":{"service":"postgres","count":4,"extra":{"a":1}},
				"somethingNew":[1,2]},"integrationName":"Hindsight","brandNew":{}}`),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "alert:a1", Status: ingest.StatusFiring, Title: "Disk full",
				Severity: "P3", Service: "postgres", Environment: "staging", StartsAt: ts("2024-05-14T12:00:00Z"),
				Labels: map[string]string{"alert_id": "a1", "priority": "P3", "action": "create", "integration": "Hindsight",
					"teams": "storage, t2, 7", "service": "postgres", "count": "4", "extra": `{"a":1}`, "env": "staging", "db": ""},
			}}},
		},
		{
			name: "no alertId: keyed by alias and start; no message: titled by alias; no tags",
			body: []byte(`{"action":"Create","alert":{"alias":"db-down","createdAt":1715688000000}}`),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "alias:db-down@2024-05-14T12:00:00Z", Status: ingest.StatusFiring,
				Title: "db-down", StartsAt: ts("2024-05-14T12:00:00Z"),
				Labels: map[string]string{"alias": "db-down", "action": "Create"},
			}}},
		},
		{
			name: "close with updatedAt before createdAt is clamped",
			body: []byte(`{"action":"Close","alert":{"alertId":"a2","message":"m","createdAt":1715688000000,"updatedAt":1715687000000000000}}`),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "alert:a2", Status: ingest.StatusResolved, Title: "m",
				StartsAt: ts("2024-05-14T12:00:00Z"), EndsAt: ptr(ts("2024-05-14T12:00:00Z")),
				Labels: map[string]string{"alert_id": "a2", "action": "Close"},
			}}},
		},
		{
			name: "close without updatedAt has no EndsAt",
			body: []byte(`{"action":"Close","alert":{"alertId":"a3","tinyId":"5","createdAt":1715688000000,"updatedAt":0}}`),
			want: ingest.Delivery{Events: []ingest.Event{{
				Kind: ingest.KindAlert, Source: Name, DedupKey: "alert:a3", Status: ingest.StatusResolved, Title: "Opsgenie alert 5",
				StartsAt: ts("2024-05-14T12:00:00Z"), Labels: map[string]string{"alert_id": "a3", "tiny_id": "5", "action": "Close"},
			}}},
		},
		{name: "no action", wantField: "action", body: []byte(`{"alert":{"alertId":"a"}}`)},
		{name: "no alert", wantField: "alert", body: []byte(`{"action":"Create"}`)},
		{name: "no alert id or alias", wantField: "alert.alertId", body: []byte(`{"action":"Create","alert":{"createdAt":1715688000000}}`)},
		{name: "no time", wantField: "alert.createdAt", body: []byte(`{"action":"Create","alert":{"alertId":"a"}}`)},
		{name: "bad createdAt", wantField: "alert.createdAt", body: []byte(`{"action":"Create","alert":{"alertId":"a","createdAt":"last tuesday"}}`)},
		{name: "updatedAt out of range", wantField: "alert.updatedAt",
			body: []byte(`{"action":"Close","alert":{"alertId":"a","createdAt":1,"updatedAt":99999999999999999999999999}}`)},
		{name: "message of the wrong type", wantField: "alert.message", body: []byte(`{"action":"Create","alert":{"alertId":"a","message":["x"]}}`)},
		{name: "tags of the wrong type", wantField: "alert.tags", body: []byte(`{"action":"Create","alert":{"alertId":"a","createdAt":1,"tags":{"a":1}}}`)},
		{name: "details of the wrong type", wantField: "alert.details", body: []byte(`{"action":"Create","alert":{"alertId":"a","details":"x"}}`)},
		{name: "alert of the wrong type", wantField: "alert", body: []byte(`{"action":"Create","alert":"a"}`)},
		{name: "malformed JSON", wantErr: true, body: []byte(`{"action":"Create",`)},
		{name: "not an object", wantErr: true, body: []byte(`"Create"`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.body, headers("Authorization", "Bearer x"), ingest.Mapping{})
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

var validFixtures = []string{"create.json", "acknowledge.json", "addnote.json", "close.json"}

func TestFixturesValidate(t *testing.T) {
	override := ingest.Mapping{
		ServiceLabels: []string{"team"},
		Services:      map[string]string{"checkout": "checkout-web", "payments": "payments-api"},
		Severities:    map[string]string{"P1": ingest.SeverityHigh},
		Environment:   "staging",
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
				if m.Services == nil {
					continue
				}
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
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"action":"AddNote","alert":{"alias":"x","createdAt":"1e3","updatedAt":"00000000000000000000001"}}`))
	f.Add([]byte(`{"action":"Close","alert":{"alertId":"x","createdAt":1.5,"updatedAt":-5,"tags":[null,1,true]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Parse(body, headers(), ingest.Mapping{})
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
