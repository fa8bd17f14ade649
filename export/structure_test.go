package export

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	goccy "github.com/goccy/go-yaml"
	toml "github.com/pelletier/go-toml/v2"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	yaml "go.yaml.in/yaml/v3"
)

func errorIs(err error) bool { return errors.Is(err, ErrOptions) }

// gfm parses like the markdown package does (GFM).
var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM))

// doc is an export taken apart: its front matter and the outline of its
// body as goldmark (GFM) sees it.
type doc struct {
	frontMatter string // between the delimiters
	flavour     string
	headings    []string // "2 Summary"
	tables      [][]string
	rows        []int // body rows per table
	rawHTML     []string
	body        string
}

func splitFrontMatter(md string) (fm, flavour, body string, err error) {
	for _, f := range []struct{ delim, flavour string }{{"---\n", FrontMatterYAML}, {"+++\n", FrontMatterTOML}} {
		if rest, ok := strings.CutPrefix(md, f.delim); ok {
			fm, body, ok := strings.Cut(rest, "\n"+f.delim)
			if !ok {
				return "", "", "", fmt.Errorf("front matter not closed")
			}
			return fm + "\n", f.flavour, body, nil
		}
	}
	return "", FrontMatterNone, md, nil
}

func parseDoc(t testing.TB, md []byte) doc {
	t.Helper()
	fm, flavour, body, err := splitFrontMatter(string(md))
	if err != nil {
		t.Fatalf("%v in\n%s", err, md)
	}
	d := doc{frontMatter: fm, flavour: flavour, body: body}
	src := []byte(body)
	root := gfm.Parser().Parse(text.NewReader(src))
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			d.headings = append(d.headings, fmt.Sprintf("%d %s", n.Level, nodeText(n, src)))
		case *east.Table:
			var header []string
			rows := 0
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				switch c := c.(type) {
				case *east.TableHeader:
					for cell := c.FirstChild(); cell != nil; cell = cell.NextSibling() {
						header = append(header, nodeText(cell, src))
					}
				case *east.TableRow:
					rows++
				}
			}
			d.tables = append(d.tables, header)
			d.rows = append(d.rows, rows)
		case *ast.RawHTML:
			var b bytes.Buffer
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				b.Write(seg.Value(src))
			}
			d.rawHTML = append(d.rawHTML, b.String())
		case *ast.HTMLBlock:
			d.rawHTML = append(d.rawHTML, string(n.Lines().Value(src)))
		}
		return ast.WalkContinue, nil
	})
	return d
}

// nodeText is the plain text inside a node.
func nodeText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(c.Segment.Value(src))
			case *ast.String:
				b.Write(c.Value)
			}
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

var fullHeadings = []string{
	"2 Summary", "2 Impact", "2 Key durations", "2 Timeline", "2 Trigger", "2 Five Whys",
	"2 Contributing factors", "2 Lessons", "3 What went well", "3 What went wrong", "3 Where we got lucky",
	"2 Corrective actions", "2 Additional details",
}

func shifted(hs []string, by int) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = fmt.Sprintf("%d%s", int(h[0]-'0')+by, h[1:])
	}
	return out
}

// TestOutline parses every golden case with goldmark (GFM): the headings
// are the expected texts at the expected levels (with the offset), the
// tables are tables with their headers and one row per item, and no raw
// HTML gets through.
func TestOutline(t *testing.T) {
	tables := map[string][]string{
		"impact":   {"Measure", "Value"},
		"moments":  {"Moment", "Time (Europe/Paris)"},
		"timeline": {"Time (Europe/Paris)", "Kind", "Service", "Event"},
		"actions":  {"Action", "Status", "Priority", "Owner", "Due", "Tracker"},
		"custom":   {"Field", "Value"},
		"public":   {"Action", "Status", "Due"},
		"detail":   {"Detail", "Value"},
	}
	utc := func(h []string) []string {
		out := slices.Clone(h)
		for i := range out {
			out[i] = strings.ReplaceAll(out[i], "Europe/Paris", "UTC")
		}
		return out
	}
	full := [][]string{tables["impact"], tables["moments"], tables["timeline"], tables["actions"], tables["custom"]}
	fullUTC := [][]string{tables["impact"], utc(tables["moments"]), utc(tables["timeline"]), tables["actions"], tables["custom"]}
	fullRows := []int{11, 4, 6, 4, 3}
	publicRows := []int{11, 4, 6, 4, 1}
	threePart := []string{"2 Summary", "2 What happened", "2 What we are doing"}

	want := map[string]struct {
		headings []string
		tables   [][]string
		rows     []int
	}{
		"internal.md":              {fullHeadings, full, fullRows},
		"internal.toml.md":         {fullHeadings, fullUTC, fullRows},
		"internal-none-offset1.md": {append([]string{"2 Checkout errors after the payments pool change"}, shifted(fullHeadings, 1)...), full, fullRows},
		"internal-sections.md": {[]string{"1 Checkout errors after the payments pool change", "2 Summary", "2 Timeline", "2 Corrective actions"},
			[][]string{utc(tables["timeline"]), tables["actions"]}, []int{6, 4}},
		"public.md":      {fullHeadings, fullUTC, publicRows},
		"public.toml.md": {fullHeadings, fullUTC, publicRows},
		"public-none-offset4.md": {append([]string{"5 Checkout errors after the payments pool change"},
			slices.DeleteFunc(shifted(fullHeadings, 4), func(h string) bool { return h[0] == '7' })...), fullUTC, publicRows},
		"public-template.md":          {threePart, [][]string{tables["timeline"], tables["public"]}, []int{6, 4}},
		"public-template-internal.md": {threePart, [][]string{tables["timeline"], tables["public"]}, []int{6, 4}},
	}
	for _, c := range goldenCases {
		t.Run(c.file, func(t *testing.T) {
			md, err := Markdown(c.p(), c.o)
			if err != nil {
				t.Fatal(err)
			}
			d := parseDoc(t, md)
			w, ok := want[c.file]
			if !ok {
				t.Fatalf("no expectation for %s", c.file)
			}
			if !slices.Equal(d.headings, w.headings) {
				t.Errorf("headings\n%q\nwant\n%q", d.headings, w.headings)
			}
			if !slices.EqualFunc(d.tables, w.tables, slices.Equal) {
				t.Errorf("table headers\n%q\nwant\n%q", d.tables, w.tables)
			}
			if !slices.Equal(d.rows, w.rows) {
				t.Errorf("table rows %v, want %v", d.rows, w.rows)
			}
			if len(d.rawHTML) > 0 {
				t.Errorf("raw HTML in the output: %q", d.rawHTML)
			}
			if c.file == "public-none-offset4.md" {
				for _, bold := range []string{"**What went well**", "**What went wrong**", "**Where we got lucky**"} {
					if !strings.Contains(d.body, "\n"+bold+"\n") {
						t.Errorf("a level-7 heading should be the bold line %s", bold)
					}
				}
			}
		})
	}
}

// frontMatterKeys are what every front matter holds.
var frontMatterKeys = []string{"title", "date", "slug", "description", "tags", "severity", "authors", "draft"}

// decodeFrontMatter parses front matter with the YAML (both libraries
// in go.mod) or TOML library.
func decodeFrontMatter(t testing.TB, d doc) map[string]any {
	t.Helper()
	m := map[string]any{}
	switch d.flavour {
	case FrontMatterYAML:
		if err := yaml.Unmarshal([]byte(d.frontMatter), &m); err != nil {
			t.Fatalf("yaml: %v in\n%s", err, d.frontMatter)
		}
		g := map[string]any{}
		if err := goccy.Unmarshal([]byte(d.frontMatter), &g); err != nil {
			t.Fatalf("goccy yaml: %v in\n%s", err, d.frontMatter)
		}
		if len(g) != len(m) || fmt.Sprint(g["title"]) != fmt.Sprint(m["title"]) || fmt.Sprint(g["description"]) != fmt.Sprint(m["description"]) {
			t.Fatalf("the YAML libraries disagree:\n%v\n%v", m, g)
		}
	case FrontMatterTOML:
		if err := toml.Unmarshal([]byte(d.frontMatter), &m); err != nil {
			t.Fatalf("toml: %v in\n%s", err, d.frontMatter)
		}
	default:
		t.Fatalf("no front matter")
	}
	return m
}

func TestFrontMatter(t *testing.T) {
	type want struct {
		authors []string
		date    time.Time
	}
	published := at0("2026-11-24T09:00:00Z")
	for _, c := range []struct {
		name string
		o    Options
		want want
	}{
		{"internal yaml", Options{Zone: paris()}, want{[]string{"Ana Lima", "Bo Chen"}, published}},
		{"internal toml", Options{FrontMatter: FrontMatterTOML}, want{[]string{"Ana Lima", "Bo Chen"}, published}},
		{"public yaml", Options{Audience: AudiencePublic, Byline: "The Payments team"}, want{[]string{"The Payments team"}, published}},
		{"public toml anonymous", Options{Audience: AudiencePublic, FrontMatter: FrontMatterTOML}, want{[]string{}, published}},
	} {
		t.Run(c.name, func(t *testing.T) {
			md, err := Markdown(fixture(), c.o)
			if err != nil {
				t.Fatal(err)
			}
			m := decodeFrontMatter(t, parseDoc(t, md))
			for _, k := range frontMatterKeys {
				if _, ok := m[k]; !ok {
					t.Errorf("no %q in %v", k, m)
				}
			}
			if len(m) != len(frontMatterKeys) {
				t.Errorf("keys %v, want exactly %v", m, frontMatterKeys)
			}
			check := func(k string, v any) {
				if got := fmt.Sprint(m[k]); got != fmt.Sprint(v) {
					t.Errorf("%s = %q, want %q", k, got, fmt.Sprint(v))
				}
			}
			check("title", "Checkout errors after the payments pool change")
			check("slug", "checkout-errors-payments-pool")
			check("description", "On 20 November checkout failed for 47 minutes after a config change shrank the payments database pool from 50 to 5 connections.")
			check("tags", []any{"payments", "config", "database"})
			check("severity", "SEV2")
			check("draft", false)
			authors := []any{}
			for _, a := range c.want.authors {
				authors = append(authors, a)
			}
			check("authors", authors)
			var date time.Time
			switch v := m["date"].(type) {
			case time.Time:
				date = v
			case string:
				date, err = time.Parse(time.RFC3339, v)
				if err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatalf("date is a %T", v)
			}
			if !date.Equal(c.want.date) {
				t.Errorf("date %v, want %v", date, c.want.date)
			}
		})
	}
}

// TestFrontMatterHostileText: titles, tags and summaries that look like
// front matter, YAML or TOML syntax stay one string value each.
func TestFrontMatterHostileText(t *testing.T) {
	hostile := []string{
		"---\ntitle: pwned\n---",
		"+++\ndraft = true\n+++",
		`a "quoted" \ title: with: colons # and a comment`,
		"tab\there, CR\rthere, NEL\u0085, LS\u2028, BOM\ufeff, DEL\x7f",
		"[1, 2]",
		"{ key: value }",
		"'single' & *alias &anchor !!tag | > %",
		"\x00\x01 control",
		"\xff\xfe not UTF-8",
		"emoji 🔥 and 中文 and \U0010FFFD",
	}
	for _, flavour := range []string{FrontMatterYAML, FrontMatterTOML} {
		for _, h := range hostile {
			p := fixture()
			p.Title = h
			p.Tags = []string{h, "ok"}
			p.Summary = h + " Second sentence."
			p.Severity = h
			p.Slug = ""
			md, err := Markdown(p, Options{FrontMatter: flavour})
			if err != nil {
				t.Fatal(err)
			}
			d := parseDoc(t, md)
			m := decodeFrontMatter(t, d)
			if len(m) != len(frontMatterKeys) {
				t.Errorf("%s %q: keys %v", flavour, h, m)
			}
			if got, want := fmt.Sprint(m["title"]), cleanLine(h); got != want {
				t.Errorf("%s: title %q, want %q", flavour, got, want)
			}
			if tags, ok := m["tags"].([]any); !ok || len(tags) != 2 {
				t.Errorf("%s: tags %#v", flavour, m["tags"])
			}
			if m["draft"] != false {
				t.Errorf("%s %q: draft %v", flavour, h, m["draft"])
			}
			if slices.Contains(d.headings, "2 pwned") || len(d.rawHTML) > 0 {
				t.Errorf("%s %q broke out: %q %q", flavour, h, d.headings, d.rawHTML)
			}
		}
	}
}
