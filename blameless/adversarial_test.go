package blameless

import (
	"strings"
	"testing"
	"time"
)

// TestAdversarialInputsAreLinear: texts built to make a naive checker
// quadratic are checked in about the time of an ordinary text of the same
// size (1 MB, the server's default body limit).
func TestAdversarialInputsAreLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	var backticks strings.Builder
	for n := 1; backticks.Len() < 1<<20; n++ {
		backticks.WriteString(strings.Repeat("`", n) + " x ")
	}
	long := strings.Repeat("Alice ", 200)
	a, _ := CustomRule("a a", "")
	inputs := map[string]string{
		"backtick runs of every length": backticks.String(),
		"schemes":                       strings.Repeat("ab://", 1<<18),
		"letters before a scheme":       strings.Repeat("a", 1<<20) + "://",
		"possessives":                   strings.Repeat("Bob's ", 1<<17),
		"one long merged finding":       strings.Repeat("a ", 1<<19),
		"fences":                        strings.Repeat("```\n", 1<<18),
		"apostrophes":                   strings.Repeat("a'", 1<<19),
		"the same name over and over":   strings.Repeat(long, 1<<20/len(long)),
		"phrases everywhere":            strings.Repeat("Alice forgot, should have just human error. ", 1<<20/44),
	}
	rules := append(DefaultRules(), a)
	c := NewChecker(rules, []string{strings.Repeat("Alice ", 30), "Alice Alice Alice", "Bob"})
	for name, text := range inputs {
		start := time.Now()
		c.Check(text)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %v for %d bytes", name, d, len(text))
		} else {
			t.Logf("%s: %v for %d bytes", name, d, len(text))
		}
	}
}
