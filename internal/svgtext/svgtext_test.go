package svgtext

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestEsc(t *testing.T) {
	for in, want := range map[string]string{
		`<script>&"'`: "&lt;script&gt;&amp;&quot;&#39;",
		"a\tb\nc":     "a b c",
		"bad \xff":    "bad \uFFFD",
		"nul \x00":    "nul \uFFFD",
	} {
		if got := Esc(in); got != want {
			t.Errorf("Esc(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"  two\t\nwords  ":     "two words",
		"rtl \u202Eevil":       "rtl evil",
		"ctl \x07bell \x7fdel": "ctl bell del",
		"bad \xff byte":        "bad \uFFFD byte",
	} {
		if got := Clean(in, 100); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Clean("abcdef", 3); got != "abc" {
		t.Errorf("Clean limit: %q", got)
	}
}

func TestFit(t *testing.T) {
	long := strings.Repeat("word ", 40)
	got := Fit(long, 100, 12)
	if !strings.HasSuffix(got, "…") || TextWidth(got, 12) > 100 {
		t.Errorf("Fit = %q (%.1f wide)", got, TextWidth(got, 12))
	}
	if Fit("short", 100, 12) != "short" {
		t.Error("a short label was changed")
	}
	if TextWidth("mmmm", 10) <= TextWidth("iiii", 10) {
		t.Error("wide glyphs are not estimated wider")
	}
}

func FuzzEscIsWellFormed(f *testing.F) {
	f.Add("<a href='x'>&amp;</a>\x00\xff")
	f.Fuzz(func(t *testing.T, s string) {
		doc := "<t a=\"" + Esc(Clean(s, 200)) + "\">" + Esc(s) + "</t>"
		if err := xml.Unmarshal([]byte(doc), new(struct{})); err != nil {
			t.Fatalf("not well-formed for %q: %v", s, err)
		}
	})
}
