package ingesttest

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"hindsight/ingest"
)

// recorder is a testing.TB that records failures instead of failing, so
// that the checks can be shown to fail.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper()           {}
func (r *recorder) Error(args ...any) { r.msgs = append(r.msgs, fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, a ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatal(args ...any)              { r.Error(args...); runtime.Goexit() }
func (r *recorder) Fatalf(format string, a ...any) { r.Errorf(format, a...); runtime.Goexit() }

// failures runs check with a recorder and returns what it reported.
func failures(t *testing.T, check func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r.msgs
}

// expect asserts that check fails (with a message containing want) or,
// when want is "", passes.
func expect(t *testing.T, name, want string, check func(tb testing.TB)) {
	t.Helper()
	msgs := failures(t, check)
	switch {
	case want == "" && len(msgs) > 0:
		t.Errorf("%s: unexpected failure %q", name, msgs)
	case want != "" && (len(msgs) == 0 || !strings.Contains(strings.Join(msgs, "\n"), want)):
		t.Errorf("%s: failures %q, want one with %q", name, msgs, want)
	}
}

func event() ingest.Event {
	return ingest.Event{Kind: ingest.KindAlert, Source: "s", DedupKey: "k", Title: "t", StartsAt: Time("2024-05-14T12:00:00Z"),
		EndsAt: Ptr(Time("2024-05-14T13:00:00Z")), Labels: map[string]string{"a": "b"}}
}

func TestCheckEvent(t *testing.T) {
	want := event()
	expect(t, "equal", "", func(tb testing.TB) { CheckEvent(tb, event(), want) })
	expect(t, "same instant in another zone", "", func(tb testing.TB) {
		CheckEvent(tb, With(want, func(e *ingest.Event) { e.StartsAt = e.StartsAt.In(time.FixedZone("X", 3600)) }), want)
	})
	for field, change := range map[string]func(*ingest.Event){
		"Title":         func(e *ingest.Event) { e.Title = "other" },
		"StartsAt":      func(e *ingest.Event) { e.StartsAt = e.StartsAt.Add(time.Nanosecond) },
		"EndsAt":        func(e *ingest.Event) { e.EndsAt = nil },
		"Labels":        func(e *ingest.Event) { e.Labels = map[string]string{} },
		"HasMigrations": func(e *ingest.Event) { e.HasMigrations = true },
		"Commit":        func(e *ingest.Event) { e.Commit = "abc" },
	} {
		expect(t, field, field+" = ", func(tb testing.TB) { CheckEvent(tb, With(want, change), want) })
	}
	if want.Labels["a"] != "b" || len(want.Labels) != 1 {
		t.Error("With changed the original's labels")
	}
}

func TestCheckDelivery(t *testing.T) {
	d := ingest.Delivery{ID: "1", Events: []ingest.Event{event()}}
	expect(t, "equal", "", func(tb testing.TB) { CheckDelivery(tb, d, d) })
	expect(t, "id", "Delivery.ID", func(tb testing.TB) { CheckDelivery(tb, ingest.Delivery{Events: d.Events}, d) })
	expect(t, "count", "got 0 events, want 1", func(tb testing.TB) { CheckDelivery(tb, ingest.Delivery{ID: "1"}, d) })
}

func TestCheckError(t *testing.T) {
	err := ingest.Errorf(2, "f", "must be a string")
	expect(t, "match", "", func(tb testing.TB) { CheckError(tb, err, 2, "f", "a string") })
	expect(t, "index", "want index 1", func(tb testing.TB) { CheckError(tb, err, 1, "f", "") })
	expect(t, "field", `field "g"`, func(tb testing.TB) { CheckError(tb, err, 2, "g", "") })
	expect(t, "message", "a message with", func(tb testing.TB) { CheckError(tb, err, 2, "f", "a number") })
	expect(t, "nil", "want *ingest.Error", func(tb testing.TB) { CheckError(tb, nil, 2, "f", "") })
	expect(t, "other error", "want *ingest.Error", func(tb testing.TB) { CheckError(tb, errors.New("x"), 2, "f", "") })
}

func TestCheckVerify(t *testing.T) {
	refusal := ingest.Refuse("X-Sig does not match")
	expect(t, "accepted", "", func(tb testing.TB) { CheckVerify(tb, nil, true, "") })
	expect(t, "refused, want accepted", "Verify", func(tb testing.TB) { CheckVerify(tb, refusal, true, "") })
	expect(t, "refused", "", func(tb testing.TB) { CheckVerify(tb, refusal, false, "X-Sig", "s3cret") })
	expect(t, "accepted, want refused", "want a refusal", func(tb testing.TB) { CheckVerify(tb, nil, false, "X-Sig") })
	expect(t, "other message", "want a refusal", func(tb testing.TB) { CheckVerify(tb, refusal, false, "X-Other") })
	expect(t, "not an AuthError", "want a refusal", func(tb testing.TB) { CheckVerify(tb, errors.New("X-Sig"), false, "X-Sig") })
	expect(t, "reveals the secret", "reveals", func(tb testing.TB) { CheckVerify(tb, ingest.Refuse("X-Sig s3cret"), false, "X-Sig", "s3cret") })
}

func TestCheckParseProperties(t *testing.T) {
	valid := func([]byte, http.Header, ingest.Mapping) (ingest.Delivery, error) {
		return ingest.Delivery{Events: []ingest.Event{event()}}, nil
	}
	invalid := func([]byte, http.Header, ingest.Mapping) (ingest.Delivery, error) {
		return ingest.Delivery{Events: []ingest.Event{{Kind: ingest.KindAlert}}}, nil
	}
	calls := 0
	changing := func([]byte, http.Header, ingest.Mapping) (ingest.Delivery, error) {
		calls++
		return ingest.Delivery{ID: fmt.Sprint(calls)}, nil
	}
	plainErr := func([]byte, http.Header, ingest.Mapping) (ingest.Delivery, error) {
		return ingest.Delivery{}, errors.New("x")
	}
	ingestErr := func([]byte, http.Header, ingest.Mapping) (ingest.Delivery, error) {
		return ingest.Delivery{}, ingest.Errorf(-1, "", "x")
	}
	expect(t, "valid", "", func(tb testing.TB) { CheckParseProperties(tb, valid, nil, nil, Properties{Valid: true}) })
	expect(t, "refused by Validate", "", func(tb testing.TB) { CheckParseProperties(tb, invalid, nil, nil, Properties{}) })
	expect(t, "refused by Validate, must validate", "does not validate", func(tb testing.TB) {
		CheckParseProperties(tb, invalid, nil, nil, Properties{Valid: true})
	})
	expect(t, "not deterministic", "not deterministic", func(tb testing.TB) { CheckParseProperties(tb, changing, nil, nil, Properties{}) })
	expect(t, "*ingest.Error", "", func(tb testing.TB) { CheckParseProperties(tb, ingestErr, nil, nil, Properties{}) })
	expect(t, "other error", "not *ingest.Error", func(tb testing.TB) { CheckParseProperties(tb, plainErr, nil, nil, Properties{}) })
	expect(t, "delivery check", "lacks identity", func(tb testing.TB) {
		CheckParseProperties(tb, valid, nil, nil, Properties{Delivery: Identified(ingest.KindDeploy, "")})
	})
	var mappings []ingest.Mapping
	record := func(_ []byte, _ http.Header, m ingest.Mapping) (ingest.Delivery, error) {
		mappings = append(mappings, m)
		return ingest.Delivery{}, nil
	}
	CheckParseProperties(t, record, nil, nil, Properties{Mappings: []ingest.Mapping{{Environment: "a"}, {Environment: "b"}}})
	if len(mappings) != 4 || mappings[0].Environment != "a" || mappings[2].Environment != "b" {
		t.Errorf("parsed with %v, want each mapping twice", mappings)
	}
}

func TestIdentified(t *testing.T) {
	d := ingest.Delivery{Events: []ingest.Event{event()}}
	expect(t, "any kind and source", "", func(tb testing.TB) { Identified("", "")(tb, d) })
	expect(t, "this kind and source", "", func(tb testing.TB) { Identified(ingest.KindAlert, "s")(tb, d) })
	expect(t, "other source", "lacks identity", func(tb testing.TB) { Identified("", "other")(tb, d) })
	for _, change := range []func(*ingest.Event){
		func(e *ingest.Event) { e.DedupKey = "" }, func(e *ingest.Event) { e.StartsAt = time.Time{} },
		func(e *ingest.Event) { e.Kind = "" }, func(e *ingest.Event) { e.Source = "" },
	} {
		bad := ingest.Delivery{Events: []ingest.Event{With(event(), change)}}
		expect(t, "missing", "lacks identity", func(tb testing.TB) { Identified("", "")(tb, bad) })
	}
}

func TestCheckFixturesValidate(t *testing.T) {
	// testdata/fixture.json is read; the parser here ignores it.
	parse := func(_ []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
		ev := event()
		ev.Service = h.Get("Service")
		if m.Environment == "bad" {
			ev.Title = ""
		}
		return ingest.Delivery{Events: []ingest.Event{ev}}, nil
	}
	headers := func(string) http.Header { return Headers("Service", "Web API") }
	got := CheckFixturesValidate(t, parse, []string{"fixture.json"}, headers, ingest.Mapping{Environment: "prod"})
	expect(t, "applied", "", func(tb testing.TB) { got.Check(tb, "fixture.json", 0, "web-api", "", "prod") })
	expect(t, "other service", `service "web-api"`, func(tb testing.TB) { got.Check(tb, "fixture.json", 0, "web", "", "prod") })
	expect(t, "no such event", "has no event 1", func(tb testing.TB) { got.Check(tb, "fixture.json", 1, "", "", "") })
	expect(t, "invalid with the mapping", "title", func(tb testing.TB) {
		CheckFixturesValidate(tb, parse, []string{"fixture.json"}, nil, ingest.Mapping{Environment: "bad"})
	})
	expect(t, "missing fixture", "no such file", func(tb testing.TB) {
		CheckFixturesValidate(tb, parse, []string{"absent.json"}, nil, ingest.Mapping{})
	})
}

func TestHeadersAndEditJSON(t *testing.T) {
	h := Headers("A", "1", "B", "", "C")
	if h.Get("A") != "1" || len(h) != 1 {
		t.Errorf("Headers = %v", h)
	}
	b := EditJSON(t, []byte(`{"n": 1715689500000000789, "s": "x"}`), func(o map[string]any) { o["s"] = "y" })
	if string(b) != `{"n":1715689500000000789,"s":"y"}` {
		t.Errorf("EditJSON = %s", b)
	}
}
