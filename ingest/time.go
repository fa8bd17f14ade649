package ingest

// Reading the times tools send: RFC 3339 and its relatives, or Unix epochs
// in whatever unit the tool uses.

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads a time as tools send them: RFC 3339 (with or without
// fraction or zone offset colon), or Unix epoch seconds or milliseconds as
// a number or a numeric string. The zero time for "" and for Go's and
// Alertmanager's zero values ("0001-01-01T00:00:00Z").
func ParseTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return time.Time{}, fmt.Errorf("not a time: %s", s)
		}
		return ParseTimeString(str)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, fmt.Errorf("not a time: %s", s)
	}
	return epoch(f)
}

// timeLayouts are the textual layouts seen in webhook payloads.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 -0700", // GitLab's own layout ("2021-02-23 06:17:18 +0100")
	"2006-01-02 15:04:05 MST",             // GitLab's older "2021-02-23 06:17:18 UTC"
	"2006-01-02T15:04:05.999999999",       // no zone: taken as UTC
	"2006-01-02 15:04:05.999999999",
}

// ParseTimeString is ParseTime for a string value.
func ParseTimeString(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "-:") {
		return epoch(f)
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() <= 1 {
				return time.Time{}, nil
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time or a Unix timestamp", s)
}

// epochSecondsLimit is the largest epoch read as seconds (the year 5138);
// a larger number is in a smaller unit, a thousand times smaller each.
const epochSecondsLimit = 1e11

// epoch reads seconds, or milliseconds when the number is too large to be
// seconds, in float64 arithmetic: the way ParseTime has always read
// epochs, which the times Hindsight stores depend on to the nanosecond.
// epochAnyUnit reads more units, exactly.
func epoch(f float64) (time.Time, error) {
	if f <= 0 {
		return time.Time{}, nil
	}
	if f > epochSecondsLimit {
		f /= 1000
	}
	if f > epochSecondsLimit {
		return time.Time{}, fmt.Errorf("timestamp %v is out of range", f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// ParseTimeAnyUnit is ParseTime that also reads Unix epochs in microseconds
// and nanoseconds (Opsgenie sends updatedAt in nanoseconds), as numbers or
// numeric strings. Integers are read exactly, without float rounding.
func ParseTimeAnyUnit(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return time.Time{}, fmt.Errorf("not a time: %s", Truncate(s, 60))
		}
		s = strings.TrimSpace(str)
	}
	if t, ok, err := epochAnyUnit(s); ok {
		return t, err
	}
	return ParseTime(raw)
}

// ParseTimeStringAnyUnit is ParseTimeAnyUnit for a string value.
func ParseTimeStringAnyUnit(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, ok, err := epochAnyUnit(s); ok {
		return t, err
	}
	return ParseTimeString(s)
}

// epochAnyUnit reads a decimal epoch in s, ms, µs or ns by its magnitude;
// ok is false when s is not a plain number.
func epochAnyUnit(s string) (time.Time, bool, error) {
	// Plain decimals only (digits and one point), short enough to be an
	// epoch; exponents and everything else go to ParseTime.
	if s == "" || len(s) > 40 || strings.Trim(s, "0123456789.") != "" || strings.Count(s, ".") > 1 || s == "." {
		return time.Time{}, false, nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return time.Time{}, false, nil
	}
	if r.Sign() <= 0 {
		return time.Time{}, true, nil
	}
	// Scale down to seconds by the magnitude: seconds, then milliseconds,
	// microseconds, nanoseconds.
	limit := big.NewRat(epochSecondsLimit, 1)
	thousand := big.NewRat(1000, 1)
	for i := 0; r.Cmp(limit) > 0; i++ {
		if i == 3 {
			return time.Time{}, true, fmt.Errorf("timestamp %s is out of range", Truncate(s, 40))
		}
		r.Quo(r, thousand)
	}
	// r is now seconds, below the limit: split into whole seconds and nanoseconds.
	ns := new(big.Rat).Mul(r, big.NewRat(1e9, 1))
	n := new(big.Int).Quo(ns.Num(), ns.Denom())
	sec, nsec := new(big.Int).QuoRem(n, big.NewInt(1e9), new(big.Int))
	return time.Unix(sec.Int64(), nsec.Int64()).UTC(), true, nil
}

// EndAfter returns end as an EndsAt: nil for the zero time, and start when
// end is before start (the clocks of different machines, and a tool's
// fields, disagree; the event must still validate).
func EndAfter(start, end time.Time) *time.Time {
	if end.IsZero() {
		return nil
	}
	if !start.IsZero() && end.Before(start) {
		end = start
	}
	return &end
}

// FirstNonZeroTime returns the first non-zero time of ts.
func FirstNonZeroTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// FormatLabelTime formats a time for a label value (RFC 3339, UTC); "" for
// the zero time.
func FormatLabelTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
