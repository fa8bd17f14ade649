package export

import (
	"strings"
	"unicode/utf8"
)

// Preview is the public export as the redaction preview shows it: the
// Markdown cut into the text kept as written and the replacements, each
// pointing at its removal, so that a page can highlight every removal
// (with its original text as a tooltip, and a button that adds it to
// Redaction.Keep) and the author can add terms (Redaction.Terms) and look
// again.
type Preview struct {
	// Markdown is byte for byte what Markdown returns for the same
	// postmortem and options (with the public audience): the marks that
	// cut it into segments are plain text to the renderer, and the
	// replacements never start or end with Markdown syntax.
	Markdown []byte
	// Segments cut Markdown in order: their texts, joined, are Markdown.
	Segments []Segment
	// Removals are all of Redact's removals, also those that leave no
	// text in the Markdown (a field left out, a section not exported, a
	// person shown by the byline instead). Segment.Removal indexes it.
	Removals []Removal
}

// Segment is a piece of the public Markdown.
type Segment struct {
	Text string `json:"text"`
	// Removal is the index in Preview.Removals of the removal whose
	// replacement Text is; -1 for text kept as written. A replacement may
	// be empty ("" for a removal that left nothing in its place, such as
	// an e-mail next to a name): the page shows a marker there.
	Removal int `json:"removal"`
}

// PreviewPublic renders the public export of p (whatever o.Audience
// says) for the redaction preview.
func PreviewPublic(p Postmortem, o Options) (Preview, error) {
	o.Audience = AudiencePublic
	opts, err := o.resolve(p.Template)
	if err != nil {
		return Preview{}, err
	}
	q := prepare(p)
	r := newRedactor(&q, opts.Redaction, true, true)
	r.apply(&q)
	segs := segments(render(&q, opts), len(r.removals))
	var md strings.Builder
	for _, s := range segs {
		md.WriteString(s.Text)
	}
	return Preview{Markdown: []byte(md.String()), Segments: segs, Removals: r.result()}, nil
}

// segments cuts marked text into segments, merging neighbouring plain
// text. Marks that do not parse (which rendering never produces) are
// dropped, their text kept as plain.
func segments(s string, n int) []Segment {
	var out []Segment
	plain := func(t string) {
		if t == "" {
			return
		}
		if k := len(out) - 1; k >= 0 && out[k].Removal < 0 {
			out[k].Text += t
			return
		}
		out = append(out, Segment{Text: t, Removal: -1})
	}
	for s != "" {
		i := strings.IndexRune(s, markOpen)
		if i < 0 {
			plain(stripMarks(s))
			break
		}
		plain(stripMarks(s[:i]))
		rest := s[i+utf8.RuneLen(markOpen):]
		idx, ok, j := 0, false, 0
		for j < len(rest) {
			r, size := utf8.DecodeRuneInString(rest[j:])
			if r >= markDigit0 && r <= markDigit0+9 {
				idx = idx*10 + int(r-markDigit0)
				ok = true
				j += size
				continue
			}
			if r != markMid {
				ok = false
			}
			j += size
			break
		}
		end := strings.IndexRune(rest[j:], markClose)
		if !ok || end < 0 || idx >= n {
			s = rest
			continue
		}
		out = append(out, Segment{Text: stripMarks(rest[j : j+end]), Removal: idx})
		s = rest[j+end+utf8.RuneLen(markClose):]
	}
	return out
}
