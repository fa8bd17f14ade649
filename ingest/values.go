package ingest

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

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

// FirstNonEmpty returns the first of ss that is not blank, trimmed.
func FirstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// Quote writes a payload's value into an error message: cut to 80 bytes,
// as a JSON string.
func Quote(s string) string {
	b, _ := json.Marshal(Truncate(s, 80))
	return string(b)
}

// FlexString decodes a JSON string, number or boolean into its text (tools
// disagree about whether ids and priorities are strings or numbers); null
// gives "". An object or an array is a *json.UnmarshalTypeError, which
// encoding/json completes with the field's path (see DecodeWebhookBody).
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
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
	case strings.HasPrefix(s, "{"):
		return &json.UnmarshalTypeError{Value: "object", Type: reflect.TypeOf(*f)}
	case strings.HasPrefix(s, "["):
		return &json.UnmarshalTypeError{Value: "array", Type: reflect.TypeOf(*f)}
	default:
		*f = FlexString(s) // numbers keep their exact text; true and false
	}
	return nil
}

// String returns the text, trimmed of surrounding space.
func (f FlexString) String() string { return strings.TrimSpace(string(f)) }

// Truthy reads a yes/no payload value leniently: true, "true", "yes", "y",
// "on", "1", or a number other than 0; for lists and objects, being
// non-empty ("migrations": ["0042_add_index"]).
func Truthy(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return false
	}
	switch s[0] {
	case '"':
		var str string
		if json.Unmarshal(raw, &str) != nil {
			return false
		}
		return TruthyString(str)
	case '[':
		var list []json.RawMessage
		return json.Unmarshal(raw, &list) == nil && len(list) > 0
	case '{':
		var obj map[string]json.RawMessage
		return json.Unmarshal(raw, &obj) == nil && len(obj) > 0
	}
	return TruthyString(s)
}

// TruthyString is Truthy for a text value, such as a label's.
func TruthyString(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "on", "1":
		return true
	case "", "false", "no", "n", "off", "0":
		return false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil && f != 0
}
