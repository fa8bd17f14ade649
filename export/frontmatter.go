package export

import (
	"cmp"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// MaxDescriptionLength bounds the description, in characters; a longer
// first sentence is cut at a word and ends with "…".
const MaxDescriptionLength = 300

// MaxSlugLength bounds a slug, in bytes.
const MaxSlugLength = 80

// frontMatter writes the front matter. It is written by hand, every
// string double-quoted with its escapes, so that no title or tag can end
// it early or inject keys, and so that the preview's marks pass through.
func (r *renderer) frontMatter() {
	if r.o.FrontMatter == FrontMatterNone {
		return
	}
	toml := r.o.FrontMatter == FrontMatterTOML
	delim, assign := "---\n", ": "
	if toml {
		delim, assign = "+++\n", " = "
	}
	str := func(s string) string { return quote(s, toml) }
	list := func(items []string) string {
		q := make([]string, len(items))
		for i, s := range items {
			q[i] = str(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	b := &r.b
	b.WriteString(delim)
	b.WriteString("title" + assign + str(r.docTitle()) + "\n")
	if d := r.date(); d != nil {
		b.WriteString("date" + assign + d.In(r.o.Zone).Format(time.RFC3339) + "\n")
	}
	b.WriteString("slug" + assign + str(slugOf(r.p)) + "\n")
	b.WriteString("description" + assign + str(description(r.p.Summary)) + "\n")
	b.WriteString("tags" + assign + list(r.p.Tags) + "\n")
	b.WriteString("severity" + assign + str(r.p.Severity) + "\n")
	b.WriteString("authors" + assign + list(r.authors()) + "\n")
	fmt.Fprintf(b, "draft%s%t\n", assign, r.p.PublishedAt == nil)
	b.WriteString(delim)
}

// titleBlock starts a document without front matter: the title as a
// heading, then one line of what front matter would have said.
func (r *renderer) titleBlock() {
	r.heading(r.level-1, r.docTitle())
	var parts []string
	if !r.o.public && r.p.Key != "" {
		parts = append(parts, cell(r.p.Key))
	}
	if r.p.Severity != "" {
		parts = append(parts, cell(r.p.Severity))
	}
	if d := r.date(); d != nil {
		parts = append(parts, d.In(r.o.Zone).Format("2 January 2006"))
	}
	if a := r.authors(); len(a) > 0 {
		parts = append(parts, cell(strings.Join(a, ", ")))
	}
	if r.p.PublishedAt == nil {
		parts = append(parts, "draft")
	}
	if len(parts) > 0 {
		r.para("*" + strings.Join(parts, " · ") + "*")
	}
}

func (r *renderer) docTitle() string {
	return cmp.Or(r.p.Title, r.p.Key, "Postmortem")
}

// date is the post's date: when it was published, else when the incident
// started; nil when neither is known.
func (r *renderer) date() *time.Time {
	if r.p.PublishedAt != nil {
		return r.p.PublishedAt
	}
	return r.p.Started
}

// authors are the authors' names, internally; the byline, publicly.
func (r *renderer) authors() []string {
	if r.o.public {
		if b := cleanLine(r.o.Byline); b != "" {
			return []string{b}
		}
		return []string{}
	}
	out := make([]string, 0, len(r.p.Authors))
	for _, a := range r.p.Authors {
		if n := cmp.Or(a.Name, a.Email); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// quote writes s as a double-quoted YAML or TOML string. Both accept the
// same escapes for what must be escaped: the quote, the backslash, and
// control characters. Line and paragraph separators, the byte order mark
// and noncharacters are escaped too, as YAML 1.1 readers break lines at
// the separators.
func quote(s string, toml bool) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// slugOf is the post's slug: the given one, else one made from the title
// or the key, else "postmortem"; always in the shape of slugify.
func slugOf(p *Postmortem) string {
	for _, s := range []string{p.Slug, p.Title, p.Key} {
		if s := slugify(stripMarks(s)); s != "" {
			return s
		}
	}
	return "postmortem"
}

// slugify lowercases s and keeps its letters and digits, one "-" for
// each run of anything else, at most MaxSlugLength bytes.
func slugify(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			gap = true
			continue
		}
		r = unicode.ToLower(r)
		if b.Len()+utf8.RuneLen(r)+1 > MaxSlugLength {
			break
		}
		if gap && b.Len() > 0 {
			b.WriteByte('-')
		}
		gap = false
		b.WriteRune(r)
	}
	return b.String()
}

var mdParser = goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()

// description is the summary's first sentence as plain text, at most
// MaxDescriptionLength characters.
func description(summary string) string {
	s := firstSentence(plainFirstBlock(stripMarks(summary)))
	if utf8.RuneCountInString(s) <= MaxDescriptionLength {
		return s
	}
	cut, n, end := 0, 0, 0
	for i := range s {
		if n == MaxDescriptionLength-1 {
			end = i
			break
		}
		if s[i] == ' ' {
			cut = i
		}
		n++
	}
	if cut == 0 { // one long word
		cut = end
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}

// plainFirstBlock returns the text of the first block of Markdown that
// has any, without its markup.
func plainFirstBlock(md string) string {
	if md == "" {
		return ""
	}
	src := []byte(md)
	doc := mdParser.Parse(text.NewReader(src))
	var b strings.Builder
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		b.Reset()
		_ = ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				if n.Type() == ast.TypeBlock {
					b.WriteByte(' ')
				}
				return ast.WalkContinue, nil
			}
			switch t := n.(type) {
			case *ast.Text:
				v := t.Segment.Value(src)
				b.Write(util.UnescapePunctuations(util.ResolveNumericReferences(util.ResolveEntityNames(v))))
				if t.SoftLineBreak() || t.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(t.Value)
			case *ast.AutoLink:
				b.Write(t.Label(src))
				return ast.WalkSkipChildren, nil
			case *ast.RawHTML, *ast.HTMLBlock:
				return ast.WalkSkipChildren, nil
			case *ast.CodeBlock, *ast.FencedCodeBlock:
				lines := n.Lines()
				for i := 0; i < lines.Len(); i++ {
					seg := lines.At(i)
					b.Write(seg.Value(src))
				}
			}
			return ast.WalkContinue, nil
		})
		if s := oneLine(b.String()); s != "" {
			return s
		}
	}
	return ""
}

// abbreviations end in a period that does not end a sentence.
var abbreviations = map[string]bool{"vs": true, "approx": true, "incl": true, "mr": true, "mrs": true, "ms": true,
	"dr": true, "st": true, "no": true, "fig": true, "cf": true, "al": true, "ca": true}

// firstSentence returns s up to the end of its first sentence: ".", "!"
// or "?" (and any closing quotes or brackets) before a space and a word
// that does not start in lowercase, unless the period ends an
// abbreviation or an initial.
func firstSentence(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if !strings.ContainsRune(`"')]’”»`, r) {
				break
			}
			j += n
		}
		if j < len(s) && s[j] != ' ' {
			continue
		}
		if c == '.' {
			w := s[strings.LastIndexByte(s[:i], ' ')+1 : i]
			if strings.Contains(w, ".") || utf8.RuneCountInString(w) == 1 || abbreviations[strings.ToLower(w)] {
				continue
			}
		}
		if j+1 < len(s) {
			if r, _ := utf8.DecodeRuneInString(s[j+1:]); unicode.IsLower(r) {
				continue
			}
		}
		return s[:j]
	}
	return s
}

// capitalize upper-cases the first letter.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
