package export

import (
	"strings"
)

// User text keeps its inline Markdown (emphasis, code, links) but can
// never change the structure of the export around it:
//
//   - Every "<" becomes "&lt;", so no raw HTML reaches a renderer that
//     would pass it through, whatever the surrounding constructs. A code
//     span holding "<" is split around it (`a`&lt;`b`), because a code
//     span may not be one to the renderer (an autolink or a link
//     destination can swallow its backtick) and "<" must never be left
//     bare.
//   - Inline text (table cells, list items, labels) is one line: line
//     breaks become spaces, a table cell's "|" becomes "\|", and a leading
//     block marker ("#", ">", "- ", "1.", "```", …) is escaped.
//   - Markdown blocks (the summary, what users saw, notes) keep their
//     paragraphs, lists and quotes, but ATX headings and setext underlines
//     are escaped at any nesting, and fenced code blocks are re-emitted
//     with a fence that their content cannot close.
//
// All of it treats the preview marks as ordinary text.

// isASCIIPunct reports whether a backslash before c escapes it.
func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

func runOf(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// spans finds code spans the CommonMark way: a run of n backticks up to
// the next run of exactly n. Runs that found no closer are remembered, so
// that a text full of unmatched runs stays linear.
type spans struct {
	noCloser [64]int // for n < 64: the position from which no run of n is left, +1 (0: unknown)
}

func (sp *spans) closing(s string, from, n int) int {
	if n < len(sp.noCloser) && sp.noCloser[n] != 0 && from >= sp.noCloser[n]-1 {
		return -1
	}
	for i := from; i < len(s); {
		j := strings.IndexByte(s[i:], '`')
		if j < 0 {
			break
		}
		j += i
		m := runOf(s, j, '`')
		if m == n {
			return j
		}
		i = j + m
	}
	if n < len(sp.noCloser) {
		sp.noCloser[n] = from + 1
	}
	return -1
}

// writeEscaped writes user Markdown with "<" made harmless. cell also
// escapes "|" for a table cell. Line breaks are kept: inline callers
// collapse them first.
func writeEscaped(b *strings.Builder, s string, cell bool) {
	var sp spans
	start := 0 // of the plain text not written yet
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 == len(s) { // a lone backslash at the end would escape what follows
				b.WriteString(s[start:i])
				b.WriteString(`\\`)
				i++
				start = i
				continue
			}
			d := s[i+1]
			if d == '<' {
				b.WriteString(s[start:i])
				b.WriteString("&lt;")
				i += 2
				start = i
				continue
			}
			if isASCIIPunct(d) {
				i += 2 // an escape pair, kept (a cell's "\|" included)
				continue
			}
			i++
		case c == '`':
			n := runOf(s, i, '`')
			end := sp.closing(s, i+n, n)
			if end < 0 {
				i += n
				continue
			}
			b.WriteString(s[start:i])
			writeCode(b, s[i:i+n], s[i+n:end], cell)
			i = end + n
			start = i
		case c == '<':
			b.WriteString(s[start:i])
			b.WriteString("&lt;")
			i++
			start = i
		case c == '|' && cell:
			b.WriteString(s[start:i])
			b.WriteString(`\|`)
			i++
			start = i
		default:
			i++
		}
	}
	b.WriteString(s[start:])
}

// writeCode writes a code span found by writeEscaped.
func writeCode(b *strings.Builder, delim, content string, cell bool) {
	if !strings.Contains(content, "<") {
		b.WriteString(delim)
		writeCodeText(b, content, cell)
		b.WriteString(delim)
		return
	}
	if strings.Contains(content, "\n") {
		// A span over several lines: splitting it could put a backtick
		// run at the start of a line (a fence). Show "&lt;" instead.
		b.WriteString(delim)
		writeCodeText(b, strings.ReplaceAll(content, "<", "&lt;"), cell)
		b.WriteString(delim)
		return
	}
	if len(content) >= 2 && content[0] == ' ' && content[len(content)-1] == ' ' && strings.Trim(content, " ") != "" {
		content = content[1 : len(content)-1] // the space CommonMark strips
	}
	for k, piece := range strings.Split(content, "<") {
		if k > 0 {
			b.WriteString("&lt;")
		}
		if piece != "" {
			writeCodeSpan(b, piece, cell)
		}
	}
}

// writeCodeSpan writes text as one code span, with a delimiter that does
// not occur in it and padding where CommonMark would strip or join.
func writeCodeSpan(b *strings.Builder, text string, cell bool) {
	n := 1
	for hasRun(text, n) {
		n++
	}
	delim := strings.Repeat("`", n)
	pad := text[0] == '`' || text[len(text)-1] == '`' ||
		text[0] == ' ' && text[len(text)-1] == ' ' && strings.Trim(text, " ") != ""
	b.WriteString(delim)
	if pad {
		b.WriteByte(' ')
	}
	writeCodeText(b, text, cell)
	if pad {
		b.WriteByte(' ')
	}
	b.WriteString(delim)
}

// hasRun reports whether s has a run of exactly n backticks.
func hasRun(s string, n int) bool {
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		m := runOf(s, i, '`')
		if m == n {
			return true
		}
		i += m
	}
	return false
}

func writeCodeText(b *strings.Builder, s string, cell bool) {
	if cell {
		s = strings.ReplaceAll(s, "|", `\|`) // GFM splits cells before it sees code spans
	}
	b.WriteString(s)
}

// oneLine collapses every run of white space holding a line break or a
// tab into one space.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\t") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.Fields(s), " ")
}

// inline returns user text as inline Markdown on one line, safe at the
// start of a block (a paragraph, a list item).
func inline(s string) string {
	var b strings.Builder
	writeEscaped(&b, oneLine(s), false)
	return escapeBlockStart(b.String())
}

// cell returns user text for a table cell.
func cell(s string) string {
	var b strings.Builder
	writeCell(&b, s)
	return b.String()
}

func writeCell(b *strings.Builder, s string) { writeEscaped(b, oneLine(s), true) }

// headingText returns user text for an ATX heading: inline, with a
// trailing "#" escaped so that it is not taken for a closing sequence.
func headingText(s string) string {
	t := inline(s)
	if strings.HasSuffix(t, "#") {
		t = t[:len(t)-1] + `\#`
	}
	return t
}

// escapeBlockStart escapes a block marker at the start of one line of
// inline Markdown, so that it stays text: an ATX heading, a quote, a list
// item, a thematic break, a fence, a link reference definition, a task
// box, a setext underline.
func escapeBlockStart(s string) string {
	if s == "" {
		return s
	}
	switch c := s[0]; c {
	case '#', '>', '=':
		return `\` + s
	case '-', '+', '*':
		if len(s) == 1 || s[1] == ' ' || s[1] == '\t' || isThematicBreak(s) {
			return `\` + s
		}
	case '_':
		if isThematicBreak(s) {
			return `\` + s
		}
	case '`', '~':
		if n := runOf(s, 0, c); n >= 3 && (c == '~' || !strings.Contains(s[n:], "`")) {
			return `\` + s
		}
	case '[':
		if strings.Contains(s, "]:") || strings.HasPrefix(s, "[ ]") || strings.HasPrefix(s, "[x]") || strings.HasPrefix(s, "[X]") {
			return `\` + s
		}
	}
	j := 0
	for j < len(s) && j < 9 && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j > 0 && j < len(s) && (s[j] == '.' || s[j] == ')') && (j+1 == len(s) || s[j+1] == ' ' || s[j+1] == '\t') {
		return s[:j] + `\` + s[j:]
	}
	return s
}

// isThematicBreak reports whether s is three or more of one of "-*_",
// with only spaces and tabs between them.
func isThematicBreak(s string) bool {
	var c byte
	n := 0
	for i := 0; i < len(s); i++ {
		switch d := s[i]; {
		case d == ' ' || d == '\t':
		case (d == '-' || d == '*' || d == '_') && (c == 0 || c == d):
			c = d
			n++
		default:
			return false
		}
	}
	return n >= 3
}

// writeBlock writes user Markdown as blocks: see the top of this file.
// The text ends with a line break; nothing else is added around it.
func writeBlock(b *strings.Builder, s string) {
	lines := strings.Split(s, "\n")
	first := true
	part := func() {
		if !first {
			b.WriteByte('\n')
		}
		first = false
	}
	var chunk strings.Builder
	flush := func() {
		text := strings.Trim(chunk.String(), "\n")
		chunk.Reset()
		if strings.TrimSpace(text) == "" {
			return
		}
		part()
		writeEscaped(b, text, false)
		b.WriteByte('\n')
	}
	for i := 0; i < len(lines); i++ {
		indent, fc, n, info, ok := fenceOpen(lines[i])
		if !ok {
			chunk.WriteString(escapeLineStart(lines[i]))
			chunk.WriteByte('\n')
			continue
		}
		var content []string
		j := i + 1
		for ; j < len(lines) && !fenceCloses(lines[j], fc, n); j++ {
			content = append(content, stripIndent(lines[j], indent))
		}
		flush()
		part()
		writeFence(b, info, content)
		i = j
	}
	flush()
}

// fenceOpen recognises the opening line of a fenced code block: up to
// three spaces, three or more backticks or tildes, and an info string
// (without backticks after a backtick fence).
func fenceOpen(line string) (indent int, c byte, n int, info string, ok bool) {
	for indent < len(line) && indent < 4 && line[indent] == ' ' {
		indent++
	}
	if indent > 3 || indent == len(line) || line[indent] != '`' && line[indent] != '~' {
		return 0, 0, 0, "", false
	}
	c = line[indent]
	n = runOf(line, indent, c)
	if n < 3 {
		return 0, 0, 0, "", false
	}
	info = strings.TrimSpace(line[indent+n:])
	if c == '`' && strings.Contains(info, "`") {
		return 0, 0, 0, "", false
	}
	return indent, c, n, info, true
}

// fenceCloses reports whether line closes a fence of n c's.
func fenceCloses(line string, c byte, n int) bool {
	i := 0
	for i < len(line) && i < 4 && line[i] == ' ' {
		i++
	}
	if i > 3 {
		return false
	}
	m := runOf(line, i, c)
	return m >= n && strings.TrimRight(line[i+m:], " \t") == ""
}

func stripIndent(line string, n int) string {
	i := 0
	for i < n && i < len(line) && line[i] == ' ' {
		i++
	}
	return line[i:]
}

// writeFence writes a fenced code block at the left margin with a
// backtick fence longer than any backtick run inside, so that nothing in
// the content closes it early. The info string keeps its first word,
// without backticks.
func writeFence(b *strings.Builder, info string, content []string) {
	longest := 0
	for _, l := range content {
		for i := 0; i < len(l); {
			if l[i] != '`' {
				i++
				continue
			}
			m := runOf(l, i, '`')
			longest = max(longest, m)
			i += m
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	if f := strings.Fields(info); len(f) > 0 {
		info = strings.ReplaceAll(f[0], "`", "")
	}
	b.WriteString(fence)
	b.WriteString(info)
	b.WriteByte('\n')
	for _, l := range content {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString(fence)
	b.WriteByte('\n')
}

// escapeLineStart escapes an ATX heading or a setext underline at the
// start of a line of a Markdown block, also inside block quotes and list
// items (after any number of "> ", "- ", "1. " markers).
func escapeLineStart(line string) string {
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			return line
		}
		rest := line[i:]
		if isATXStart(rest) || isSetextUnderline(rest) {
			return line[:i] + `\` + rest
		}
		switch c := line[i]; {
		case c == '>':
			i++
			continue
		case (c == '-' || c == '+' || c == '*') && i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t'):
			i++
			continue
		case c >= '0' && c <= '9':
			j := i
			for j < len(line) && j-i < 9 && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			if j+1 < len(line) && (line[j] == '.' || line[j] == ')') && (line[j+1] == ' ' || line[j+1] == '\t') {
				i = j + 1
				continue
			}
		}
		return line
	}
}

func isATXStart(s string) bool {
	n := runOf(s, 0, '#')
	return n >= 1 && n <= 6 && (n == len(s) || s[n] == ' ' || s[n] == '\t')
}

func isSetextUnderline(s string) bool {
	if s == "" || s[0] != '=' && s[0] != '-' {
		return false
	}
	n := runOf(s, 0, s[0])
	return strings.TrimRight(s[n:], " \t") == ""
}
