package blameless

import (
	"unicode"
	"unicode/utf8"
)

// gapKind is what separates a token from the one before it.
type gapKind uint8

const (
	gapNone  gapKind = iota // directly adjacent: "c" and "+" in "c++"
	gapSpace                // whitespace holding at most one line break
	gapBreak                // start of text, a blank line, or skipped code: no phrase spans it
)

// token is a word or a single punctuation rune of the text. It holds no
// pointers, so that the token slice of a long text costs the garbage
// collector nothing.
type token struct {
	start, end int32 // byte offsets into the text
	nOff, nLen int32 // the normal form in doc.norms, or nOff < 0: it is the text itself
	gap        gapKind
	word       bool
}

// doc is a tokenized text.
type doc struct {
	text  string
	norms string // normal forms that differ from the text
	toks  []token
}

// norm is the normal form of token i: a word lower-cased with straight
// apostrophes, a punctuation rune as written (an apostrophe straightened).
func (d *doc) norm(i int) string {
	t := &d.toks[i]
	if t.nOff < 0 {
		return d.text[t.start:t.end]
	}
	return d.norms[t.nOff : t.nOff+t.nLen]
}

// ASCII character classes.
const (
	cOther uint8 = iota
	cWord
	cSpace
	cUpper // a word character to lower-case
)

var asciiClass = func() (c [utf8.RuneSelf]uint8) {
	for b := range c {
		switch {
		case 'a' <= b && b <= 'z' || '0' <= b && b <= '9':
			c[b] = cWord
		case 'A' <= b && b <= 'Z':
			c[b] = cUpper
		case b == ' ' || '\t' <= b && b <= '\r':
			c[b] = cSpace
		}
	}
	return c
}()

// isWordRune reports whether r starts or ends a word: letters, digits
// and combining marks. Inside a word, underscores and apostrophes
// followed by a word rune belong to it too, so that identifiers such as
// human_error_count are one word, while _emphasis_ is not.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 0 && (asciiClass[r] == cWord || asciiClass[r] == cUpper)
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 0 && asciiClass[r] == cSpace
	}
	return unicode.IsSpace(r)
}

// isApostrophe: the straight one, the right single quotation mark that
// word processors and phones type, and the modifier letter apostrophe.
func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == 'ʼ'
}

// decode is utf8.DecodeRuneInString at i; an invalid byte is one rune of
// size 1 (utf8.RuneError), like ranging over a string.
func decode(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// tokenize splits text into words and punctuation runes, skipping
// whitespace and the masked spans (sorted, not overlapping). A word is a
// run of word runes, with apostrophes inside it ("shouldn't", "Alice's").
// Each token records what separates it from the previous one.
func tokenize(text string, masked []span) doc {
	d := doc{text: text, toks: make([]token, 0, len(text)/5+1)}
	var norms []byte
	gap := gapBreak
	newlines := 0
	mi := 0
	nextMask := len(text) + 1
	if len(masked) > 0 {
		nextMask = masked[0].start
	}
	for i := 0; i < len(text); {
		if i >= nextMask {
			i = masked[mi].end
			mi++
			nextMask = len(text) + 1
			if mi < len(masked) {
				nextMask = masked[mi].start
			}
			gap = gapBreak
			continue
		}
		c := text[i]
		var r rune
		size := 1
		class := cOther
		if c < utf8.RuneSelf {
			r, class = rune(c), asciiClass[c]
		} else {
			r, size = utf8.DecodeRuneInString(text[i:])
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
				class = cUpper // not known to be lower-case ASCII
			case unicode.IsSpace(r):
				class = cSpace
			}
		}
		if c == '>' && (newlines > 0 || len(d.toks) == 0 && gap == gapBreak) {
			class = cSpace // a blockquote marker at the start of a line
		}
		switch class {
		case cSpace:
			if r == '\n' {
				newlines++
			}
			if newlines >= 2 {
				gap = gapBreak
			} else if gap == gapNone {
				gap = gapSpace
			}
			i += size
			continue
		case cWord, cUpper:
			start := i
			plain := class == cWord // lower-case ASCII so far: the text is its own normal form
			i += size
			for i < len(text) && i < nextMask {
				if c := text[i]; c < utf8.RuneSelf {
					switch asciiClass[c] {
					case cWord:
						i++
						continue
					case cUpper:
						plain = false
						i++
						continue
					}
					if c == '\'' && i+1 < len(text) && i+1 < nextMask && wordRuneAt(text, i+1) {
						i++
						continue
					}
					if c == '_' {
						u := i + runLen(text, i, '_')
						if u < len(text) && u < nextMask && wordRuneAt(text, u) {
							i = u
							continue
						}
					}
					break
				}
				r, size = utf8.DecodeRuneInString(text[i:])
				if isWordRune(r) || isApostrophe(r) && i+size < len(text) && i+size < nextMask && wordRuneAt(text, i+size) {
					plain = false
					i += size
					continue
				}
				break
			}
			t := token{start: int32(start), end: int32(i), nOff: -1, gap: gap, word: true}
			if !plain {
				t.nOff = int32(len(norms))
				norms = appendNorm(norms, text[start:i])
				t.nLen = int32(len(norms)) - t.nOff
			}
			d.toks = append(d.toks, t)
		default:
			t := token{start: int32(i), end: int32(i + size), nOff: -1, gap: gap}
			if r == '’' || r == 'ʼ' {
				t.nOff, t.nLen = int32(len(norms)), 1
				norms = append(norms, '\'')
			}
			d.toks = append(d.toks, t)
			i += size
		}
		gap = gapNone
		newlines = 0
	}
	d.norms = string(norms)
	return d
}

func wordRuneAt(s string, i int) bool {
	r, _ := decode(s, i)
	return isWordRune(r)
}

// appendNorm appends the word w lower-cased, with straight apostrophes.
func appendNorm(dst []byte, w string) []byte {
	for _, r := range w {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst = append(dst, byte(r))
		case isApostrophe(r):
			dst = append(dst, '\'')
		default:
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	}
	return dst
}

// firstRuneNotLower reports whether token i does not start with a
// lower-case letter ("Alice", "ALICE", "Ødegård" and uncased scripts do).
func (d *doc) firstRuneNotLower(i int) bool {
	r, _ := decode(d.text, int(d.toks[i].start))
	return !unicode.IsLower(r)
}
