package blameless

import (
	"slices"
	"testing"
)

// FuzzCheck: no panic; every finding's offsets are in range and on rune
// boundaries, text[Start:End] == Match, findings are sorted and disjoint,
// and a second Checker gives the same findings. The fuzzer also picks a
// person's name and an admin phrase.
func FuzzCheck(f *testing.F) {
	for _, c := range ruleCases {
		for _, ex := range c.flags {
			f.Add(ex, "Alice Martin", "c++ guy")
		}
		for _, ex := range c.leaves {
			f.Add(ex, "Zoë Ødegård", "a.b")
		}
	}
	f.Add("«Alice forgot» `human error` ```\nhuman error\n``` Bob’s fault", "Bob", "fault")
	f.Add("Ünïcödé — Zoë’s fault 😀 human\u00a0error \xff\xfe", "Zoë", "\xff")
	f.Add("``a ` b`` \\`c` https://x.y/forgot engineers' fault", "Jean-Luc Picard", "engineers'")
	f.Add("a a a a", "a", "a a")
	f.Fuzz(func(t *testing.T, text, person, phrase string) {
		rules := DefaultRules()
		if r, err := CustomRule(phrase, ""); err == nil {
			rules = append(rules, r)
		}
		people := []string{person, "Alice Martin", "Zoë Ødegård"}
		got := Check(text, rules, people)
		checkInvariants(t, text, got)
		known := map[string]bool{PersonRuleID: true}
		for _, r := range rules {
			known[r.ID] = true
		}
		for _, f := range got {
			if !known[f.RuleID] {
				t.Fatalf("Check(%q): unknown rule in %+v", text, f)
			}
		}
		if again := NewChecker(rules, people).Check(text); !slices.Equal(got, again) {
			t.Fatalf("Check(%q) not deterministic: %+v then %+v", text, got, again)
		}
	})
}
