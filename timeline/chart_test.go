package timeline

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below on hosts without a zone database

	"hindsight/internal/golden"
)

// -update rewrites the golden files in testdata/. The flag is registered
// here only when no other test file of the package registered it first.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func chartUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func chartZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("zone %s: %v", name, err)
	}
	return loc
}

func chartPtr(t time.Time) *time.Time { return &t }

// chartDoc is what the well-formedness check collects from an SVG.
type chartDoc struct {
	root  xml.StartElement
	elems []xml.StartElement
	text  string // all character data, decoded, elements separated by "|"
}

// chartParse parses svg strictly: well-formed, one root element, no
// content outside it.
func chartParse(t testing.TB, svg []byte) chartDoc {
	t.Helper()
	var doc chartDoc
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = true
	depth, roots := 0, 0
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				doc.root = tok.Copy()
			}
			depth++
			doc.elems = append(doc.elems, tok.Copy())
			text.WriteString("|")
		case xml.EndElement:
			depth--
			text.WriteString("|")
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				t.Fatalf("text outside the root element: %q", tok)
			}
			text.Write(tok)
		case xml.ProcInst, xml.Directive:
			t.Fatalf("unexpected %T in the SVG", tok)
		}
	}
	if roots != 1 || depth != 0 {
		t.Fatalf("%d root elements, depth %d at the end", roots, depth)
	}
	doc.text = text.String()
	return doc
}

func chartAttr(e xml.StartElement, name string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// chartCheckSafe asserts what the page's CSP and the brief demand of every
// chart: an accessible, self-contained SVG with no active content.
func chartCheckSafe(t testing.TB, svg []byte) chartDoc {
	t.Helper()
	doc := chartParse(t, svg)
	lower := strings.ToLower(string(svg))
	for _, bad := range []string{"<script", "<style", "<foreignobject", "<image", "<use", "url(", "<!doctype", "<?xml"} {
		if strings.Contains(lower, bad) {
			t.Fatalf("the SVG contains %q", bad)
		}
	}
	r := doc.root
	if r.Name.Local != "svg" || r.Name.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root is %v", r.Name)
	}
	for _, name := range []string{"width", "height"} {
		if _, ok := chartAttr(r, name); ok {
			t.Errorf("the root has a fixed %s", name)
		}
	}
	if v, _ := chartAttr(r, "viewBox"); !regexp.MustCompile(`^0 0 [0-9.]+ [0-9.]+$`).MatchString(v) {
		t.Errorf("viewBox = %q", v)
	}
	if v, _ := chartAttr(r, "role"); v != "img" {
		t.Errorf("role = %q", v)
	}
	ids := map[string]string{}
	for _, e := range doc.elems {
		if id, ok := chartAttr(e, "id"); ok {
			ids[id] = e.Name.Local
		}
		for _, a := range e.Attr {
			n := strings.ToLower(a.Name.Local)
			if strings.HasPrefix(n, "on") || n == "style" {
				t.Errorf("<%s> has the attribute %s", e.Name.Local, a.Name.Local)
			}
			if n == "href" && !regexp.MustCompile(`^(#|/[^/\\])[!-~]*$`).MatchString(a.Value) {
				t.Errorf("unsafe href %q", a.Value)
			}
		}
	}
	lb, _ := chartAttr(r, "aria-labelledby")
	db, _ := chartAttr(r, "aria-describedby")
	if ids[lb] != "title" || ids[db] != "desc" {
		t.Errorf("aria-labelledby %q / aria-describedby %q do not name the title and desc (ids %v)", lb, db, ids)
	}
	if len(doc.elems) < 3 || doc.elems[1].Name.Local != "title" || doc.elems[2].Name.Local != "desc" {
		t.Errorf("the first children are not <title> and <desc>")
	}
	return doc
}

// The bookbot story: new code reached production before its migration.
func chartBookbot(t testing.TB) Chart {
	ams := chartZone(t, "Europe/Amsterdam")
	at := func(h, m int) time.Time { return time.Date(2022, 11, 17, h, m, 0, 0, ams) }
	return Chart{
		From:     at(11, 15),
		To:       at(13, 0),
		Location: ams,
		Lanes: []Lane{
			{Name: "bookbot-api", Items: []ChartItem{
				{EventID: 1, Kind: "deploy", Label: "Deploy a1b2c3d to production", Start: at(11, 30), Status: "succeeded", HasMigrations: true, Suspect: true, Href: "#event-1"},
				{EventID: 2, Kind: "alert", Label: "BookbotApiErrors", Start: at(11, 46), End: chartPtr(at(12, 45)), Status: "resolved", Severity: "critical", Href: "#event-2"},
				{EventID: 3, Kind: "deploy", Label: "Hotfix 1: e4f5a6b", Start: at(12, 20), Status: "failed", Href: "#event-3"},
				{EventID: 4, Kind: "deploy", Label: "Hotfix 2: c7d8e9f", Start: at(12, 38), Status: "succeeded", Href: "#event-4"},
			}},
			{Name: "bookbot-chat", Items: []ChartItem{
				{EventID: 5, Kind: "alert", Label: "Chat replies are errors", Start: at(11, 47), End: chartPtr(at(12, 44)), Severity: "high", Href: "#event-5"},
				{EventID: 6, Kind: "alert", Label: "Chat slow to open", Start: at(12, 0), End: chartPtr(at(12, 35)), Severity: "warning", Href: "#event-6"},
			}},
			{Name: "platform-database", Items: []ChartItem{
				{EventID: 7, Kind: "change", Label: "Run pending migration 0042", Start: at(11, 55), Href: "#event-7"},
				{EventID: 8, Kind: "alert", Label: "Long blocking transactions", Start: at(12, 0), End: chartPtr(at(12, 33)), Severity: "warning", Href: "#event-8"},
				{EventID: 9, Kind: "note", Label: "Routed traffic away & ended the transactions", Start: at(12, 25), Href: "#event-9"},
				{EventID: 10, Kind: "alert", Label: "Disk usage high", Start: at(12, 50), Severity: "info", Href: "#event-10"},
			}},
		},
		Moments: []ChartMoment{
			{Name: "Impact started", At: at(11, 45)},
			{Name: "Detected", At: at(11, 47)},
			{Name: "Mitigated", At: at(12, 45)},
			{Name: "Resolved", At: at(12, 45)},
		},
	}
}

// A five-minute incident in New York, with seconds that matter.
func chart5Min(t testing.TB) Chart {
	ny := chartZone(t, "America/New_York")
	at := func(m, s int) time.Time { return time.Date(2024, 3, 5, 9, m, s, 0, ny) }
	return Chart{
		From: at(0, 0), To: at(5, 0), Location: ny,
		Lanes: []Lane{
			{Name: "checkout", Items: []ChartItem{
				{EventID: 11, Kind: "deploy", Label: "Deploy v2.14.0", Start: at(0, 15), Status: "failed", HasMigrations: true, Href: "#event-11"},
				{EventID: 12, Kind: "alert", Label: "CheckoutLatencyHigh", Start: at(0, 40), End: chartPtr(at(3, 10)), Severity: "critical", Href: "#event-12"},
				{EventID: 13, Kind: "deploy", Label: "Rollback to v2.13.2", Start: at(2, 50), Status: "succeeded", Suspect: false, Href: "#event-13"},
			}},
			{Name: "payments", Items: []ChartItem{
				{EventID: 14, Kind: "alert", Label: "Card declines spike", Start: at(1, 5), End: chartPtr(at(1, 5)), Severity: "high"},
				{EventID: 15, Kind: "alert", Label: "Webhook backlog", Start: at(1, 30), Severity: "warning"},
				{EventID: 16, Kind: "deploy", Label: "Deploy payments 881", Start: at(4, 0), Status: "in_progress"},
			}},
		},
		Moments: []ChartMoment{{Name: "Started", At: at(0, 20)}, {Name: "Detected", At: at(0, 45)}, {Name: "Mitigated", At: at(3, 5)}},
	}
}

// A three-day incident in Tokyo: day boundaries, clipped alerts and items
// outside the window.
func chart3Day(t testing.TB) Chart {
	tk := chartZone(t, "Asia/Tokyo")
	at := func(d, h int) time.Time { return time.Date(2023, 6, 12+d, h, 0, 0, 0, tk) }
	return Chart{
		From: at(0, 0), To: at(3, 0), Location: tk,
		Lanes: []Lane{
			{Name: "search-indexer", Items: []ChartItem{
				{EventID: 21, Kind: "alert", Label: "Index lag over 1h", Start: at(-1, 20), End: chartPtr(at(1, 4)), Severity: "high"},
				{EventID: 22, Kind: "deploy", Label: "indexer 5.2.0", Start: at(0, 9), Suspect: true, Status: "succeeded"},
				{EventID: 23, Kind: "alert", Label: "Queue depth", Start: at(1, 2), End: chartPtr(at(1, 14)), Severity: "warning"},
				{EventID: 24, Kind: "change", Label: "Shard count 12 → 24", Start: at(1, 16)},
				{EventID: 25, Kind: "alert", Label: "Index lag over 1h (again)", Start: at(2, 6), End: chartPtr(at(3, 12)), Severity: "high"},
			}},
			{Name: "search-api", Items: []ChartItem{
				{EventID: 26, Kind: "alert", Label: "Stale results", Start: at(0, 13), End: chartPtr(at(2, 8)), Severity: "warning"},
				{EventID: 27, Kind: "deploy", Label: "api 3.1.1", Start: at(-2, 10), Status: "succeeded"},
				{EventID: 28, Kind: "deploy", Label: "api 3.1.2 (cancelled)", Start: at(2, 11), Status: "cancelled"},
				{EventID: 29, Kind: "note", Label: "Customer comms sent", Start: at(1, 9)},
			}},
		},
		Moments: []ChartMoment{{Name: "Started", At: at(0, 10)}, {Name: "Detected", At: at(0, 13)}, {Name: "Resolved", At: at(2, 20)}},
	}
}

func TestChartGolden(t *testing.T) {
	cases := []struct {
		name  string
		chart Chart
	}{
		{"5min", chart5Min(t)},
		{"3day", chart3Day(t)},
		{"bookbot", chartBookbot(t)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := RenderSVG(tc.chart)
			chartCheckSafe(t, got)
			if again := RenderSVG(tc.chart); !bytes.Equal(got, again) {
				t.Fatal("two renderings of one chart differ")
			}
			golden.Check(t, filepath.Join("testdata", "chart_"+tc.name+".svg"), got, chartUpdating(), "go test ./timeline/ -run Chart -update")
		})
	}
}

func TestChartBookbotContent(t *testing.T) {
	svg := RenderSVG(chartBookbot(t))
	doc := chartCheckSafe(t, svg)
	s := string(svg)
	for _, want := range []string{
		"Times in CET",                  // the zone, once
		"Thu 17 Nov 2022",               // the date, once: the window stays within a day
		">11:30<", ">12:00<", ">12:30<", // 15-minute ticks
		"suspected trigger",
		`class="tl-ring"`,
		">M</text>",                       // the migrations badge
		"Mitigated, Resolved 12:45",       // two moments at one instant share a label
		"Impact started 11:45",            //
		"Detected 11:47",                  //
		"Routed traffic away &amp; ended", // escaped user text
		`href="#event-1"`,
		"— failed",     // the failed hotfix, in words
		"h14l-7 13z",   // ... and as a triangle
		"still firing", // the disk alert
		`class="tl-open-end"`,
		"key moment", "with migrations", "failed deploy or change", // legend
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the bookbot chart lacks %q", want)
		}
	}
	if n := strings.Count(s, "Times in"); n != 1 {
		t.Errorf("the zone is named %d times", n)
	}
	for _, want := range []string{
		"Suspected trigger: Deploy a1b2c3d to production on bookbot-api at 11:30.",
		"Key moments: Impact started 11:45; Detected 11:47; Mitigated, Resolved 12:45.",
		"1 failed deploy or change.",
		"1 alert still firing.",
		"10 events on 3 lanes (bookbot-api, bookbot-chat, platform-database).",
	} {
		if !strings.Contains(doc.text, want) {
			t.Errorf("the description lacks %q", want)
		}
	}
	title := regexp.MustCompile(`<title id="[^"]+">([^<]*)</title>`).FindStringSubmatch(s)
	if title == nil || title[1] != "Incident timeline, Thu 17 Nov 2022 11:15 to 13:00 CET" {
		t.Errorf("title = %q", title)
	}
}

func TestChartEscaping(t *testing.T) {
	hostile := `<script>alert("x")</script> & 'q' "dq" ]]> <!-- -->`
	c := chartBookbot(t)
	c.Lanes[0].Name = `api<script>&"'`
	c.Lanes[0].Items[0].Label = hostile
	c.Lanes[0].Items[1].Label = "bad\x00ctl\x1b\xff\xfeutf8\u202Erev\tnext\nline"
	c.Lanes[0].Items[1].Severity = `"><script>`
	c.Lanes[0].Items[1].Status = `x" onload="alert(1)`
	c.Lanes[0].Items[2].Href = `javascript:alert(1)`
	c.Lanes[0].Items[3].Href = `//evil.example/x`
	c.Lanes[1].Items[0].Href = `/incidents/7#event-5`
	c.Moments[0].Name = `<b onclick="x">&`
	svg := RenderSVG(c)
	doc := chartCheckSafe(t, svg)
	for _, want := range []string{
		`<script>alert("x")</script> & 'q' "dq" ]]> <!-- -->`, // decoded back to the original
		`api<script>&"'`,
		`<b onclick="x">& 11:45`,
		"bad ctl \uFFFD\uFFFDutf8rev next line", // controls are spaces, bad bytes U+FFFD, bidi overrides dropped
	} {
		if !strings.Contains(doc.text, want) {
			t.Errorf("decoded text lacks %q", want)
		}
	}
	s := string(svg)
	if strings.Contains(s, "javascript:") || strings.Contains(s, "evil.example") {
		t.Error("an unsafe link was kept")
	}
	if !strings.Contains(s, `href="/incidents/7#event-5"`) {
		t.Error("a same-site path link was dropped")
	}
	if strings.Contains(s, "onload") && !strings.Contains(s, "onload=&quot;") {
		t.Error("the status reached an attribute unescaped")
	}
	for _, e := range doc.elems {
		if cls, ok := chartAttr(e, "class"); ok && !regexp.MustCompile(`^[a-z0-9 -]+$`).MatchString(cls) {
			t.Errorf("class %q", cls)
		}
	}
}

func TestChartTicks(t *testing.T) {
	zones := []*time.Location{time.UTC, chartZone(t, "Europe/Amsterdam"), chartZone(t, "Asia/Kolkata"), chartZone(t, "Asia/Kathmandu"), chartZone(t, "America/St_Johns")}
	base := time.Date(2024, 3, 30, 22, 17, 43, 123456789, time.UTC) // just before a European DST change
	spans := []time.Duration{}
	for d := 2 * time.Second; d < 4*366*24*time.Hour; d = d * 23 / 20 {
		spans = append(spans, d)
	}
	for _, loc := range zones {
		for _, span := range spans {
			from, to := base, base.Add(span)
			step, ticks := chartChooseTicks(from, to, loc)
			if len(ticks) < 4 || len(ticks) > 10 {
				t.Errorf("%s, %v: %d ticks of %+v", loc, span, len(ticks), step)
				continue
			}
			for i, tk := range ticks {
				if tk.Before(from) || tk.After(to) || (i > 0 && !tk.After(ticks[i-1])) {
					t.Fatalf("%s, %v: tick %d %v out of order or window", loc, span, i, tk)
				}
				l := tk.In(loc)
				var aligned bool
				switch step.unit {
				case chartUnitSub:
					aligned = int64(l.Nanosecond())%step.n == 0
				case chartUnitSec:
					aligned = l.Nanosecond() == 0 && int64(l.Second())%step.n == 0
				case chartUnitMin:
					aligned = l.Second() == 0 && int64(l.Minute())%step.n == 0
				case chartUnitHour:
					aligned = l.Minute() == 0 // DST may shift the hour itself
				case chartUnitDay, chartUnitMonth, chartUnitYear:
					aligned = l.Hour() == 0 && l.Minute() == 0 || l.Hour() == 1 // midnight may not exist
				}
				if !aligned {
					t.Errorf("%s, %v: tick %v is not aligned to %+v", loc, span, l, step)
				}
			}
		}
	}
}

func TestChartTickChoice(t *testing.T) {
	t0 := time.Date(2022, 11, 17, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		span  time.Duration
		first string // the first two labels
		n     int
	}{
		{300 * time.Millisecond, "09:00:00.000 09:00:00.050", 7},
		{30 * time.Second, "09:00:00 09:00:05", 7},
		{5 * time.Minute, "09:00 09:01", 6},
		{90 * time.Minute, "09:00 09:10", 10},
		{10 * time.Hour, "10:00 12:00", 5},
		{72 * time.Hour, "12:00 00:00", 6},
		{21 * 24 * time.Hour, "Fri 18 Nov Mon 21 Nov", 7},
		{400 * 24 * time.Hour, "Jan 2023 Mar 2023", 6},
	} {
		step, ticks := chartChooseTicks(t0, t0.Add(tc.span), time.UTC)
		var labels []string
		for _, tk := range ticks[:2] {
			labels = append(labels, tk.Format(chartTickLayout(step)))
		}
		if got := strings.Join(labels, " "); got != tc.first || len(ticks) != tc.n {
			t.Errorf("%v: %d ticks starting %q, want %d starting %q", tc.span, len(ticks), got, tc.n, tc.first)
		}
	}
}

func TestChartAcrossMidnightAndDST(t *testing.T) {
	ams := chartZone(t, "Europe/Amsterdam")
	c := Chart{
		From: time.Date(2022, 10, 29, 22, 0, 0, 0, ams), To: time.Date(2022, 10, 30, 5, 0, 0, 0, ams), Location: ams,
		Lanes: []Lane{{Name: "db", Items: []ChartItem{{Kind: "alert", Label: "Backup slow", Start: time.Date(2022, 10, 30, 1, 0, 0, 0, ams), End: chartPtr(time.Date(2022, 10, 30, 3, 30, 0, 0, ams))}}}},
	}
	svg := RenderSVG(c)
	doc := chartCheckSafe(t, svg)
	for _, want := range []string{"Times in CEST/CET", ">Sat 29 Oct<", ">Sun 30 Oct<", ">00:00<"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("lacks %q", want)
		}
	}
	if strings.Contains(string(svg), `class="tl-date" x="8"`) {
		t.Error("the single date caption is shown although the window crosses midnight")
	}
	if !strings.Contains(doc.text, "Incident timeline, Sat 29 Oct 2022 22:00 to Sun 30 Oct 2022 05:00 CEST/CET") {
		t.Errorf("the title does not give both dates: %s", doc.text[:200])
	}
}

func TestChartEmptyAndDegenerate(t *testing.T) {
	t0 := time.Date(2022, 11, 17, 11, 45, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		chart Chart
		want  []string
	}{
		{"zero chart", Chart{}, []string{">No events<"}},
		{"window, no lanes", Chart{From: t0, To: t0.Add(time.Hour)}, []string{">No events<", ">12:00<"}},
		{"lanes, nothing in the window", Chart{From: t0, To: t0.Add(time.Hour), Lanes: []Lane{{Name: "api", Items: []ChartItem{{Kind: "deploy", Start: t0.Add(-time.Hour)}}}, {Name: "web"}}},
			[]string{">No events in this window<", ">api<", ">web<", "1 event outside this window not shown."}},
		{"zero-length window fits the items", Chart{From: t0, To: t0, Lanes: []Lane{{Name: "api", Items: []ChartItem{{Kind: "deploy", Label: "d1", Start: t0.Add(10 * time.Minute)}}}}},
			[]string{">d1", ">11:46<", ">11:54<"}},
		{"zero-length window alone", Chart{From: t0, To: t0}, []string{">No events<", ">11:40<", ">11:50<"}},
		{"reversed window", Chart{From: t0.Add(time.Hour), To: t0, Lanes: []Lane{{Name: "api", Items: []ChartItem{{Kind: "note", Label: "n", Start: t0.Add(time.Minute)}}}}},
			[]string{">n", ">12:00<"}},
		{"tiny width", Chart{From: t0, To: t0.Add(time.Hour), Width: 10, Lanes: []Lane{{Name: "api", Items: []ChartItem{{Kind: "note", Label: "n", Start: t0}}}}},
			[]string{`viewBox="0 0 480 `}},
		{"empty names and kinds", Chart{From: t0, To: t0.Add(time.Hour), Lanes: []Lane{{Items: []ChartItem{{Kind: "", Start: t0.Add(time.Minute)}, {Kind: "alert", Start: t0.Add(2 * time.Minute), End: chartPtr(t0.Add(time.Minute))}}}}},
			[]string{">(no service)<", ">note<", ">alert"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg := RenderSVG(tc.chart)
			chartCheckSafe(t, svg)
			for _, w := range tc.want {
				if !strings.Contains(string(svg), w) {
					t.Errorf("lacks %q:\n%s", w, svg)
				}
			}
		})
	}
}

var chartCoord = regexp.MustCompile(`<rect class="tl-bar" x="([-0-9.]+)" y="[-0-9.]+" width="([-0-9.]+)"`)

func TestChartClipping(t *testing.T) {
	t0 := time.Date(2022, 11, 17, 11, 0, 0, 0, time.UTC)
	c := Chart{From: t0, To: t0.Add(time.Hour), Lanes: []Lane{{Name: "api", Items: []ChartItem{
		{Kind: "alert", Label: "before and after", Start: t0.Add(-time.Hour), End: chartPtr(t0.Add(2 * time.Hour))},
		{Kind: "alert", Label: "open", Start: t0.Add(30 * time.Minute)},
		{Kind: "alert", Label: "gone", Start: t0.Add(-2 * time.Hour), End: chartPtr(t0.Add(-time.Hour))},
		{Kind: "alert", Label: "later", Start: t0.Add(2 * time.Hour)},
		{Kind: "deploy", Label: "edge", Start: t0.Add(time.Hour)},
	}}}}
	svg := string(RenderSVG(c))
	chartCheckSafe(t, []byte(svg))
	bars := chartCoord.FindAllStringSubmatch(svg, -1)
	if len(bars) != 2 {
		t.Fatalf("%d bars, want 2", len(bars))
	}
	for _, b := range bars {
		x, _ := strconv.ParseFloat(b[1], 64)
		w, _ := strconv.ParseFloat(b[2], 64)
		if x < 168 || x+w > 960-24 {
			t.Errorf("bar %v leaves the plot [168, 936]", b[1:])
		}
	}
	for _, want := range []string{`class="tl-clip"`, `class="tl-open-end"`, "2 events outside this window not shown.", ">edge", "continues past the window", "still firing"} {
		if !strings.Contains(svg, want) {
			t.Errorf("lacks %q", want)
		}
	}
}

func TestChartStacking(t *testing.T) {
	t0 := time.Date(2022, 11, 17, 11, 0, 0, 0, time.UTC)
	var items []ChartItem
	for i := range 20 {
		items = append(items, ChartItem{EventID: int64(i + 1), Kind: "alert", Label: fmt.Sprintf("overlap %d", i+1), Start: t0.Add(time.Duration(i) * time.Minute), End: chartPtr(t0.Add(50 * time.Minute)), Severity: "high"})
	}
	items[19].Suspect = true // the last one still shows: suspects are placed first
	c := Chart{From: t0, To: t0.Add(time.Hour), Lanes: []Lane{{Name: "api", Items: items}, {Name: "web", Items: []ChartItem{{Kind: "deploy", Label: "alone", Start: t0}}}}}
	svg := string(RenderSVG(c))
	doc := chartCheckSafe(t, []byte(svg))
	if n := strings.Count(svg, `class="tl-bar"`); n != 6 {
		t.Errorf("%d bars drawn, want 6 sub-rows", n)
	}
	for _, want := range []string{"+14 more not shown", "overlap 20", "suspected trigger"} {
		if !strings.Contains(svg, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if !strings.Contains(doc.text, "14 overlapping events are not drawn.") {
		t.Error("the description does not count the hidden events")
	}
	// Two items far apart share a row; two at once do not.
	c2 := Chart{From: t0, To: t0.Add(time.Hour), Lanes: []Lane{{Name: "api", Items: []ChartItem{
		{Kind: "deploy", Label: "a", Start: t0.Add(5 * time.Minute)},
		{Kind: "deploy", Label: "b", Start: t0.Add(50 * time.Minute)},
		{Kind: "deploy", Label: "c", Start: t0.Add(5 * time.Minute)},
	}}}}
	ys := regexp.MustCompile(`<text class="tl-label" x="[-0-9.]+" y="([-0-9.]+)"`).FindAllStringSubmatch(string(RenderSVG(c2)), -1)
	if len(ys) != 3 || ys[0][1] != ys[1][1] || ys[2][1] == ys[0][1] {
		t.Errorf("label rows %v, want a and b in one row, c in the next", ys)
	}
}

func TestChartMarkers(t *testing.T) {
	t0 := time.Date(2022, 11, 17, 11, 0, 0, 0, time.UTC)
	c := Chart{From: t0, To: t0.Add(time.Hour), Lanes: []Lane{{Name: "api", Items: []ChartItem{
		{Kind: "deploy", Label: "ok", Start: t0.Add(5 * time.Minute), Status: "succeeded"},
		{Kind: "Deploy", Label: "bad", Start: t0.Add(20 * time.Minute), Status: "FAILED"},
		{Kind: "deploy", Label: "wait", Start: t0.Add(35 * time.Minute), Status: "in_progress"},
		{Kind: "change", Label: "flag", Start: t0.Add(45 * time.Minute)},
		{Kind: "note", Label: "said", Start: t0.Add(55 * time.Minute)},
	}}}}
	svg := string(RenderSVG(c))
	chartCheckSafe(t, []byte(svg))
	for _, want := range []string{
		`class="tl-item tl-deploy tl-status-succeeded"`, `class="tl-item tl-deploy tl-failed"`, `class="tl-item tl-deploy tl-status-in-progress"`,
		`class="tl-item tl-change"`, `class="tl-item tl-note"`,
		"bad<tspan", "— failed", "— in progress",
		"l7 7-7 7-7-7z", "h14l-7 13z", `width="11" height="11"`, `r="5.5"`,
		"deploy not finished or cancelled",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if strings.Contains(svg, "suspected trigger") || strings.Contains(svg, "with migrations") {
		t.Error("the legend lists symbols the chart does not use")
	}
}

func TestChartLongLabelsStayInside(t *testing.T) {
	t0 := time.Date(2022, 11, 17, 11, 0, 0, 0, time.UTC)
	long := strings.Repeat("Very long deploy title ", 20)
	c := Chart{From: t0, To: t0.Add(time.Hour), Width: 600, Lanes: []Lane{{Name: strings.Repeat("service-with-a-long-name-", 4), Items: []ChartItem{
		{Kind: "deploy", Label: long, Start: t0.Add(59 * time.Minute), Suspect: true, Status: "failed"},
	}}}}
	svg := string(RenderSVG(c))
	chartCheckSafe(t, []byte(svg))
	if !strings.Contains(svg, "…") || !strings.Contains(svg, "failed, suspected trigger") {
		t.Errorf("the label is not shortened with its notes kept:\n%s", svg)
	}
	if !strings.Contains(svg, "<title>"+strings.Repeat("service-with-a-long-name-", 4)+"</title>") {
		t.Error("the shortened lane name has no full-name tooltip")
	}
	m := regexp.MustCompile(`<text class="tl-label" x="([-0-9.]+)"`).FindStringSubmatch(svg)
	if x, _ := strconv.ParseFloat(m[1], 64); x < 150 || x > 600 {
		t.Errorf("label at x=%v", x)
	}
}

func FuzzRenderSVG(f *testing.F) {
	f.Add("Deploy a1b2c3d", "bookbot-api", "Detected", int64(0), int64(600), int64(3600), int64(300), 960, uint8(0), uint8(0))
	f.Add("<script>alert(1)</script>", "a&b", `"'<>`, int64(-50), int64(-10), int64(0), int64(0), 0, uint8(1), uint8(255))
	f.Add("\x00\xff\ufffe", "", "", int64(1<<40), int64(-1<<40), int64(1), int64(-5), -3, uint8(2), uint8(7))
	f.Add("x", "y", "z", int64(5), int64(1), int64(86400*3), int64(86400), 480, uint8(3), uint8(9))
	zones := []*time.Location{time.UTC, chartZone(f, "Europe/Amsterdam"), chartZone(f, "Asia/Kathmandu"), chartZone(f, "America/St_Johns")}
	base := time.Date(2022, 11, 17, 11, 45, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, label, lane, moment string, start, end, window, at int64, width int, kind, flags uint8) {
		sec := func(v int64) time.Time { return base.Add(time.Duration(v) * time.Second) }
		kinds := []string{"alert", "deploy", "change", "note", label}
		var endp *time.Time
		if flags&1 == 0 {
			endp = chartPtr(sec(end))
		}
		items := []ChartItem{{
			EventID: start, Kind: kinds[int(kind)%len(kinds)], Label: label, Start: sec(start), End: endp,
			Status: []string{"failed", "succeeded", "pending", label}[int(flags>>1)%4], Severity: moment,
			HasMigrations: flags&8 != 0, Suspect: flags&16 != 0, Href: label,
		}}
		// More items around the first so stacking and clipping are exercised.
		for i := range int(kind % 9) {
			it := items[0]
			it.Start = sec(start + int64(i)*at)
			it.Kind = kinds[i%4]
			items = append(items, it)
		}
		c := Chart{
			From: sec(0), To: sec(window), Location: zones[int(flags>>5)%len(zones)], Width: width,
			Lanes:   []Lane{{Name: lane, Items: items}, {Name: label}},
			Moments: []ChartMoment{{Name: moment, At: sec(at)}, {Name: label, At: sec(at)}},
		}
		if flags&4 != 0 {
			c.From, c.To = time.Time{}, time.Time{}
		}
		svg := RenderSVG(c)
		chartCheckSafe(t, svg)
		if !bytes.Equal(svg, RenderSVG(c)) {
			t.Fatal("not deterministic")
		}
	})
}
