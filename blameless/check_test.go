package blameless

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// checkMarked checks text (with «…» markers) and compares the findings of
// rule id ("" for all) with the marked spans.
func checkMarked(t *testing.T, ex string, rules []Rule, people []string, id string) []Finding {
	t.Helper()
	text, want := marked(t, ex)
	got := Check(text, rules, people)
	if gs := spansOf(got, id); !slices.Equal(gs, want) {
		t.Errorf("Check(%q) = %s, want %s", text, show(text, gs), show(text, want))
	}
	checkInvariants(t, text, got)
	return got
}

// checkInvariants: offsets in range, on rune boundaries, Match is the
// slice, sorted by Start, no overlaps.
func checkInvariants(t *testing.T, text string, fs []Finding) {
	t.Helper()
	boundary := make([]bool, len(text)+1)
	for i := range text {
		boundary[i] = true
	}
	boundary[len(text)] = true
	for k, f := range fs {
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			t.Fatalf("Check(%q): finding %+v out of range", text, f)
		}
		if !boundary[f.Start] || !boundary[f.End] {
			t.Fatalf("Check(%q): finding %+v not on rune boundaries", text, f)
		}
		if text[f.Start:f.End] != f.Match {
			t.Fatalf("Check(%q): finding %+v: text[Start:End] = %q", text, f, text[f.Start:f.End])
		}
		if f.RuleID == "" || f.Explanation == "" || f.Suggestion == "" {
			t.Fatalf("Check(%q): finding %+v incomplete", text, f)
		}
		if k > 0 && fs[k-1].End > f.Start {
			t.Fatalf("Check(%q): findings %+v and %+v overlap or are out of order", text, fs[k-1], f)
		}
	}
}

var team = []string{"Alice Martin", "Bob", "Zoë Ødegård", "Al Jones", "Jean-Luc Picard", "Will Smith", "Mary van der Berg", "李雷", "  Chris   O’Brien  ", ""}

func TestPeople(t *testing.T) {
	flags := []string{
		"«Alice forgot» to run the migration.",
		"«Alice Martin broke» the build.",
		"Then «Bob accidentally deleted» the index.",
		"«Zoë Ødegård missed» the page.",
		"«Zoë didn’t» check the replica.",
		"«Bob did not» wait for the canary.",
		"«Al caused» the outage.",
		"«Jean-Luc dropped» the table.",
		"«Jean-Luc Picard pushed» a bad config.",
		"«Mary van der Berg overlooked» the warning.",
		"«李雷 failed» the check.",
		"«Chris ignored» it; «Chris O'Brien messed up» the DNS.",
		"«ALICE FORGOT»",
		"«Alice\nforgot»",
		"«Alice then screwed up» the rollout.",
	}
	for _, ex := range flags {
		got := checkMarked(t, ex, nil, team, PersonRuleID)
		for _, f := range got {
			if f.Explanation != personExplanation || f.Suggestion != personSuggestion || f.Mild {
				t.Errorf("person finding %+v", f)
			}
		}
	}
	leaves := []string{
		"Alice restarted the pods.",
		"Alice noticed the alert.",
		"Alice",
		"Alert broke the build.",       // "Al" is not in "Alert"
		"Alfred forgot the key.",       // nor in "Alfred"
		"Bobby broke the build.",       // nor "Bob" in "Bobby"
		"Martin forgot.",               // a last name alone is not a first name
		"Alice's change broke the API", // the change is the subject
		"will failed deploys retry?",   // lower-case: the verb, not Will
		"alice forgot",                 // a capitalised name needs a capital
		"Alice\n\nforgot",              // not across a paragraph
		"Luc forgot",                   // not a first name
		"Alice failed over the database.",
		"Bob pushed back on the plan.",
		"`Alice forgot`",
		"Mary Van forgot", // "Mary" followed by no verb; "Van" starts no name
		"Smith-Alice forgot",
	}
	for _, ex := range leaves {
		if got := Check(ex, nil, team); len(got) > 0 {
			t.Errorf("Check(%q) = %+v, want nothing", ex, got)
		}
	}
	// Without people there is no person rule.
	if got := Check("Alice forgot", nil, nil); got != nil {
		t.Errorf("got %+v without people", got)
	}
	if got := Check("Alice forgot", nil, []string{"", "  ", "!!", "@"}); got != nil {
		t.Errorf("got %+v with names of no words", got)
	}
	// A lower-case name in the list matches any case.
	checkMarked(t, "«ALICE forgot», «alice forgot»", nil, []string{"alice"}, PersonRuleID)
}

func TestCustomRule(t *testing.T) {
	valid := []struct {
		phrase, id      string
		flags, leaves   []string
		wantSuggestion  string
		givenSuggestion string
	}{
		{
			phrase: "rockstar", id: "custom:rockstar",
			flags:  []string{"our «Rockstar» engineer", "a «ROCKSTAR»", "«rockstar»-developer"},
			leaves: []string{"rockstars", "the rock star", "`rockstar`"},
		},
		{
			phrase: "  c++   guy ", id: "custom:c++ guy",
			flags:  []string{"ask the «C++ guy»", "the «c++\nguy»"},
			leaves: []string{"the c guy", "the c++guy", "the c+ guy", "the c++ guys"},
		},
		{
			phrase: "hero culture", id: "custom:hero culture",
			flags:  []string{"our «hero\tculture»", "«Hero Culture»."},
			leaves: []string{"heroculture", "hero\n\nculture", "superhero culture"},
		},
		{
			phrase: "a.b", id: "custom:a.b",
			flags:  []string{"«a.b»", "x «A.B» y"},
			leaves: []string{"axb", "a b", "a.bc"},
		},
		{
			phrase: "x* [abc] (oops) $1 ^|", id: "custom:x* [abc] (oops) $1 ^|",
			flags:  []string{"«x* [abc] (oops) $1 ^|»"},
			leaves: []string{"xxx a (oops) 1 |", "x [abc] (oops) $1 ^|"},
		},
		{
			phrase: "don’t care", id: "custom:don’t care",
			flags:  []string{"we «don't care»", "we «DON’T care»"},
			leaves: []string{"we do not care", "don t care"},
		},
		{
			phrase: "ninja", id: "custom:ninja",
			givenSuggestion: "  Say what the person did.  ", wantSuggestion: "Say what the person did.",
			flags:  []string{"a «ninja» fix"},
			leaves: []string{"ninjas"},
		},
	}
	for _, c := range valid {
		r, err := CustomRule(c.phrase, c.givenSuggestion)
		if err != nil {
			t.Errorf("CustomRule(%q): %v", c.phrase, err)
			continue
		}
		want := c.wantSuggestion
		if want == "" {
			want = customSuggestion
		}
		if r.ID != c.id || r.Phrase != strings.Join(strings.Fields(c.phrase), " ") || r.Suggestion != want || r.Explanation == "" || r.Mild {
			t.Errorf("CustomRule(%q) = %+v", c.phrase, r)
		}
		for _, ex := range c.flags {
			checkMarked(t, ex, []Rule{r}, nil, "")
		}
		for _, ex := range c.leaves {
			if got := Check(ex, []Rule{r}, nil); len(got) > 0 {
				t.Errorf("rule %q: Check(%q) = %+v, want nothing", c.phrase, ex, got)
			}
		}
	}

	hundred := strings.Repeat("é", 100)
	if _, err := CustomRule(hundred, ""); err != nil {
		t.Errorf("100 characters refused: %v", err)
	}
	invalid := []struct {
		phrase string
		err    error
	}{
		{"", ErrEmptyPhrase},
		{" \n\t ", ErrEmptyPhrase},
		{hundred + "e", ErrLongPhrase},
		{"!!!", ErrPhraseNoWords},
		{"… — ’", ErrPhraseNoWords},
		{"* ?", ErrPhraseNoWords},
		{"bad\xffphrase", ErrPhraseUTF8},
	}
	for _, c := range invalid {
		r, err := CustomRule(c.phrase, "x")
		if !errors.Is(err, c.err) || r.m != nil {
			t.Errorf("CustomRule(%q) = %+v, %v; want %v", c.phrase, r, err, c.err)
		}
	}
}

func TestMarkdown(t *testing.T) {
	rules := DefaultRules()
	cases := []string{
		"The `human error` counter; but «human error» here.",
		"``human ` error`` then «careless»",
		"an unclosed `«human error»",
		"an escaped \\`«human error»\\`",
		"```\nhuman error\n```\n«careless»",
		"~~~ text\nhuman error\n~~~\n«careless»",
		"```go\nhuman error\n",                          // unclosed fence: code to the end
		"````\n```\nhuman error\n```\n````\n«careless»", // a shorter fence does not close
		"> ```\n> human error\n> ```\n> «careless»",
		"- item\n\n    ```\n    human error\n    ```\n«careless»",
		"``` not `a fence\n«human error»", // backtick info strings hold no backtick
		"`a\n\n«human error»` b",          // a code span does not cross a blank line
		"`a\n«careless» b",                // unclosed
		"see https://example.com/human%20error/forgot and «forgot»",
		"see <https://wiki/careless> and «careless»",
		"x://«careless» and y «careless»",        // a one-letter scheme is no URL
		"«human error»`code`",                    // a code span right after a phrase
		"> The customer wrote: «human\n> error»", // a phrase across the lines of a blockquote
		"> «human error»\n>\n> error",            // a blank line in a blockquote ends a paragraph
		">«careless»",
		"a -> «careless»",
		"_«obviously»_ and **«human error»** and __«careless»__",
		"human_error_count, human__error and _human_error_ are identifiers",
		"«careless»_",
	}
	for _, ex := range cases {
		checkMarked(t, ex, rules, nil, "")
	}
}

func TestSkippedSpansSorted(t *testing.T) {
	text := "a `b` https://x.y/z ``c`` d\n```\ne\n```\nf `g`\n\n~~~\nh"
	sp := skippedSpans(text)
	want := []string{"`b`", "https://x.y/z", "``c``", "```\ne\n```", "`g`", "~~~\nh"}
	var got []string
	for k, s := range sp {
		if s.start >= s.end || k > 0 && sp[k-1].end > s.start {
			t.Fatalf("spans %v not sorted and disjoint", sp)
		}
		got = append(got, text[s.start:s.end])
	}
	if !slices.Equal(got, want) {
		t.Errorf("skippedSpans = %q, want %q", got, want)
	}
}

func TestUTF8Offsets(t *testing.T) {
	rules := DefaultRules()
	cases := []string{
		"Ünïcödé — «Zoë’s fault» 😀 «human error» 日本語",
		"😀😀«human\u00a0error»😀", // a no-break space is whitespace
		"«Zoë Ødegård forgot» ✓",
		"«Ødegård’s fault»",
		"Ünïcödé «carelessness», and «careless»—",
		"\xff«careless»\xfe «human error»\xff",
	}
	for _, ex := range cases {
		checkMarked(t, ex, rules, []string{"Zoë Ødegård"}, "")
	}
}

func TestOverlaps(t *testing.T) {
	rules := DefaultRules()
	// The person rule's "Alice forgot" is longer than "forgot".
	got := checkMarked(t, "«Alice forgot» the flag.", rules, team, "")
	if got[0].RuleID != PersonRuleID {
		t.Errorf("got %+v", got)
	}
	// "should have just" (just-simply) is longer than "should have".
	got = checkMarked(t, "we «should have just» rolled back", rules, nil, "")
	if got[0].RuleID != "just-simply" {
		t.Errorf("got %+v", got)
	}
	// The same length: the earlier rule in the list wins.
	custom, err := CustomRule("human error", "mine")
	if err != nil {
		t.Fatal(err)
	}
	got = checkMarked(t, "«human error»", append([]Rule{custom}, rules...), nil, "")
	if got[0].RuleID != custom.ID {
		t.Errorf("got %+v", got)
	}
	got = checkMarked(t, "«human error»", append(rules, custom), nil, "")
	if got[0].RuleID != "human-error" {
		t.Errorf("got %+v", got)
	}
	// Overlapping matches of one rule merge.
	aa, _ := CustomRule("a a", "")
	checkMarked(t, "«a a a» b «a a»", []Rule{aa}, nil, "")
	// Longer wins even when it starts later: "blame" vs "careless blame"? Use
	// a custom rule that overlaps the end of a built-in one.
	tail, _ := CustomRule("error budget burn", "")
	got = checkMarked(t, "human «error budget burn»", append(rules, tail), nil, "")
	if got[0].RuleID != tail.ID {
		t.Errorf("got %+v", got)
	}
	// Adjacent findings are not overlapping: both stay.
	checkMarked(t, "«careless» «sloppy»", rules, nil, "")
}

func TestCheckerConcurrent(t *testing.T) {
	c := NewChecker(DefaultRules(), team)
	text := "Alice forgot. It was human error. `careless`"
	want := c.Check(text)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got := c.Check(text); !slices.Equal(got, want) {
					t.Errorf("got %+v, want %+v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	if len(want) != 2 {
		t.Errorf("want = %+v", want)
	}
}

func TestCheckEmpty(t *testing.T) {
	for _, text := range []string{"", " ", "\n\n", "```", "`", "«»"} {
		if got := Check(text, DefaultRules(), team); got != nil {
			t.Errorf("Check(%q) = %+v", text, got)
		}
	}
	if got := Check("human error", nil, nil); got != nil {
		t.Errorf("no rules: %+v", got)
	}
	if !utf8.ValidString(DefaultRules()[0].Suggestion) {
		t.Error("invalid UTF-8 in a suggestion")
	}
}
