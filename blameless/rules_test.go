package blameless

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// ruleCases holds, for every built-in rule, texts it flags and texts it
// leaves alone. In flags, «…» marks every expected finding exactly. A rule
// of DefaultRules without both kinds of example fails TestDefaultRulesTable.
var ruleCases = map[string]struct{ flags, leaves []string }{
	"human-error": {
		flags: []string{
			"The root cause was «human error».",
			"Two «Human Errors» combined with a slow disk.",
			"It was «human\nerror», again.",
			"«human mistakes» happen",
			"a classic «PEBKAC»",
			"a «layer 8 problem»",
			"tagged «human-error» in the tracker",
			"The customer wrote: 'your «human error» cost us a day'.",
		},
		leaves: []string{
			"The counter `human_error_count` rose.",
			"The counter human_error_count rose.",
			"human\n\nerror",
			"humane errors",
			"the human factors review",
			"```\nhuman error\n```",
			"the error was human-readable",
		},
	},
	"should-have": {
		flags: []string{
			"She «should have known» better.",
			"We «should’ve» rolled back sooner.",
			"The reviewer «Should Not Have» approved it.",
			"Someone «ought to have checked».",
			"Bob «shouldn't have» merged on Friday.",
			"we «should\nhave» paged",
		},
		leaves: []string{
			"What should we have done differently?",
			"The alert should fire within five minutes.",
			"A shoulder surgery; we have time.",
			"should\n\nhave",
		},
	},
	"careless": {
		flags: []string{
			"a «careless» change",
			"«Carelessness» caused the outage.",
			"the flag was «carelessly» flipped",
		},
		leaves: []string{
			"She carefully drained the node.",
			"We care less about latency than about errors.",
			"the `careless` flag",
			"the careless-mode option",
		},
	},
	"negligent": {
		flags: []string{
			"a «negligent» deploy",
			"«Negligence» is not a root cause.",
			"«negligently» skipped",
		},
		leaves: []string{
			"negligible latency",
			"the extra cost was negligibly small",
		},
	},
	"fault": {
		flags: []string{
			"It was «Bob's fault».",
			"It was «Bob’s fault».",
			"«their fault», not ours",
			"It was «the fault of» the on-call engineer.",
			"the reviewer was «at fault»",
			"«Whose fault» was it?",
			"the «engineers' fault», they said",
			"«my fault», sorry",
		},
		leaves: []string{
			"Kafka's fault tolerance saved us.",
			"a segmentation fault in the agent",
			"a page fault storm",
			"It's nobody's fault.",
			"It wasn't Alice's fault.",
			"no one's fault",
			"fault injection in staging",
			"its fault handling is weak",
			"a fault in the disk controller",
		},
	},
	"forgot": {
		flags: []string{
			"She «forgot» to drain the node.",
			"a «forgotten» cron job",
			"«Forgetting» the flag cost an hour.",
		},
		leaves: []string{
			"The forgot-password page returned 500.",
			"The `forgot` endpoint",
			"Don't forget to drain the node.",
			"see https://example.com/forgot/password",
		},
	},
	"failed-to": {
		flags: []string{
			"«He failed to» check the dashboard.",
			"the «engineer failed to» roll back",
			"the «on-call failed to» acknowledge",
			"The «responders failed to notice» the alert.",
			"a «failure to follow the runbook»",
			"«failed to pay attention»",
			"«we fail to» test restores",
		},
		leaves: []string{
			"The job failed to start.",
			"The pods failed to become ready.",
			"the replica failed to follow the leader",
			"They failed to connect to the database.",
			"engineer\n\nfailed to",
		},
	},
	"didnt-bother": {
		flags: []string{
			"He «didn't bother» to check.",
			"They «did not bother» with staging.",
			"he «couldn’t be bothered»",
			"«not bothering» to test",
		},
		leaves: []string{
			"Don't bother restarting the pod; it will not help.",
			"Sorry to bother you at night.",
			"I'm not bothered by the noise.",
		},
	},
	"sloppy": {
		flags: []string{
			"«sloppy» work",
			"«Sloppiness» in review",
			"«sloppily» written",
		},
		leaves: []string{
			"the slope of the graph",
			"some slop in the timer",
		},
	},
	"incompetent": {
		flags: []string{
			"an «incompetent» vendor",
			"sheer «incompetence»",
			"an «inept» fix",
		},
		leaves: []string{
			"a competent review",
			"the incomplete migration",
			"inception",
		},
	},
	"insult": {
		flags: []string{
			"a «stupid» change",
			"what an «idiot»",
			"a «rookie mistake»",
			"«clueless» about DNS",
		},
		leaves: []string{
			"idiomatic Go",
			"a rookie on the team",
			"stupendous progress",
		},
	},
	"reckless": {
		flags: []string{
			"a «reckless» migration",
			"«recklessly» deleted",
			"«Recklessness»",
		},
		leaves: []string{
			"a wreck",
			"the day of reckoning",
		},
	},
	"blame": {
		flags: []string{
			"Who is to «blame»?",
			"They «blamed» the network team.",
			"«Blaming» people does not help.",
		},
		leaves: []string{
			"a blameless review",
			"git blame shows the line",
			"Nobody is to blame.",
			"We do not blame individuals.",
			"a blame-free culture",
			"`git blame`",
		},
	},
	"mistake": {
		flags: []string{
			"Bob «made a mistake» in the config.",
			"It was «his mistake».",
			"they «made several mistakes»",
			"She «made an error».",
			"«their errors» piled up",
		},
		leaves: []string{
			"their error rate rose",
			"the mistake in the config file",
			"The new logger made errors visible.",
			"his error budget",
		},
	},
	"inattention": {
		flags: []string{
			"He «didn't pay attention».",
			"a «lack of care»",
			"we got «complacent»",
			"«not paying attention» to the graph",
		},
		leaves: []string{
			"Pay attention to the disk graph.",
			"a lack of capacity",
			"Attention: read this first.",
		},
	},
	"ignored-warning": {
		flags: []string{
			"The on-call «ignored the alert».",
			"«ignored warnings» for a week",
			"«disregarded the runbook»",
		},
		leaves: []string{
			"The parser ignored the field.",
			"The alerts were not ignored.",
			"a warning that was ignored by the filter",
		},
	},
	"obviously": {
		flags: []string{
			"«Obviously», the cache was stale.",
			"the «obvious» fix",
			"it was «clearly» wrong",
			"«of course» nobody checked",
		},
		leaves: []string{
			"It was not obvious that the cache was stale.",
			"It wasn't clear which region was affected.",
			"The cause was not clearly visible.",
			"a course of action",
		},
	},
	"just-simply": {
		flags: []string{
			"They could «simply» restart it.",
			"we «should have just» rolled back",
			"she «could just» revert",
			"he «just had to» flip the flag",
			"«all they had to do» was wait",
		},
		leaves: []string{
			"just before the deploy",
			"We just deployed the fix.",
			"It is not simply a matter of capacity.",
			"justify the change",
		},
	},
}

// marked parses «…» markers: the text without them and the marked spans.
func marked(t *testing.T, s string) (string, []span) {
	t.Helper()
	var b strings.Builder
	var spans []span
	for {
		i := strings.Index(s, "«")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "»")
		if j < 0 {
			t.Fatalf("unbalanced markers in %q", s)
		}
		b.WriteString(s[:i])
		start := b.Len()
		b.WriteString(s[i+len("«") : i+j])
		spans = append(spans, span{start, b.Len()})
		s = s[i+j+len("»"):]
	}
	if strings.Contains(s, "»") {
		t.Fatalf("unbalanced markers in %q", s)
	}
	b.WriteString(s)
	return b.String(), spans
}

func spansOf(fs []Finding, id string) []span {
	var out []span
	for _, f := range fs {
		if id == "" || f.RuleID == id {
			out = append(out, span{f.Start, f.End})
		}
	}
	return out
}

func TestDefaultRulesTable(t *testing.T) {
	rules := DefaultRules()
	ids := map[string]bool{}
	for _, r := range rules {
		ids[r.ID] = true
		c, ok := ruleCases[r.ID]
		if !ok || len(c.flags) == 0 || len(c.leaves) == 0 {
			t.Errorf("rule %q needs at least one example it flags and one it leaves alone in ruleCases", r.ID)
			continue
		}
		t.Run(r.ID, func(t *testing.T) {
			for _, ex := range c.flags {
				text, want := marked(t, ex)
				if len(want) == 0 {
					t.Fatalf("flags example %q marks nothing", ex)
				}
				got := Check(text, []Rule{r}, nil)
				if gs := spansOf(got, ""); !slices.Equal(gs, want) {
					t.Errorf("Check(%q) = %s, want %s", text, show(text, gs), show(text, want))
				}
				for _, f := range got {
					if f.RuleID != r.ID || f.Explanation != r.Explanation || f.Suggestion != r.Suggestion || f.Mild != r.Mild {
						t.Errorf("Check(%q): finding %+v does not carry the rule's texts", text, f)
					}
				}
				// Alone or among all rules, the rule finds at least as much
				// (another rule may win an overlap, never erase a finding).
				if all := Check(text, rules, nil); len(all) < len(want) {
					t.Errorf("Check(%q) with all rules = %+v", text, all)
				}
			}
			for _, ex := range c.leaves {
				if got := Check(ex, []Rule{r}, nil); len(got) > 0 {
					t.Errorf("Check(%q) = %s, want nothing", ex, show(ex, spansOf(got, "")))
				}
			}
		})
	}
	for id := range ruleCases {
		if !ids[id] {
			t.Errorf("ruleCases has examples for %q, which is not a default rule", id)
		}
	}
}

func show(text string, spans []span) string {
	parts := []string{}
	for _, s := range spans {
		parts = append(parts, fmt.Sprintf("%d:%d %q", s.start, s.end, text[s.start:s.end]))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func TestDefaultRulesFields(t *testing.T) {
	rules := DefaultRules()
	if len(rules) < 15 {
		t.Fatalf("only %d default rules", len(rules))
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if r.ID == "" || r.Phrase == "" || r.Explanation == "" || r.Suggestion == "" || r.m == nil || len(r.m.seqs) == 0 {
			t.Errorf("incomplete rule %+v", r)
		}
		if seen[r.ID] || r.ID == PersonRuleID || strings.HasPrefix(r.ID, "custom:") {
			t.Errorf("rule ID %q is taken", r.ID)
		}
		seen[r.ID] = true
	}
	// A fresh slice on every call: changing one does not change the next.
	rules[0].ID = "changed"
	rules = append(rules[:1], rules[2:]...)
	again := DefaultRules()
	if again[0].ID == "changed" || len(again) != len(seen) {
		t.Errorf("DefaultRules shares its slice with callers")
	}
}

// A rule changed by the caller keeps its matcher: an admin may rename a
// rule or rewrite its suggestion.
func TestRuleFieldsEditable(t *testing.T) {
	r := DefaultRules()[0]
	r.ID, r.Suggestion = "mine", "Say what the system allowed."
	got := Check("It was human error.", []Rule{r}, nil)
	if len(got) != 1 || got[0].RuleID != "mine" || got[0].Suggestion != "Say what the system allowed." {
		t.Errorf("got %+v", got)
	}
	// A hand-made rule has no matcher and matches nothing.
	if got := Check("human error", []Rule{{ID: "x", Phrase: "human error"}}, nil); got != nil {
		t.Errorf("hand-made rule matched: %+v", got)
	}
}

func TestCompilePatternErrors(t *testing.T) {
	for _, p := range []string{"", "  ", "{a|b", "{a|}", "{a}? b", "a }", "a | b", "{!!|a} ?"} {
		if _, err := compilePattern(p); err == nil {
			t.Errorf("compilePattern(%q) accepted", p)
		}
	}
	for _, p := range []string{"a", "a {b|c d}? e", "{*'s|my} fault", "on-call {x}?"} {
		if _, err := compilePattern(p); err != nil {
			t.Errorf("compilePattern(%q): %v", p, err)
		}
	}
}
