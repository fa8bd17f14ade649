package ingest

// Helpers shared by the sentry, pagerduty, opsgenie and datadog parsers:
// decoding a whole body into a struct so that a wrong type names its JSON
// path, loose scalars, epochs in any unit, bounded label bags and bounded
// dedup keys.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"time"
)

// DecodeWebhookBody unmarshals a JSON body into v. A syntax error or a value
// of the wrong type becomes an *Error (Index -1) whose Field is the JSON
// path of the offending value (e.g. "event.data.title"), when known.
func DecodeWebhookBody(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return &Error{Index: -1, Msg: "the body is empty: expected a JSON object"}
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return &Error{Index: -1, Msg: fmt.Sprintf("the body is not valid JSON: %s (at byte %d)", syntax.Error(), syntax.Offset)}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return &Error{Index: -1, Msg: fmt.Sprintf("the body must be a JSON object, not %s", jsonKindName(typ.Value))}
		}
		want := "a " + typ.Type.Kind().String()
		switch typ.Type.Kind() {
		case reflect.Struct, reflect.Map:
			want = "an object"
		case reflect.Slice, reflect.Array:
			want = "an array"
		case reflect.String:
			want = "a string"
		case reflect.Bool:
			want = "a boolean"
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
			reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			want = "a number"
		}
		if typ.Type == reflect.TypeOf(LooseString("")) {
			want = "a string or a number"
		}
		return &Error{Index: -1, Field: typ.Field, Msg: fmt.Sprintf("must be %s, not %s", want, jsonKindName(typ.Value))}
	default:
		return &Error{Index: -1, Msg: "the body is not valid JSON: " + Truncate(err.Error(), 200)}
	}
}

// jsonKindName turns json's names of JSON values ("object", "array",
// "string", "number", "number 1.5", "bool") into "an object", "a string"….
func jsonKindName(v string) string {
	switch {
	case v == "object":
		return "an object"
	case v == "array":
		return "an array"
	case v == "bool":
		return "a boolean"
	case strings.HasPrefix(v, "number"):
		return "a number"
	case v == "":
		return "another type"
	}
	return "a " + v
}

// LooseString decodes a JSON string, number or boolean into its text; null
// gives "". Objects and arrays are a *json.UnmarshalTypeError, which the
// decoder completes with the field's path.
type LooseString string

// UnmarshalJSON implements json.Unmarshaler.
func (l *LooseString) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*l = ""
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*l = LooseString(str)
	case strings.HasPrefix(s, "{"):
		return &json.UnmarshalTypeError{Value: "object", Type: reflect.TypeOf(*l)}
	case strings.HasPrefix(s, "["):
		return &json.UnmarshalTypeError{Value: "array", Type: reflect.TypeOf(*l)}
	default:
		*l = LooseString(s) // numbers keep their exact text; true/false
	}
	return nil
}

// String returns the text, trimmed of surrounding space.
func (l LooseString) String() string { return strings.TrimSpace(string(l)) }

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
	// Scale down to seconds by the magnitude: below 1e11 it is seconds
	// (before the year 5138), then milliseconds, microseconds, nanoseconds.
	limit := big.NewRat(1e11, 1)
	thousand := big.NewRat(1000, 1)
	for i := 0; r.Cmp(limit) > 0; i++ {
		if i == 3 {
			return time.Time{}, true, fmt.Errorf("timestamp %s is out of range", Truncate(s, 40))
		}
		r.Quo(r, thousand)
	}
	// r is now seconds, below 1e11: split into whole seconds and nanoseconds.
	ns := new(big.Rat).Mul(r, big.NewRat(1e9, 1))
	n := new(big.Int).Quo(ns.Num(), ns.Denom())
	sec, nsec := new(big.Int).QuoRem(n, big.NewInt(1e9), new(big.Int))
	return time.Unix(sec.Int64(), nsec.Int64()).UTC(), true, nil
}

// LabelBag collects an event's labels, bounded to MaxLabels entries: names
// are trimmed and cut to 128 bytes, values cut to LabelBagValueLimit bytes.
// Set the tool's own fields first and its free-form tags last, so that the
// fields that matter are the ones kept when there are too many.
type LabelBag map[string]string

// LabelBagValueLimit is the longest label value (in bytes) a LabelBag keeps.
const LabelBagValueLimit = 1024

// Set stores v under k, replacing an earlier value; it drops the pair when k
// is empty or the bag is full. Empty values are stored only by SetTag.
func (l LabelBag) Set(k, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	l.put(k, v, true)
}

// SetDefault stores v under k unless k is already set.
func (l LabelBag) SetDefault(k, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	l.put(k, v, false)
}

// SetTag stores one "key:value" (or "key=value") tag without replacing an
// earlier value; a bare tag is stored with an empty value.
func (l LabelBag) SetTag(tag string) {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return
	}
	k, v := tag, ""
	if i := strings.IndexAny(tag, ":="); i > 0 {
		k, v = tag[:i], strings.TrimSpace(tag[i+1:])
	}
	l.put(k, v, false)
}

func (l LabelBag) put(k, v string, replace bool) {
	k = Truncate(strings.TrimSpace(k), 128)
	if k == "" {
		return
	}
	if len(v) > LabelBagValueLimit {
		v = Truncate(v, LabelBagValueLimit-len("…")) + "…"
	}
	if _, ok := l[k]; ok {
		if replace {
			l[k] = v
		}
		return
	}
	if len(l) >= MaxLabels {
		return
	}
	l[k] = v
}

// Map returns the labels, nil when there are none.
func (l LabelBag) Map() map[string]string {
	if len(l) == 0 {
		return nil
	}
	return map[string]string(l)
}

// BoundedDedupKey joins prefix and id into a dedup key; when it would be
// longer than MaxDedupKey, the id is replaced by its SHA-256 in hex, so the
// key stays stable and within bounds.
func BoundedDedupKey(prefix, id string) string {
	key := prefix + id
	if len(key) <= MaxDedupKey {
		return key
	}
	sum := sha256.Sum256([]byte(id))
	return Truncate(prefix, MaxDedupKey-2*len(sum)-1) + "#" + hex.EncodeToString(sum[:])
}

// EndAfter returns end as an EndsAt: nil for the zero time, and start when
// end is before start (clocks of different machines disagree).
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

// FirstNonEmpty returns the first of ss that is not blank, trimmed.
func FirstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// FormatLabelTime formats a time for a label value (RFC 3339, UTC).
func FormatLabelTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
