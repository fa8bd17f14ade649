package ingest

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseTimeUnits(t *testing.T) {
	want := time.Date(2024, 3, 12, 8, 0, 0, 123000000, time.UTC)
	for _, raw := range []string{`1710230400.123`, `1710230400123`, `"1710230400123000"`, `1710230400123000000`, `"2024-03-12T08:00:00.123Z"`} {
		got, err := ParseTimeAnyUnit(json.RawMessage(raw))
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTimeAnyUnit(%s) = %v, %v", raw, got, err)
		}
	}
	if got, err := ParseTimeStringAnyUnit("1710230400123000"); err != nil || !got.Equal(want) {
		t.Errorf("ParseTimeStringAnyUnit = %v, %v", got, err)
	}
	for _, raw := range []string{`99999999999999999999999`, `"soon"`} {
		if _, err := ParseTimeAnyUnit(json.RawMessage(raw)); err == nil {
			t.Errorf("ParseTimeAnyUnit(%s) accepted", raw)
		}
	}
	// ParseTime reads seconds and milliseconds as float64, as it always
	// has: the times it stored depend on it to the nanosecond.
	got, err := ParseTime(json.RawMessage(`1710230400123`))
	if err != nil || got.Nanosecond() != 122999906 {
		t.Errorf("ParseTime(ms) = %v (%d ns), %v", got, got.Nanosecond(), err)
	}
	if _, err := ParseTime(json.RawMessage(`1710230400123000`)); err == nil {
		t.Error("ParseTime read microseconds")
	}
}

func TestTimeHelpers(t *testing.T) {
	start := time.Date(2024, 3, 12, 8, 0, 0, 0, time.UTC)
	if EndAfter(start, time.Time{}) != nil {
		t.Error("EndAfter of the zero time is not nil")
	}
	if end := EndAfter(start, start.Add(-time.Hour)); !end.Equal(start) {
		t.Errorf("EndAfter before start = %v", end)
	}
	if end := EndAfter(time.Time{}, start); !end.Equal(start) {
		t.Errorf("EndAfter without start = %v", end)
	}
	if got := FirstNonZeroTime(time.Time{}, start, start.Add(time.Hour)); !got.Equal(start) {
		t.Errorf("FirstNonZeroTime = %v", got)
	}
	if FormatLabelTime(time.Time{}) != "" || FormatLabelTime(start.In(time.FixedZone("X", 3600))) != "2024-03-12T08:00:00Z" {
		t.Error("FormatLabelTime")
	}
}
