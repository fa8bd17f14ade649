// Package ingesttest holds what the tests of the ingest parsers share:
// reading fixtures, building expected events, comparing events field by
// field, checking errors and refusals, and the properties every parser's
// fuzz target checks. It is a normal package so that every tool's tests can
// import it; only tests import it.
package ingesttest

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

// Parser is the signature of every tool's Parse.
type Parser func(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error)

// Fixture reads the file name in the package's testdata directory.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// EditJSON decodes the JSON object body (numbers kept exact), lets change
// modify it, and encodes it again.
func EditJSON(t testing.TB, body []byte, change func(obj map[string]any)) []byte {
	t.Helper()
	var obj map[string]any
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	if err := d.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	change(obj)
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Time parses an RFC 3339 time, in UTC; it panics on a malformed one.
func Time(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// Ptr returns a pointer to t, for Event.EndsAt.
func Ptr(t time.Time) *time.Time { return &t }

// Headers builds a header from name, value pairs; a pair with an empty
// value is left out, as a header the request does not carry.
func Headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			h.Set(kv[i], kv[i+1])
		}
	}
	return h
}

// With returns a copy of e (its labels copied too) changed by change.
func With(e ingest.Event, change func(*ingest.Event)) ingest.Event {
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

// DiffEvent lists every field of got that differs from want. Times are
// compared as instants; Labels must be equal maps (nil and empty differ).
func DiffEvent(got, want ingest.Event) []string {
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
	if len(d) == 0 {
		// A field added to Event but not to the list above still counts.
		got.StartsAt, want.StartsAt, got.EndsAt, want.EndsAt = time.Time{}, time.Time{}, nil, nil
		if !reflect.DeepEqual(got, want) {
			d = append(d, fmt.Sprintf("event = %+v, want %+v", got, want))
		}
	}
	return d
}

// CheckEvent reports every field in which got differs from want.
func CheckEvent(t testing.TB, got, want ingest.Event) {
	t.Helper()
	for _, d := range DiffEvent(got, want) {
		t.Error(d)
	}
}

// CheckEvents compares two lists of events; a different length is fatal.
func CheckEvents(t testing.TB, got, want []ingest.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		for _, d := range DiffEvent(got[i], want[i]) {
			t.Errorf("event %d: %s", i, d)
		}
	}
}

// CheckDelivery compares a delivery's ID and events with want's.
func CheckDelivery(t testing.TB, got, want ingest.Delivery) {
	t.Helper()
	if got.ID != want.ID {
		t.Errorf("Delivery.ID = %q, want %q", got.ID, want.ID)
	}
	CheckEvents(t, got.Events, want.Events)
}

// CheckError asserts that err is an *ingest.Error at index naming field,
// whose message contains msg.
func CheckError(t testing.TB, err error, index int, field, msg string) {
	t.Helper()
	var ie *ingest.Error
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v (%T), want *ingest.Error", err, err)
	}
	if ie.Index != index || ie.Field != field || !strings.Contains(ie.Msg, msg) {
		t.Errorf("err = {%d %q %q}, want index %d, field %q and a message with %q", ie.Index, ie.Field, ie.Msg, index, field, msg)
	}
}

// Case is one request of a table-driven Parse test and what it gives: a
// Delivery, or (when WantErr or WantField is set) an *ingest.Error at Index
// -1 naming WantField ("" for the body as a whole).
type Case struct {
	Name      string
	Body      []byte
	Header    http.Header
	Want      ingest.Delivery
	WantField string
	WantErr   bool
}

// RunCases parses each case's body with the zero Mapping, in a subtest.
func RunCases(t *testing.T, parse Parser, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got, err := parse(c.Body, c.Header, ingest.Mapping{})
			if c.WantField != "" || c.WantErr {
				CheckError(t, err, -1, c.WantField, "")
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			CheckDelivery(t, got, c.Want)
		})
	}
}

// CheckVerify asserts what a Verify returned: nil when ok, else a refusal
// (an *ingest.AuthError, errors.Is ingest.ErrUnauthenticated) whose message
// contains msg and none of the non-empty secrets.
func CheckVerify(t testing.TB, err error, ok bool, msg string, secrets ...string) {
	t.Helper()
	if ok {
		if err != nil {
			t.Errorf("Verify: %v", err)
		}
		return
	}
	var ae *ingest.AuthError
	if !errors.As(err, &ae) || !errors.Is(err, ingest.ErrUnauthenticated) || !strings.Contains(err.Error(), msg) {
		t.Errorf("Verify = %v, want a refusal with %q", err, msg)
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the refusal reveals the secret: %v", err)
		}
	}
}

// Properties are what CheckParseProperties asserts besides its defaults.
type Properties struct {
	// Mappings are the mappings to parse with; none means the zero Mapping.
	Mappings []ingest.Mapping
	// Valid requires every event to pass Apply and Validate, for parsers
	// that promise valid events; otherwise Validate may refuse an event,
	// with an *ingest.Error.
	Valid bool
	// Delivery, when set, checks each delivery parsed without error (before
	// Apply).
	Delivery func(t testing.TB, d ingest.Delivery)
}

// CheckParseProperties asserts, for any body and header (a fuzz input),
// what every parser promises with each mapping: Parse does not panic; an
// error is an *ingest.Error; parsing again gives the same Delivery; every
// event, after Mapping.Apply, passes ingest.Validate or (unless p.Valid)
// fails it with an *ingest.Error.
func CheckParseProperties(t testing.TB, parse Parser, body []byte, h http.Header, p Properties) {
	t.Helper()
	mappings := p.Mappings
	if len(mappings) == 0 {
		mappings = []ingest.Mapping{{}}
	}
	for _, m := range mappings {
		d, err := parse(body, h, m)
		if err != nil {
			var ie *ingest.Error
			if !errors.As(err, &ie) {
				t.Fatalf("Parse error %v is %T, not *ingest.Error", err, err)
			}
			continue
		}
		if again, _ := parse(body, h, m); !reflect.DeepEqual(d, again) {
			t.Fatal("Parse is not deterministic")
		}
		if p.Delivery != nil {
			p.Delivery(t, d)
		}
		for i := range d.Events {
			ev := d.Events[i]
			m.Apply(&ev)
			if err := ingest.Validate(&ev, i); err != nil {
				var ie *ingest.Error
				if !errors.As(err, &ie) {
					t.Fatalf("Validate error %v is %T, not *ingest.Error", err, err)
				}
				if p.Valid {
					t.Fatalf("parsed event does not validate: %v\n%+v", err, ev)
				}
			}
		}
	}
}

// Applied are the events of fixtures after a mapping's Apply, by file.
type Applied map[string][]ingest.Event

// Check asserts the service, severity and environment of event i of file.
func (a Applied) Check(t testing.TB, file string, i int, service, severity, env string) {
	t.Helper()
	if i >= len(a[file]) {
		t.Fatalf("%s has no event %d", file, i)
	}
	ev := a[file][i]
	if ev.Service != service || ev.Severity != severity || ev.Environment != env {
		t.Errorf("%s event %d: service %q severity %q env %q, want %q %q %q", file, i, ev.Service, ev.Severity, ev.Environment, service, severity, env)
	}
}

// CheckFixturesValidate parses each fixture file (with the headers
// headersFor gives, when set) with the zero Mapping and with m, and checks
// that every event passes Apply and Validate with each. It returns the
// events applied with m, for the caller's own checks.
func CheckFixturesValidate(t testing.TB, parse Parser, files []string, headersFor func(file string) http.Header, m ingest.Mapping) Applied {
	t.Helper()
	applied := Applied{}
	for _, mapping := range []ingest.Mapping{{}, m} {
		for _, file := range files {
			var h http.Header
			if headersFor != nil {
				h = headersFor(file)
			}
			d, err := parse(Fixture(t, file), h, mapping)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			var events []ingest.Event
			for i := range d.Events {
				ev := d.Events[i]
				mapping.Apply(&ev)
				if err := ingest.Validate(&ev, i); err != nil {
					t.Errorf("%s event %d: %v", file, i, err)
				}
				events = append(events, ev)
			}
			applied[file] = events
		}
	}
	return applied
}

// Identified returns a Properties.Delivery check: every event has a dedup
// key and a start, and kind and source as its Kind and Source (any but ""
// when kind or source is "").
func Identified(kind, source string) func(t testing.TB, d ingest.Delivery) {
	return func(t testing.TB, d ingest.Delivery) {
		t.Helper()
		for i, ev := range d.Events {
			if ev.Kind == "" || kind != "" && ev.Kind != kind || ev.Source == "" || source != "" && ev.Source != source ||
				ev.DedupKey == "" || ev.StartsAt.IsZero() {
				t.Fatalf("event %d lacks identity: %+v", i, ev)
			}
		}
	}
}

// AddFixtures seeds the fuzz target with every JSON file in testdata.
func AddFixtures(f *testing.F) {
	f.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			f.Add(Fixture(f, e.Name()))
		}
	}
}
