package ingest

import (
	"encoding/json"
	"fmt"
	"math"
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

// epoch reads seconds, or milliseconds when the number is too large to be
// seconds (after the year 5138).
func epoch(f float64) (time.Time, error) {
	if f <= 0 {
		return time.Time{}, nil
	}
	if f > 1e11 {
		f /= 1000
	}
	if f > 1e11 {
		return time.Time{}, fmt.Errorf("timestamp %v is out of range", f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// Truncate shortens s to at most n bytes without splitting a UTF-8 rune.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// FlexString decodes a JSON string or number (tools disagree about
// priorities and ids) into a string.
type FlexString string

// UnmarshalJSON accepts strings, numbers, booleans and null.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*f = ""
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*f = FlexString(str)
	case s == "true" || s == "false":
		*f = FlexString(s)
	default:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return fmt.Errorf("expected a string or a number, got %s", Truncate(s, 40))
		}
		*f = FlexString(s)
	}
	return nil
}
