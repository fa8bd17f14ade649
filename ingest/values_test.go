package ingest

import (
	"encoding/json"
	"testing"
)

func TestTruthy(t *testing.T) {
	for raw, want := range map[string]bool{
		`true`: true, `"true"`: true, `"YES"`: true, `" on "`: true, `1`: true, `"2.5"`: true, `["0042"]`: true, `{"a": 1}`: true,
		`false`: false, `"no"`: false, `0`: false, `"0"`: false, `[]`: false, `{}`: false, `null`: false, ``: false, `"maybe"`: false,
	} {
		if got := Truthy(json.RawMessage(raw)); got != want {
			t.Errorf("Truthy(%s) = %v, want %v", raw, got, want)
		}
	}
	if !TruthyString(" Y ") || TruthyString("off") {
		t.Error("TruthyString")
	}
}

func TestStringHelpers(t *testing.T) {
	if got := FirstNonEmpty("", "  ", " b ", "c"); got != "b" {
		t.Errorf("FirstNonEmpty = %q", got)
	}
	if got := Truncate("héllo", 2); got != "h" {
		t.Errorf("Truncate = %q", got)
	}
	if got := Quote(`say "hi"`); got != `"say \"hi\""` {
		t.Errorf("Quote = %s", got)
	}
	if got := ShellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("ShellQuote = %s", got)
	}
}
