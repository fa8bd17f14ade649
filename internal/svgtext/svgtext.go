// Package svgtext prepares user text for server-rendered SVG charts: it
// escapes it for XML, cleans it to one safe line, and estimates its width so
// that labels can be shortened to fit. Shared by the timeline and the
// actions dashboard charts.
package svgtext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// RuneWidth estimates a glyph's advance in ems for a sans-serif face,
// erring wide so that estimated labels do not collide.
func RuneWidth(r rune) float64 {
	switch {
	case r < 0x80:
		switch {
		case strings.ContainsRune(" .,:;'|!il`ijft()[]", r):
			return 0.36
		case r >= 'a' && r <= 'z':
			return 0.62
		case r >= 'A' && r <= 'Z', r == 'm', r == 'w', r == '@', r == '%':
			return 0.76
		case r >= '0' && r <= '9':
			return 0.64
		default:
			return 0.66
		}
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == 0x200B || r == 0x200D:
		return 0
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
		r >= 0xFFE0 && r <= 0xFFE6, r >= 0x1F000 && r <= 0x1FAFF, r >= 0x20000:
		return 1.05
	default:
		return 0.7
	}
}

// TextWidth estimates the width of s at font size px.
func TextWidth(s string, px float64) float64 {
	w := 0.0
	for _, r := range s {
		w += RuneWidth(r)
	}
	return w * px
}

// Fit shortens s with an ellipsis so it is at most maxW wide.
func Fit(s string, maxW, px float64) string {
	if TextWidth(s, px) <= maxW {
		return s
	}
	ell := RuneWidth('…') * px
	w := 0.0
	for i, r := range s {
		rw := RuneWidth(r) * px
		if w+rw+ell > maxW {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace) + "…"
		}
		w += rw
	}
	return s
}

// Clean makes user text fit for one line: invalid UTF-8 and characters
// XML forbids become U+FFFD, whitespace and other controls collapse to one
// space, and bidirectional overrides are dropped so a label cannot reorder
// the text around it.
func Clean(s string, maxRunes int) string {
	var b strings.Builder
	space, n := false, 0
	for i := 0; i < len(s) && n < maxRunes; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			r = '\uFFFD'
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F:
			continue
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) || unicode.IsSpace(r):
			space = true
			continue
		case !XMLChar(r):
			r = '\uFFFD'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// XMLChar reports whether r may appear in an XML 1.0 document.
func XMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// Esc escapes text for XML content and attribute values.
func Esc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 || !XMLChar(r) {
			r = '\uFFFD'
		}
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&#39;")
		case '\t', '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
