package export

import (
	"slices"
	"strings"
	"testing"
)

func TestInline(t *testing.T) {
	tests := []struct{ in, inline, cell string }{
		{"plain", "plain", "plain"},
		{"a | b", "a | b", `a \| b`},
		{"line\nbreak\n\nand  more", "line break and more", "line break and more"},
		{"<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>", "&lt;script>alert(1)&lt;/script>"},
		{"`List<Order>` failed", "`List`&lt;`Order>` failed", "`List`&lt;`Order>` failed"},
		{"`a|b` c", "`a|b` c", "`a\\|b` c"},
		{"`` x<`y `` z", "`x`&lt;`` `y `` z", "`x`&lt;`` `y `` z"},
		{`escaped \< and \| and \*`, `escaped &lt; and \| and \*`, `escaped &lt; and \| and \*`},
		{`trailing \`, `trailing \\`, `trailing \\`},
		{"# heading", `\# heading`, "# heading"},
		{"> quote", `\> quote`, "> quote"},
		{"- item", `\- item`, "- item"},
		{"1. item", `1\. item`, "1. item"},
		{"2026) was", `2026\) was`, "2026) was"},
		{"```go", "\\```go", "```go"},
		{"~~~", `\~~~`, "~~~"},
		{"***", `\***`, "***"},
		{"**bold** start", "**bold** start", "**bold** start"},
		{"[x]: http://evil", `\[x]: http://evil`, "[x]: http://evil"},
		{"=== underline", `\=== underline`, "=== underline"},
		{"unclosed ` <b>", "unclosed ` &lt;b>", "unclosed ` &lt;b>"},
		{"http://x.com/`a <b>`", "http://x.com/`a `&lt;`b>`", "http://x.com/`a `&lt;`b>`"},
	}
	for _, tt := range tests {
		if got := inline(tt.in); got != tt.inline {
			t.Errorf("inline(%q) = %q, want %q", tt.in, got, tt.inline)
		}
		if got := cell(tt.in); got != tt.cell {
			t.Errorf("cell(%q) = %q, want %q", tt.in, got, tt.cell)
		}
	}
}

func TestBlock(t *testing.T) {
	tests := []struct{ in, want string }{
		{"para\n\n- list\n- items", "para\n\n- list\n- items\n"},
		{"# Not a heading\nFoo\n===\nBar\n---\n> ## quoted\n- ### listed\n1. #", "\\# Not a heading\nFoo\n\\===\nBar\n\\---\n> \\## quoted\n- \\### listed\n1. \\#\n"},
		{"Foo\n-\nBar\n- ", "Foo\n\\-\nBar\n\\- \n"},
		{"* * *\n#hashtag", "* * *\n#hashtag\n"},
		{"<div>\n<script>x</script>\n</div>", "&lt;div>\n&lt;script>x&lt;/script>\n&lt;/div>\n"},
		{"before\n```go\n<b>code</b>\n## not a heading\n```\nafter", "before\n\n```go\n<b>code</b>\n## not a heading\n```\n\nafter\n"},
		{"~~~\n```\ninner\n```\n~~~", "````\n```\ninner\n```\n````\n"},
		{"```\nunclosed <b>", "```\nunclosed <b>\n```\n"},
		{"  ```js extra words\n  indented\n  ```", "```js\nindented\n```\n"},
		{"`a\n<b>` spans lines", "`a\n&lt;b>` spans lines\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		writeBlock(&b, tt.in)
		if got := b.String(); got != tt.want {
			t.Errorf("writeBlock(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// hostile texts try to add headings, raw HTML, table rows or columns,
// front matter, or to swallow what follows.
var hostile = []string{
	"# Injected heading",
	"Injected setext\n===",
	"Injected setext two\n---",
	"---\ntitle: injected\n---",
	"<h1>html</h1><script>alert(1)</script><img src=x onerror=alert(1)>",
	"<!-- unclosed comment",
	"```\nunclosed fence",
	"~~~~\nfence",
	"| a | b |\n| --- | --- |\n| c | d |",
	"cell | with | pipes \\| and \\\\| more",
	"> # quoted heading\n> <b>x</b>",
	"- # listed heading\n  <i>y</i>",
	"http://x.com/`a <b>bold</b>`",
	"www.x.com\\<img src=x>",
	"[a](<javascript:alert(1)>) [b]: <x>",
	"`` `<b>` ``",
	"\\",
	"line\\\n# after hard break",
	"    # indented\n\t# tabbed",
	"\u2028# after LS\u2029<b>",
}

// TestHostileText puts each hostile text in every kind of place (block,
// inline, table cell, heading, front matter) of both audiences and
// checks with goldmark that the outline, the tables and the front matter
// are unchanged and no raw HTML appears.
func TestHostileText(t *testing.T) {
	base := fixture()
	want := map[string]doc{}
	for _, aud := range []string{AudienceInternal, AudiencePublic} {
		md, err := Markdown(base, Options{Audience: aud})
		if err != nil {
			t.Fatal(err)
		}
		want[aud] = parseDoc(t, md)
	}
	for _, h := range hostile {
		p := inject(fixture(), h)
		for _, aud := range []string{AudienceInternal, AudiencePublic} {
			md, err := Markdown(p, Options{Audience: aud})
			if err != nil {
				t.Fatal(err)
			}
			d := parseDoc(t, md)
			w := want[aud]
			if !slices.Equal(d.headings, w.headings) {
				t.Errorf("%s %q: headings\n%q\nwant\n%q", aud, h, d.headings, w.headings)
			}
			if !slices.EqualFunc(d.tables, w.tables, slices.Equal) || !slices.Equal(d.rows, w.rows) {
				t.Errorf("%s %q: tables %q %v, want %q %v", aud, h, d.tables, d.rows, w.tables, w.rows)
			}
			if len(d.rawHTML) > 0 {
				t.Errorf("%s %q: raw HTML %q", aud, h, d.rawHTML)
			}
			m := decodeFrontMatter(t, d)
			if len(m) != len(frontMatterKeys) {
				t.Errorf("%s %q: front matter %v", aud, h, m)
			}
		}
	}
}

// inject appends h to every free text of p.
func inject(p Postmortem, h string) Postmortem {
	add := func(s *string) { *s += " " + h }
	add(&p.Title)
	add(&p.Summary)
	add(&p.Severity)
	p.Tags = append(p.Tags, h)
	add(&p.Impact.WhatUsersSaw)
	p.Impact.Features = append(p.Impact.Features, h)
	p.Impact.Custom["region"] = h
	add(&p.Whys.Problem)
	for i := range p.Whys.Steps {
		add(&p.Whys.Steps[i].Why)
		add(&p.Whys.Steps[i].Because)
	}
	for i := range p.Factors.Items {
		add(&p.Factors.Items[i].Note)
	}
	for _, l := range []*[]string{&p.Lessons.WentWell, &p.Lessons.WentWrong, &p.Lessons.Lucky} {
		for i := range *l {
			add(&(*l)[i])
		}
	}
	for i := range p.Timeline {
		e := &p.Timeline[i]
		add(&e.Title)
		add(&e.Note)
		add(&e.Kind)
		add(&e.Service)
	}
	for i := range p.Actions {
		a := &p.Actions[i]
		add(&a.Title)
		add(&a.Team)
		add(&a.Due)
		add(&a.TrackerKey)
		add(&a.Owner.Name)
	}
	return p
}
