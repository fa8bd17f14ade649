package ingest

import (
	"testing"
	"time"
)

func TestMappingApply(t *testing.T) {
	m := Mapping{
		Services:    map[string]string{"acme/bookbot": "bookbot-api"},
		Severities:  map[string]string{"P0": SeverityCritical},
		Environment: "production",
	}
	end := time.Date(2022, 11, 17, 12, 45, 0, 0, time.FixedZone("CET", 3600))
	ev := Event{Kind: KindAlert, Source: "x\x00", DedupKey: "k", Title: "bad \xff byte", Service: "acme/bookbot",
		Severity: "p0", StartsAt: end.Add(-time.Hour), EndsAt: &end, Labels: map[string]string{"a\x00": "b"}}
	m.Apply(&ev)
	if ev.Service != "bookbot-api" || ev.Severity != SeverityCritical || ev.Environment != "production" {
		t.Errorf("mapping not applied: %+v", ev)
	}
	if ev.Source != "x" || ev.Title != "bad \uFFFD byte" || ev.Labels["a"] != "b" {
		t.Errorf("strings not cleaned: %q %q %v", ev.Source, ev.Title, ev.Labels)
	}
	if ev.StartsAt.Location() != time.UTC || ev.EndsAt.Location() != time.UTC {
		t.Error("times not in UTC")
	}
	if err := Validate(&ev, 0); err != nil || ev.Status != StatusResolved {
		t.Errorf("validate: %v, status %q", err, ev.Status)
	}
}

func TestNormalizeSeverity(t *testing.T) {
	var m Mapping
	for raw, want := range map[string]string{"critical": "critical", "P1": "critical", "error": "high", "Warning": "warning",
		"low": "info", "": "", "purple": ""} {
		if got := m.NormalizeSeverity(raw); got != want {
			t.Errorf("NormalizeSeverity(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := func() Event {
		return Event{Kind: KindDeploy, Source: "ci", DedupKey: "d1", Status: StatusSucceeded, Title: "Deploy", StartsAt: time.Unix(1700000000, 0)}
	}
	cases := map[string]struct {
		change func(*Event)
		field  string
	}{
		"kind":          {func(e *Event) { e.Kind = "incident" }, "kind"},
		"source":        {func(e *Event) { e.Source = " " }, "source"},
		"dedup":         {func(e *Event) { e.DedupKey = "" }, "dedup_key"},
		"title":         {func(e *Event) { e.Title = "" }, "title"},
		"start":         {func(e *Event) { e.StartsAt = time.Time{} }, "starts_at"},
		"status":        {func(e *Event) { e.Status = StatusFiring }, "status"},
		"severity":      {func(e *Event) { e.Severity = "urgent" }, "severity"},
		"end before":    {func(e *Event) { t := e.StartsAt.Add(-time.Second); e.EndsAt = &t }, "ends_at"},
		"change status": {func(e *Event) { e.Kind = KindChange }, "status"},
	}
	for name, c := range cases {
		ev := ok()
		c.change(&ev)
		err := Validate(&ev, 3)
		ie, isErr := err.(*Error)
		if !isErr || ie.Field != c.field || ie.Index != 3 {
			t.Errorf("%s: err = %v, want field %s at index 3", name, err, c.field)
		}
	}
	ev := ok()
	if err := Validate(&ev, 0); err != nil {
		t.Errorf("valid event: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2022, 11, 17, 10, 45, 0, 0, time.UTC)
	for _, raw := range []string{`"2022-11-17T10:45:00Z"`, `"2022-11-17T11:45:00+01:00"`, `1668681900`, `1668681900000`,
		`"1668681900"`, `"2022-11-17 11:45:00 +0100"`, `"2022-11-17 10:45:00 UTC"`, `"2022-11-17T11:45:00.000+0100"`} {
		got, err := ParseTime([]byte(raw))
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%s) = %v, %v", raw, got, err)
		}
	}
	for _, raw := range []string{`"0001-01-01T00:00:00Z"`, `null`, `""`, `0`} {
		if got, err := ParseTime([]byte(raw)); err != nil || !got.IsZero() {
			t.Errorf("ParseTime(%s) = %v, %v; want zero", raw, got, err)
		}
	}
	for _, raw := range []string{`"yesterday"`, `true`, `{}`, `1e300`} {
		if _, err := ParseTime([]byte(raw)); err == nil {
			t.Errorf("ParseTime(%s) accepted", raw)
		}
	}
}

func TestBearerOrBasic(t *testing.T) {
	h := func(v string) map[string][]string { return map[string][]string{"Authorization": {v}} }
	if !BearerOrBasic(h("Bearer s3cret"), "s3cret") || !BearerOrBasic(h("Basic dXNlcjpzM2NyZXQ="), "s3cret") {
		t.Error("valid credentials refused")
	}
	for _, v := range []string{"Bearer wrong", "Basic dXNlcjp3cm9uZw==", "Basic !!!", "Token s3cret", ""} {
		if BearerOrBasic(h(v), "s3cret") {
			t.Errorf("%q accepted", v)
		}
	}
}
