package export

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzMarkdown puts arbitrary text in the title, the tags, the summary,
// what users saw, a timeline note, a because, a lesson and an action's
// title, of either audience and front matter flavour. The export must not
// panic, must be valid UTF-8, its front matter must parse with the
// expected keys (and, internally, the title as written on one line), its
// outline and tables must be those of the same postmortem with harmless
// text, it must hold no raw HTML, the JSON must be valid, and the public
// preview must join to the public Markdown.
func FuzzMarkdown(f *testing.F) {
	for _, h := range hostile {
		f.Add(h, h, h, false, false)
		f.Add(h, h, h, true, true)
	}
	f.Add("Checkout errors", "Checkout failed. Ana Lima rolled back.", "Paged Bo Chen at 10.0.0.1", true, false)
	f.Add("", "", "", false, true)
	f.Add("\xff", "\r\n\r\n# x\r\n===", "\x00<\u2028>", true, true)
	f.Fuzz(func(t *testing.T, title, summary, note string, public, toml bool) {
		o := Options{FrontMatter: FrontMatterYAML, Redaction: corp}
		if public {
			o.Audience = AudiencePublic
		}
		if toml {
			o.FrontMatter = FrontMatterTOML
		}
		build := func(title, summary, note string) Postmortem {
			p := fixture()
			p.Title = title
			p.Tags = []string{title, "ok"}
			p.Summary = summary
			p.Impact.WhatUsersSaw = summary
			p.Timeline[2].Note = note
			p.Whys.Steps[0].Because = note
			p.Lessons.WentWell = []string{note}
			p.Actions[0].Title = note
			return p
		}
		neutral := func(s string) string {
			if clean(s) == "" {
				return ""
			}
			return "x"
		}
		md, err := Markdown(build(title, summary, note), o)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(md) {
			t.Fatalf("invalid UTF-8:\n%q", md)
		}
		want, err := Markdown(build(neutral(title), neutral(summary), neutral(note)), o)
		if err != nil {
			t.Fatal(err)
		}
		d, w := parseDoc(t, md), parseDoc(t, want)
		if !slices.Equal(d.headings, w.headings) {
			t.Fatalf("headings\n%q\nwant\n%q\n%s", d.headings, w.headings, md)
		}
		// The summary is Markdown and may hold tables of its own: the
		// export's tables must all be there, in order, unchanged.
		k := 0
		for i := range d.tables {
			if k < len(w.tables) && slices.Equal(d.tables[i], w.tables[k]) && d.rows[i] == w.rows[k] {
				k++
			}
		}
		if k != len(w.tables) {
			t.Fatalf("tables %q %v, want %q %v among them\n%s", d.tables, d.rows, w.tables, w.rows, md)
		}
		if len(d.rawHTML) > 0 {
			t.Fatalf("raw HTML %q\n%s", d.rawHTML, md)
		}
		m := decodeFrontMatter(t, d)
		for _, k := range frontMatterKeys {
			if _, ok := m[k]; !ok {
				t.Fatalf("no %s in %v", k, m)
			}
		}
		if len(m) != len(frontMatterKeys) {
			t.Fatalf("keys %v", m)
		}
		if wantTitle := cleanLine(title); !public && wantTitle != "" && fmt.Sprint(m["title"]) != wantTitle {
			t.Fatalf("title %q, want %q", m["title"], wantTitle)
		}

		js, err := JSON(build(title, summary, note), o)
		if err != nil || !json.Valid(js) {
			t.Fatalf("JSON: %v\n%s", err, js)
		}
		if public {
			pv, err := PreviewPublic(build(title, summary, note), o)
			if err != nil {
				t.Fatal(err)
			}
			var joined strings.Builder
			for _, s := range pv.Segments {
				joined.WriteString(s.Text)
			}
			if joined.String() != string(md) || string(pv.Markdown) != string(md) {
				t.Fatalf("the preview is not the public Markdown")
			}
		}
	})
}
