package models_test

import (
	"strings"
	"testing"
	"unicode"

	"hindsight/models"
)

func TestSearchTerms(t *testing.T) {
	cases := map[string]string{
		"Migration locked":         "migration locked",
		`"*:&|!()'`:                "",
		"e-mail  template":         "e mail template",
		"Bücher für Schüler":       "bücher für schüler",
		"INC-42":                   "inc 42",
		strings.Repeat("a ", 40):   strings.TrimSpace(strings.Repeat("a ", 16)),
		"db:migrate OR 1=1; --":    "db migrate or 1 1",
		"NEAR(a b) AND title:evil": "near a b and title evil",
	}
	for in, want := range cases {
		if got := strings.Join(models.SearchTerms(in), " "); got != want {
			t.Errorf("SearchTerms(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSearchTerms checks the property the search backends rely on: terms
// are made of letters and digits only, so splicing them into a tsquery or an
// FTS5 MATCH expression cannot change its syntax.
func FuzzSearchTerms(f *testing.F) {
	for _, seed := range []string{"migration", `"a" OR b*`, "x:* & !y", "\x00\xff", "title:(a)"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms := models.SearchTerms(q)
		if len(terms) > 16 {
			t.Fatalf("%d terms", len(terms))
		}
		for _, term := range terms {
			if term == "" {
				t.Fatal("empty term")
			}
			for _, r := range term {
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					t.Fatalf("term %q of %q has %q", term, q, r)
				}
			}
		}
	})
}
