package ingest

// Helpers shared by the alertmanager, grafana and generic parsers: decoding
// one JSON field at a time, so that an error names the exact field (and the
// item) that is wrong, and bounding label sets.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// LabelValueLimit is the longest label value (in bytes) a parser keeps.
const LabelValueLimit = 1024

// labelSetKeyLimit is the longest label name (in bytes) a parser keeps.
const labelSetKeyLimit = 128

// DecodeStringField decodes a JSON string at field of item index; null and
// absence give "". Anything else is an *Error naming the field.
func DecodeStringField(raw json.RawMessage, index int, field string) (string, error) {
	if decodeIsNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errorf(index, field, "must be a string, not %s", decodeKindOf(raw))
	}
	return s, nil
}

// DecodeFlexField decodes a JSON string, number or boolean (tools disagree
// about priorities and ids) at field into a string.
func DecodeFlexField(raw json.RawMessage, index int, field string) (string, error) {
	if decodeIsNull(raw) {
		return "", nil
	}
	var f FlexString
	if err := json.Unmarshal(raw, &f); err != nil {
		return "", errorf(index, field, "must be a string or a number, not %s", decodeKindOf(raw))
	}
	return string(f), nil
}

// DecodeTimeField decodes an RFC 3339 time or Unix epoch (seconds or
// milliseconds) at field; the zero time for null, absence and zero values.
func DecodeTimeField(raw json.RawMessage, index int, field string) (time.Time, error) {
	if decodeIsNull(raw) {
		return time.Time{}, nil
	}
	t, err := ParseTime(raw)
	if err != nil {
		return time.Time{}, errorf(index, field, "must be an RFC 3339 time or a Unix timestamp: %s", Truncate(err.Error(), 120))
	}
	return t, nil
}

// DecodeLabelsField decodes a JSON object of strings at field. When strict,
// every value must be a string; otherwise numbers and booleans are taken as
// their text, as tools that template labels sometimes send them. A wrong
// value is an *Error naming field.key; null gives nil.
func DecodeLabelsField(raw json.RawMessage, index int, field string, strict bool) (map[string]string, error) {
	if decodeIsNull(raw) {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, errorf(index, field, "must be an object of strings, not %s", decodeKindOf(raw))
	}
	out := make(map[string]string, len(obj))
	for _, k := range labelSetKeys(obj) {
		path := field + "." + Truncate(k, labelSetKeyLimit)
		var (
			v   string
			err error
		)
		if strict {
			v, err = DecodeStringField(obj[k], index, path)
			if err == nil && decodeIsNull(obj[k]) {
				err = errorf(index, path, "must be a string, not null")
			}
		} else {
			v, err = DecodeFlexField(obj[k], index, path)
		}
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// BoundLabelSet copies labels into at most MaxLabels entries: the keys in
// keep first (in their order), then the others in sorted order, so the
// choice is deterministic. Empty names are dropped, names are cut to 128
// bytes and values to LabelValueLimit bytes (ending in "…" when cut). nil
// for an empty set.
func BoundLabelSet(labels map[string]string, keep []string) map[string]string {
	if len(labels) == 0 {
		return nil
	}
	out := make(map[string]string, min(len(labels), MaxLabels))
	add := func(k, v string) {
		name := Truncate(strings.TrimSpace(k), labelSetKeyLimit)
		if name == "" || len(out) >= MaxLabels {
			return
		}
		if _, dup := out[name]; dup {
			return
		}
		if len(v) > LabelValueLimit {
			v = Truncate(v, LabelValueLimit-len("…")) + "…"
		}
		out[name] = v
	}
	for _, k := range keep {
		if v, ok := labels[k]; ok {
			add(k, v)
		}
	}
	for _, k := range labelSetKeys(labels) {
		add(k, labels[k])
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// LabelSetFingerprint is a stable identity for a label set, for alerts that
// come without the tool's own fingerprint: the first 16 bytes of the
// SHA-256 of the sorted name=value pairs, in hex.
func LabelSetFingerprint(labels map[string]string) string {
	h := sha256.New()
	for _, k := range labelSetKeys(labels) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func decodeIsNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// jsonKind names the JSON type of raw for error messages.
func decodeKindOf(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "":
		return "nothing"
	case s[0] == '"':
		return "a string"
	case s[0] == '{':
		return "an object"
	case s[0] == '[':
		return "an array"
	case s == "true" || s == "false":
		return "a boolean"
	case s == "null":
		return "null"
	default:
		return "a number"
	}
}

func labelSetKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
