package actions

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Draft is an action as written so far, for QualityHints.
type Draft struct {
	Title, Description, Owner, Team string
	Due                             *time.Time // a calendar date: its own year, month and day count
	Status                          string     // "" for a new action (treated as open)
}

// Hint is an advisory note about a draft: never a validation error.
type Hint struct {
	Field   string // "title", "owner" or "due"
	Message string // for the user
}

// hintExample is the shape of a good action title, quoted in the hints.
const hintExample = `"Add an alert when … exceeds … for 5 min"`

// QualityHints returns advice on a draft action, in a fixed order (title,
// owner, due), never blocking a save. now should be in the viewer's zone
// (now.In(loc)): its date is "today". The rules:
//
//   - title, empty: ask for a title.
//   - title, fewer than 3 words: too short to act on months later.
//   - title, vague wording, matched as whole words, case-insensitively
//     (hyphenated words such as "code-review" are one word):
//     "better", "monitor more", "be more careful", "be careful",
//     "as needed" and "etc" anywhere; the vague verbs "investigate",
//     "improve", "review", "consider", "look into", "think about" and
//     "try to" only where they start a clause, because that is where they
//     are the action itself: at the start of the title or after , ; ( / &
//     etc., after "and", "or", "then", "but", "plus", and after leading
//     fillers like "we should", "need to", "please", "maybe". So "Review
//     the alert thresholds" and "Add alerts, then review them" are
//     flagged, while "Add a review step to the deploy checklist" and "Add
//     caching to improve latency" are not. One hint lists every phrase
//     found and suggests a specific, bounded action with a concrete outcome.
//   - owner: neither an owner nor a team, while not closed.
//   - due: no due date, while not closed.
//   - due: a due date before today, while not closed (open, in progress,
//     blocked or a new draft).
//
// A title that does not start with a verb is not flagged: too noisy.
// Description is not checked.
func QualityHints(a Draft, now time.Time) []Hint {
	var hints []Hint
	toks := tokenize(a.Title)
	switch n := len(toks); {
	case n == 0:
		hints = append(hints, Hint{Field: "title", Message: "Add a title that says what will change, e.g. " + hintExample + "."})
	case n < 3:
		hints = append(hints, Hint{Field: "title", Message: "This title is very short; it will be hard to act on months from now. Say what will change and where, e.g. " + hintExample + "."})
	}
	if found := vaguePhrases(toks); len(found) > 0 {
		hints = append(hints, Hint{Field: "title", Message: "Vague wording: " + quoteAll(found) +
			". Name a specific, bounded action with a concrete outcome, so everyone can tell when it is done, e.g. " + hintExample + "."})
	}
	closed := IsClosed(a.Status)
	if !closed && strings.TrimSpace(a.Owner) == "" && strings.TrimSpace(a.Team) == "" {
		hints = append(hints, Hint{Field: "owner", Message: "Nobody owns this action. Assign an owner, or at least a team, so it doesn't get lost."})
	}
	switch {
	case closed:
	case a.Due == nil:
		hints = append(hints, Hint{Field: "due", Message: "No due date. Pick one, even a rough one, so the action can be followed up."})
	case dayNumber(*a.Due) < dayNumber(now):
		hints = append(hints, Hint{Field: "due", Message: "The due date " + a.Due.Format(time.DateOnly) +
			" has passed. Move it to a realistic date, or close the action if it is no longer needed."})
	}
	return hints
}

func quoteAll(ss []string) string {
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + s + `"`)
	}
	return b.String()
}

// Vague phrases, lowercase, as sequences of words.
var (
	vagueAnywhere = [][]string{
		{"better"}, {"monitor", "more"}, {"be", "more", "careful"}, {"be", "careful"}, {"as", "needed"}, {"etc"},
	}
	vagueVerbs = [][]string{
		{"investigate"}, {"improve"}, {"review"}, {"consider"}, {"look", "into"}, {"think", "about"}, {"try", "to"},
	}
	// conjunctions start a new clause after them.
	conjunctions = map[string]bool{"and": true, "or": true, "then": true, "but": true, "plus": true}
	// fillers are skipped at the start of a clause to find its verb.
	fillers = map[string]bool{
		"we": true, "i": true, "you": true, "we'll": true, "i'll": true, "let's": true, "lets": true, "please": true,
		"should": true, "must": true, "will": true, "shall": true, "could": true, "can": true, "may": true, "might": true,
		"need": true, "needs": true, "have": true, "has": true, "want": true, "going": true, "also": true,
		"maybe": true, "perhaps": true, "first": true, "just": true, "ideally": true, "eventually": true,
	}
	// toAfter: "to" is a filler only after these (need to, have to, …).
	toAfter = map[string]bool{"need": true, "needs": true, "have": true, "has": true, "want": true, "going": true}
)

// vaguePhrases returns the vague phrases in the title's words, each once,
// in order of first appearance.
func vaguePhrases(toks []token) []string {
	var found []string
	add := func(p []string) {
		s := strings.Join(p, " ")
		for _, f := range found {
			if f == s {
				return
			}
		}
		found = append(found, s)
	}
	start := true // the current token starts a clause
	for i, t := range toks {
		if t.brk {
			start = true
		}
		for _, p := range vagueAnywhere {
			if matchAt(toks, i, p) {
				add(p)
			}
		}
		if start {
			for _, p := range vagueVerbs {
				if matchAt(toks, i, p) {
					add(p)
				}
			}
		}
		switch {
		case conjunctions[t.word]:
			start = true
		case start && fillers[t.word]:
			// still looking for the clause's verb
		case start && t.word == "to" && i > 0 && toAfter[toks[i-1].word]:
		default:
			start = false
		}
	}
	return found
}

// matchAt reports whether the phrase p starts at toks[i], within a clause.
func matchAt(toks []token, i int, p []string) bool {
	if i+len(p) > len(toks) {
		return false
	}
	for j, w := range p {
		if toks[i+j].word != w || j > 0 && toks[i+j].brk {
			return false
		}
	}
	return true
}

// token is a word of a title, lowercased.
type token struct {
	word string
	brk  bool // a clause break (punctuation) comes right before it
}

// tokenize splits s into words: runs of letters, digits, combining marks
// and underscores, joined by a hyphen or apostrophe between two of them
// ("code-review", "don't"). Clause breaks are , ; ( ) [ ] { } / | & + • …,
// dashes standing alone, line breaks, and . : ! ? when followed by a space
// or the end (so "v1.2" and "https:" do not break a clause).
func tokenize(s string) []token {
	var toks []token
	brk := false
	var w strings.Builder
	flush := func() {
		if w.Len() > 0 {
			toks = append(toks, token{word: w.String(), brk: brk})
			w.Reset()
			brk = false
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		next, _ := utf8.DecodeRuneInString(s[i+size:])
		nextWord := i+size < len(s) && isWordRune(next)
		switch {
		case isWordRune(r):
			w.WriteRune(unicode.ToLower(r))
		case (r == '-' || r == '\'' || r == '’') && w.Len() > 0 && nextWord:
			if r == '’' {
				r = '\''
			}
			w.WriteRune(r)
		default:
			flush()
			if isBreak(r) || (r == '.' || r == ':' || r == '!' || r == '?') && (i+size >= len(s) || unicode.IsSpace(next)) ||
				(r == '-' && !nextWord) {
				brk = true
			}
		}
		i += size
	}
	flush()
	return toks
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '_'
}

func isBreak(r rune) bool {
	switch r {
	case ',', ';', '(', ')', '[', ']', '{', '}', '/', '|', '&', '+', '•', '…', '–', '—', '\n', '\r':
		return true
	}
	return false
}
