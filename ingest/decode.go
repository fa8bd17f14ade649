package ingest

// Decoding JSON payloads so that an error names the exact path of the value
// that is wrong ("alerts[2].labels.team", "deployment.id",
// "event.data.title"). Parsers use one of three styles, all answering with
// the same messages:
//
//   - DecodeWebhookBody unmarshals a whole body into a struct (with FlexString
//     fields where tools send strings or numbers) and names the path that
//     encoding/json reports;
//   - DecodeObject reads a body as an Object, whose fields are decoded one by
//     one on demand;
//   - the Decode…Field functions decode one json.RawMessage field of a
//     struct the parser unmarshalled itself.

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// JSONType names the JSON type of raw for messages: "a string", "a number",
// "a boolean", "an object", "an array", "null", or "nothing" when absent.
func JSONType(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "":
		return "nothing"
	case s == "null":
		return "null"
	case s[0] == '"':
		return "a string"
	case s[0] == '{':
		return "an object"
	case s[0] == '[':
		return "an array"
	case s == "true" || s == "false":
		return "a boolean"
	default:
		return "a number"
	}
}

// MalformedJSON is the *Error for a body that encoding/json cannot read:
// the byte offset of a syntax error, else err's text.
func MalformedJSON(err error) *Error {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return &Error{Index: -1, Msg: fmt.Sprintf("malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())}
	}
	msg := "malformed JSON"
	if err != nil {
		msg += ": " + Truncate(err.Error(), 200)
	}
	return &Error{Index: -1, Msg: msg}
}

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
		if typ.Type == reflect.TypeOf(FlexString("")) {
			want = "a string or a number"
		}
		return &Error{Index: -1, Field: typ.Field, Msg: fmt.Sprintf("must be %s, not %s", want, jsonKindName(typ.Value))}
	default:
		return &Error{Index: -1, Msg: "the body is not valid JSON: " + Truncate(err.Error(), 200)}
	}
}

// jsonKindName turns encoding/json's names of JSON values ("object",
// "array", "string", "number", "number 1.5", "bool") into "an object", "a
// string"….
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

// DecodeStringField decodes a JSON string at field of item index; null and
// absence give "". Anything else is an *Error naming the field.
func DecodeStringField(raw json.RawMessage, index int, field string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", Errorf(index, field, "must be a string, not %s", JSONType(raw))
	}
	return s, nil
}

// DecodeFlexField decodes a JSON string, number or boolean (tools disagree
// about priorities and ids) at field into its text; null and absence give
// "". Anything else, and a number beyond float64's range, is an *Error
// naming the field.
func DecodeFlexField(raw json.RawMessage, index int, field string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var f FlexString
	err := json.Unmarshal(raw, &f)
	if err == nil && JSONType(raw) == "a number" {
		_, err = strconv.ParseFloat(string(f), 64)
	}
	if err != nil {
		return "", Errorf(index, field, "must be a string or a number, not %s", JSONType(raw))
	}
	return string(f), nil
}

// DecodeTimeField decodes an RFC 3339 time or Unix epoch (seconds or
// milliseconds, see ParseTime) at field; the zero time for null, absence
// and zero values.
func DecodeTimeField(raw json.RawMessage, index int, field string) (time.Time, error) {
	if isNull(raw) {
		return time.Time{}, nil
	}
	t, err := ParseTime(raw)
	if err != nil {
		return time.Time{}, Errorf(index, field, "must be an RFC 3339 time or a Unix timestamp: %s", Truncate(err.Error(), 120))
	}
	return t, nil
}

// DecodeLabelsField decodes a JSON object of strings at field; null gives
// nil. When strict, every value must be a string; otherwise numbers and
// booleans are taken as their text (as tools that template labels send
// them) and null as "". A wrong value is an *Error naming field.key.
func DecodeLabelsField(raw json.RawMessage, index int, field string, strict bool) (map[string]string, error) {
	values := scalarsKeepNull
	if strict {
		values = stringsOnly
	}
	return decodeScalarObject(raw, index, field, "an object of strings", values)
}

// scalarValues says which values an object of labels may hold.
type scalarValues int

const (
	stringsOnly     scalarValues = iota // strings; null is an error
	scalarsKeepNull                     // strings, numbers, booleans; null is ""
	scalarsSkipNull                     // strings, numbers, booleans; null values are left out
)

// decodeScalarObject decodes the JSON object raw at field of item index
// into a map of text, checking its values in sorted key order. notObject
// names what it must be when it is no object.
func decodeScalarObject(raw json.RawMessage, index int, field, notObject string, values scalarValues) (map[string]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, Errorf(index, field, "must be %s, not %s", notObject, JSONType(raw))
	}
	out := make(map[string]string, len(obj))
	for _, k := range sortedKeys(obj) {
		path := field + "." + Truncate(k, MaxLabelName)
		v := obj[k]
		if isNull(v) {
			switch values {
			case stringsOnly:
				return nil, Errorf(index, path, "must be a string, not null")
			case scalarsSkipNull:
				continue
			}
		}
		var (
			s   string
			err error
		)
		switch values {
		case stringsOnly:
			s, err = DecodeStringField(v, index, path)
		case scalarsKeepNull:
			s, err = DecodeFlexField(v, index, path)
		case scalarsSkipNull:
			if s, err = DecodeFlexField(v, index, path); err != nil {
				err = Errorf(index, path, "must be a string, not %s", JSONType(v))
			}
		}
		if err != nil {
			return nil, err
		}
		out[k] = s
	}
	return out, nil
}

// Object is one JSON object of a payload, decoded field by field. Absent
// and null fields read as zero values; a field of the wrong JSON type is an
// *Error (Index -1) naming its path, e.g. "deployment.id".
type Object struct {
	path   string
	fields map[string]json.RawMessage
}

// DecodeObject reads a body that must be one JSON object; what names the
// expected payload in the error ("a GitHub deployment event").
func DecodeObject(body []byte, what string) (Object, error) {
	s := strings.TrimSpace(string(body))
	if s == "" {
		return Object{}, &Error{Index: -1, Msg: "empty body: expected " + what}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &fields); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return Object{}, MalformedJSON(err)
		}
		return Object{}, &Error{Index: -1, Msg: fmt.Sprintf("expected a JSON object (%s), not %s", what, JSONType(json.RawMessage(s)))}
	}
	if fields == nil { // the body was null
		return Object{}, &Error{Index: -1, Msg: "expected a JSON object (" + what + "), not null"}
	}
	return Object{fields: fields}, nil
}

// Path is the full path of the field key.
func (o Object) Path(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// Raw is the field's JSON text, nil when absent.
func (o Object) Raw(key string) json.RawMessage { return o.fields[key] }

// Object reads a nested object; ok is false when it is absent or null.
func (o Object) Object(key string) (obj Object, ok bool, err error) {
	raw := o.fields[key]
	if isNull(raw) {
		return Object{path: o.Path(key)}, false, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Object{}, false, Errorf(-1, o.Path(key), "must be an object, not %s", JSONType(raw))
	}
	return Object{path: o.Path(key), fields: fields}, true, nil
}

// String reads a string field.
func (o Object) String(key string) (string, error) {
	return DecodeStringField(o.fields[key], -1, o.Path(key))
}

// Strings reads string fields into a map (absent ones are ""), stopping at
// the first wrong one.
func (o Object) Strings(keys ...string) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		v, err := o.String(k)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// Flex reads a string, number or boolean field (ids, versions) as text.
func (o Object) Flex(key string) (string, error) {
	return DecodeFlexField(o.fields[key], -1, o.Path(key))
}

// Time reads an RFC 3339 time, GitLab's "2006-01-02 15:04:05 -0700" or a
// Unix epoch; the zero time when absent, null or a zero value.
func (o Object) Time(key string) (time.Time, error) {
	return DecodeTimeField(o.fields[key], -1, o.Path(key))
}

// StringMap reads an object of scalars (Kubernetes labels, tags): strings,
// numbers and booleans as their text, null values skipped. Any other value
// is an *Error naming path.key.
func (o Object) StringMap(key string) (map[string]string, error) {
	return decodeScalarObject(o.fields[key], -1, o.Path(key), "an object", scalarsSkipNull)
}

// Scalars returns the object's top-level string, number and boolean fields
// as text (nested objects, arrays and nulls are skipped): a deploy payload's
// own keys, taken as labels.
func (o Object) Scalars() map[string]string {
	out := map[string]string{}
	for _, k := range sortedKeys(o.fields) {
		switch JSONType(o.fields[k]) {
		case "a string", "a number", "a boolean":
			if v, err := o.Flex(k); err == nil {
				out[k] = v
			}
		}
	}
	return out
}
