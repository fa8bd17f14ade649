package blameless

import "strings"

// span is a byte range [start, end) of the text.
type span struct{ start, end int }

// skippedSpans returns the parts of a Markdown text that are not prose, in
// order and not overlapping: fenced code blocks (``` or ~~~, closed by a
// fence of the same character at least as long, or open to the end of the
// text), inline code spans (a run of n backticks closed by the next run of
// exactly n in the same paragraph; a backslash-escaped backtick opens
// nothing), and absolute URLs (scheme://… up to whitespace). It follows
// CommonMark closely enough for a writing aid, not exactly: fences are
// recognised after any indentation and blockquote markers, and indented
// code blocks are prose (they are too easily confused with the continued
// paragraphs of list items).
func skippedSpans(text string) []span {
	var out []span
	paraStart := -1
	flush := func(end int) {
		if paraStart >= 0 {
			out = inlineSpans(text, paraStart, end, out)
			paraStart = -1
		}
	}
	inFence := false
	var fenceChar byte
	var fenceLen, fenceStart int
	for pos := 0; pos < len(text); {
		lineEnd, next := len(text), len(text)
		if k := strings.IndexByte(text[pos:], '\n'); k >= 0 {
			lineEnd, next = pos+k, pos+k+1
		}
		line := text[pos:lineEnd]
		switch {
		case inFence:
			if fenceCloses(line, fenceChar, fenceLen) {
				out = append(out, span{fenceStart, lineEnd})
				inFence = false
			}
		default:
			if c, n, ok := fenceOpens(line); ok {
				flush(pos)
				inFence, fenceChar, fenceLen, fenceStart = true, c, n, pos
			} else if strings.TrimLeft(line, " \t\r\v\f") == "" {
				flush(pos)
			} else if paraStart < 0 {
				paraStart = pos
			}
		}
		pos = next
	}
	if inFence {
		out = append(out, span{fenceStart, len(text)})
	}
	flush(len(text))
	return out
}

// fenceIndent strips what may precede a fence: indentation and blockquote
// markers.
func fenceIndent(line string) string {
	return strings.TrimLeft(line, " \t>")
}

func fenceOpens(line string) (byte, int, bool) {
	l := fenceIndent(line)
	if l == "" || l[0] != '`' && l[0] != '~' {
		return 0, 0, false
	}
	c := l[0]
	n := runLen(l, 0, c)
	if n < 3 || c == '`' && strings.IndexByte(l[n:], '`') >= 0 {
		return 0, 0, false
	}
	return c, n, true
}

func fenceCloses(line string, c byte, n int) bool {
	l := fenceIndent(line)
	m := runLen(l, 0, c)
	return m >= n && strings.TrimSpace(l[m:]) == ""
}

// runLen is the length of the run of c starting at s[i].
func runLen(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// inlineSpans appends the code spans and URLs of the paragraph
// text[start:end] to out, in order.
func inlineSpans(text string, start, end int, out []span) []span {
	para := text[:end]
	// The backtick runs of the paragraph, and where each length occurs.
	type run struct{ pos, n int }
	var runs []run
	for i := start; i < end; {
		k := strings.IndexByte(para[i:], '`')
		if k < 0 {
			break
		}
		n := runLen(para, i+k, '`')
		runs = append(runs, run{i + k, n})
		i += k + n
	}
	if len(runs) < 2 {
		return urlSpans(text, start, end, out)
	}
	// closerAfter is the first run after index i of length n, or -1. A
	// search that fails is remembered by length, so each length is searched
	// in vain at most once: with lengths 1, 2, 3… a paragraph of L bytes
	// holds at most √(2L) of them, and the search stays near linear.
	var failedSmall [64]bool
	var failed map[int]bool
	closerAfter := func(i, n int) int {
		if n < len(failedSmall) && failedSmall[n] || failed[n] {
			return -1
		}
		for j := i + 1; j < len(runs); j++ {
			if runs[j].n == n {
				return j
			}
		}
		if n < len(failedSmall) {
			failedSmall[n] = true
		} else {
			if failed == nil {
				failed = map[int]bool{}
			}
			failed[n] = true
		}
		return -1
	}
	prose := start // start of the prose not yet searched for URLs
	for i := 0; i < len(runs); i++ {
		p, n := runs[i].pos, runs[i].n
		if escaped(text, start, p) {
			p, n = p+1, n-1 // an escaped backtick is literal; the rest of the run may open a span
		}
		if n == 0 {
			continue
		}
		j := closerAfter(i, n)
		if j < 0 {
			continue
		}
		out = urlSpans(text, prose, p, out)
		out = append(out, span{p, runs[j].pos + n})
		prose = runs[j].pos + n
		i = j
	}
	return urlSpans(text, prose, end, out)
}

// escaped reports whether the byte at p is preceded by an odd number of
// backslashes (not looking before start).
func escaped(text string, start, p int) bool {
	n := 0
	for q := p - 1; q >= start && text[q] == '\\'; q-- {
		n++
	}
	return n%2 == 1
}

// urlSpans appends the absolute URLs of text[start:end]: a scheme of at
// least two ASCII letters (not preceded by a word rune), "://", and
// everything up to whitespace, a backtick, '<', '>' or '"'.
func urlSpans(text string, start, end int, out []span) []span {
	for i := start; i < end; {
		k := strings.Index(text[i:end], "://")
		if k < 0 {
			break
		}
		c := i + k
		s := c
		for s > start && isASCIILetter(text[s-1]) {
			s--
		}
		if c-s < 2 || s > start && precededByWordRune(text, start, s) {
			i = c + 3
			continue
		}
		e := c + 3
		for e < end {
			r, size := decode(text, e)
			if isSpace(r) || r == '`' || r == '<' || r == '>' || r == '"' {
				break
			}
			e += size
		}
		out = append(out, span{s, e})
		i = e
	}
	return out
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// precededByWordRune reports whether the rune ending at text[s] (not
// looking before start) is a word rune.
func precededByWordRune(text string, start, s int) bool {
	q := s - 1
	for q > start && q > s-4 && text[q]&0xC0 == 0x80 {
		q--
	}
	r, _ := decode(text, q)
	return isWordRune(r)
}
