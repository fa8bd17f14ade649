package blameless

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
)

// Finding is one flagged phrase.
type Finding struct {
	RuleID      string // Rule.ID, or PersonRuleID
	Start, End  int    // byte offsets into the text: Match is text[Start:End]
	Match       string // the flagged words as written
	Explanation string
	Suggestion  string
	Mild        bool // see Rule.Mild
}

// Person rule: a name, an optional adverb, a failure verb.
const (
	personExplanation = `A person's name as the subject of a failure makes that person the cause; the same event can be told with the system, the change or the step as the subject.`
	personSuggestion  = `Make the system or the step the subject: "the deploy ran before the migration" rather than "Alice deployed before the migration".`
	personAdverbs     = "{accidentally|mistakenly|inadvertently|unintentionally|wrongly|erroneously|carelessly|also|then|just|simply|apparently}?"
	personVerbs       = "{forgot|forgets|broke|breaks|missed|misses|failed|fails|didn't|didnt|did not|caused|causes|deleted|dropped|pushed|ignored|overlooked|neglected|misconfigured|mistyped|botched|messed up|screwed up}"
)

// maxNameLen is the longest name of a person considered, in bytes: longer
// ones are not names but would cost time on every word of the text.
const maxNameLen = 200

// personNotBefore: the verbs in these phrasal verbs are no failure
// ("Alice failed over the database", "Bob pushed back on the plan").
var personNotBefore = []string{"over", "off", "back", "for", "down"}

// Checker checks texts against a fixed set of rules and people. It is
// immutable and safe for concurrent use; building one costs about as much
// as checking a short text, so keep it while the rules and people do not
// change.
type Checker struct {
	rules   []Rule          // the person rule, if any, is last
	index   map[string]span // first word → entries[start:end]
	entries []entry         // grouped by first word
	poss    []entry         // entries whose first word is any possessive
	// filter: a quick "certainly not a key of index" for most words.
	filter *keyFilter
}

// entry is one way a match can start: the first alternative of a
// pattern's first slot, and the slots that must follow.
type entry struct {
	rule  int
	m     *matcher
	first alt
	rest  seq
}

// NewChecker compiles the lookup of rules and people for Check. people are
// the display names of the team's users ("Alice Martin"): a full name or a
// first name (the name's first word) followed by a failure verb is
// flagged (see Check); names longer than 200 bytes are ignored. Rules that
// were not built by DefaultRules or CustomRule are ignored.
func NewChecker(rules []Rule, people []string) *Checker {
	c := &Checker{rules: slices.Clone(rules), filter: new(keyFilter)}
	if pm := personMatcher(people); pm != nil {
		c.rules = append(c.rules, Rule{
			ID:          PersonRuleID,
			Phrase:      `a person's name as the subject of a failure ("Alice forgot", "Bob broke")`,
			Explanation: personExplanation,
			Suggestion:  personSuggestion,
			m:           pm,
		})
	}
	for k, r := range c.rules {
		if r.m == nil {
			continue
		}
		for _, s := range r.m.seqs {
			for _, a := range s[0].alts {
				e := entry{rule: k, m: r.m, first: a, rest: s[1:]}
				if a[0].kind == ptPossessive {
					c.poss = append(c.poss, e)
				} else {
					c.entries = append(c.entries, e)
				}
			}
		}
	}
	// Group the entries by first word, keeping their order within a group.
	all := c.entries
	c.index = make(map[string]span, len(all))
	for _, e := range all {
		r := c.index[e.first[0].text]
		r.end++
		c.index[e.first[0].text] = r
	}
	n := 0
	for key, r := range c.index {
		c.index[key] = span{n, n}
		n += r.end
		c.filter.add(key)
	}
	c.entries = make([]entry, len(all))
	for _, e := range all {
		r := c.index[e.first[0].text]
		c.entries[r.end] = e
		r.end++
		c.index[e.first[0].text] = r
	}
	return c
}

// personMatcher builds the person rule's matcher, or nil without names.
func personMatcher(people []string) *matcher {
	names := slot{}
	seen := map[string]bool{} // names already added, as written (a cheap deduplication)
	add := func(key string, a alt) {
		if !seen[key] {
			seen[key] = true
			names.alts = append(names.alts, a)
		}
	}
	for _, name := range people {
		name = strings.TrimSpace(name)
		if len(name) > maxNameLen {
			continue
		}
		a := phraseTokens(name, true)
		if len(a) == 0 || !isWordRune(firstRune(a[0].text)) {
			continue
		}
		add(name, a)
		if s := strings.IndexFunc(name, isSpace); s > 0 {
			for k := 1; k < len(a); k++ {
				if a[k].gap == gapSpace {
					add(name[:s], a[:k:k]) // the first name
					break
				}
			}
		}
	}
	if len(names.alts) == 0 {
		return nil
	}
	tail := personTail()
	return &matcher{
		seqs:      []seq{append(seq{names}, tail...)},
		notBefore: set(personNotBefore),
		wholeWord: true,
	}
}

// personTail is the part of the person rule after the name, compiled once.
var personTail = sync.OnceValue(func() seq {
	s, err := compilePattern("name " + personAdverbs + " " + personVerbs)
	if err != nil {
		panic("blameless: person rule: " + err.Error())
	}
	return s[1:]
})

// Check returns the findings of the rules and of the person rule in text,
// a Markdown postmortem, as Checker.Check does. It builds a Checker on
// every call: reuse one with NewChecker when checking many texts.
func Check(text string, rules []Rule, people []string) []Finding {
	return NewChecker(rules, people).Check(text)
}

// candidate is a match before overlaps are resolved: tokens [start, end).
type candidate struct{ start, end, rule int }

// Check returns the findings in text, sorted by Start. Code spans, fenced
// code blocks and URLs are skipped (see the package doc). A phrase
// never spans a blank line. Only the first 2 GiB of a text are checked.
//
// Overlapping matches of one rule are merged into one finding ("the
// responders failed to" and "failed to notice" become "the responders
// failed to notice"). Overlapping matches of different rules are resolved
// by keeping the longest (in bytes), so that the most specific phrase
// explains the finding ("Alice forgot" rather than "forgot"); between
// equally long ones the earlier start wins, then the earlier rule in the
// list (the person rule last). Findings therefore never overlap.
func (c *Checker) Check(text string) []Finding {
	if len(c.index) == 0 && len(c.poss) == 0 {
		return nil
	}
	if len(text) > math.MaxInt32 {
		text = text[:math.MaxInt32] // token offsets are 32-bit
	}
	d := tokenize(text, skippedSpans(text))
	toks := d.toks
	var cands []candidate
	try := func(i int, e entry) {
		j, ok := matchAlt(&d, i, e.first, true)
		if !ok {
			return
		}
		end := matchRest(&d, j, e.rest)
		if end < 0 || !e.m.accept(&d, i, end) {
			return
		}
		cands = append(cands, candidate{i, end, e.rule})
	}
	for i := range toks {
		if n := d.norm(i); c.filter.has(n) {
			if r, ok := c.index[n]; ok {
				for _, e := range c.entries[r.start:r.end] {
					try(i, e)
				}
			}
		}
		if len(c.poss) > 0 && possessiveLen(&d, i) > 0 {
			for _, e := range c.poss {
				try(i, e)
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	// Overlapping matches of one rule become one finding.
	slices.SortFunc(cands, func(a, b candidate) int { return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.start, b.start)) })
	merged := cands[:1]
	for _, a := range cands[1:] {
		if last := &merged[len(merged)-1]; a.rule == last.rule && a.start < last.end {
			last.end = max(last.end, a.end)
		} else {
			merged = append(merged, a)
		}
	}
	cands = merged
	size := func(a candidate) int32 { return toks[a.end-1].end - toks[a.start].start }
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(size(b), size(a)), cmp.Compare(a.start, b.start), cmp.Compare(a.rule, b.rule))
	})
	used := make([]bool, len(toks))
	kept := cands[:0]
next:
	for _, a := range cands {
		for k := a.start; k < a.end; k++ {
			if used[k] {
				continue next
			}
		}
		for k := a.start; k < a.end; k++ {
			used[k] = true
		}
		kept = append(kept, a)
	}
	slices.SortFunc(kept, func(a, b candidate) int { return cmp.Compare(a.start, b.start) })
	out := make([]Finding, len(kept))
	for k, a := range kept {
		r := &c.rules[a.rule]
		s, e := int(toks[a.start].start), int(toks[a.end-1].end)
		out[k] = Finding{
			RuleID: r.ID, Start: s, End: e, Match: text[s:e],
			Explanation: r.Explanation, Suggestion: r.Suggestion, Mild: r.Mild,
		}
	}
	return out
}

func firstRune(s string) rune {
	if s == "" {
		return 0
	}
	r, _ := decode(s, 0)
	return r
}

// keyFilter is a bit set of hashes of the length and the first and last
// bytes of the index keys: most words of a text miss it, and skip the map.
type keyFilter [1 << 10]uint64

func filterHash(s string) uint {
	if s == "" {
		return 0
	}
	return (uint(len(s))*0x9E37 ^ uint(s[0])*0x3B ^ uint(s[len(s)-1])<<7) & (1<<16 - 1)
}

func (f *keyFilter) add(s string) {
	h := filterHash(s)
	f[h>>6] |= 1 << (h & 63)
}

func (f *keyFilter) has(s string) bool {
	h := filterHash(s)
	return f[h>>6]&(1<<(h&63)) != 0
}
