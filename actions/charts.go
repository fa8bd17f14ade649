package actions

import (
	"bytes"
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"

	"hindsight/internal/svgtext"
)

// Server-rendered SVG charts of the dashboard figures, in the house style
// of timeline.RenderSVG: a viewBox and no width or height, role="img" with
// a <title> and <desc>, presentation attributes only (no style attributes,
// scripts, event handlers or external references), all text escaped, and
// series told apart by shape and text, not by colour alone. Output is
// deterministic: the same input gives the same bytes.

// Layout, in viewBox user units.
const (
	acWidth    = 640.0 // every chart but the weekly one with many weeks
	acFont     = 11.0
	acPlotH    = 180.0 // weekly chart: plot height
	acGroupMin = 14.0  // weekly chart: narrowest week
	acRowH     = 26.0  // horizontal bar charts: one row
	acBarH     = 14.0
	acLabelMax = 180.0 // widest row label
	acTeamMax  = 200   // runes of a team name kept before fitting
)

// Colours, every one at least 4.5:1 on white. Each element also has an
// ac-* class so a page's stylesheet can override them.
const (
	acInk    = "#000000"
	acMuted  = "#3d4654"
	acGrid   = "#d0d5dd"
	acAxis   = "#475467"
	acOpened = "#2454a6" // solid bars
	acClosed = "#1d2939" // outlined, white-filled bars: a different look in print
	acAge    = "#475467"
	acLate   = "#b42318"
)

// acEmptyText is what a chart with no input says.
const acEmptyText = "No actions yet"

// WeeklyChartSVG draws actions opened and closed per week as grouped bars,
// opened solid and closed outlined, with a y axis of round counts, an ISO
// week label ("W45") every few weeks with the year under the first and at
// each new year, and a legend. Weeks are drawn in the given order (as
// WeeklyOpenedClosed returns them); negative counts draw as 0. No weeks
// gives a small "No actions yet" chart.
func WeeklyChartSVG(weeks []WeekCount) []byte {
	if len(weeks) == 0 {
		return acEmpty("weekly", "Actions opened and closed per week")
	}
	n := len(weeks)
	top, step := 0.0, 1.0
	var totalO, totalC float64
	busiest := -1
	for i, w := range weeks {
		o, c := float64(max(w.Opened, 0)), float64(max(w.Closed, 0))
		totalO += o
		totalC += c
		top = math.Max(top, math.Max(o, c))
		if busiest < 0 || o > float64(max(weeks[busiest].Opened, 0)) {
			busiest = i
		}
	}
	top, step = acNiceTop(top)
	ticks := int(math.Round(top / step))

	// Left margin: room for the widest tick label.
	labelW := 0.0
	for i := 0; i <= ticks; i++ {
		labelW = math.Max(labelW, svgtext.TextWidth(acCount(step*float64(i)), acFont))
	}
	x0 := math.Ceil(labelW) + 16
	plotW := math.Max(acWidth-x0-12, float64(n)*acGroupMin)
	w := x0 + plotW + 12
	gw := plotW / float64(n)
	barW := math.Max(1, math.Min(18, (gw-4)/2))
	yBot := 34.0 + acPlotH
	y := func(v float64) float64 { return yBot - v/top*acPlotH }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<rect class="ac-bg" x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", acNum(w), acNum(yBot+42))

	// Legend, top left: a symbol and its meaning in words.
	b.WriteString(`<g class="ac-legend">` + "\n")
	fmt.Fprintf(&b, `<rect x="%s" y="8" width="12" height="12" fill="%s"/><text x="%s" y="18" fill="%s">Opened</text>`+"\n",
		acNum(x0), acOpened, acNum(x0+18), acInk)
	lx := x0 + 18 + svgtext.TextWidth("Opened", acFont) + 20
	fmt.Fprintf(&b, `<rect x="%s" y="8.75" width="10.5" height="10.5" fill="#ffffff" stroke="%s" stroke-width="1.5"/><text x="%s" y="18" fill="%s">Closed</text>`+"\n",
		acNum(lx+0.75), acClosed, acNum(lx+18), acInk)
	b.WriteString("</g>\n")

	// Y axis: grid lines and round counts.
	b.WriteString(`<g class="ac-grid">` + "\n")
	for i := 0; i <= ticks; i++ {
		v := step * float64(i)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/><text x="%s" y="%s" text-anchor="end" fill="%s">%s</text>`+"\n",
			acNum(x0), acNum(y(v)), acNum(x0+plotW), acNum(y(v)), acGrid, acNum(x0-6), acNum(y(v)+4), acInk, acCount(v))
	}
	b.WriteString("</g>\n")

	// Bars, one group per week, each with its figures as a tooltip.
	b.WriteString(`<g class="ac-bars">` + "\n")
	for i, wk := range weeks {
		gx := x0 + gw*float64(i) + gw/2
		o, c := float64(max(wk.Opened, 0)), float64(max(wk.Closed, 0))
		fmt.Fprintf(&b, `<g class="ac-week"><title>%s: %s opened, %s closed</title>`, svgtext.Esc(acWeekName(wk)), acCount(o), acCount(c))
		if o > 0 {
			fmt.Fprintf(&b, `<rect class="ac-opened" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
				acNum(gx-barW-1), acNum(y(o)), acNum(barW), acNum(math.Max(1, yBot-y(o))), acOpened)
		}
		if c > 0 {
			// Inset by half the stroke so the outline keeps to the bar's box.
			h := math.Max(1.5, yBot-y(c))
			fmt.Fprintf(&b, `<rect class="ac-closed" x="%s" y="%s" width="%s" height="%s" fill="#ffffff" stroke="%s" stroke-width="%s"/>`,
				acNum(gx+1+0.5), acNum(yBot-h+0.75), acNum(math.Max(0.5, barW-1)), acNum(math.Max(0.5, h-0.75)), acClosed, acNum(math.Min(1.5, barW/2)))
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</g>\n")

	// X axis: a week label every k weeks so labels never overlap.
	b.WriteString(`<g class="ac-axis">` + "\n")
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`+"\n",
		acNum(x0), acNum(yBot), acNum(x0+plotW), acNum(yBot), acAxis)
	k := max(1, int(math.Ceil((svgtext.TextWidth("W53", acFont)+10)/gw)))
	lastYear := 0
	for i := 0; i < n; i += k {
		wk := weeks[i]
		gx := x0 + gw*float64(i) + gw/2
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/><text x="%s" y="%s" text-anchor="middle" fill="%s">W%02d</text>`,
			acNum(gx), acNum(yBot), acNum(gx), acNum(yBot+4), acAxis, acNum(gx), acNum(yBot+16), acInk, wk.Week)
		if wk.Year != lastYear {
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" font-weight="bold" fill="%s">%d</text>`,
				acNum(gx), acNum(yBot+30), acInk, wk.Year)
			lastYear = wk.Year
		}
		b.WriteString("\n")
	}
	b.WriteString("</g>\n")

	title := "Actions opened and closed per week"
	desc := fmt.Sprintf("%s, %s to %s: %s opened and %s closed in all; most opened in %s: %s.",
		title, acWeekName(weeks[0]), acWeekName(weeks[n-1]), acCount(totalO), acCount(totalC),
		acWeekName(weeks[busiest]), acCount(float64(max(weeks[busiest].Opened, 0))))
	return acDoc("weekly", title, desc, w, yBot+42, b.Bytes())
}

// AgeChartSVG draws open actions by age as horizontal bars, one per bucket
// in the given order (as AgeBuckets returns them), each with its count as
// text. Negative counts draw as 0. No buckets gives a small "No actions
// yet" chart.
func AgeChartSVG(buckets []Bucket) []byte {
	title := "Open actions by age"
	if len(buckets) == 0 {
		return acEmpty("age", title)
	}
	rows := make([]acRow, len(buckets))
	parts := make([]string, len(buckets))
	for i, bk := range buckets {
		rows[i] = acRow{label: svgtext.Clean(bk.Label, 80), count: max(bk.Count, 0)}
		parts[i] = fmt.Sprintf("%s: %d", rows[i].label, rows[i].count)
	}
	body, h := acHBars(rows, acAge, "")
	desc := title + ". " + strings.Join(parts, "; ") + "."
	return acDoc("age", title, desc, acWidth, h, body)
}

// OverdueByTeamSVG draws overdue actions per team as horizontal bars, most
// first (then by name), at most max teams (max ≤ 0: all), with a "+N more
// teams" note counting the rest. Team names are user text: cleaned,
// shortened to fit with the full name as a tooltip, and escaped. Negative
// counts draw as 0. No teams gives a small "No actions yet" chart.
func OverdueByTeamSVG(teams []TeamCount, max int) []byte {
	title := "Overdue actions by team"
	if len(teams) == 0 {
		return acEmpty("overdue", title)
	}
	sorted := slices.Clone(teams)
	for i := range sorted {
		sorted[i].Team = svgtext.Clean(sorted[i].Team, acTeamMax)
		if sorted[i].Team == "" {
			sorted[i].Team = NoTeam
		}
		if sorted[i].Count < 0 {
			sorted[i].Count = 0
		}
	}
	slices.SortStableFunc(sorted, func(a, b TeamCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Team, b.Team))
	})
	shown := sorted
	if max > 0 && len(sorted) > max {
		shown = sorted[:max]
	}
	rest, restCount := len(sorted)-len(shown), 0
	for _, t := range sorted[len(shown):] {
		restCount += t.Count
	}
	rows := make([]acRow, len(shown))
	parts := make([]string, len(shown))
	for i, t := range shown {
		rows[i] = acRow{label: t.Team, count: t.Count}
		parts[i] = fmt.Sprintf("%s: %d", t.Team, t.Count)
	}
	note := ""
	if rest > 0 {
		note = fmt.Sprintf("+%d more %s (%d overdue)", rest, acPlural(rest, "team", "teams"), restCount)
	}
	body, h := acHBars(rows, acLate, note)
	desc := title + ", most first. " + strings.Join(parts, "; ") + "."
	if note != "" {
		desc += " " + note + "."
	}
	return acDoc("overdue", title, desc, acWidth, h, body)
}

// acRow is one bar of a horizontal bar chart; label is cleaned, not escaped.
type acRow struct {
	label string
	count int
}

// acHBars lays out horizontal bars: labels at the left (shortened to fit,
// the full text as a tooltip), bars scaled to the largest count, each
// count as text after its bar, and an optional note under the last row.
func acHBars(rows []acRow, fill, note string) ([]byte, float64) {
	labelW := 0.0
	top := 0
	for _, r := range rows {
		labelW = math.Max(labelW, svgtext.TextWidth(r.label, acFont))
		top = max(top, r.count)
	}
	labelW = math.Min(math.Ceil(labelW), acLabelMax)
	x0 := 8 + labelW + 10
	countW := svgtext.TextWidth(strconv.Itoa(top), acFont) + 10
	barMax := acWidth - x0 - countW - 8
	var b bytes.Buffer
	h := 8 + acRowH*float64(len(rows)) + 8
	if note != "" {
		h += 18
	}
	fmt.Fprintf(&b, `<rect class="ac-bg" x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", acNum(acWidth), acNum(h))
	fmt.Fprintf(&b, `<line class="ac-axis" x1="%s" y1="8" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`+"\n",
		acNum(x0), acNum(x0), acNum(8+acRowH*float64(len(rows))), acAxis)
	b.WriteString(`<g class="ac-rows">` + "\n")
	for i, r := range rows {
		cy := 8 + acRowH*float64(i) + acRowH/2
		label := svgtext.Fit(r.label, labelW, acFont)
		b.WriteString(`<g class="ac-row">`)
		if label != r.label {
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="%s"><title>%s</title>%s</text>`,
				acNum(x0-8), acNum(cy+4), acInk, svgtext.Esc(r.label), svgtext.Esc(label))
		} else {
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="%s">%s</text>`,
				acNum(x0-8), acNum(cy+4), acInk, svgtext.Esc(label))
		}
		bw := 0.0
		if top > 0 && r.count > 0 {
			bw = math.Max(2, float64(r.count)/float64(top)*barMax)
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
				acNum(x0), acNum(cy-acBarH/2), acNum(bw), acNum(acBarH), fill)
		}
		fmt.Fprintf(&b, `<text class="ac-count" x="%s" y="%s" font-weight="bold" fill="%s">%d</text></g>`+"\n",
			acNum(x0+bw+6), acNum(cy+4), acInk, r.count)
	}
	b.WriteString("</g>\n")
	if note != "" {
		fmt.Fprintf(&b, `<text class="ac-more" x="%s" y="%s" fill="%s">%s</text>`+"\n",
			acNum(x0), acNum(h-10), acMuted, svgtext.Esc(note))
	}
	return b.Bytes(), h
}

// acEmpty is the small chart for no input.
func acEmpty(kind, title string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<rect class="ac-bg" x="0" y="0" width="320" height="60" fill="#ffffff" stroke="%s" stroke-width="1"/>`+"\n", acGrid)
	fmt.Fprintf(&b, `<text class="ac-empty" x="160" y="35" text-anchor="middle" font-size="13" fill="%s">%s</text>`+"\n", acMuted, acEmptyText)
	return acDoc(kind, title, title+": "+acEmptyText+".", 320, 60, b.Bytes())
}

// acDoc wraps a chart's body in the <svg> element with its title and
// description. The ids are a hash of the content, so several charts can be
// inlined in one page and the output stays deterministic.
func acDoc(kind, title, desc string, w, h float64, body []byte) []byte {
	hs := fnv.New32a()
	hs.Write([]byte(kind + "\x00" + title + "\x00" + desc + "\x00"))
	hs.Write(body)
	id := fmt.Sprintf("ac-%s-%08x", kind, hs.Sum32())
	var out bytes.Buffer
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" class="ac-chart ac-%s" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-title" aria-describedby="%s-desc" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" font-size="11">`+"\n",
		kind, acNum(w), acNum(h), id, id)
	fmt.Fprintf(&out, `<title id="%s-title">%s</title>`+"\n", id, svgtext.Esc(title))
	fmt.Fprintf(&out, `<desc id="%s-desc">%s</desc>`+"\n", id, svgtext.Esc(desc))
	out.Write(body)
	out.WriteString("</svg>\n")
	return out.Bytes()
}

// acNiceTop is the top of a count axis at or above v and its step: 1, 2 or
// 5 times a power of ten, at most 5 steps (v ≤ 0 gives 1 and 1).
func acNiceTop(v float64) (top, step float64) {
	if !(v > 0) || math.IsInf(v, 0) {
		return 1, 1
	}
	for p := 1.0; ; p *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if s := m * p; math.Ceil(v/s) <= 5 {
				return math.Ceil(v/s) * s, s
			}
		}
	}
}

// acCount formats a whole count held in a float64.
func acCount(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', -1, 64) }

// acWeekName is "W45 2025 (3 Nov)".
func acWeekName(w WeekCount) string {
	s := fmt.Sprintf("W%02d %d", w.Week, w.Year)
	if !w.Start.IsZero() {
		s += " (" + w.Start.Format("2 Jan") + ")"
	}
	return s
}

func acPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func acNum(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	f = math.Round(f*10) / 10
	if f == 0 {
		return "0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
