package ingest

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkErr asserts that err is an *Error at index naming field, whose
// message contains msg.
func checkErr(t *testing.T, what string, err error, index int, field, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%s: err = %v (%T), want *Error", what, err, err)
		return
	}
	if e.Index != index || e.Field != field || !strings.Contains(e.Msg, msg) {
		t.Errorf("%s: err = {%d %q %q}, want index %d field %q and a message with %q", what, e.Index, e.Field, e.Msg, index, field, msg)
	}
}

func TestJSONType(t *testing.T) {
	for raw, want := range map[string]string{``: "nothing", ` `: "nothing", `null`: "null", `"x"`: "a string", `{}`: "an object",
		`[1]`: "an array", `true`: "a boolean", `false`: "a boolean", `-1.5e3`: "a number", ` "padded" `: "a string"} {
		if got := JSONType(json.RawMessage(raw)); got != want {
			t.Errorf("JSONType(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestMalformedJSON(t *testing.T) {
	err := MalformedJSON(json.Unmarshal([]byte(`{"a":`), new(any)))
	if err.Index != -1 || err.Field != "" || !strings.HasPrefix(err.Msg, "malformed JSON at byte 5: ") {
		t.Errorf("syntax error: %+v", err)
	}
	err = MalformedJSON(json.Unmarshal([]byte(`[1]`), new(map[string]int)))
	if !strings.HasPrefix(err.Msg, "malformed JSON: json: cannot unmarshal array") {
		t.Errorf("type error: %+v", err)
	}
	if err := MalformedJSON(nil); err.Msg != "malformed JSON" {
		t.Errorf("nil: %+v", err)
	}
}

func TestFlexString(t *testing.T) {
	for raw, want := range map[string]string{`"a b"`: "a b", `" x "`: " x ", `12`: "12", `1.50`: "1.50", `1e400`: "1e400",
		`true`: "true", `false`: "false", `null`: ""} {
		var f FlexString = "before"
		if err := json.Unmarshal([]byte(raw), &f); err != nil || string(f) != want {
			t.Errorf("%s: %q, %v; want %q", raw, f, err, want)
		}
	}
	for _, raw := range []string{`{}`, `[1]`} {
		var f FlexString
		var typ *json.UnmarshalTypeError
		if err := json.Unmarshal([]byte(raw), &f); !errors.As(err, &typ) {
			t.Errorf("%s: err = %v, want an UnmarshalTypeError", raw, err)
		}
	}
	if s := FlexString("  x ").String(); s != "x" {
		t.Errorf("String() = %q", s)
	}
}

func TestDecodeWebhookBody(t *testing.T) {
	type body struct {
		ID    FlexString `json:"id"`
		Event *struct {
			Title FlexString `json:"title"`
			Count int        `json:"count"`
			Tags  []string   `json:"tags"`
		} `json:"event"`
	}
	var b body
	if err := DecodeWebhookBody([]byte(`{"id": 7, "event": {"title": "t", "count": 2}}`), &b); err != nil || b.ID != "7" || b.Event.Title != "t" {
		t.Fatalf("%+v, %v", b, err)
	}
	for _, c := range []struct{ body, field, msg string }{
		{``, "", "the body is empty"},
		{`{"id": `, "", "the body is not valid JSON"},
		{`[1]`, "", "the body must be a JSON object, not an array"},
		{`{"id": {}}`, "id", "must be a string or a number, not an object"},
		{`{"event": {"title": [1]}}`, "event.title", "must be a string or a number, not an array"},
		{`{"event": {"count": "2"}}`, "event.count", "must be a number, not a string"},
		{`{"event": {"tags": {}}}`, "event.tags", "must be an array, not an object"},
		{`{"event": "x"}`, "event", "must be an object, not a string"},
	} {
		checkErr(t, c.body, DecodeWebhookBody([]byte(c.body), new(body)), -1, c.field, c.msg)
	}
}

func TestDecodeFields(t *testing.T) {
	if s, err := DecodeStringField(json.RawMessage(`" a "`), 2, "f"); s != " a " || err != nil {
		t.Errorf("string: %q, %v", s, err)
	}
	for _, raw := range []string{``, `null`} {
		s, err1 := DecodeStringField(json.RawMessage(raw), 2, "f")
		f, err2 := DecodeFlexField(json.RawMessage(raw), 2, "f")
		tm, err3 := DecodeTimeField(json.RawMessage(raw), 2, "f")
		l, err4 := DecodeLabelsField(json.RawMessage(raw), 2, "f", true)
		if s != "" || f != "" || !tm.IsZero() || l != nil || err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			t.Errorf("%q is not empty: %q %q %v %v", raw, s, f, tm, l)
		}
	}
	_, err := DecodeStringField(json.RawMessage(`1`), 2, "f")
	checkErr(t, "string", err, 2, "f", "must be a string, not a number")

	for raw, want := range map[string]string{`"x"`: "x", `42`: "42", `-1.5`: "-1.5", `true`: "true"} {
		if s, err := DecodeFlexField(json.RawMessage(raw), 0, "f"); s != want || err != nil {
			t.Errorf("flex %s: %q, %v", raw, s, err)
		}
	}
	for raw, kind := range map[string]string{`{}`: "an object", `[]`: "an array", `1e400`: "a number"} {
		_, err := DecodeFlexField(json.RawMessage(raw), 1, "a.b")
		checkErr(t, "flex "+raw, err, 1, "a.b", "must be a string or a number, not "+kind)
	}

	if tm, err := DecodeTimeField(json.RawMessage(`"2024-05-14T12:00:00+02:00"`), 0, "t"); err != nil || !tm.Equal(time.Date(2024, 5, 14, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("time: %v, %v", tm, err)
	}
	_, err = DecodeTimeField(json.RawMessage(`"soon"`), 3, "t")
	checkErr(t, "time", err, 3, "t", "must be an RFC 3339 time or a Unix timestamp")
}

func TestDecodeLabelsField(t *testing.T) {
	lenient, err := DecodeLabelsField(json.RawMessage(`{"b": 2, "a": "x", "c": true, "n": null}`), 0, "labels", false)
	if want := map[string]string{"a": "x", "b": "2", "c": "true", "n": ""}; err != nil || !reflect.DeepEqual(lenient, want) {
		t.Errorf("lenient: %v, %v", lenient, err)
	}
	_, err = DecodeLabelsField(json.RawMessage(`{"z": {}, "a": []}`), 1, "labels", false)
	checkErr(t, "lenient, first in sorted order", err, 1, "labels.a", "must be a string or a number, not an array")
	_, err = DecodeLabelsField(json.RawMessage(`["x"]`), 1, "labels", false)
	checkErr(t, "not an object", err, 1, "labels", "must be an object of strings, not an array")

	strict, err := DecodeLabelsField(json.RawMessage(`{"a": "x"}`), 0, "labels", true)
	if err != nil || !reflect.DeepEqual(strict, map[string]string{"a": "x"}) {
		t.Errorf("strict: %v, %v", strict, err)
	}
	for raw, msg := range map[string]string{`{"k": 3}`: "must be a string, not a number", `{"k": null}`: "must be a string, not null"} {
		_, err := DecodeLabelsField(json.RawMessage(raw), 4, "labels", true)
		checkErr(t, "strict "+raw, err, 4, "labels.k", msg)
	}
	long := strings.Repeat("k", 200)
	_, err = DecodeLabelsField(json.RawMessage(`{"`+long+`": {}}`), 0, "labels", false)
	checkErr(t, "long name", err, 0, "labels."+long[:MaxLabelName], "must be")
}

func TestDecodeObject(t *testing.T) {
	for _, c := range []struct{ body, msg string }{
		{" ", "empty body: expected a test event"},
		{`{"a":`, "malformed JSON at byte"},
		{`[1]`, "expected a JSON object (a test event), not an array"},
		{`null`, "expected a JSON object (a test event), not null"},
	} {
		_, err := DecodeObject([]byte(c.body), "a test event")
		checkErr(t, c.body, err, -1, "", c.msg)
	}
	root, err := DecodeObject([]byte(`{"id": 7, "name": "n", "at": 1715688000, "flag": true,
		"dep": {"sha": "abc", "n": 1, "user": {"login": 5}}, "labels": {"b": 2, "a": "x", "n": null},
		"bad": {"k": []}, "list": [1], "nil": null}`), "x")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := root.Flex("id"); id != "7" || err != nil {
		t.Errorf("Flex: %q, %v", id, err)
	}
	if at, err := root.Time("at"); !at.Equal(time.Unix(1715688000, 0)) || err != nil {
		t.Errorf("Time: %v, %v", at, err)
	}
	f, err := root.Strings("name", "absent")
	if err != nil || !reflect.DeepEqual(f, map[string]string{"name": "n", "absent": ""}) {
		t.Errorf("Strings: %v, %v", f, err)
	}
	dep, ok, err := root.Object("dep")
	if !ok || err != nil || dep.Path("sha") != "dep.sha" {
		t.Fatalf("Object: %v %v %q", ok, err, dep.Path("sha"))
	}
	_, err = dep.String("n")
	checkErr(t, "nested string", err, -1, "dep.n", "must be a string, not a number")
	user, _, _ := dep.Object("user")
	_, err = user.String("login")
	checkErr(t, "nested twice", err, -1, "dep.user.login", "must be a string, not a number")
	_, err = root.Strings("name", "id")
	checkErr(t, "Strings", err, -1, "id", "must be a string")
	if _, ok, err := root.Object("nil"); ok || err != nil {
		t.Errorf("null object: %v %v", ok, err)
	}
	_, _, err = root.Object("list")
	checkErr(t, "Object", err, -1, "list", "must be an object, not an array")

	labels, err := root.StringMap("labels")
	if err != nil || !reflect.DeepEqual(labels, map[string]string{"a": "x", "b": "2"}) {
		t.Errorf("StringMap: %v, %v", labels, err)
	}
	_, err = root.StringMap("bad")
	checkErr(t, "StringMap value", err, -1, "bad.k", "must be a string, not an array")
	_, err = root.StringMap("list")
	checkErr(t, "StringMap", err, -1, "list", "must be an object, not an array")

	want := map[string]string{"id": "7", "name": "n", "at": "1715688000", "flag": "true"}
	if got := root.Scalars(); !reflect.DeepEqual(got, want) {
		t.Errorf("Scalars = %v, want %v", got, want)
	}
	if raw := root.Raw("list"); string(raw) != "[1]" {
		t.Errorf("Raw = %s", raw)
	}
}
