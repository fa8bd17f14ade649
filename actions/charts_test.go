package actions

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hindsight/internal/golden"
)

var updateCharts = flag.Bool("update", false, "rewrite the golden files in testdata/charts")

func chartWeeks(n int) []WeekCount {
	now := time.Date(2026, 1, 14, 12, 0, 0, 0, time.UTC)
	ws := WeeklyOpenedClosed(nil, now, time.UTC, n)
	for i := range ws {
		ws[i].Opened = (i*7 + 3) % 11
		ws[i].Closed = (i*5 + 1) % 9
	}
	return ws
}

func chartBuckets() []Bucket {
	bs := AgeBuckets(nil, time.Time{})
	for i := range bs {
		bs[i].Count = []int{12, 7, 4, 0, 2}[i]
	}
	return bs
}

func chartTeams() []TeamCount {
	return []TeamCount{
		{"payments", 9}, {"platform", 6}, {NoTeam, 4},
		{"a team with a rather long name that will not fit in the label column", 3},
		{"search", 2}, {"mobile", 1}, {"data", 1},
	}
}

var chartCases = []struct {
	name string
	svg  func() []byte
}{
	{"weekly", func() []byte { return WeeklyChartSVG(chartWeeks(16)) }},
	{"weekly-long", func() []byte { return WeeklyChartSVG(chartWeeks(60)) }},
	{"age", func() []byte { return AgeChartSVG(chartBuckets()) }},
	{"overdue", func() []byte { return OverdueByTeamSVG(chartTeams(), 5) }},
	{"empty", func() []byte { return WeeklyChartSVG(nil) }},
}

func TestChartGolden(t *testing.T) {
	for _, c := range chartCases {
		t.Run(c.name, func(t *testing.T) {
			got := c.svg()
			if !bytes.Equal(got, c.svg()) {
				t.Fatal("output differs between two runs")
			}
			golden.Check(t, filepath.Join("testdata", "charts", c.name+".svg"), got, *updateCharts, "go test ./actions/ -run TestChartGolden -update")
		})
	}
}

// checkChartSVG fails unless svg is one well-formed <svg> element in the
// house style: xmlns, viewBox, role="img", title and desc, no width or
// height on the root, no style attributes, scripts or event handlers.
func checkChartSVG(t testing.TB, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	depth, roots := 0, 0
	ids := map[string]bool{}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if strings.EqualFold(e.Name.Local, "script") || strings.EqualFold(e.Name.Local, "foreignObject") {
				t.Fatalf("element %s\n%s", e.Name.Local, svg)
			}
			attrs := map[string]string{}
			for _, a := range e.Attr {
				n := strings.ToLower(a.Name.Local)
				if n == "style" || strings.HasPrefix(n, "on") || n == "href" {
					t.Fatalf("attribute %s\n%s", a.Name.Local, svg)
				}
				attrs[n] = a.Value
				if n == "id" {
					ids[a.Value] = true
				}
			}
			if depth == 0 {
				roots++
				if e.Name.Local != "svg" || e.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root is %v", e.Name)
				}
				if attrs["viewbox"] == "" || attrs["role"] != "img" || attrs["width"] != "" || attrs["height"] != "" {
					t.Fatalf("root attributes %v", attrs)
				}
				defer func(l, dsc string) {
					if !ids[l] || !ids[dsc] {
						t.Errorf("aria ids %q %q not defined", l, dsc)
					}
				}(attrs["aria-labelledby"], attrs["aria-describedby"])
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.ProcInst, xml.Directive:
			t.Fatalf("unexpected %T", tok)
		}
	}
	if roots != 1 {
		t.Fatalf("%d root elements", roots)
	}
	if bytes.Contains(bytes.ToLower(svg), []byte("<script")) {
		t.Fatalf("contains <script\n%s", svg)
	}
}

func TestChartWellFormed(t *testing.T) {
	for _, c := range chartCases {
		checkChartSVG(t, c.svg())
	}
	for _, n := range []int{1, 2, 52, MaxWeeks} {
		checkChartSVG(t, WeeklyChartSVG(chartWeeks(n)))
	}
	checkChartSVG(t, AgeChartSVG(nil))
	checkChartSVG(t, OverdueByTeamSVG(nil, 5))
	checkChartSVG(t, OverdueByTeamSVG(chartTeams(), 0))
}

func TestChartEmpty(t *testing.T) {
	for _, svg := range [][]byte{WeeklyChartSVG(nil), AgeChartSVG([]Bucket{}), OverdueByTeamSVG(nil, 10)} {
		if !bytes.Contains(svg, []byte(">No actions yet</text>")) {
			t.Errorf("no empty message:\n%s", svg)
		}
	}
}

func TestChartEscaping(t *testing.T) {
	evil := `<script>&"`
	svg := OverdueByTeamSVG([]TeamCount{{evil, 3}, {"ok", 1}}, 5)
	checkChartSVG(t, svg)
	if !bytes.Contains(svg, []byte("&lt;script&gt;&amp;&quot;")) {
		t.Errorf("team name not escaped:\n%s", svg)
	}
	svg = AgeChartSVG([]Bucket{{Label: evil, Count: 1}})
	checkChartSVG(t, svg)
	if !bytes.Contains(svg, []byte("&lt;script&gt;&amp;&quot;")) {
		t.Errorf("label not escaped:\n%s", svg)
	}
}

func TestOverdueByTeamSVGMore(t *testing.T) {
	svg := string(OverdueByTeamSVG(chartTeams(), 3))
	if !strings.Contains(svg, "+4 more teams (7 overdue)") {
		t.Errorf("no +N more note:\n%s", svg)
	}
	if strings.Contains(svg, ">search<") || !strings.Contains(svg, ">payments<") {
		t.Errorf("wrong teams shown:\n%s", svg)
	}
	if s := string(OverdueByTeamSVG(chartTeams(), 0)); strings.Contains(s, "more team") {
		t.Errorf("max 0 should show all:\n%s", s)
	}
	// Unsorted input is shown most first.
	s := string(OverdueByTeamSVG([]TeamCount{{"b", 1}, {"a", 5}}, 1))
	if !strings.Contains(s, ">a<") || !strings.Contains(s, "+1 more team (1 overdue)") {
		t.Errorf("top team not shown first:\n%s", s)
	}
}

func TestAcNiceTop(t *testing.T) {
	for _, c := range []struct{ v, top, step float64 }{
		{0, 1, 1}, {-3, 1, 1}, {1, 1, 1}, {4, 4, 1}, {5, 5, 1}, {6, 6, 2}, {9, 10, 2},
		{11, 15, 5}, {23, 25, 5}, {26, 30, 10}, {99, 100, 20}, {101, 150, 50},
	} {
		top, step := acNiceTop(c.v)
		if top != c.top || step != c.step {
			t.Errorf("acNiceTop(%v) = %v, %v; want %v, %v", c.v, top, step, c.top, c.step)
		}
	}
}

// FuzzChartSVG: random counts and team names always give one well-formed
// SVG in the house style, with no "<script" anywhere.
func FuzzChartSVG(f *testing.F) {
	f.Add(3, 0, -2, "payments\x00<script>&\"", uint8(12), 2)
	f.Add(1<<62, -1<<62, 0, "\u202eevil\uFFFF\xff", uint8(0), 0)
	f.Add(0, 0, 0, "", uint8(1), -1)
	f.Fuzz(func(t *testing.T, a, b, c int, names string, n uint8, limit int) {
		ws := make([]WeekCount, int(n)%80)
		start := time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC)
		for i := range ws {
			d := start.AddDate(0, 0, 7*i)
			ws[i].Start = d
			ws[i].Year, ws[i].Week = d.ISOWeek()
			ws[i].Opened = a ^ (i * c)
			ws[i].Closed = b - i
		}
		checkChartSVG(t, WeeklyChartSVG(ws))
		var teams []TeamCount
		bs := AgeBuckets(nil, time.Time{})
		for i, name := range strings.Split(names, "|") {
			teams = append(teams, TeamCount{Team: name, Count: a + i*b})
			if i < len(bs) {
				bs[i].Label, bs[i].Count = name, c-i
			}
		}
		checkChartSVG(t, AgeChartSVG(bs))
		checkChartSVG(t, OverdueByTeamSVG(teams, limit))
	})
}
