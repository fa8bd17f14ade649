package timeline

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"hindsight/internal/svgtext"
)

// Chart is the server-rendered SVG timeline of an incident: one lane per
// service, alerts as bars, deploys and changes as markers, key moments as
// vertical lines, a time axis in the viewer's zone and a small legend.
type Chart struct {
	From, To time.Time      // the visible window
	Location *time.Location // tick labels in the viewer's zone; nil means UTC
	Lanes    []Lane         // one per service (or source), drawn in this order
	Moments  []ChartMoment  // key moments as vertical lines
	Width    int            // viewBox width in user units (default 960)
}

// Lane is one row of the chart, named at the left.
type Lane struct {
	Name  string
	Items []ChartItem
}

// ChartItem is one piece of evidence drawn in a lane.
type ChartItem struct {
	EventID       int64
	Kind          string     // alert (a bar), deploy, change or note (markers)
	Label         string     // user data; escaped and shortened, full text in the tooltip
	Start         time.Time  // alerts: when they began firing; markers: when they happened
	End           *time.Time // alerts: nil = still firing (drawn to To with an open end)
	Status        string     // failed deploys drawn distinct in shape, colour and text
	Severity      string     // alerts: critical, high, warning, info
	HasMigrations bool       // a small "M" badge
	Suspect       bool       // the trigger/top suspect: a ring and the text "suspected trigger"
	Href          string     // optional link: "#fragment" or a same-site "/path"; others are dropped
}

// ChartMoment is a key moment drawn as a labelled dashed line across all lanes.
type ChartMoment struct {
	Name string
	At   time.Time
}

// Layout, in viewBox user units.
const (
	chartDefaultWidth = 960
	chartMinWidth     = 480
	chartMaxWidth     = 10000
	chartRightPad     = 24   // room for open ends and the last tick label
	chartRowH         = 32   // a sub-row: glyph line, then its label
	chartLanePadTop   = 6    // above a lane's first sub-row
	chartLanePadBot   = 4    // below its last
	chartMaxRows      = 6    // sub-rows per lane before "+N more"
	chartGap          = 8    // between packed items
	chartLabelMax     = 220  // widest item label (before the notes)
	chartFont         = 11.0 // item, tick, legend text
	chartLaneFont     = 12.0 // lane names
	chartMomentRowH   = 14   // a row of key-moment labels above the lanes
	chartMomentRows   = 4    // at most; later labels share the last row
	chartMinBar       = 3    // a zero-length alert is still visible
)

// Colours: presentation attributes so the SVG reads well on its own and on
// paper; every element also has a tl-* class so the page's stylesheet can
// override them.
const (
	chartInk      = "#000000"
	chartMuted    = "#3d4654" // secondary text, 9.5:1 on white
	chartGrid     = "#d0d5dd"
	chartAxis     = "#475467"
	chartBand     = "#f4f6f8"
	chartDeploy   = "#2454a6"
	chartDeployDk = "#0b2a5c"
	chartFailed   = "#b42318"
	chartFailedDk = "#7a1a10"
	chartChange   = "#6941c6"
	chartNote     = "#475467"
)

// chartHalo outlines text in white so it stays legible where it crosses a
// grid or moment line.
const chartHalo = ` stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"`

// chartSeverityFill is the bar colour per severity; every colour here is at
// least 5:1 against white and the lane bands, so shapes stay visible on
// paper. Severity is also written in the label: colour is never alone.
var chartSeverityFill = map[string]string{
	"critical": "#b42318",
	"high":     "#c4320a",
	"warning":  "#b54708",
	"info":     "#475467",
}

// RenderSVG draws the chart as a self-contained SVG document fragment (no
// XML declaration, so it can be inlined in an HTML page). The output has no
// width or height, only a viewBox, so it scales to its container; it uses
// no scripts, event handlers, style attributes or external references.
// Rendering is deterministic: the same chart gives the same bytes.
func RenderSVG(c Chart) []byte {
	r := &chartRenderer{c: c}
	return r.render()
}

// chartStep is one candidate tick interval.
type chartStep struct {
	unit   int
	n      int64   // nanoseconds (chartUnitSub) or a count of the unit
	approx float64 // seconds
}

const (
	chartUnitSub = iota
	chartUnitSec
	chartUnitMin
	chartUnitHour
	chartUnitDay
	chartUnitMonth
	chartUnitYear
)

// chartSteps are the tick intervals, smallest first. No two neighbours are
// more than 2.5 apart, so the smallest interval giving at most 10 ticks
// gives at least 4.
var chartSteps = func() []chartStep {
	var s []chartStep
	for p := int64(1); p < 1e9; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			s = append(s, chartStep{chartUnitSub, m * p, float64(m*p) / 1e9})
		}
	}
	for _, n := range []int64{1, 2, 5, 10, 15, 30} {
		s = append(s, chartStep{chartUnitSec, n, float64(n)})
	}
	for _, n := range []int64{1, 2, 5, 10, 15, 30} {
		s = append(s, chartStep{chartUnitMin, n, float64(n) * 60})
	}
	for _, n := range []int64{1, 2, 3, 6, 12} {
		s = append(s, chartStep{chartUnitHour, n, float64(n) * 3600})
	}
	for _, n := range []int64{1, 2, 3, 7, 14} {
		s = append(s, chartStep{chartUnitDay, n, float64(n) * 86400})
	}
	for _, n := range []int64{1, 2, 3, 6} {
		s = append(s, chartStep{chartUnitMonth, n, float64(n) * 30.436875 * 86400})
	}
	for _, n := range []int64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000} {
		s = append(s, chartStep{chartUnitYear, n, float64(n) * 365.2425 * 86400})
	}
	return s
}()

// chartSeconds is b-a in seconds, without the saturation of time.Sub.
func chartSeconds(a, b time.Time) float64 {
	return float64(b.Unix()) - float64(a.Unix()) + float64(b.Nanosecond()-a.Nanosecond())/1e9
}

func chartFloorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func chartMod(a, b int64) int64 { return a - chartFloorDiv(a, b)*b }

// chartTickTimes lists the ticks of step s in [from, to], aligned to the
// wall clock in loc, at most limit+1 of them (more means "too many").
func chartTickTimes(from, to time.Time, loc *time.Location, s chartStep, limit int) []time.Time {
	lf := from.In(loc)
	var gen func(k int64) time.Time
	switch s.unit {
	case chartUnitSub:
		ns := int64(from.Nanosecond())
		base := time.Unix(from.Unix(), (ns+s.n-1)/s.n*s.n)
		gen = func(k int64) time.Time { return base.Add(time.Duration(k * s.n)) }
	case chartUnitSec, chartUnitMin:
		step := s.n
		if s.unit == chartUnitMin {
			step *= 60
		}
		_, off := lf.Zone()
		local := from.Unix() + int64(off)
		q := chartFloorDiv(local, step) * step
		if q < local || (q == local && from.Nanosecond() > 0) {
			q += step
		}
		base := time.Unix(q-int64(off), 0)
		gen = func(k int64) time.Time { return base.Add(time.Duration(k*step) * time.Second) }
	case chartUnitHour:
		y, m, d := lf.Date()
		h0 := int64(lf.Hour()) / s.n * s.n
		gen = func(k int64) time.Time { return time.Date(y, m, d, int(h0+k*s.n), 0, 0, 0, loc) }
	case chartUnitDay:
		y, m, d := lf.Date()
		day := chartFloorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
		ref := int64(0)
		if s.n%7 == 0 {
			ref = 4 // 1970-01-05, a Monday: weeks start on Mondays
		}
		back := chartMod(day-ref, s.n)
		gen = func(k int64) time.Time { return time.Date(y, m, d-int(back)+int(k*s.n), 0, 0, 0, 0, loc) }
	case chartUnitMonth:
		y, m, _ := lf.Date()
		a := chartFloorDiv(int64(y)*12+int64(m-1), s.n) * s.n
		gen = func(k int64) time.Time {
			v := a + k*s.n
			return time.Date(int(chartFloorDiv(v, 12)), time.Month(chartMod(v, 12)+1), 1, 0, 0, 0, 0, loc)
		}
	default:
		a := chartFloorDiv(int64(lf.Year()), s.n) * s.n
		gen = func(k int64) time.Time { return time.Date(int(a+k*s.n), 1, 1, 0, 0, 0, 0, loc) }
	}
	var out []time.Time
	for k := int64(0); k < int64(limit)+8 && len(out) <= limit; k++ {
		t := gen(k)
		if t.After(to) {
			break
		}
		if t.Before(from) || (len(out) > 0 && !t.After(out[len(out)-1])) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// chartChooseTicks picks the smallest step giving 10 ticks or fewer.
func chartChooseTicks(from, to time.Time, loc *time.Location) (chartStep, []time.Time) {
	span := chartSeconds(from, to)
	for _, s := range chartSteps {
		if span/s.approx > 12 {
			continue
		}
		if ts := chartTickTimes(from, to, loc, s, 10); len(ts) >= 1 && len(ts) <= 10 {
			return s, ts
		}
	}
	// Beyond any sensible incident: the two ends, labelled with their year.
	return chartStep{chartUnitYear, 0, span}, []time.Time{from, to}
}

// chartTickLayout is the Go layout of a tick label for a step.
func chartTickLayout(s chartStep) string {
	switch s.unit {
	case chartUnitSub:
		switch {
		case s.n >= 1e6:
			return "15:04:05.000"
		case s.n >= 1e3:
			return "15:04:05.000000"
		default:
			return "15:04:05.000000000"
		}
	case chartUnitSec:
		return "15:04:05"
	case chartUnitMin, chartUnitHour:
		return "15:04"
	case chartUnitDay:
		return "Mon 2 Jan"
	case chartUnitMonth:
		return "Jan 2006"
	default:
		return "2006"
	}
}

// chartBold is how much wider bold text runs.
const chartBold = 1.1

// chartToken turns a status or severity into a class-name suffix.
func chartToken(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if b.Len() >= 24 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-', r == '_', r == ' ':
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// chartHref keeps links inside the site: a fragment or an absolute path.
func chartHref(h string) string {
	if len(h) < 2 || len(h) > 2048 {
		return ""
	}
	if h[0] != '#' && (h[0] != '/' || h[1] == '/' || h[1] == '\\') {
		return ""
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c <= 0x20 || c >= 0x7F || c == '\\' || c == '"' || c == '\'' || c == '<' || c == '>' {
			return ""
		}
	}
	return h
}

// chartNum formats a coordinate with at most one decimal.
func chartNum(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	f = math.Round(f*10) / 10
	if f == 0 {
		return "0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// chartItemBox is an item after clipping and layout.
type chartItemBox struct {
	it         ChartItem
	index      int
	kind       string // alert, deploy, change, note
	status     string
	failed     bool // any marker with a failed status
	hollow     bool // a deploy neither succeeded nor failed
	bar        bool
	open       bool      // alert still firing
	clipL      bool      // started before the window
	clipR      bool      // ended after the window
	end        time.Time // alerts: the end, never before the start
	xs, xe     float64
	a, b       float64 // horizontal extent, glyph and label
	lx         float64 // label start
	endAnchor  bool    // the label is drawn ending at the right edge
	main       string  // the (shortened) label
	notes      string  // "critical, still firing", never shortened
	suspect    bool
	migrations bool
	href       string
	row        int
	prio       int
}

type chartLaneBox struct {
	name, full string
	items      []*chartItemBox
	rows       int
	hidden     int
	y, h       float64
}

type chartMomentBox struct {
	label  string
	x      float64
	row    int
	anchor string // start or end
	tx     float64
}

type chartLegendEntry struct {
	key, text string
	x, y      float64
}

type chartRenderer struct {
	c          Chart
	loc        *time.Location
	w          float64
	from, to   time.Time
	span       float64
	x0, x1     float64
	step       chartStep
	ticks      []time.Time
	crosses    bool // the window crosses local midnight
	lanes      []*chartLaneBox
	moments    []*chartMomentBox
	momentRows int
	outside    int // items entirely outside the window
	shown      int // items drawn
	total      int
	legend     []chartLegendEntry
	seen       map[string]bool
	lanesTop   float64
	lanesBot   float64
	axisBot    float64
	height     float64
	b          bytes.Buffer
}

// chartWindow is the visible window. A reversed window is swapped; a
// zero-length one fits the items and moments (and the given instant), or is
// ten minutes around that instant. ok is false when there is nothing at all
// to place on a time axis.
func chartWindow(c Chart) (from, to time.Time, ok bool) {
	from, to = c.From, c.To
	if to.Before(from) {
		from, to = to, from
	}
	if to.After(from) {
		return from, to, true
	}
	var lo, hi time.Time
	have := false
	add := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if !have || t.Before(lo) {
			lo = t
		}
		if !have || t.After(hi) {
			hi = t
		}
		have = true
	}
	add(from)
	for _, l := range c.Lanes {
		for _, it := range l.Items {
			add(it.Start)
			if it.End != nil {
				add(*it.End)
			}
		}
	}
	for _, m := range c.Moments {
		add(m.At)
	}
	if !have {
		return from, to, false
	}
	if !hi.After(lo) {
		return lo.Add(-5 * time.Minute), lo.Add(5 * time.Minute), true
	}
	pad := time.Duration(math.Min(chartSeconds(lo, hi)/20, 1e8) * 1e9)
	return lo.Add(-pad), hi.Add(pad), true
}

func (r *chartRenderer) x(t time.Time) float64 {
	f := chartSeconds(r.from, t) / r.span
	if f < 0 || math.IsNaN(f) {
		f = 0
	}
	if f > 1 {
		f = 1
	}
	return r.x0 + f*(r.x1-r.x0)
}

func (r *chartRenderer) in(t time.Time) time.Time { return t.In(r.loc) }

// zoneName is the zone abbreviation, both when it changes in the window.
func (r *chartRenderer) zoneName() string {
	a, _ := r.in(r.from).Zone()
	b, _ := r.in(r.to).Zone()
	if a != b {
		return a + "/" + b
	}
	return a
}

// clock formats a time on the chart at the axis granularity, with its
// date when the window spans several days.
func (r *chartRenderer) clock(t time.Time) string {
	lt := r.in(t)
	layout := "15:04"
	switch {
	case r.step.unit == chartUnitSub:
		layout = chartTickLayout(r.step)
	case r.step.unit == chartUnitSec, r.step.unit == chartUnitMin && lt.Second() != 0:
		layout = "15:04:05"
	}
	if r.crosses || r.step.unit >= chartUnitDay {
		layout = "Mon 2 Jan " + layout
		if r.step.unit >= chartUnitMonth {
			layout = "2 Jan 2006 15:04"
		}
	}
	return lt.Format(layout)
}

// full formats a time for tooltips and the description.
func (r *chartRenderer) full(t time.Time) string {
	if r.step.unit <= chartUnitSub {
		return r.in(t).Format("Mon 2 Jan 2006 " + chartTickLayout(r.step))
	}
	return r.in(t).Format("Mon 2 Jan 2006 15:04:05")
}

func (r *chartRenderer) render() []byte {
	c := r.c
	r.loc = c.Location
	if r.loc == nil {
		r.loc = time.UTC
	}
	r.w = float64(c.Width)
	if c.Width <= 0 {
		r.w = chartDefaultWidth
	}
	r.w = math.Max(chartMinWidth, math.Min(chartMaxWidth, r.w))
	r.x0 = math.Round(math.Min(168, r.w*0.25))
	r.x1 = r.w - chartRightPad
	r.seen = map[string]bool{}
	for _, l := range c.Lanes {
		r.total += len(l.Items)
	}

	var ok bool
	r.from, r.to, ok = chartWindow(c)
	if !ok {
		return r.renderBlank()
	}
	r.span = chartSeconds(r.from, r.to)
	r.step, r.ticks = chartChooseTicks(r.from, r.to, r.loc)
	fy, fm, fd := r.in(r.from).Date()
	ty, tm, td := r.in(r.to).Date()
	r.crosses = fy != ty || fm != tm || fd != td

	r.layoutMoments()
	r.lanesTop = 8
	if len(r.moments) > 0 {
		r.lanesTop = float64(r.momentRows*chartMomentRowH) + 10
	}
	r.layoutLanes()
	r.axisBot = r.lanesBot + 40
	r.layoutLegend()

	r.emitBackground()
	r.emitGrid()
	r.emitMoments()
	for _, l := range r.lanes {
		r.emitLane(l)
	}
	if r.shown == 0 {
		r.emitNoEvents()
	}
	r.emitAxis()
	r.emitLegend()
	return r.wrap(r.title(), r.desc())
}

// renderBlank is a chart with no time at all: no window, no evidence.
func (r *chartRenderer) renderBlank() []byte {
	r.height = 60
	r.emitBackground()
	fmt.Fprintf(&r.b, `<text class="tl-empty" x="%s" y="34" text-anchor="middle" fill="%s" font-size="13">No events</text>`+"\n",
		chartNum(r.w/2), chartMuted)
	return r.wrap("Incident timeline", "No events and no time window to show.")
}

// wrap puts the body in the svg element. The ids of the title and
// description come from a hash of the content, so two charts on one page
// do not clash and the output stays deterministic.
func (r *chartRenderer) wrap(title, desc string) []byte {
	h := fnv.New32a()
	h.Write([]byte(title))
	h.Write([]byte{0})
	h.Write([]byte(desc))
	h.Write([]byte{0})
	h.Write(r.b.Bytes())
	id := fmt.Sprintf("tl-%08x", h.Sum32())
	var out bytes.Buffer
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" class="tl-chart" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-title" aria-describedby="%s-desc" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" font-size="11">`+"\n",
		chartNum(r.w), chartNum(r.height), id, id)
	fmt.Fprintf(&out, `<title id="%s-title">%s</title>`+"\n", id, svgtext.Esc(title))
	fmt.Fprintf(&out, `<desc id="%s-desc">%s</desc>`+"\n", id, svgtext.Esc(desc))
	out.Write(r.b.Bytes())
	out.WriteString("</svg>\n")
	return out.Bytes()
}

func (r *chartRenderer) title() string {
	to := r.in(r.to).Format("15:04")
	if r.crosses {
		to = r.in(r.to).Format("Mon 2 Jan 2006 15:04")
	}
	return fmt.Sprintf("Incident timeline, %s to %s %s", r.in(r.from).Format("Mon 2 Jan 2006 15:04"), to, r.zoneName())
}

// desc says in words what the chart shows: counts, the key moments, the
// suspects, failed deploys and alerts still firing.
func (r *chartRenderer) desc() string {
	var parts []string
	names := make([]string, 0, len(r.lanes))
	for i, l := range r.lanes {
		if i == 10 {
			names = append(names, fmt.Sprintf("and %d more", len(r.lanes)-10))
			break
		}
		names = append(names, l.full)
	}
	lanes := "no lanes"
	if len(names) > 0 {
		lanes = chartPlural(len(r.lanes), "lane", "lanes") + " (" + strings.Join(names, ", ") + ")"
	}
	parts = append(parts, fmt.Sprintf("%s on %s.", chartPlural(r.shown, "event", "events"), lanes))
	if r.outside > 0 {
		parts = append(parts, chartPlural(r.outside, "event is", "events are")+" outside the window.")
	}
	hidden := 0
	for _, l := range r.lanes {
		hidden += l.hidden
	}
	if hidden > 0 {
		parts = append(parts, chartPlural(hidden, "overlapping event is", "overlapping events are")+" not drawn.")
	}
	var ms []string
	for _, m := range r.moments {
		ms = append(ms, m.label)
	}
	if len(ms) > 0 {
		parts = append(parts, "Key moments: "+strings.Join(ms, "; ")+".")
	}
	var sus []string
	failed, open := 0, 0
	for _, l := range r.lanes {
		for _, it := range l.items {
			if it.suspect && len(sus) < 5 {
				sus = append(sus, fmt.Sprintf("%s on %s at %s", it.fullLabel(), l.full, r.clock(it.it.Start)))
			}
			if it.failed {
				failed++
			}
			if it.open {
				open++
			}
		}
	}
	if len(sus) > 0 {
		parts = append(parts, "Suspected trigger: "+strings.Join(sus, "; ")+".")
	}
	if failed > 0 {
		parts = append(parts, chartPlural(failed, "failed deploy or change", "failed deploys or changes")+".")
	}
	if open > 0 {
		parts = append(parts, chartPlural(open, "alert still firing", "alerts still firing")+".")
	}
	return strings.Join(parts, " ")
}

func chartPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func (it *chartItemBox) fullLabel() string {
	if l := svgtext.Clean(it.it.Label, 300); l != "" {
		return l
	}
	return it.kind
}

// layoutMoments groups the visible moments by instant and stacks their
// labels in up to four rows above the lanes.
func (r *chartRenderer) layoutMoments() {
	type group struct {
		at    time.Time
		names []string
	}
	var gs []*group
	ms := append([]ChartMoment(nil), r.c.Moments...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].At.Before(ms[j].At) })
	for _, m := range ms {
		if m.At.Before(r.from) || m.At.After(r.to) {
			continue
		}
		name := svgtext.Clean(m.Name, 40)
		if name == "" {
			name = "moment"
		}
		if n := len(gs); n > 0 && gs[n-1].at.Equal(m.At) {
			gs[n-1].names = append(gs[n-1].names, name)
			continue
		}
		gs = append(gs, &group{m.At, []string{name}})
	}
	var rows [][][2]float64
	for _, g := range gs {
		label := svgtext.Fit(strings.Join(g.names, ", "), 200, chartFont*chartBold) + " " + r.clock(g.at)
		w := svgtext.TextWidth(label, chartFont*chartBold)
		m := &chartMomentBox{label: label, x: r.x(g.at), anchor: "start"}
		m.tx = m.x + 3
		a, b := m.x, m.x+3+w
		if b > r.w-4 {
			m.anchor, m.tx = "end", m.x-3
			a, b = m.x-3-w, m.x
		}
		m.row = -1
		for i, row := range rows {
			free := true
			for _, s := range row {
				if a < s[1]+6 && s[0] < b+6 {
					free = false
					break
				}
			}
			if free {
				m.row = i
				break
			}
		}
		if m.row < 0 {
			if len(rows) < chartMomentRows {
				rows = append(rows, nil)
			}
			m.row = len(rows) - 1
		}
		rows[m.row] = append(rows[m.row], [2]float64{a, b})
		r.moments = append(r.moments, m)
	}
	r.momentRows = len(rows)
}

// layoutLanes clips every item to the window, packs each lane's items into
// sub-rows and sets the lanes' heights.
func (r *chartRenderer) layoutLanes() {
	y := r.lanesTop
	for _, l := range r.c.Lanes {
		lb := &chartLaneBox{full: svgtext.Clean(l.Name, 200)}
		if lb.full == "" {
			lb.full = "(no service)"
		}
		lb.name = svgtext.Fit(lb.full, r.x0-14, chartLaneFont*chartBold)
		var boxes []*chartItemBox
		for i, it := range l.Items {
			if b := r.itemBox(it, i); b != nil {
				boxes = append(boxes, b)
			} else {
				r.outside++
			}
		}
		r.pack(lb, boxes)
		rows := max(lb.rows, 1)
		lb.y = y
		lb.h = float64(chartLanePadTop + rows*chartRowH + chartLanePadBot)
		if lb.hidden > 0 && lb.h < 48 {
			lb.h = 48 // room for the "+N more" note under the name
		}
		y += lb.h
		r.lanes = append(r.lanes, lb)
	}
	if len(r.lanes) == 0 {
		y += chartLanePadTop + chartRowH + chartLanePadBot
	}
	r.lanesBot = y
}

// itemBox clips one item to the window and works out its glyph and label
// extents; nil when it is outside the window.
func (r *chartRenderer) itemBox(it ChartItem, index int) *chartItemBox {
	b := &chartItemBox{
		it: it, index: index,
		kind:       strings.ToLower(strings.TrimSpace(it.Kind)),
		status:     strings.ToLower(strings.TrimSpace(it.Status)),
		suspect:    it.Suspect,
		migrations: it.HasMigrations,
		href:       chartHref(it.Href),
	}
	switch b.kind {
	case "alert", "deploy", "change", "note":
	default:
		b.kind = "note"
	}
	var notes []string
	if b.kind == "alert" {
		b.bar = true
		end := it.End
		if end != nil && end.Before(it.Start) {
			end = &it.Start
		}
		b.open = end == nil
		if !b.open {
			b.end = *end
		}
		if it.Start.After(r.to) || (!b.open && end.Before(r.from)) {
			return nil
		}
		b.clipL = it.Start.Before(r.from)
		b.clipR = !b.open && end.After(r.to)
		b.xs = r.x(it.Start)
		if b.open {
			b.xe = r.x1
		} else {
			b.xe = r.x(*end)
		}
		if b.xe-b.xs < chartMinBar {
			b.xe = b.xs + chartMinBar
			if b.xe > r.x1 {
				b.xe, b.xs = r.x1, r.x1-chartMinBar
			}
		}
		if sev := svgtext.Clean(it.Severity, 20); sev != "" {
			notes = append(notes, strings.ToLower(sev))
		}
		if b.open {
			notes = append(notes, "still firing")
		}
		b.a, b.b = b.xs, b.xe
		if b.clipL {
			b.a -= 8
		}
		if b.open || b.clipR {
			b.b += 10
		}
		if b.suspect {
			b.a, b.b = b.a-3, b.b+3
		}
	} else {
		if it.Start.Before(r.from) || it.Start.After(r.to) {
			return nil
		}
		b.xs = r.x(it.Start)
		b.xe = b.xs
		switch b.status {
		case "failed", "failure", "error", "errored":
			b.failed = true
			notes = append(notes, "failed")
		case "", "succeeded", "success", "successful", "done", "completed":
		default:
			if b.kind == "deploy" {
				b.hollow = true
			}
			notes = append(notes, strings.ReplaceAll(svgtext.Clean(b.status, 20), "_", " "))
		}
		half := 8.0
		if b.suspect {
			half = 12
		}
		b.a, b.b = b.xs-half, b.xs+half
		if b.migrations {
			b.b = b.xs + half + 14
		}
	}
	if b.suspect {
		notes = append(notes, "suspected trigger")
	}
	b.notes = strings.Join(notes, ", ")

	// The label sits under the glyph, from its left edge, and moves left
	// near the right edge so it stays inside the chart.
	room := r.w - 4 - r.x0
	notesW := 0.0
	if b.notes != "" {
		notesW = svgtext.TextWidth(" — "+b.notes, chartFont*chartBold)
	}
	mainMax := math.Min(chartLabelMax, room-notesW)
	b.main = svgtext.Fit(b.fullLabel(), math.Max(mainMax, 12), chartFont)
	lw := svgtext.TextWidth(b.main, chartFont) + notesW
	b.lx = b.xs
	if !b.bar {
		b.lx = b.xs - 7
	}
	if b.lx+lw > r.w-4 {
		// Near the right edge the label ends at the edge, whatever the
		// real font's widths.
		b.lx, b.endAnchor = r.w-4-lw, true
	}
	if b.lx < r.x0 {
		b.lx, b.endAnchor = r.x0, false
	}
	b.a = math.Min(b.a, b.lx)
	b.b = math.Max(b.b, b.lx+lw)
	switch {
	case b.suspect:
		b.prio = 0
	case b.failed:
		b.prio = 1
	default:
		b.prio = 2
	}
	return b
}

// pack places items in the first sub-row where they fit: suspects first,
// then failures, then the rest by time. Items that fit in none of the
// sub-rows are counted as hidden.
func (r *chartRenderer) pack(lb *chartLaneBox, boxes []*chartItemBox) {
	sort.SliceStable(boxes, func(i, j int) bool {
		a, b := boxes[i], boxes[j]
		if a.prio != b.prio {
			return a.prio < b.prio
		}
		if !a.it.Start.Equal(b.it.Start) {
			return a.it.Start.Before(b.it.Start)
		}
		return a.index < b.index
	})
	var rows [][][2]float64
	for _, it := range boxes {
		it.row = -1
		for i, row := range rows {
			free := true
			for _, s := range row {
				if it.a < s[1]+chartGap && s[0] < it.b+chartGap {
					free = false
					break
				}
			}
			if free {
				it.row = i
				break
			}
		}
		if it.row < 0 {
			if len(rows) == chartMaxRows {
				lb.hidden++
				continue
			}
			rows = append(rows, nil)
			it.row = len(rows) - 1
		}
		rows[it.row] = append(rows[it.row], [2]float64{it.a, it.b})
		lb.items = append(lb.items, it)
	}
	lb.rows = len(rows)
	r.shown += len(lb.items)
	// Draw in reading order: row by row, left to right.
	sort.SliceStable(lb.items, func(i, j int) bool {
		a, b := lb.items[i], lb.items[j]
		if a.row != b.row {
			return a.row < b.row
		}
		if a.xs != b.xs {
			return a.xs < b.xs
		}
		return a.index < b.index
	})
}

// layoutLegend lists the symbols the chart uses, wrapped to its width.
func (r *chartRenderer) layoutLegend() {
	var keys []string
	has := map[string]bool{}
	for _, l := range r.lanes {
		for _, it := range l.items {
			switch {
			case it.bar:
				has["alert"] = true
			case it.failed:
				has["failed"] = true
			case it.hollow:
				has["hollow"] = true
			default:
				has[it.kind] = true
			}
			has["open"] = has["open"] || it.open
			has["clip"] = has["clip"] || it.clipL || it.clipR
			has["migrations"] = has["migrations"] || (it.migrations && !it.bar)
			has["suspect"] = has["suspect"] || it.suspect
		}
	}
	has["moment"] = len(r.moments) > 0
	texts := map[string]string{
		"alert":      "alert (severity in text)",
		"open":       "still firing",
		"clip":       "continues past the window",
		"deploy":     "deploy",
		"failed":     "failed deploy or change",
		"hollow":     "deploy not finished or cancelled",
		"change":     "change",
		"note":       "note",
		"migrations": "with migrations",
		"suspect":    "suspected trigger",
		"moment":     "key moment",
	}
	for _, k := range []string{"alert", "open", "clip", "deploy", "failed", "hollow", "change", "note", "migrations", "suspect", "moment"} {
		if has[k] {
			keys = append(keys, k)
		}
	}
	x, y := 8.0, r.axisBot+14
	for _, k := range keys {
		w := 30 + svgtext.TextWidth(texts[k], chartFont) + 18
		if x > 8 && x+w > r.w-4 {
			x, y = 8, y+20
		}
		r.legend = append(r.legend, chartLegendEntry{k, texts[k], x, y})
		x += w
	}
	r.height = r.axisBot + 8
	if len(r.legend) > 0 {
		r.height = y + 14
	}
	if r.outside > 0 {
		r.height += 18
	}
}

func (r *chartRenderer) emitBackground() {
	fmt.Fprintf(&r.b, `<rect class="tl-bg" x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", chartNum(r.w), chartNum(r.height))
}

// emitGrid draws the lane bands, their separators and the tick lines.
func (r *chartRenderer) emitGrid() {
	b := &r.b
	b.WriteString(`<g class="tl-lanes">` + "\n")
	for i, l := range r.lanes {
		if i%2 == 1 {
			fmt.Fprintf(b, `<rect class="tl-band" x="0" y="%s" width="%s" height="%s" fill="%s"/>`+"\n",
				chartNum(l.y), chartNum(r.w), chartNum(l.h), chartBand)
		}
		fmt.Fprintf(b, `<line class="tl-sep" x1="0" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`+"\n",
			chartNum(l.y+l.h), chartNum(r.w), chartNum(l.y+l.h), chartGrid)
	}
	b.WriteString("</g>\n")
	b.WriteString(`<g class="tl-grid">` + "\n")
	for _, t := range r.ticks {
		x := chartNum(r.x(t))
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`+"\n",
			x, chartNum(r.lanesTop), x, chartNum(r.lanesBot), chartGrid)
	}
	b.WriteString("</g>\n")
}

func (r *chartRenderer) emitMoments() {
	if len(r.moments) == 0 {
		return
	}
	b := &r.b
	b.WriteString(`<g class="tl-moments">` + "\n")
	for _, m := range r.moments {
		ty := float64(12 + m.row*chartMomentRowH)
		x := chartNum(m.x)
		fmt.Fprintf(b, `<g class="tl-moment"><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.25" stroke-dasharray="5 4"/>`,
			x, chartNum(ty+3), x, chartNum(r.lanesBot), chartInk)
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="%s" font-weight="bold" fill="%s"%s>%s</text></g>`+"\n",
			chartNum(m.tx), chartNum(ty), m.anchor, chartInk, chartHalo, svgtext.Esc(m.label))
	}
	b.WriteString("</g>\n")
}

func (r *chartRenderer) emitLane(l *chartLaneBox) {
	b := &r.b
	b.WriteString(`<g class="tl-lane">` + "\n")
	name := svgtext.Esc(l.name)
	if l.name != l.full {
		fmt.Fprintf(b, `<text class="tl-lane-name" x="8" y="%s" font-size="%s" font-weight="bold" fill="%s"><title>%s</title>%s</text>`+"\n",
			chartNum(l.y+chartLanePadTop+14), chartNum(chartLaneFont), chartInk, svgtext.Esc(l.full), name)
	} else {
		fmt.Fprintf(b, `<text class="tl-lane-name" x="8" y="%s" font-size="%s" font-weight="bold" fill="%s">%s</text>`+"\n",
			chartNum(l.y+chartLanePadTop+14), chartNum(chartLaneFont), chartInk, name)
	}
	if l.hidden > 0 {
		fmt.Fprintf(b, `<text class="tl-more" x="8" y="%s" fill="%s">+%d more not shown</text>`+"\n",
			chartNum(l.y+chartLanePadTop+30), chartMuted, l.hidden)
	}
	for _, it := range l.items {
		r.emitItem(l, it)
	}
	b.WriteString("</g>\n")
}

func (r *chartRenderer) emitNoEvents() {
	msg := "No events in this window"
	if r.total == 0 {
		msg = "No events"
	}
	y := (r.lanesTop+r.lanesBot)/2 + 4
	fmt.Fprintf(&r.b, `<text class="tl-empty" x="%s" y="%s" text-anchor="middle" fill="%s" font-size="13">%s</text>`+"\n",
		chartNum((r.x0+r.x1)/2), chartNum(y), chartMuted, msg)
}

// itemClass is the item's class list: tl-item, its kind, its severity or
// status, and tl-suspect.
func (it *chartItemBox) class() string {
	cls := []string{"tl-item", "tl-" + it.kind}
	if it.bar {
		if sev := chartToken(it.it.Severity); sev != "" {
			cls = append(cls, "tl-sev-"+sev)
		}
		if it.open {
			cls = append(cls, "tl-open")
		}
	} else if it.failed {
		cls = append(cls, "tl-failed")
	} else if st := chartToken(it.status); st != "" {
		cls = append(cls, "tl-status-"+st)
	}
	if it.suspect {
		cls = append(cls, "tl-suspect")
	}
	return strings.Join(cls, " ")
}

// tooltip is the item's full description, shown on hover.
func (r *chartRenderer) tooltip(l *chartLaneBox, it *chartItemBox) string {
	var s strings.Builder
	s.WriteString(it.fullLabel())
	s.WriteString(" (" + it.kind)
	if it.notes != "" {
		s.WriteString(", " + it.notes)
	}
	if it.migrations {
		s.WriteString(", with migrations")
	}
	s.WriteString(") on " + l.full + ": ")
	if it.bar {
		s.WriteString(r.full(it.it.Start))
		if it.open {
			s.WriteString(" onwards")
		} else {
			s.WriteString(" to " + r.full(it.end))
		}
	} else {
		s.WriteString(r.full(it.it.Start))
	}
	return s.String()
}

func (r *chartRenderer) emitItem(l *chartLaneBox, it *chartItemBox) {
	b := &r.b
	top := l.y + chartLanePadTop + float64(it.row*chartRowH)
	cy := top + 10
	if it.href != "" {
		fmt.Fprintf(b, `<a class="tl-link" href="%s">`, svgtext.Esc(it.href))
	}
	fmt.Fprintf(b, `<g class="%s"><title>%s</title>`, it.class(), svgtext.Esc(r.tooltip(l, it)))
	x := it.xs
	switch {
	case it.bar:
		fill := chartSeverityFill[strings.ToLower(strings.TrimSpace(it.it.Severity))]
		if fill == "" {
			fill = chartSeverityFill["info"]
		}
		if it.suspect {
			fmt.Fprintf(b, `<rect class="tl-ring" x="%s" y="%s" width="%s" height="16" rx="3" fill="none" stroke="%s" stroke-width="2"/>`,
				chartNum(it.xs-3), chartNum(cy-8), chartNum(it.xe-it.xs+6), chartInk)
		}
		fmt.Fprintf(b, `<rect class="tl-bar" x="%s" y="%s" width="%s" height="10" rx="2" fill="%s"/>`,
			chartNum(it.xs), chartNum(cy-5), chartNum(it.xe-it.xs), fill)
		if it.clipL {
			fmt.Fprintf(b, `<path class="tl-clip" d="M%s %sl-6 5 6 5z" fill="#ffffff" stroke="%s" stroke-width="1.5"/>`,
				chartNum(it.xs-1), chartNum(cy-5), fill)
		}
		switch {
		case it.open:
			// An arrow head past the bar's end: it goes on.
			fmt.Fprintf(b, `<path class="tl-open-end" d="M%s %sl9 8-9 8z" fill="%s"/>`,
				chartNum(it.xe), chartNum(cy-8), fill)
		case it.clipR:
			fmt.Fprintf(b, `<path class="tl-clip" d="M%s %sl6 5-6 5z" fill="#ffffff" stroke="%s" stroke-width="1.5"/>`,
				chartNum(it.xe+1), chartNum(cy-5), fill)
		}
	default:
		if it.suspect {
			fmt.Fprintf(b, `<circle class="tl-ring" cx="%s" cy="%s" r="10.5" fill="none" stroke="%s" stroke-width="2"/>`,
				chartNum(x), chartNum(cy), chartInk)
		}
		switch {
		case it.failed:
			// A downward triangle: a different shape, not only a colour.
			fmt.Fprintf(b, `<path class="tl-marker" d="M%s %sh14l-7 13z" fill="%s" stroke="%s" stroke-width="1"/>`,
				chartNum(x-7), chartNum(cy-6), chartFailed, chartFailedDk)
		case it.kind == "deploy":
			fill := chartDeploy
			if it.hollow {
				fill = "#ffffff"
			}
			fmt.Fprintf(b, `<path class="tl-marker" d="M%s %sl7 7-7 7-7-7z" fill="%s" stroke="%s" stroke-width="%s"/>`,
				chartNum(x), chartNum(cy-7), fill, chartDeployDk, map[bool]string{false: "1", true: "2"}[it.hollow])
		case it.kind == "change":
			fmt.Fprintf(b, `<rect class="tl-marker" x="%s" y="%s" width="11" height="11" fill="%s" stroke="%s" stroke-width="1"/>`,
				chartNum(x-5.5), chartNum(cy-5.5), chartChange, chartInk)
		default:
			fmt.Fprintf(b, `<circle class="tl-marker" cx="%s" cy="%s" r="5.5" fill="%s" stroke="%s" stroke-width="1"/>`,
				chartNum(x), chartNum(cy), chartNote, chartInk)
		}
		if it.migrations {
			bx := x + 9
			if it.suspect {
				bx = x + 13
			}
			fmt.Fprintf(b, `<g class="tl-badge"><rect x="%s" y="%s" width="12" height="12" rx="2" fill="#ffffff" stroke="%s" stroke-width="1"/><text x="%s" y="%s" text-anchor="middle" font-size="9" font-weight="bold" fill="%s">M</text></g>`,
				chartNum(bx), chartNum(cy-6), chartInk, chartNum(bx+6), chartNum(cy+3.5), chartInk)
		}
	}
	if it.endAnchor {
		fmt.Fprintf(b, `<text class="tl-label" x="%s" y="%s" text-anchor="end" fill="%s"%s>%s`, chartNum(r.w-4), chartNum(top+30), chartInk, chartHalo, svgtext.Esc(it.main))
	} else {
		fmt.Fprintf(b, `<text class="tl-label" x="%s" y="%s" fill="%s"%s>%s`, chartNum(it.lx), chartNum(top+30), chartInk, chartHalo, svgtext.Esc(it.main))
	}
	if it.notes != "" {
		weight := ""
		if it.suspect || it.failed {
			weight = ` font-weight="bold"`
		}
		fmt.Fprintf(b, `<tspan class="tl-note"%s> — %s</tspan>`, weight, svgtext.Esc(it.notes))
	}
	b.WriteString("</text></g>")
	if it.href != "" {
		b.WriteString("</a>")
	}
	b.WriteString("\n")
}

// emitAxis draws the time axis under the lanes: ticks, their labels (with
// the date under the first and at each new day when the window crosses
// midnight) and, at the left, the zone and the date once.
func (r *chartRenderer) emitAxis() {
	b := &r.b
	y := r.lanesBot
	b.WriteString(`<g class="tl-axis">` + "\n")
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`+"\n",
		chartNum(r.x0), chartNum(y), chartNum(r.x1), chartNum(y), chartAxis)
	layout := chartTickLayout(r.step)
	if r.step.n == 0 { // the fallback: the window's two ends
		layout = "2 Jan 2006"
	}
	labels := make([]string, len(r.ticks))
	xs := make([]float64, len(r.ticks))
	widest := 0.0
	for i, t := range r.ticks {
		labels[i] = r.in(t).Format(layout)
		xs[i] = r.x(t)
		widest = math.Max(widest, svgtext.TextWidth(labels[i], chartFont))
	}
	// Label every k-th tick so labels never overlap on a narrow chart.
	k := 1
	if len(xs) > 1 {
		gap := math.Inf(1)
		for i := 1; i < len(xs); i++ {
			gap = math.Min(gap, xs[i]-xs[i-1])
		}
		for k < len(xs) && float64(k)*gap < widest+8 {
			k++
		}
	}
	showDates := r.crosses && r.step.unit < chartUnitDay
	dateLayout := "Mon 2 Jan"
	if r.in(r.from).Year() != r.in(r.to).Year() {
		dateLayout = "Mon 2 Jan 2006"
	}
	lastDate, lastDateX := "", math.Inf(-1)
	for i, t := range r.ticks {
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
			chartNum(xs[i]), chartNum(y), chartNum(xs[i]), chartNum(y+5), chartAxis)
		if i%k != 0 {
			b.WriteString("\n")
			continue
		}
		lx, anchor := r.centred(xs[i], svgtext.TextWidth(labels[i], chartFont))
		fmt.Fprintf(b, `<text class="tl-tick" x="%s" y="%s" text-anchor="%s" fill="%s">%s</text>`,
			chartNum(lx), chartNum(y+17), anchor, chartInk, svgtext.Esc(labels[i]))
		if showDates {
			d := r.in(t).Format(dateLayout)
			dw := svgtext.TextWidth(d, chartFont*chartBold)
			if d != lastDate && xs[i]-lastDateX >= dw+8 {
				dx, anchor := r.centred(xs[i], dw)
				fmt.Fprintf(b, `<text class="tl-date" x="%s" y="%s" text-anchor="%s" font-weight="bold" fill="%s">%s</text>`,
					chartNum(dx), chartNum(y+31), anchor, chartInk, svgtext.Esc(d))
				lastDate, lastDateX = d, xs[i]
			}
		}
		b.WriteString("\n")
	}
	caption := "Times in " + r.zoneName()
	fmt.Fprintf(b, `<text class="tl-zone" x="8" y="%s" fill="%s">%s</text>`+"\n", chartNum(y+17), chartMuted, svgtext.Esc(caption))
	if !r.crosses && r.step.unit < chartUnitDay {
		fmt.Fprintf(b, `<text class="tl-date" x="8" y="%s" font-weight="bold" fill="%s">%s</text>`+"\n",
			chartNum(y+31), chartInk, svgtext.Esc(r.in(r.from).Format("Mon 2 Jan 2006")))
	}
	b.WriteString("</g>\n")
}

// centred places a label of width w under x: centred, or against the right
// edge, or starting a little left of the plot.
func (r *chartRenderer) centred(x, w float64) (float64, string) {
	switch {
	case x+w/2 > r.w-4:
		return r.w - 4, "end"
	case x-w/2 < r.x0-20:
		return r.x0 - 20, "start"
	}
	return x, "middle"
}

// emitLegend draws each symbol used with its meaning in words.
func (r *chartRenderer) emitLegend() {
	b := &r.b
	if len(r.legend) > 0 {
		b.WriteString(`<g class="tl-legend">` + "\n")
	}
	for _, e := range r.legend {
		x, cy := e.x, e.y-4
		fmt.Fprintf(b, `<g class="tl-key tl-key-%s">`, e.key)
		gx := x + 12
		switch e.key {
		case "alert":
			fmt.Fprintf(b, `<rect x="%s" y="%s" width="22" height="10" rx="2" fill="%s"/>`, chartNum(x), chartNum(cy-5), chartSeverityFill["info"])
		case "open":
			fmt.Fprintf(b, `<rect x="%s" y="%s" width="14" height="10" rx="2" fill="%s"/><path d="M%s %sl9 8-9 8z" fill="%s"/>`,
				chartNum(x), chartNum(cy-5), chartSeverityFill["info"], chartNum(x+14), chartNum(cy-8), chartSeverityFill["info"])
		case "clip":
			fmt.Fprintf(b, `<rect x="%s" y="%s" width="14" height="10" rx="2" fill="%s"/><path d="M%s %sl6 5-6 5z" fill="#ffffff" stroke="%s" stroke-width="1.5"/>`,
				chartNum(x), chartNum(cy-5), chartSeverityFill["info"], chartNum(x+15), chartNum(cy-5), chartSeverityFill["info"])
		case "deploy", "hollow":
			fill, sw := chartDeploy, "1"
			if e.key == "hollow" {
				fill, sw = "#ffffff", "2"
			}
			fmt.Fprintf(b, `<path d="M%s %sl7 7-7 7-7-7z" fill="%s" stroke="%s" stroke-width="%s"/>`, chartNum(gx), chartNum(cy-7), fill, chartDeployDk, sw)
		case "failed":
			fmt.Fprintf(b, `<path d="M%s %sh14l-7 13z" fill="%s" stroke="%s" stroke-width="1"/>`, chartNum(gx-7), chartNum(cy-6), chartFailed, chartFailedDk)
		case "change":
			fmt.Fprintf(b, `<rect x="%s" y="%s" width="11" height="11" fill="%s" stroke="%s" stroke-width="1"/>`, chartNum(gx-5.5), chartNum(cy-5.5), chartChange, chartInk)
		case "note":
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="5.5" fill="%s" stroke="%s" stroke-width="1"/>`, chartNum(gx), chartNum(cy), chartNote, chartInk)
		case "migrations":
			fmt.Fprintf(b, `<rect x="%s" y="%s" width="12" height="12" rx="2" fill="#ffffff" stroke="%s" stroke-width="1"/><text x="%s" y="%s" text-anchor="middle" font-size="9" font-weight="bold" fill="%s">M</text>`,
				chartNum(gx-6), chartNum(cy-6), chartInk, chartNum(gx), chartNum(cy+3.5), chartInk)
		case "suspect":
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="8" fill="none" stroke="%s" stroke-width="2"/>`, chartNum(gx), chartNum(cy), chartInk)
		case "moment":
			fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.25" stroke-dasharray="5 4"/>`,
				chartNum(gx), chartNum(cy-8), chartNum(gx), chartNum(cy+8), chartInk)
		}
		fmt.Fprintf(b, `<text x="%s" y="%s" fill="%s">%s</text></g>`+"\n", chartNum(x+30), chartNum(e.y), chartInk, svgtext.Esc(e.text))
	}
	if len(r.legend) > 0 {
		b.WriteString("</g>\n")
	}
	if r.outside > 0 {
		fmt.Fprintf(b, `<text class="tl-outside" x="8" y="%s" fill="%s">%s outside this window not shown.</text>`+"\n",
			chartNum(r.height-8), chartMuted, chartPlural(r.outside, "event", "events"))
	}
}
