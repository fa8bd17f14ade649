package server

import (
	"cmp"
	"context"
	"errors"
	"html"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/export"
	"hindsight/markdown"
	"hindsight/models"
)

// Exports of a postmortem (package export does the rendering; this file
// gathers what it needs from the store and answers):
//
//	GET /incidents/:id/export            the options form
//	GET /incidents/:id/export.md         the Markdown, as a download
//	GET /incidents/:id/export.json       the JSON document
//	GET /incidents/:id/print             the export as a clean HTML page, for Print → PDF
//	GET /incidents/:id/export/preview    the public version with every removal highlighted
//	POST /incidents/:id/export/redaction the author's redaction choices (editors)
//	GET /api/v1/incidents/:id/export.md and export.json, with a token
//
// Every export reads the same query parameters (exportOptions). The public
// version is made on the fly from the postmortem, the saved redaction
// choices (models.Redaction) and HINDSIGHT_INTERNAL_DOMAINS; nothing of it
// is stored.

// exportPostmortem gathers everything an export of the incident needs.
func (s *Server) exportPostmortem(ctx context.Context, inc *models.Incident) (export.Postmortem, error) {
	st, err := s.loadPostmortem(ctx, inc)
	if err != nil {
		return export.Postmortem{}, err
	}
	fields, err := s.store.CustomFields(ctx)
	if err != nil {
		return export.Postmortem{}, err
	}
	cats, err := s.store.FactorCategories(ctx)
	if err != nil {
		return export.Postmortem{}, err
	}
	review, err := s.store.Review(ctx, inc.ID)
	if err != nil {
		return export.Postmortem{}, err
	}

	p := export.Postmortem{
		Key: inc.Key(), Title: inc.Title, Slug: inc.Slug, Summary: inc.Summary, Severity: inc.Severity, Status: inc.Status,
		Tags: sortedCopy(inc.Tags), Services: sortedCopy(inc.Services),
		Detected: inc.DetectedAt, Acknowledged: inc.AcknowledgedAt,
		Mitigated: inc.MitigatedAt, Resolved: inc.ResolvedAt,
		Impact: st.Impact, CustomFields: fields, Whys: st.Whys, Factors: st.Factors, Categories: cats, Lessons: st.Lessons,
		Template: st.Template,
	}
	started := inc.StartedAt
	p.Started = &started
	// The store does not keep the authors in order: by name, so that an
	// export reads the same on every database.
	authors := slices.Clone(inc.Authors)
	slices.SortStableFunc(authors, func(a, b models.User) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Email, b.Email))
	})
	for _, u := range authors {
		p.Authors = append(p.Authors, export.Person{Name: u.Name, Email: u.Email, Role: "author"})
	}
	for _, r := range review.Reviewers {
		p.Reviewers = append(p.Reviewers, export.Person{Name: r.User.Name, Email: r.User.Email, Role: "reviewer"})
	}
	if inc.Status == models.StatusPublished {
		for _, l := range review.Log { // the latest publication
			if l.Event == models.ReviewEventPublished {
				at := l.At
				p.PublishedAt = &at
			}
		}
		if p.PublishedAt == nil {
			// Published without a review in Hindsight (imported, or the
			// demo data): no publication event, but no draft either; the
			// incident's end stands in for the date.
			at := inc.StartedAt
			if inc.ResolvedAt != nil {
				at = *inc.ResolvedAt
			}
			p.PublishedAt = &at
		}
	}

	p.Timeline = make([]export.Entry, 0, len(st.Entries))
	for i := range st.Entries {
		e := &st.Entries[i]
		x := export.Entry{ID: e.ID, At: e.When(), Kind: "note", Title: e.DisplayTitle(), Note: e.Note,
			Hidden: e.Hidden, Highlight: e.Highlight}
		if ev := e.Event; ev != nil {
			x.Kind, x.Service = ev.Kind, ev.Service
			if x.Note == "" {
				x.Note = ev.Description
			}
			x.IsTrigger = inc.TriggerEventID != nil && *inc.TriggerEventID == ev.ID
		}
		p.Timeline = append(p.Timeline, x)
	}

	p.Actions = make([]export.Action, 0, len(st.Actions))
	for i := range st.Actions {
		a := &st.Actions[i]
		x := export.Action{Title: a.Title, Status: a.Status, Team: a.Team, Priority: a.Priority, TrackerURL: a.TrackerURL}
		if a.Owner != nil {
			x.Owner = export.Person{Name: a.Owner.Name, Email: a.Owner.Email}
		}
		if a.DueDate != nil {
			x.Due = a.DueDate.String()
		}
		p.Actions = append(p.Actions, x)
	}
	return p, nil
}

func sortedCopy(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return out
}

// exportOptions reads the export options from the query: audience
// (internal, public), tz (an IANA zone; the viewer's by default), sections
// (comma-separated, or repeated), heading_offset (0–4), front_matter (yaml,
// toml, none) and layout (auto, full, public). A bad one is a 400 naming
// it.
func (s *Server) exportOptions(c *gin.Context) (export.Options, error) {
	var o export.Options
	switch a := c.Query("audience"); a {
	case "", export.AudienceInternal, export.AudiencePublic:
		o.Audience = a
	default:
		return o, fieldError("audience", "use internal or public")
	}
	o.Zone = s.viewerZone(c)
	if tz := strings.TrimSpace(c.Query("tz")); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			return o, fieldError("tz", "use an IANA time zone name such as Europe/Paris or UTC")
		}
		o.Zone = loc
	}
	for _, v := range c.QueryArray("sections") {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !slices.Contains(export.AllSections, name) {
				return o, fieldError("sections", "unknown section "+strconv.Quote(name)+"; use "+strings.Join(export.AllSections, ", "))
			}
			if !slices.Contains(o.Sections, name) {
				o.Sections = append(o.Sections, name)
			}
		}
	}
	if v := c.Query("heading_offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > export.MaxHeadingOffset {
			return o, fieldError("heading_offset", "use a whole number from 0 to "+strconv.Itoa(export.MaxHeadingOffset))
		}
		o.HeadingOffset = n
	}
	switch f := c.Query("front_matter"); f {
	case "", export.FrontMatterYAML, export.FrontMatterTOML, export.FrontMatterNone:
		o.FrontMatter = f
	default:
		return o, fieldError("front_matter", "use yaml, toml or none")
	}
	switch l := c.Query("layout"); l {
	case "", "auto":
		o.Layout = export.LayoutAuto
	case export.LayoutFull, export.LayoutPublic:
		o.Layout = l
	default:
		return o, fieldError("layout", "use auto, full or public")
	}
	return o, nil
}

// withRedaction adds the saved redaction choices and the instance's
// internal domains to the options.
func (s *Server) withRedaction(o export.Options, red models.Redaction) export.Options {
	o.Byline = red.Byline
	o.Redaction = export.Redaction{Terms: red.Terms, Keep: red.Keep, InternalDomains: s.cfg.InternalDomains}
	return o
}

// exportRequest is what every export handler starts from.
type exportRequest struct {
	inc       *models.Incident
	p         export.Postmortem
	opts      export.Options
	redaction models.Redaction
	sec       *models.PostmortemSection // the redaction section's saved state
}

// loadExport reads the incident, the options and the postmortem; nil after
// answering with the error.
func (s *Server) loadExport(c *gin.Context) *exportRequest {
	inc := s.loadIncident(c)
	if inc == nil {
		return nil
	}
	opts, err := s.exportOptions(c)
	if err != nil {
		s.fail(c, err)
		return nil
	}
	ctx := c.Request.Context()
	red, sec, err := s.store.Redaction(ctx, inc.ID)
	if err != nil {
		s.fail(c, err)
		return nil
	}
	p, err := s.exportPostmortem(ctx, inc)
	if err != nil {
		s.fail(c, err)
		return nil
	}
	return &exportRequest{inc: inc, p: p, opts: s.withRedaction(opts, red), redaction: red, sec: sec}
}

var unsafeFileChars = regexp.MustCompile(`[^a-z0-9-]+`)

// exportFilename is "<slug>.md", "<slug>-public.md" for the public
// version, whose slug is redacted like the one in its front matter.
func exportFilename(x *exportRequest, ext string) string {
	slug := x.p.Slug
	if x.opts.Audience == export.AudiencePublic {
		// Only what the slug's redaction depends on: the people, the
		// customers and the options' terms and domains.
		q := export.Postmortem{Slug: x.p.Slug, Authors: x.p.Authors, Reviewers: x.p.Reviewers}
		q.Impact.Customers.Names = x.p.Impact.Customers.Names
		for _, a := range x.p.Actions {
			q.Actions = append(q.Actions, export.Action{Owner: a.Owner})
		}
		red, _ := export.Redact(q, x.opts)
		slug = red.Slug
	}
	slug = strings.Trim(unsafeFileChars.ReplaceAllString(strings.ToLower(slug), "-"), "-")
	if slug == "" {
		slug = "postmortem"
	}
	if x.opts.Audience == export.AudiencePublic {
		slug += "-public"
	}
	return slug + ext
}

// exportMarkdown answers with the Markdown export as a download.
func (s *Server) exportMarkdown(c *gin.Context) {
	x := s.loadExport(c)
	if x == nil {
		return
	}
	md, err := export.Markdown(x.p, x.opts)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": exportFilename(x, ".md")}))
	c.Data(http.StatusOK, "text/markdown; charset=utf-8", md)
}

// exportJSON answers with the JSON document.
func (s *Server) exportJSON(c *gin.Context) {
	x := s.loadExport(c)
	if x == nil {
		return
	}
	doc, err := export.JSON(x.p, x.opts)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": exportFilename(x, ".json")}))
	c.Data(http.StatusOK, "application/json; charset=utf-8", doc)
}

// exportFormView is the options form.
type exportFormView struct {
	Incident     *models.Incident
	Sections     []exportSection
	Zone         string
	Offsets      []int
	Redaction    models.Redaction
	PublicLayout bool // the template gives the public version its three-part shape
}

type exportSection struct{ Name, Label string }

// sectionLabels name the export's sections on the form.
var sectionLabels = map[string]string{
	export.SectionSummary: "Summary", export.SectionImpact: "Impact", export.SectionDurations: "Key moments and durations",
	export.SectionTimeline: "Timeline", export.SectionTrigger: "Trigger", export.SectionWhys: "Five Whys",
	export.SectionFactors: "Contributing factors", export.SectionLessons: "Lessons", export.SectionActions: "Corrective actions",
	export.SectionCustom: "Additional details",
}

// exportForm shows the options with the download button.
func (s *Server) exportForm(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	ctx := c.Request.Context()
	red, _, err := s.store.Redaction(ctx, inc.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	tmpl, err := s.store.IncidentTemplate(ctx, inc)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := exportFormView{Incident: inc, Zone: s.viewerZone(c).String(), Redaction: red, PublicLayout: tmpl.Public}
	for _, name := range export.AllSections {
		v.Sections = append(v.Sections, exportSection{Name: name, Label: sectionLabels[name]})
	}
	for i := 0; i <= export.MaxHeadingOffset; i++ {
		v.Offsets = append(v.Offsets, i)
	}
	s.render(c, http.StatusOK, "export", "Export · "+inc.Key(), v)
}

// printView is the export as a page to print.
type printView struct {
	Incident *models.Incident
	Public   bool
	Body     template.HTML
	Query    template.URL // the options, for the download link
}

// exportPrint renders the export (internal unless audience=public) to HTML
// without front matter, in a page whose print style leaves only the
// document.
func (s *Server) exportPrint(c *gin.Context) {
	x := s.loadExport(c)
	if x == nil {
		return
	}
	x.opts.FrontMatter = export.FrontMatterNone
	md, err := export.Markdown(x.p, x.opts)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := printView{Incident: x.inc, Public: x.opts.Audience == export.AudiencePublic, Body: markdown.ToHTML(string(md)),
		Query: template.URL(optionsQuery(c.Request.URL.RawQuery, "audience", "tz", "sections", "heading_offset", "layout"))}
	s.render(c, http.StatusOK, "export_print", x.inc.Title, v)
}

// redactionView is the redaction preview.
type redactionView struct {
	Incident  *models.Incident
	Text      template.HTML // the public Markdown with every removal marked
	Removals  []removalRow
	Redaction models.Redaction
	Version   int64        // of the redaction section
	Query     template.URL // the options, kept across the forms and links
	Marked    int          // replacements in the text
	Conflict  bool         // a change was refused because the choices had moved on
	Errors    map[string]string
	Term      string // the term typed, when refused
	Byline    string // the byline typed, when refused
}

// removalRow is one text the public version removes, with every place.
type removalRow struct {
	Original    string
	Replacement string
	Kind        string
	KindLabel   string
	Count       int      // removals of it
	Shown       int      // of which in the Markdown
	Fields      []string // where, first few
	Keepable    bool     // a text the author may keep (not a whole field)
	Term        bool     // one of the author's terms
}

var kindLabels = map[string]string{
	export.KindPerson: "person", export.KindEmail: "e-mail address", export.KindCustomer: "customer",
	export.KindHost: "internal host", export.KindIP: "private address", export.KindURL: "internal link",
	export.KindTerm: "your term", export.KindField: "internal field",
}

// previewHTML writes the segments as HTML: kept text escaped, each
// replacement in a mark naming what it replaced.
func previewHTML(pv export.Preview) (template.HTML, int) {
	var b strings.Builder
	b.Grow(len(pv.Markdown) + 64*len(pv.Segments))
	marked := 0
	for _, seg := range pv.Segments {
		if seg.Removal < 0 {
			b.WriteString(html.EscapeString(seg.Text))
			continue
		}
		r := pv.Removals[seg.Removal]
		marked++
		text := seg.Text
		class := "removal kind-" + r.Kind
		if text == "" {
			text, class = "✂", class+" empty"
		}
		b.WriteString(`<mark class="` + class + `" data-kind="` + html.EscapeString(r.Kind) + `" data-original="` +
			html.EscapeString(r.Original) + `" title="` + html.EscapeString(kindLabels[r.Kind]+": "+r.Original) + `">`)
		b.WriteString(html.EscapeString(text))
		b.WriteString(`</mark>`)
	}
	return template.HTML(b.String()), marked
}

// removalRows groups the removals by kind and text (ignoring case), in
// order of first appearance.
func removalRows(pv export.Preview, red models.Redaction) []removalRow {
	shown := make([]int, len(pv.Removals))
	for _, seg := range pv.Segments {
		if seg.Removal >= 0 {
			shown[seg.Removal]++
		}
	}
	var rows []removalRow
	index := map[string]int{}
	for i, r := range pv.Removals {
		key := r.Kind + "\x00" + strings.ToLower(r.Original)
		k, ok := index[key]
		if !ok {
			k = len(rows)
			index[key] = k
			rows = append(rows, removalRow{Original: r.Original, Replacement: r.Replacement, Kind: r.Kind,
				KindLabel: kindLabels[r.Kind], Keepable: r.Kind != export.KindField,
				Term: r.Kind == export.KindTerm && slices.ContainsFunc(red.Terms, func(t string) bool { return strings.EqualFold(t, r.Original) })})
		}
		rows[k].Count++
		rows[k].Shown += shown[i]
		if len(rows[k].Fields) < 3 {
			rows[k].Fields = append(rows[k].Fields, r.Field)
		}
	}
	return rows
}

// exportPreview shows the public version with every removal highlighted.
func (s *Server) exportPreview(c *gin.Context) {
	x := s.loadExport(c)
	if x == nil {
		return
	}
	s.renderPreview(c, http.StatusOK, x, redactionView{})
}

func (s *Server) renderPreview(c *gin.Context, status int, x *exportRequest, v redactionView) {
	x.opts.Audience = export.AudiencePublic
	pv, err := export.PreviewPublic(x.p, x.opts)
	if err != nil {
		s.fail(c, err)
		return
	}
	v.Incident, v.Redaction, v.Version = x.inc, x.redaction, x.sec.Version
	v.Text, v.Marked = previewHTML(pv)
	v.Removals = removalRows(pv, x.redaction)
	v.Query = template.URL(previewQuery(c))
	if v.Byline == "" && v.Errors["byline"] == "" {
		v.Byline = x.redaction.Byline
	}
	s.render(c, status, "export_preview", "Redaction preview · "+x.inc.Key(), v)
}

// previewQuery is the preview's options (tz, sections, layout, heading
// offset) to keep across the forms, from the query or the posted form's
// "q".
func previewQuery(c *gin.Context) string {
	raw := c.Request.URL.RawQuery
	if c.Request.Method == http.MethodPost {
		raw = c.PostForm("q")
	}
	return optionsQuery(raw, "tz", "sections", "heading_offset", "layout")
}

// optionsQuery re-encodes the named parameters of a raw query, dropping
// the others.
func optionsQuery(raw string, names ...string) string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return ""
	}
	keep := url.Values{}
	for _, k := range names {
		if v, ok := q[k]; ok {
			keep[k] = v
		}
	}
	return keep.Encode()
}

// Redaction actions posted by the preview's forms.
const (
	redactAddTerm    = "add_term"
	redactRemoveTerm = "remove_term"
	redactKeep       = "keep"
	redactUnkeep     = "unkeep"
	redactByline     = "byline"
)

// exportRedaction applies one change to the redaction choices, at the
// version the page showed: add or remove a term, keep a flagged text or
// flag it again, set the byline.
func (s *Server) exportRedaction(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	version, err := strconv.ParseInt(c.PostForm("version"), 10, 64)
	if err != nil || version < 0 {
		s.fail(c, errBadRequest("the form lacks the version it was based on; reload the page"))
		return
	}
	ctx := c.Request.Context()
	red, sec, err := s.store.Redaction(ctx, inc.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	value := strings.TrimSpace(c.PostForm("value"))
	equal := func(t string) bool { return strings.EqualFold(t, value) }
	var flash string
	v := redactionView{}
	switch c.PostForm("action") {
	case redactAddTerm:
		if value == "" {
			v.Errors = map[string]string{"terms": "type a word or phrase to remove"}
			break
		}
		// A term that was kept is removed from now on.
		red.Keep = slices.DeleteFunc(red.Keep, equal)
		red.Terms = append(red.Terms, value)
		flash = "“" + value + "” is removed from the public version."
	case redactRemoveTerm:
		red.Terms = slices.DeleteFunc(red.Terms, equal)
		flash = "“" + value + "” is no longer one of your terms."
	case redactKeep:
		if value == "" {
			s.fail(c, fieldError("value", "name the text to keep"))
			return
		}
		red.Terms = slices.DeleteFunc(red.Terms, equal)
		red.Keep = append(red.Keep, value)
		flash = "“" + value + "” is kept in the public version."
	case redactUnkeep:
		red.Keep = slices.DeleteFunc(red.Keep, equal)
		flash = "“" + value + "” is removed again where it is flagged."
	case redactByline:
		red.Byline = value
		flash = "Byline saved."
		if value == "" {
			flash = "The public version is now anonymous."
		}
	default:
		s.fail(c, fieldError("action", "use add_term, remove_term, keep, unkeep or byline"))
		return
	}
	if v.Errors == nil {
		if version != sec.Version {
			err = models.ErrStale
		} else {
			_, err = s.store.SaveRedaction(ctx, inc.ID, red, version, authorName(c))
		}
		var ve *models.ValidationError
		switch {
		case errors.Is(err, models.ErrStale):
			v.Conflict = true
		case errors.As(err, &ve):
			v.Errors = ve.Fields
		case err != nil:
			s.fail(c, err)
			return
		default:
			to := "/incidents/" + itoa(inc.ID) + "/export/preview"
			if q := previewQuery(c); q != "" {
				to += "?" + q
			}
			redirect(c, to, flash)
			return
		}
	}
	// Refused: the preview again, with the choices as saved and why.
	c.Request.URL.RawQuery = previewQuery(c)
	x := s.loadExport(c)
	if x == nil {
		return
	}
	status := http.StatusUnprocessableEntity
	if v.Conflict {
		status = http.StatusConflict
	}
	switch c.PostForm("action") {
	case redactAddTerm:
		v.Term = value
	case redactByline:
		v.Byline = value
	}
	s.renderPreview(c, status, x, v)
}
