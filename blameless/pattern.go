package blameless

import (
	"fmt"
	"strings"
	"unicode"
)

// A compiled pattern is a sequence of slots; a slot is a set of
// alternatives; an alternative is a sequence of pattern tokens. Slots are
// separated by whitespace in the text; tokens inside an alternative by
// what separated them in the phrase they came from ("c++" has no gaps).

type ptKind uint8

const (
	ptExact      ptKind = iota // norm equals text
	ptName                     // norm equals text and the text's first rune is not lower-case
	ptPossessive               // a possessive word: "alice's", "engineers'"
)

type ptok struct {
	text string
	kind ptKind
	gap  gapKind // gapNone or gapSpace: what must precede the token (ignored at the start of a match)
}

type alt []ptok

type slot struct {
	alts     []alt
	optional bool
}

type seq []slot

// matcher is the compiled form of a rule: compiled once when the Rule is
// built, never changed afterwards, shared by copies of the Rule.
type matcher struct {
	seqs []seq
	// notBefore: the match is dropped when the next word (after
	// whitespace) is one of these ("fault tolerance").
	notBefore map[string]bool
	// notAfter: dropped when the previous word is one of these ("git blame").
	notAfter map[string]bool
	// negatable: dropped after a negation in the same sentence, within
	// four words (and 16 tokens) before it ("it was not obvious").
	negatable bool
	// wholeWord: dropped when part of a compound joined by '-', '.', '@'
	// or '=' ("forgot-password", "blame-free").
	wholeWord bool
}

// compilePattern compiles the pattern notation of the built-in rules:
// words separated by spaces, each a slot; "{a|b c|d}" a slot of
// alternatives (each may hold several words or punctuation); a trailing
// "?" makes a group optional; the alternative "*'s" is any possessive.
// The first slot may not be optional.
func compilePattern(p string) (seq, error) {
	var s seq
	for i := 0; i < len(p); {
		switch p[i] {
		case ' ':
			i++
			continue
		case '{':
			j := strings.IndexByte(p[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("pattern %q: unclosed {", p)
			}
			body := p[i+1 : i+j]
			i += j + 1
			sl := slot{}
			if i < len(p) && p[i] == '?' {
				sl.optional = true
				i++
			}
			for _, a := range strings.Split(body, "|") {
				pa, err := compileAlt(a)
				if err != nil {
					return nil, fmt.Errorf("pattern %q: %w", p, err)
				}
				sl.alts = append(sl.alts, pa)
			}
			s = append(s, sl)
		default:
			j := strings.IndexAny(p[i:], " {}?|")
			if j < 0 {
				j = len(p) - i
			}
			if j == 0 {
				return nil, fmt.Errorf("pattern %q: unexpected %q", p, p[i])
			}
			pa, err := compileAlt(p[i : i+j])
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", p, err)
			}
			s = append(s, slot{alts: []alt{pa}})
			i += j
		}
	}
	if len(s) == 0 || s[0].optional {
		return nil, fmt.Errorf("pattern %q: no required first word", p)
	}
	return s, nil
}

func compileAlt(a string) (alt, error) {
	if a == "*'s" {
		return alt{{kind: ptPossessive, gap: gapSpace}}, nil
	}
	out := phraseTokens(a, false)
	if len(out) == 0 {
		return nil, fmt.Errorf("empty alternative %q", a)
	}
	return out, nil
}

// phraseTokens tokenizes a phrase into pattern tokens. names: a word that
// starts with an upper-case letter ("Alice", not "van") only matches text
// that does not start with a lower-case one ("Alice", "ALICE", not "alice").
func phraseTokens(phrase string, names bool) alt {
	d := tokenize(phrase, nil)
	out := make(alt, len(d.toks))
	for k, t := range d.toks {
		p := ptok{text: d.norm(k), gap: t.gap}
		if k == 0 || p.gap == gapBreak {
			p.gap = gapSpace
		}
		if r, _ := decode(phrase, int(t.start)); names && t.word && (unicode.IsUpper(r) || unicode.IsTitle(r)) {
			p.kind = ptName
		}
		out[k] = p
	}
	return out
}

// matchAlt matches a at toks[i:]; first: i is the start of the match, so
// the gap before it does not matter. It returns the index after the match.
func matchAlt(d *doc, i int, a alt, first bool) (int, bool) {
	for k, p := range a {
		if i >= len(d.toks) {
			return 0, false
		}
		if (!first || k > 0) && d.toks[i].gap != p.gap {
			return 0, false
		}
		switch p.kind {
		case ptExact:
			if d.norm(i) != p.text {
				return 0, false
			}
		case ptName:
			if d.norm(i) != p.text || !d.firstRuneNotLower(i) {
				return 0, false
			}
		case ptPossessive:
			n := possessiveLen(d, i)
			if n == 0 {
				return 0, false
			}
			i += n - 1
		}
		i++
	}
	return i, true
}

// notPossessives are possessive-looking words that do not name who is at
// fault: contractions ("it's") and "nobody's", "no one's", "anyone's".
var notPossessives = map[string]bool{
	"it's": true, "that's": true, "there's": true, "here's": true, "what's": true,
	"let's": true, "one's": true, "nobody's": true, "anybody's": true, "anyone's": true,
	"he's": true, "she's": true,
}

// possessiveLen is the number of tokens of the possessive at toks[i]: 1
// for "alice's", 2 for "engineers" + "'", 0 when there is none.
func possessiveLen(d *doc, i int) int {
	if !d.toks[i].word {
		return 0
	}
	n := d.norm(i)
	if strings.HasSuffix(n, "'s") {
		if notPossessives[n] {
			return 0
		}
		return 1
	}
	if strings.HasSuffix(n, "s") && i+1 < len(d.toks) && d.toks[i+1].gap == gapNone && d.norm(i+1) == "'" {
		return 2
	}
	return 0
}

// matchRest matches the slots of s at toks[i:] after the first one
// matched, and returns the end of the longest match, or -1.
func matchRest(d *doc, i int, s seq) int {
	if len(s) == 0 {
		return i
	}
	best := -1
	for _, a := range s[0].alts {
		if j, ok := matchAlt(d, i, a, false); ok {
			best = max(best, matchRest(d, j, s[1:]))
		}
	}
	if s[0].optional {
		best = max(best, matchRest(d, i, s[1:]))
	}
	return best
}

// negations are the words that, shortly before a negatable rule's match,
// make it a statement of the opposite ("it was not obvious").
var negations = map[string]bool{
	"not": true, "no": true, "never": true, "nobody": true, "none": true, "neither": true,
	"nor": true, "without": true, "hardly": true, "cannot": true,
	"isn't": true, "wasn't": true, "aren't": true, "weren't": true, "don't": true,
	"doesn't": true, "didn't": true, "won't": true, "wouldn't": true, "can't": true,
	"couldn't": true, "shouldn't": true, "isnt": true, "wasnt": true, "dont": true,
	"doesnt": true, "didnt": true,
}

// accept applies the rule's conditions to the match toks[i:end].
func (m *matcher) accept(d *doc, i, end int) bool {
	toks := d.toks
	if m.wholeWord && (i > 0 && joined(d, i-1, i) || end < len(toks) && joined(d, end, end-1)) {
		return false
	}
	if len(m.notAfter) > 0 && i > 0 {
		if toks[i-1].word && toks[i].gap == gapSpace && m.notAfter[d.norm(i-1)] {
			return false
		}
	}
	if len(m.notBefore) > 0 && end < len(toks) {
		if toks[end].word && toks[end].gap == gapSpace && m.notBefore[d.norm(end)] {
			return false
		}
	}
	if m.negatable {
		words := 0
		for k := i - 1; k >= 0 && k >= i-16 && words < 4; k-- {
			if toks[k+1].gap == gapBreak {
				break
			}
			if !toks[k].word {
				if n := d.norm(k); len(n) == 1 && strings.Contains(".!?;:", n) {
					break
				}
				continue
			}
			if negations[d.norm(k)] {
				return false
			}
			words++
		}
	}
	return true
}

// joined reports whether toks[c] is a connector ('-', '.', '@', '=')
// between the match token toks[m] and another word, with no space on
// either side: the match is then part of a compound.
func joined(d *doc, c, m int) bool {
	toks := d.toks
	t := toks[c]
	if n := d.norm(c); t.word || len(n) != 1 || !strings.Contains("-.@=", n) {
		return false
	}
	var o int // the token beyond the connector
	if c < m {
		o = c - 1
		if o < 0 || toks[m].gap != gapNone || t.gap != gapNone {
			return false
		}
	} else {
		o = c + 1
		if o >= len(toks) || t.gap != gapNone || toks[o].gap != gapNone {
			return false
		}
	}
	return toks[o].word
}
