package export

import (
	"cmp"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"hindsight/actions"
	"hindsight/postmortem"
	"hindsight/timeline"
)

// Markdown renders the postmortem as a blog-ready Markdown document: front
// matter (Options.FrontMatter), then the body in the chosen layout. A
// public export (Options.Audience) is rendered from Redact's copy; p
// itself is never changed. The only errors are invalid Options
// (ErrOptions).
func Markdown(p Postmortem, o Options) ([]byte, error) {
	opts, err := o.resolve(p.Template)
	if err != nil {
		return nil, err
	}
	q := prepare(p)
	if opts.public {
		newRedactor(&q, opts.Redaction, false, false).apply(&q)
	}
	return []byte(render(&q, opts)), nil
}

type renderer struct {
	b     strings.Builder
	p     *Postmortem
	o     options
	level int // of the section headings
	zone  string
}

func render(p *Postmortem, o options) string {
	r := &renderer{p: p, o: o, level: 2 + o.HeadingOffset, zone: zoneName(o.Zone)}
	r.b.Grow(4096 + 160*len(p.Timeline) + 200*len(p.Actions))
	r.frontMatter()
	if o.FrontMatter == FrontMatterNone {
		r.titleBlock()
	}
	if o.layout == LayoutPublic {
		r.publicBody()
	} else {
		r.fullBody()
	}
	return r.b.String()
}

// sep starts a new block: a blank line after whatever came before.
func (r *renderer) sep() {
	if r.b.Len() > 0 {
		r.b.WriteByte('\n')
	}
}

func (r *renderer) heading(level int, text string) {
	r.sep()
	if level > 6 {
		r.b.WriteString("**" + inline(text) + "**\n")
		return
	}
	r.b.WriteString(strings.Repeat("#", level) + " " + headingText(text) + "\n")
}

// para writes a paragraph of Markdown that is already escaped.
func (r *renderer) para(md string) {
	r.sep()
	r.b.WriteString(md)
	r.b.WriteByte('\n')
}

func (r *renderer) block(md string) {
	r.sep()
	writeBlock(&r.b, md)
}

// table writes a GFM table; the cells must come from cell().
func (r *renderer) table(header []string, rows [][]string) {
	r.sep()
	r.row(header)
	r.b.WriteByte('|')
	for range header {
		r.b.WriteString(" --- |")
	}
	r.b.WriteByte('\n')
	for _, row := range rows {
		r.row(row)
	}
}

func (r *renderer) row(cells []string) {
	r.b.WriteByte('|')
	for _, c := range cells {
		r.b.WriteByte(' ')
		r.b.WriteString(c)
		r.b.WriteString(" |")
	}
	r.b.WriteByte('\n')
}

func (r *renderer) list(items []string) {
	r.sep()
	for _, it := range items {
		r.b.WriteString("- " + inline(it) + "\n")
	}
}

// title returns the template's title of a step.
func (r *renderer) title(s postmortem.Step) string { return r.p.Template.Title(s) }

// titleOr returns the template's own title of a step, else def.
func (r *renderer) titleOr(s postmortem.Step, def string) string {
	if t := r.p.Template.Titles[s]; t != "" {
		return t
	}
	return def
}

// shows reports whether the template shows an impact field; a template
// without steps shows them all.
func (r *renderer) shows(field string) bool {
	t := r.p.Template
	return len(t.Steps) == 0 || t.ShowsImpactField(field)
}

func (r *renderer) fullBody() {
	for _, s := range AllSections {
		if !r.o.sections[s] {
			continue
		}
		switch s {
		case SectionSummary:
			if r.p.Summary != "" {
				r.heading(r.level, r.title(postmortem.StepSummary))
				r.block(r.p.Summary)
			}
		case SectionImpact:
			r.impact()
		case SectionDurations:
			r.durations()
		case SectionTimeline:
			if entries := r.visible(); len(entries) > 0 {
				r.heading(r.level, r.title(postmortem.StepTimeline))
				r.timelineTable(entries)
			}
		case SectionTrigger:
			if t := r.trigger(); t != nil {
				r.heading(r.level, "Trigger")
				r.triggerText(t)
			}
		case SectionWhys:
			r.whys()
		case SectionFactors:
			r.factors()
		case SectionLessons:
			r.lessons()
		case SectionActions:
			if len(r.p.Actions) > 0 {
				r.heading(r.level, r.title(postmortem.StepActions))
				r.actionsTable(true)
			}
		case SectionCustom:
			if rows := r.customRows(); len(rows) > 0 {
				r.heading(r.level, "Additional details")
				r.table([]string{"Field", "Value"}, rows)
			}
		}
	}
}

// publicBody is the three-part layout: see LayoutPublic.
func (r *renderer) publicBody() {
	p, on := r.p, r.o.sections
	if on[SectionSummary] && p.Summary != "" {
		r.heading(r.level, r.titleOr(postmortem.StepSummary, "Summary"))
		r.block(p.Summary)
	}

	im := p.Impact.WithDefaults(r.moments())
	saw := on[SectionImpact] && r.shows(postmortem.FieldWhatUsersSaw) && im.WhatUsersSaw != ""
	window := ""
	if on[SectionImpact] || on[SectionDurations] {
		window = r.window(im)
	}
	var trig *Entry
	if on[SectionTrigger] {
		trig = r.trigger()
	}
	var entries []Entry
	if on[SectionTimeline] {
		entries = r.visible()
	}
	var custom [][]string
	if on[SectionCustom] {
		custom = r.customRows()
	}
	if saw || window != "" || trig != nil || len(entries) > 0 || len(custom) > 0 {
		r.heading(r.level, r.titleOr(postmortem.StepTimeline, "What happened"))
		if saw {
			r.block(im.WhatUsersSaw)
		}
		if window != "" {
			r.para(window)
		}
		if trig != nil {
			r.triggerText(trig)
		}
		if len(entries) > 0 {
			r.timelineTable(entries)
		}
		if len(custom) > 0 {
			r.table([]string{"Detail", "Value"}, custom)
		}
	}

	acts := on[SectionActions] && len(p.Actions) > 0
	var learned []string
	if on[SectionLessons] {
		learned = append(slices.Clone(p.Lessons.WentWrong), p.Lessons.Lucky...)
	}
	if acts || len(learned) > 0 {
		r.heading(r.level, r.titleOr(postmortem.StepActions, "What we are doing"))
		if acts {
			r.actionsTable(false)
		}
		if len(learned) > 0 {
			r.para("**What we learned:**")
			r.list(learned)
		}
	}
}

// window is the sentence that says when users were affected, "" when the
// start is unknown.
func (r *renderer) window(im postmortem.Impact) string {
	if im.Start == nil || !r.shows(postmortem.FieldStart) {
		return ""
	}
	start := r.when(*im.Start)
	if im.End == nil || !r.shows(postmortem.FieldEnd) || im.End.Before(*im.Start) {
		return "The impact began at " + start + " (" + cell(r.zone) + ")."
	}
	end := r.when(*im.End)
	if s, e := im.Start.In(r.o.Zone), im.End.In(r.o.Zone); s.Year() == e.Year() && s.YearDay() == e.YearDay() {
		end = e.Format("15:04")
	}
	return "Users were affected from " + start + " to " + end + " (" + cell(r.zone) + "), for " +
		timeline.FormatDuration(im.End.Sub(*im.Start)) + "."
}

func (r *renderer) when(t time.Time) string { return t.In(r.o.Zone).Format("2006-01-02 15:04") }

func (r *renderer) moments() timeline.Moments {
	p := r.p
	return timeline.Moments{Started: p.Started, Detected: p.Detected, Acknowledged: p.Acknowledged,
		Mitigated: p.Mitigated, Resolved: p.Resolved}
}

func (r *renderer) impact() {
	p := r.p
	im := p.Impact.WithDefaults(r.moments())
	var rows [][]string
	add := func(field, label, value string) {
		if value != "" && r.shows(field) {
			rows = append(rows, []string{label, value})
		}
	}
	if im.Start != nil {
		add(postmortem.FieldStart, "Start ("+cell(r.zone)+")", r.when(*im.Start))
	}
	if im.End != nil {
		add(postmortem.FieldEnd, "End ("+cell(r.zone)+")", r.when(*im.End))
	}
	if im.Start != nil && im.End != nil && !im.End.Before(*im.Start) && r.shows(postmortem.FieldStart) && r.shows(postmortem.FieldEnd) {
		rows = append(rows, []string{"Duration", timeline.FormatDuration(im.End.Sub(*im.Start))})
	}
	if c := im.UsersAffected.Count; c != nil {
		v := group(*c)
		switch im.UsersAffected.Qualifier {
		case postmortem.QualifierAtLeast:
			v = "at least " + v
		case postmortem.QualifierEstimate:
			v = "about " + v
		}
		add(postmortem.FieldUsersAffected, "Users affected", v)
	}
	customers := ""
	if c := im.Customers.Count; c != nil {
		customers = group(*c)
	}
	if len(im.Customers.Names) > 0 {
		names := cell(strings.Join(im.Customers.Names, ", "))
		if customers == "" {
			customers = names
		} else {
			customers += " (" + names + ")"
		}
	}
	add(postmortem.FieldCustomers, "Customers affected", customers)
	add(postmortem.FieldServices, "Services affected", cell(strings.Join(im.Services, ", ")))
	add(postmortem.FieldFeatures, "Features affected", cell(strings.Join(im.Features, ", ")))
	det := detectionLabel(im.Detection.Method)
	if dest, ok := safeLink(im.Detection.Link); ok {
		if det == "" {
			det = "[link](" + dest + ")"
		} else {
			det += " ([link](" + dest + "))"
		}
	}
	add(postmortem.FieldDetection, "Detected by", det)
	if b := im.SLOBudgetPct; b != nil && !math.IsNaN(*b) && !math.IsInf(*b, 0) {
		add(postmortem.FieldSLOBudgetPct, "Error budget consumed", strconv.FormatFloat(math.Round(*b*100)/100, 'f', -1, 64)+"%")
	}
	switch im.DataLoss.Kind {
	case postmortem.DataLossNone:
		add(postmortem.FieldDataLoss, "Data lost", "None")
	case postmortem.DataLossSome:
		add(postmortem.FieldDataLoss, "Data lost", "Yes")
	}
	if t := im.SupportTickets; t != nil {
		add(postmortem.FieldSupportTickets, "Support tickets", group(*t))
	}
	saw := r.shows(postmortem.FieldWhatUsersSaw) && im.WhatUsersSaw != ""
	lost := r.shows(postmortem.FieldDataLoss) && im.DataLoss.Kind == postmortem.DataLossSome && im.DataLoss.Details != ""
	if len(rows) == 0 && !saw && !lost {
		return
	}
	r.heading(r.level, r.title(postmortem.StepImpact))
	if len(rows) > 0 {
		r.table([]string{"Measure", "Value"}, rows)
	}
	if saw {
		r.para("**What users saw:**")
		r.block(im.WhatUsersSaw)
	}
	if lost {
		r.para("**Data lost:**")
		r.block(im.DataLoss.Details)
	}
}

func detectionLabel(m string) string {
	switch m {
	case postmortem.DetectionAlert:
		return "Alert"
	case postmortem.DetectionCustomerReport:
		return "Customer report"
	case postmortem.DetectionEmployee:
		return "Employee"
	case postmortem.DetectionOther:
		return "Other"
	}
	return cell(m)
}

func (r *renderer) durations() {
	p := r.p
	var rows [][]string
	for _, m := range []struct {
		label string
		at    *time.Time
	}{{"Started", p.Started}, {"Detected", p.Detected}, {"Acknowledged", p.Acknowledged},
		{"Mitigated", p.Mitigated}, {"Resolved", p.Resolved}} {
		if m.at != nil {
			rows = append(rows, []string{m.label, r.when(*m.at)})
		}
	}
	d := timeline.ComputeDurations(r.moments())
	var items []string
	for _, x := range []struct {
		label string
		d     *time.Duration
	}{{"Time to detect", d.TimeToDetect}, {"Time to acknowledge", d.TimeToAcknowledge},
		{"Time to mitigate", d.TimeToMitigate}, {"Time to resolve", d.TimeToResolve}, {"User impact", d.Impact}} {
		if x.d != nil {
			items = append(items, "**"+x.label+":** "+timeline.FormatDuration(*x.d))
		}
	}
	if len(rows) == 0 {
		return
	}
	r.heading(r.level, "Key durations")
	r.table([]string{"Moment", "Time (" + cell(r.zone) + ")"}, rows)
	if len(items) > 0 {
		r.sep()
		for _, it := range items {
			r.b.WriteString("- " + it + "\n")
		}
	}
	if d.DetectionGap != "" {
		r.para(capitalize(d.DetectionGap) + ".")
	}
}

// visible returns the timeline without hidden entries, by time (stable).
func (r *renderer) visible() []Entry {
	out := make([]Entry, 0, len(r.p.Timeline))
	for _, e := range r.p.Timeline {
		if !e.Hidden {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return a.At.Compare(b.At) })
	return out
}

// timelineTable writes the visible entries as a table, straight into
// the output (it is the export's biggest part).
func (r *renderer) timelineTable(entries []Entry) {
	layout := "2006-01-02 15:04"
	for _, e := range entries {
		if e.At.Second() != 0 {
			layout = "2006-01-02 15:04:05"
			break
		}
	}
	r.table([]string{"Time (" + cell(r.zone) + ")", "Kind", "Service", "Event"}, nil)
	b := &r.b
	var tb [32]byte
	for _, e := range entries {
		b.WriteString("| ")
		if !e.At.IsZero() {
			b.Write(e.At.In(r.o.Zone).AppendFormat(tb[:0], layout))
		}
		b.WriteString(" | ")
		writeCell(b, e.Kind)
		b.WriteString(" | ")
		writeCell(b, e.Service)
		b.WriteString(" | ")
		title := strings.TrimSpace(e.Title) != ""
		if title && e.Highlight {
			b.WriteString("**")
			writeCell(b, e.Title)
			b.WriteString("**")
		} else if title {
			writeCell(b, e.Title)
		}
		if e.IsTrigger {
			b.WriteString(" (trigger)")
		}
		if e.Note != "" {
			if title || e.IsTrigger {
				b.WriteString(" — ")
			}
			writeCell(b, e.Note)
		}
		b.WriteString(" |\n")
	}
}

// trigger returns the trigger, nil when there is none or it is hidden.
func (r *renderer) trigger() *Entry {
	if t := r.p.Trigger; t != nil {
		if t.Hidden {
			return nil
		}
		return t
	}
	for _, e := range r.visible() {
		if e.IsTrigger {
			return &e
		}
	}
	return nil
}

func (r *renderer) triggerText(t *Entry) {
	var b strings.Builder
	b.WriteString("**")
	if t.Kind != "" {
		b.WriteString(cell(capitalize(t.Kind)))
	} else {
		b.WriteString("Change")
	}
	if t.Service != "" {
		b.WriteString(" on " + cell(t.Service))
	}
	if !t.At.IsZero() {
		b.WriteString(" at " + r.when(t.At) + " (" + cell(r.zone) + ")")
	}
	b.WriteString(":**")
	if t.Title != "" {
		b.WriteString(" " + cell(t.Title))
	}
	r.para(b.String())
	if t.Note != "" {
		r.block(t.Note)
	}
}

func (r *renderer) whys() {
	w := r.p.Whys
	flat := w.Flatten()
	if w.Problem == "" && len(flat) == 0 {
		return
	}
	r.heading(r.level, r.title(postmortem.StepWhys))
	if w.Problem != "" {
		r.para("**Problem:** " + inline(w.Problem))
	}
	if len(flat) == 0 {
		return
	}
	r.sep()
	var counters, content []int // per depth: the last number, the content column
	for _, f := range flat {
		d := min(f.Depth, len(counters)) // depths grow one level at a time
		n := 1
		if len(counters) > d { // a sibling came before: continue its list
			n = counters[d] + 1
			counters, content = counters[:d], content[:d]
		}
		indent := 0
		if d > 0 {
			indent = content[d-1]
		}
		marker := strconv.Itoa(n) + "."
		counters = append(counters, n)
		content = append(content, indent+len(marker)+1)
		r.b.WriteString(strings.Repeat(" ", indent) + marker + " " + whyText(f.WhyStep) + "\n")
	}
}

func whyText(s postmortem.WhyStep) string {
	why, because := oneLine(s.Why), oneLine(s.Because)
	switch {
	case why != "" && because != "":
		return "**" + inline(why) + "** " + inline(because)
	case why != "":
		return "**" + inline(why) + "** *(not answered yet)*"
	default:
		return inline(because)
	}
}

func (r *renderer) factors() {
	items := r.p.Factors.Items
	if len(items) == 0 {
		return
	}
	cats := r.p.Categories
	if len(cats) == 0 {
		cats = postmortem.DefaultCategories()
	}
	r.heading(r.level, r.title(postmortem.StepFactors))
	r.sep()
	for _, f := range items {
		label := f.Category
		if i := slices.IndexFunc(cats, func(c postmortem.Category) bool { return c.Key == f.Category }); i >= 0 && cats[i].Label != "" {
			label = cats[i].Label
		}
		line := "- **" + inline(cmp.Or(label, "Factor")) + "**"
		if f.Note != "" {
			line = "- **" + inline(cmp.Or(label, "Factor")) + ":** " + inline(f.Note)
		}
		if f.WhyStepID != "" {
			if s, ok := r.p.Whys.Find(f.WhyStepID); ok {
				line += " (Five Whys " + s.Number + ")"
			}
		}
		r.b.WriteString(line + "\n")
	}
}

func (r *renderer) lessons() {
	l := r.p.Lessons
	if len(l.WentWell)+len(l.WentWrong)+len(l.Lucky) == 0 {
		return
	}
	r.heading(r.level, r.title(postmortem.StepLessons))
	for _, part := range []struct {
		title string
		items []string
	}{{"What went well", l.WentWell}, {"What went wrong", l.WentWrong}, {"Where we got lucky", l.Lucky}} {
		if len(part.items) > 0 {
			r.heading(r.level+1, part.title)
			r.list(part.items)
		}
	}
}

var statusLabels = map[string]string{
	actions.StatusOpen:       "Open",
	actions.StatusInProgress: "In progress",
	actions.StatusBlocked:    "Blocked",
	actions.StatusDone:       "Done",
	actions.StatusWontDo:     "Won't do",
}

// actionsTable writes the corrective actions; the public layout leaves
// out the owner, the priority and the tracker.
func (r *renderer) actionsTable(full bool) {
	header := []string{"Action", "Status", "Due"}
	if full {
		header = []string{"Action", "Status", "Priority", "Owner", "Due", "Tracker"}
	}
	rows := make([][]string, len(r.p.Actions))
	for i, a := range r.p.Actions {
		status := statusLabels[a.Status]
		if status == "" {
			status = cell(a.Status)
		}
		if !full {
			rows[i] = []string{cell(a.Title), status, cell(a.Due)}
			continue
		}
		rows[i] = []string{cell(a.Title), status, cell(a.Priority), ownerCell(a), cell(a.Due), trackerCell(a)}
	}
	r.table(header, rows)
}

func ownerCell(a Action) string {
	name := cmp.Or(a.Owner.Name, a.Owner.Email)
	switch {
	case name != "" && a.Team != "":
		return cell(name) + " (" + cell(a.Team) + ")"
	case name != "":
		return cell(name)
	default:
		return cell(a.Team)
	}
}

func trackerCell(a Action) string {
	key := a.TrackerKey
	dest := ""
	if a.TrackerURL != "" {
		if t, err := actions.ParseTrackerURL(a.TrackerURL); err == nil {
			if d, ok := safeLink(t.URL); ok {
				dest = d
				key = cmp.Or(key, t.Key)
			}
		}
	}
	if dest == "" {
		return cell(key)
	}
	return "[" + cell(linkTextEscaper.Replace(cmp.Or(key, "link"))) + "](" + dest + ")"
}

var linkTextEscaper = strings.NewReplacer("[", `\[`, "]", `\]`)

// safeLink returns an absolute http(s) URL as a Markdown link
// destination: every byte that could end the destination, the table cell
// or the line is percent-encoded.
func safeLink(raw string) (string, bool) {
	if raw == "" || strings.ContainsRune(raw, markOpen) {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https") {
		return "", false
	}
	s := u.String()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) || strings.IndexByte("-._~:/?#[]@!$&*+,;=%", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
	}
	return b.String(), true
}

// customRows are the custom fields with a value: the defined ones in
// their order, then values under unknown keys by key (an internal export
// shows everything; a public one has none of those left, see Redact).
func (r *renderer) customRows() [][]string {
	custom := r.p.Impact.Custom
	if len(custom) == 0 || !r.shows(postmortem.FieldCustom) {
		return nil
	}
	var rows [][]string
	known := map[string]bool{}
	for _, f := range r.p.CustomFields {
		known[f.Key] = true
		if v, ok := custom[f.Key]; ok && v != nil {
			if s := postmortem.FormatValue(v); s != "" {
				rows = append(rows, []string{cell(cmp.Or(f.Label, f.Key)), cell(s)})
			}
		}
	}
	keys := make([]string, 0, len(custom))
	for k := range custom {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if s := postmortem.FormatValue(custom[k]); s != "" {
			rows = append(rows, []string{cell(k), cell(s)})
		}
	}
	return rows
}

// group writes an integer with thousands separators: "12,345".
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// zoneName names a zone for the headers: its name, or its offset from UTC
// when it has none.
func zoneName(loc *time.Location) string {
	if n := loc.String(); n != "" {
		return n
	}
	_, off := time.Unix(0, 0).In(loc).Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return "UTC" + sign + time.Unix(int64(off), 0).UTC().Format("15:04")
}
