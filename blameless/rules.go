package blameless

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Rule is one kind of wording to flag. Build rules with DefaultRules or
// CustomRule: they compile the matcher once, and copies of a Rule share
// it. The exported fields may be changed on a copy (an admin's own ID,
// explanation or suggestion); a Rule built any other way matches nothing.
type Rule struct {
	ID          string // stable identifier: "human-error", or "custom:<phrase>"
	Phrase      string // what the admin typed, or a description of what the rule matches
	Explanation string // why the wording is not blameless
	Suggestion  string // neutral wording to use instead
	Mild        bool   // a nudge about hindsight bias ("obviously", "just") rather than blame

	m *matcher
}

// PersonRuleID is the RuleID of the findings about a person named as the
// subject of a failure ("Alice forgot…"), which Check makes from its people
// argument rather than from a Rule.
const PersonRuleID = "person-subject"

// ruleDef is a built-in rule in source form.
type ruleDef struct {
	id, phrase, explanation, suggestion string
	mild                                bool
	patterns                            []string // see compilePattern
	notBefore, notAfter                 []string
	negatable                           bool
}

// builtin is the one list of built-in rules, compiled once.
var builtin = sync.OnceValue(func() []Rule {
	defs := []ruleDef{
		{
			id:          "human-error",
			phrase:      `"human error", "human mistake", PEBKAC, "layer 8 problem"`,
			explanation: `"Human error" names a person as the cause and ends the inquiry where it should begin: people act sensibly on what they know and on what the system lets them do.`,
			suggestion:  `Describe what the system allowed: which safeguard, check or signal was missing ("the console ran the command on production without a confirmation").`,
			patterns: []string{
				"human {error|errors|mistake|mistakes|failure|failures}",
				"{human-error|human-errors}",
				"{pebkac|pebcak|id10t}",
				"layer 8 {issue|issues|problem|problems|error|errors}",
			},
		},
		{
			id:          "should-have",
			phrase:      `"should have", "should've", "shouldn't have", "ought to have"`,
			explanation: `"Should have" judges a past decision with knowledge that only came afterwards (hindsight bias); it says what did not happen instead of why what happened made sense at the time.`,
			suggestion:  `Describe what people knew and saw at the time and why their action made sense then; about a system, say what it was built or configured to do ("the alert was set to fire after 10 minutes").`,
			patterns: []string{
				"{should|shouldn't|shouldnt|should not|ought to|oughtn't to} have {known|noticed|caught|checked|realized|realised|seen|tested|verified|asked|waited|looked}?",
				"{should've|shouldn't've|shoulda} {known|noticed|caught|checked|realized|realised|seen|tested|verified|asked|waited|looked}?",
			},
		},
		{
			id:          "careless",
			phrase:      "careless, carelessness",
			explanation: `"Careless" judges a person's character instead of explaining the conditions of the work.`,
			suggestion:  `Describe the conditions: time pressure, a missing check, confusing tooling ("the two environments looked identical in the console").`,
			patterns:    []string{"{careless|carelessly|carelessness}"},
		},
		{
			id:          "negligent",
			phrase:      "negligent, negligence",
			explanation: `"Negligent" is a legal and moral verdict on a person; a postmortem is about how the system let this happen.`,
			suggestion:  `Say which step, check or guard rail was missing, and what the procedure asked for.`,
			patterns:    []string{"{negligent|negligently|negligence}"},
		},
		{
			id:          "fault",
			phrase:      `"Alice's fault", "their fault", "the fault of", "at fault"`,
			explanation: `Assigning fault makes a person the cause and stops the search for the conditions that made the failure possible.`,
			suggestion:  `Name the contributing factors instead: the change, the missing check, the signal nobody could see ("the config change reached production without a review").`,
			patterns: []string{
				"{*'s|my|your|his|her|their|our|whose} fault",
				"the fault of",
				"at fault",
			},
			// "Kafka's fault tolerance" is engineering, not blame.
			notBefore: []string{
				"tolerance", "tolerant", "injection", "injector", "detection", "detector", "domain", "domains",
				"handling", "handler", "handlers", "isolation", "line", "lines", "code", "codes", "model",
				"counter", "counters", "zone", "zones", "recovery", "rate", "rates", "tree", "analysis",
				"management", "reporting", "log", "logs", "condition", "conditions", "status", "state",
				"states", "mode", "modes", "path", "signal", "flag", "flags", "address", "type", "types",
			},
			negatable: true, // "it wasn't Alice's fault"
		},
		{
			id:          "forgot",
			phrase:      `"forgot to", forgot, forgotten`,
			explanation: `"Forgot" blames a person's memory; people forget when a process depends on remembering.`,
			suggestion:  `Describe the step that relied on memory ("the runbook had no step for…", "nothing reminded the on-call to…").`,
			patterns:    []string{"{forgot|forgotten|forgetting}"},
		},
		{
			id:          "failed-to",
			phrase:      `"he failed to", "the engineer failed to", "failed to notice", "failure to follow"`,
			explanation: `"Failed to" frames what a person did not do as the cause, judged after the fact.`,
			suggestion:  `Say what made the step hard to do or easy to miss ("the runbook did not mention the replica", "the warning was one line among hundreds").`,
			patterns: []string{
				"{i|he|she|we|you|someone|somebody|nobody|no one|engineer|engineers|developer|developers|sre|sres|on-call|oncall|on-caller|responder|responders|reviewer|reviewers|author|team|human|humans|staff|employee|employees} {failed|fail|fails} to",
				"{failed|failing|failure|fail|fails} to {notice|realize|realise|recognize|recognise|consider|anticipate|understand|escalate|communicate|double-check|spot|pay attention}",
				"{failed|failing|failure|fail|fails} to follow {the|our}? {runbook|runbooks|procedure|procedures|process|checklist|instructions|protocol|policy|playbook}",
			},
		},
		{
			id:          "didnt-bother",
			phrase:      `"didn't bother", "couldn't be bothered"`,
			explanation: `"Didn't bother" ascribes laziness or indifference: a motive nobody can know.`,
			suggestion:  `State what was not done and what made it costly or easy to skip ("the check took 20 minutes and was optional").`,
			patterns: []string{
				"{didn't|didnt|did not|doesn't|doesnt|does not|never} {bother|bothered}",
				"not bothering",
				"{couldn't|couldnt|could not} be bothered",
			},
		},
		{
			id:          "sloppy",
			phrase:      "sloppy, sloppiness",
			explanation: `"Sloppy" judges the quality of a person's work instead of describing what the work lacked.`,
			suggestion:  `Describe the specific gap ("the change had no test for the empty list") and what would have caught it.`,
			patterns:    []string{"{sloppy|sloppily|sloppiness}"},
		},
		{
			id:          "incompetent",
			phrase:      "incompetent, incompetence, inept",
			explanation: `"Incompetent" is a verdict on a person's ability; it explains nothing about the system they worked in.`,
			suggestion:  `Describe what knowledge or support the person lacked and how the system could provide it ("nobody on the rota had restored this database before; there is no drill").`,
			patterns:    []string{"{incompetent|incompetently|incompetence|inept|ineptly|ineptitude}"},
		},
		{
			id:          "insult",
			phrase:      `stupid, idiot, clueless, "rookie mistake"`,
			explanation: `Name-calling turns a review into a judgement of people and makes the next person less willing to speak up.`,
			suggestion:  `Describe the action and the conditions around it, as you would want your own to be described.`,
			patterns: []string{
				"{stupid|stupidly|stupidity|idiot|idiots|idiotic|moron|morons|moronic|clueless|amateurish}",
				"{rookie|amateur|noob|newbie|beginner's} {mistake|mistakes|error|errors|move}",
			},
		},
		{
			id:          "reckless",
			phrase:      "reckless, recklessness",
			explanation: `"Reckless" ascribes a disregard for risk that the person most likely did not see at the time.`,
			suggestion:  `Describe the risk as it looked then and what would have made it visible ("nothing showed that the script targeted every region").`,
			patterns:    []string{"{reckless|recklessly|recklessness}"},
		},
		{
			id:          "blame",
			phrase:      "blame, blamed, to blame",
			explanation: `Blame looks for someone to hold responsible; a blameless review looks for the conditions that made the outcome likely.`,
			suggestion:  `Describe the contributing factors and what the system allowed, not who is responsible.`,
			patterns:    []string{"{blame|blamed|blames|blaming|blameworthy}"},
			notAfter:    []string{"git", "svn", "hg"}, // the command that shows who last changed a line
			negatable:   true,                         // "nobody is to blame"
		},
		{
			id:          "mistake",
			phrase:      `"made a mistake", "his mistake", "her error"`,
			explanation: `Calling an action a mistake judges it by its outcome; at the time it was a reasonable step for the person taking it.`,
			suggestion:  `Describe the action and what made it look right at the time ("the dashboard showed the old value, so the rollback looked safe").`,
			patterns: []string{
				"{made|make|makes|making} {a|an|the|this|that|another} {mistake|error|blunder}",
				"{made|make|makes|making} {several|some|two|three|many|more}? {mistakes|blunders}",
				"{made|make|makes|making} {several|some|two|three|many|more} errors",
				"{my|your|his|her|their} {mistake|mistakes|blunder|blunders|error|errors}",
			},
			// "their error rate": a service's errors, not a person's.
			notBefore: []string{"rate", "rates", "budget", "budgets", "count", "counts", "log", "logs", "message", "messages", "code", "codes", "handling", "page", "pages", "ratio", "response", "responses"},
		},
		{
			id:          "inattention",
			phrase:      `"didn't pay attention", "lack of care", complacent`,
			explanation: `Attention and care are not a safeguard: blaming their lack describes a person's state of mind instead of what the system asked of them.`,
			suggestion:  `Describe what competed for attention and what the system relied on ("the change was reviewed at 2 a.m. during a second incident").`,
			patterns: []string{
				"{didn't|didnt|did not|wasn't|wasnt|was not|weren't|were not|not|no} {pay|paying} attention",
				"lack of {attention|care|diligence|focus|discipline|rigor|rigour|ownership|accountability}",
				"{inattention|inattentive|complacent|complacency}",
			},
		},
		{
			id:          "ignored-warning",
			phrase:      `"ignored the alert", "ignored the warnings", "disregarded the runbook"`,
			explanation: `"Ignored" assumes the signal was seen, understood and dismissed; usually it was lost, ambiguous or one among many.`,
			suggestion:  `Describe how the signal reached people and why it did not stand out ("the alert went to a channel with 300 messages a day").`,
			patterns: []string{
				"{ignored|ignoring|ignores|disregarded|disregarding} {the|an|a|all|every|these|those|this|that|our}? {alert|alerts|alarm|alarms|warning|warnings|page|pages|runbook|runbooks|procedure|procedures|process|checklist|instructions|policy|signs}",
			},
		},
		{
			id:          "obviously",
			phrase:      "obviously, obvious, clearly, of course",
			explanation: `Words like "obviously" and "clearly" present what is clear in hindsight as if it was clear at the time (hindsight bias).`,
			suggestion:  `Drop the word, or say what made it visible and when ("the error rate on the dashboard rose at 14:02").`,
			mild:        true,
			patterns:    []string{"{obviously|obvious|clearly|evidently}", "of course"},
			negatable:   true, // "it was not obvious": exactly the blameless point
		},
		{
			id:          "just-simply",
			phrase:      `simply, "should just", "just had to"`,
			explanation: `"Just" and "simply" make the right action sound trivial, which it was only in hindsight; they hide what made it hard.`,
			suggestion:  `Describe the action and its real cost at the time ("rolling back needed a manual database step").`,
			mild:        true,
			patterns: []string{
				"simply",
				"{should|could|would|must|should've|could've|would've|shoulda|coulda} {have}? just",
				"just {had|needed|needs|has|have|need} to",
				"all {he|she|they|you|we|i|someone|anyone|it} {had|needed|has|needs} to do",
			},
			negatable: true,
		},
	}
	rules := make([]Rule, len(defs))
	for k, d := range defs {
		m := &matcher{notBefore: set(d.notBefore), notAfter: set(d.notAfter), negatable: d.negatable, wholeWord: true}
		for _, p := range d.patterns {
			s, err := compilePattern(p)
			if err != nil {
				panic("blameless: rule " + d.id + ": " + err.Error())
			}
			m.seqs = append(m.seqs, s)
		}
		rules[k] = Rule{ID: d.id, Phrase: d.phrase, Explanation: d.explanation, Suggestion: d.suggestion, Mild: d.mild, m: m}
	}
	return rules
})

// DefaultRules returns the built-in rules, a new slice on every call (the
// compiled matchers are shared). Append CustomRule results to extend it,
// or drop rules by ID to disable them.
func DefaultRules() []Rule {
	return slices.Clone(builtin())
}

func set(words []string) map[string]bool {
	if len(words) == 0 {
		return nil
	}
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// MaxPhraseLen is the longest phrase CustomRule accepts, in characters.
const MaxPhraseLen = 100

// Errors of CustomRule, for the admin's form.
var (
	ErrEmptyPhrase   = errors.New("the phrase is empty")
	ErrLongPhrase    = fmt.Errorf("the phrase is longer than %d characters", MaxPhraseLen)
	ErrPhraseNoWords = errors.New("the phrase has no letters or digits")
	ErrPhraseUTF8    = errors.New("the phrase is not valid UTF-8 text")
)

const (
	customExplanation = "Your team has listed this wording as one to avoid in postmortems."
	customSuggestion  = "Describe what happened and what the system allowed, without judging the people involved."
)

// CustomRule builds a rule from a phrase an admin typed. The phrase is
// taken literally, not as a regular expression ("c++ guy" matches the
// text "C++ guy"): it matches case-insensitively, on word boundaries (a
// word in the phrase never matches part of a longer word), with straight
// and curly apostrophes alike, and with any whitespace (a single line
// break included, not a blank line) where the phrase has whitespace.
// Punctuation must appear as typed, with no space where the phrase has
// none. The phrase must hold a letter or digit and at most MaxPhraseLen
// characters once trimmed. An empty suggestion gets a generic one. The ID
// is "custom:" followed by the phrase, lower-cased with single spaces.
func CustomRule(phrase, suggestion string) (Rule, error) {
	if !utf8.ValidString(phrase) {
		return Rule{}, ErrPhraseUTF8
	}
	phrase = strings.Join(strings.Fields(phrase), " ")
	switch {
	case phrase == "":
		return Rule{}, ErrEmptyPhrase
	case utf8.RuneCountInString(phrase) > MaxPhraseLen:
		return Rule{}, ErrLongPhrase
	}
	a := phraseTokens(phrase, false)
	if !slices.ContainsFunc(tokenize(phrase, nil).toks, func(t token) bool { return t.word }) {
		return Rule{}, ErrPhraseNoWords
	}
	suggestion = strings.TrimSpace(suggestion)
	if suggestion == "" {
		suggestion = customSuggestion
	}
	return Rule{
		ID:          "custom:" + strings.ToLower(phrase),
		Phrase:      phrase,
		Explanation: customExplanation,
		Suggestion:  suggestion,
		m:           &matcher{seqs: []seq{{{alts: []alt{a}}}}},
	}, nil
}
