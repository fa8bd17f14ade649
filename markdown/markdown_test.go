package markdown

import (
	"strings"
	"testing"
)

func TestToHTML(t *testing.T) {
	cases := []struct {
		name, in      string
		want, notWant []string
	}{
		{"emphasis", "**bold** and `code`", []string{"<strong>bold</strong>", "<code>code</code>"}, nil},
		{"gfm table", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
		{"strikethrough", "~~gone~~", []string{"<del>gone</del>"}, nil},
		{"raw html dropped", "<script>alert(1)</script><b onclick=x>hi</b>", nil, []string{"<script", "onclick", "<b"}},
		{"javascript link", "[x](javascript:alert(1))", nil, []string{"javascript:"}},
		{"plain link kept", "[docs](https://example.com/a)", []string{`href="https://example.com/a"`}, nil},
		{"autolink", "see https://example.com", []string{`<a href="https://example.com">`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(ToHTML(c.in))
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in %s", w, got)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q in %s", w, got)
				}
			}
		})
	}
}

func FuzzToHTML(f *testing.F) {
	f.Add("# t\n<script>x</script>[a](javascript:b)")
	f.Fuzz(func(t *testing.T, src string) {
		out := strings.ToLower(string(ToHTML(src)))
		if strings.Contains(out, "<script") || strings.Contains(out, "href=\"javascript:") {
			t.Fatalf("unsafe output for %q: %s", src, out)
		}
	})
}
