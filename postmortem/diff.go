package postmortem

import (
	"unicode"
	"unicode/utf8"
)

// DiffOp is one piece of a word-level diff: text both versions share, text
// only the new one has, or text only the old one had.
type DiffOp struct {
	Kind string `json:"kind"` // DiffEqual, DiffInsert or DiffDelete
	Text string `json:"text"`
}

// Kinds of DiffOp.
const (
	DiffEqual  = "equal"
	DiffInsert = "insert"
	DiffDelete = "delete"
)

// diffWork bounds the work of one Diff, in steps of the Myers search (a
// diagonal visited, a token compared, a cell of its arrays reset). It is a
// count, not a clock, so that the same two texts always give the same diff
// whatever the load. Six million steps take 20 to 30 ms on a server core.
// Small edits to long texts need far less (1% of the words of a
// 20,000-word text changed: under 2 million); two unrelated texts of
// 20,000 words would need about 800 million for a minimal diff, and get a
// coarser one instead.
const diffWork = 6_000_000

// Diff compares two texts word by word for the history page. Words (runs
// of letters, digits and marks; each CJK character on its own), runs of
// white space and single other characters are the units: a change never
// splits a word. The ops alternate between equal runs and change blocks,
// each block a delete, an insert, or a delete followed by an insert.
// Concatenating the equal and delete texts gives old exactly, the equal
// and insert texts gives new, for any bytes, even invalid UTF-8. Identical
// texts give one equal op (none when both are empty).
//
// The diff is minimal (Myers' O(ND) algorithm, linear space) until the
// work bound diffWork runs out; what is left is then reported as replaced
// wholesale, which is still exact but coarser. A pass for readability
// then merges into the surrounding changes any equal run between two
// changes that has no word in it ("a, b" → "c; d" reads as one
// replacement, not three) or that is no longer than the changes on both
// sides (the cleanup of Google's diff-match-patch).
//
// Why not a library: github.com/sergi/go-diff, the obvious candidate, was
// measured first (v1.4.0, words mapped to runes). Its half-match speed-up
// is quadratic on repetitive text and runs outside its time limit: 0.4 to
// 1.1 s for 20,000 words such as "a b a b …" against "b a b a …". And the
// limit it has is wall-clock time, which makes the output depend on the
// server's load. The Myers search itself is short; it is written here
// with a work bound instead and checked against a brute-force LCS in the
// tests.
func Diff(old, new string) []DiffOp {
	if old == new {
		if old == "" {
			return nil
		}
		return []DiffOp{{DiffEqual, old}}
	}
	ta, tb := tokenize(old), tokenize(new)
	ids := map[string]int32{}
	a, b := intern(old, ta, ids), intern(new, tb, ids)
	d := differ{a: a, b: b, delA: make([]bool, len(a)), insB: make([]bool, len(b)), work: diffWork}
	d.run()
	return cleanup(old, new, ta, tb, d.spans())
}

// tokenize returns the end offset of each token of s.
func tokenize(s string) []int {
	var ends []int
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		j := i + size
		switch {
		case isWordRune(r) && !isIdeograph(r):
			for j < len(s) {
				r2, size2 := utf8.DecodeRuneInString(s[j:])
				if !isWordRune(r2) || isIdeograph(r2) {
					break
				}
				j += size2
			}
		case unicode.IsSpace(r):
			for j < len(s) {
				r2, size2 := utf8.DecodeRuneInString(s[j:])
				if !unicode.IsSpace(r2) {
					break
				}
				j += size2
			}
		}
		ends = append(ends, j)
		i = j
	}
	return ends
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || r == '_'
}

// isIdeograph reports scripts written without spaces, where one character
// is the closest thing to a word.
func isIdeograph(r rune) bool {
	return r >= 0x2E80 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// intern maps each token to a small integer, equal tokens to equal ones.
func intern(s string, ends []int, ids map[string]int32) []int32 {
	out := make([]int32, len(ends))
	start := 0
	for i, end := range ends {
		tok := s[start:end]
		id, ok := ids[tok]
		if !ok {
			id = int32(len(ids))
			ids[tok] = id
		}
		out[i] = id
		start = end
	}
	return out
}

// differ marks the tokens of a that are deleted and of b that are
// inserted; the unmarked ones pair up, in order, as equal.
type differ struct {
	a, b       []int32
	delA, insB []bool
	v1, v2     []int // the furthest x per diagonal, forward and backward
	work       int   // steps left
}

// run diffs a against b. The middle snake splits each range in two. The
// ranges wait in a queue, breadth first: when the work bound runs out, what
// is left is many small ranges spread over the text, each replaced
// wholesale, rather than the whole end of the text after a fine start.
func (d *differ) run() {
	type span struct{ aLo, aHi, bLo, bHi int }
	queue := []span{{0, len(d.a), 0, len(d.b)}}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for s.aLo < s.aHi && s.bLo < s.bHi && d.a[s.aLo] == d.b[s.bLo] {
			s.aLo++
			s.bLo++
		}
		for s.aLo < s.aHi && s.bLo < s.bHi && d.a[s.aHi-1] == d.b[s.bHi-1] {
			s.aHi--
			s.bHi--
		}
		if s.aLo == s.aHi || s.bLo == s.bHi {
			d.replace(s.aLo, s.aHi, s.bLo, s.bHi)
			continue
		}
		x, y, ok := d.split(s.aLo, s.aHi, s.bLo, s.bHi)
		if !ok || x == s.aLo && y == s.bLo || x == s.aHi && y == s.bHi {
			d.replace(s.aLo, s.aHi, s.bLo, s.bHi)
			continue
		}
		queue = append(queue, span{s.aLo, x, s.bLo, y}, span{x, s.aHi, y, s.bHi})
	}
}

// replace marks a[aLo:aHi] deleted and b[bLo:bHi] inserted.
func (d *differ) replace(aLo, aHi, bLo, bHi int) {
	for i := aLo; i < aHi; i++ {
		d.delA[i] = true
	}
	for j := bLo; j < bHi; j++ {
		d.insB[j] = true
	}
}

// split finds where a minimal edit path of a[aLo:aHi] → b[bLo:bHi] crosses
// the middle (Myers 1986, section 4b), searching forward from the start
// and backward from the end at once, and returns that point. The ranges
// are non-empty and differ in their first and last tokens. ok is false
// when the work bound runs out.
func (d *differ) split(aLo, aHi, bLo, bHi int) (x, y int, ok bool) {
	a, b := d.a[aLo:aHi], d.b[bLo:bHi]
	n, m := len(a), len(b)
	maxD := (n + m + 1) / 2
	off := maxD + 1 // v[off+k] is diagonal k (x - y = k)
	size := 2*maxD + 3
	d.work -= 2 * size
	if d.work < 0 {
		return 0, 0, false
	}
	v1, v2 := grow(&d.v1, size), grow(&d.v2, size)
	for i := range v1 {
		v1[i], v2[i] = -1, -1
	}
	v1[off+1], v2[off+1] = 0, 0
	delta := n - m
	front := delta%2 != 0 // an odd delta meets on a forward step
	// Diagonals outside the grid are skipped from then on.
	k1start, k1end, k2start, k2end := 0, 0, 0, 0
	for D := 0; D < maxD; D++ {
		if d.work < 0 {
			return 0, 0, false
		}
		for k1 := -D + k1start; k1 <= D-k1end; k1 += 2 {
			i := off + k1
			var x1 int
			if k1 == -D || k1 != D && v1[i-1] < v1[i+1] {
				x1 = v1[i+1] // down: an insertion
			} else {
				x1 = v1[i-1] + 1 // right: a deletion
			}
			y1 := x1 - k1
			x0 := x1
			for x1 < n && y1 < m && a[x1] == b[y1] {
				x1++
				y1++
			}
			d.work -= 1 + x1 - x0
			v1[i] = x1
			switch {
			case x1 > n:
				k1end += 2
			case y1 > m:
				k1start += 2
			case front:
				if j := off + delta - k1; j >= 0 && j < size && v2[j] != -1 && x1 >= n-v2[j] {
					return aLo + x1, bLo + y1, true
				}
			}
		}
		for k2 := -D + k2start; k2 <= D-k2end; k2 += 2 {
			i := off + k2
			var x2 int
			if k2 == -D || k2 != D && v2[i-1] < v2[i+1] {
				x2 = v2[i+1]
			} else {
				x2 = v2[i-1] + 1
			}
			y2 := x2 - k2
			x0 := x2
			for x2 < n && y2 < m && a[n-x2-1] == b[m-y2-1] {
				x2++
				y2++
			}
			d.work -= 1 + x2 - x0
			v2[i] = x2
			switch {
			case x2 > n:
				k2end += 2
			case y2 > m:
				k2start += 2
			case !front:
				if j := off + delta - k2; j >= 0 && j < size && v1[j] != -1 {
					x1 := v1[j]
					y1 := x1 - (delta - k2)
					if x1 >= n-x2 {
						return aLo + x1, bLo + y1, true
					}
				}
			}
		}
	}
	return 0, 0, false
}

// grow returns (*buf)[:n], reallocating when it is too short.
func grow(buf *[]int, n int) []int {
	if cap(*buf) < n {
		*buf = make([]int, n)
	}
	return (*buf)[:n]
}

// span is an op as token ranges of a and b.
type span struct {
	kind               string
	aLo, aHi, bLo, bHi int // tokens [aLo, aHi) of a, [bLo, bHi) of b
}

// spans turns the marks into equal runs and change blocks (delete, then
// insert), merging neighbours of the same kind.
func (d *differ) spans() []span {
	var out []span
	push := func(kind string, i, j int) {
		di, dj := 0, 0
		switch kind {
		case DiffEqual:
			di, dj = 1, 1
		case DiffDelete:
			di = 1
		default:
			dj = 1
		}
		if n := len(out); n > 0 && out[n-1].kind == kind {
			out[n-1].aHi += di
			out[n-1].bHi += dj
			return
		}
		out = append(out, span{kind, i, i + di, j, j + dj})
	}
	i, j := 0, 0
	for i < len(d.a) || j < len(d.b) {
		switch {
		case i < len(d.a) && d.delA[i]:
			push(DiffDelete, i, j)
			i++
		case j < len(d.b) && d.insB[j]:
			push(DiffInsert, i, j)
			j++
		default:
			push(DiffEqual, i, j)
			i++
			j++
		}
	}
	return out
}

// block is a change between two equal runs: a[aLo:aHi] became b[bLo:bHi],
// in token offsets; or an equal run when eq is set.
type block struct {
	eq                 bool
	aLo, aHi, bLo, bHi int
}

// cleanup merges trivial equal runs into the changes around them (see
// Diff) and writes the ops as text.
func cleanup(old, new string, ta, tb []int, spans []span) []DiffOp {
	// Group the spans into alternating equal runs and change blocks.
	var blocks []block
	for _, s := range spans {
		n := len(blocks)
		if s.kind != DiffEqual && n > 0 && !blocks[n-1].eq {
			blocks[n-1].aHi, blocks[n-1].bHi = s.aHi, s.bHi
			continue
		}
		blocks = append(blocks, block{s.kind == DiffEqual, s.aLo, s.aHi, s.bLo, s.bHi})
	}
	off := func(ends []int, tok int) int { // byte offset where token tok starts
		if tok == 0 {
			return 0
		}
		return ends[tok-1]
	}
	text := func(s string, ends []int, lo, hi int) string { return s[off(ends, lo):off(ends, hi)] }
	size := func(b block) int { // the larger side of a change, in bytes
		return max(off(ta, b.aHi)-off(ta, b.aLo), off(tb, b.bHi)-off(tb, b.bLo))
	}
	var merged []block
	for k := 0; k < len(blocks); k++ {
		b := blocks[k]
		n := len(merged)
		if b.eq && n > 0 && k+1 < len(blocks) {
			prev, next := merged[n-1], blocks[k+1]
			eqText := text(old, ta, b.aLo, b.aHi)
			if !hasWord(eqText) || len(eqText) <= size(prev) && len(eqText) <= size(next) {
				// Absorb the equal run and the change after it.
				merged[n-1].aHi, merged[n-1].bHi = next.aHi, next.bHi
				k++
				continue
			}
		}
		merged = append(merged, b)
	}
	ops := make([]DiffOp, 0, len(merged)+len(merged)/2)
	for _, b := range merged {
		del, ins := text(old, ta, b.aLo, b.aHi), text(new, tb, b.bLo, b.bHi)
		switch {
		case b.eq:
			ops = append(ops, DiffOp{DiffEqual, del})
		default:
			if del != "" {
				ops = append(ops, DiffOp{DiffDelete, del})
			}
			if ins != "" {
				ops = append(ops, DiffOp{DiffInsert, ins})
			}
		}
	}
	return ops
}

// hasWord reports whether s holds a letter or a digit.
func hasWord(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}
