package server

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/markdown"
	"hindsight/models"
	"hindsight/templates"
	"hindsight/timeline"
)

// pageNames lists every page template. Each is parsed with the layout and
// partials at start-up; a missing or broken one fails the boot.
var pageNames = []string{
	"error", "schema_behind", "setup", "signin",
	"incident_list", "incident_form", "incident_show", "incident_delete",
	"profile", "users", "tokens", "status",
	"event_list", "event_show", "integrations", "integration_show",
	"timeline", "timeline_import", "timeline_entry",
	"action_form", "actions_dashboard",
	"reminders", "reminder_channel", "deliveries",
	"write", "postmortem_history", "postmortem_revision",
	"postmortem_settings", "postmortem_template",
	"export", "export_print", "export_preview",
}

// partialNames lists the partials that are also rendered alone, as htmx
// fragments; each must be defined in templates/partials/ or the boot fails.
var partialNames = []string{"action_row", "action_row_edit", "md_preview", "blameless_notes"}

type pageSet struct {
	byName   map[string]*template.Template
	partials *template.Template // templates/partials/*.html, without the layout
}

func parsePages() (*pageSet, error) {
	ps := &pageSet{byName: map[string]*template.Template{}}
	partials, err := template.New("partials").Funcs(templateFuncs).ParseFS(templates.FS, "partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("partials: %w", err)
	}
	for _, name := range partialNames {
		if partials.Lookup(name) == nil {
			return nil, fmt.Errorf("partial %q is not defined in templates/partials", name)
		}
	}
	ps.partials = partials
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templates.FS,
			"layout.html", "partials/*.html", "pages/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("template %s: defines no \"content\" block", name)
		}
		ps.byName[name] = t
	}
	return ps, nil
}

// page is what every template receives: the layout's needs plus D, the
// page's own data.
type page struct {
	Title  string
	User   *models.User
	Zone   *time.Location
	Flash  string
	Status *models.Instance
	Path   string
	D      any
}

// render writes a page. It renders into a buffer first so that a template
// error becomes a clean 500 rather than half a page.
func (s *Server) render(c *gin.Context, status int, name, title string, data any) {
	t, ok := s.pages.byName[name]
	if !ok {
		s.fail(c, fmt.Errorf("no page template %q", name))
		return
	}
	p := page{Title: title, User: currentUser(c), Zone: s.viewerZone(c), Path: c.Request.URL.Path, D: data}
	if c.GetHeader("HX-Request") != "true" { // a background poll must not eat another tab's message
		p.Flash = takeFlash(c)
	}
	if st, err := s.store.InstanceStatus(c.Request.Context()); err == nil && st.StatusLevel != models.StatusOK {
		p.Status = st
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render page", "page", name, "err", err, "request_id", requestID(c))
		c.String(http.StatusInternalServerError, "something went wrong on our side; the error is in the server log")
		c.Abort()
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// renderPartial writes one partial alone, without the layout: the fragment
// an htmx request swaps into the page. Like render, it buffers first.
func (s *Server) renderPartial(c *gin.Context, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.partials.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render partial", "partial", name, "err", err, "request_id", requestID(c))
		c.String(http.StatusInternalServerError, "something went wrong on our side; the error is in the server log")
		c.Abort()
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func (s *Server) renderError(c *gin.Context, ae *appError) {
	title := http.StatusText(ae.Status)
	s.render(c, ae.Status, "error", title, ae)
	c.Abort()
}

// redirect answers a successful form POST with 303, optionally leaving a
// one-time message for the next page.
func redirect(c *gin.Context, to, flash string) {
	if flash != "" {
		c.SetCookie(flashCookie, url.QueryEscape(flash), 60, "/", "", false, true)
	}
	c.Redirect(http.StatusSeeOther, to)
}

const flashCookie = "hindsight_flash"

func takeFlash(c *gin.Context) string {
	v, err := c.Cookie(flashCookie)
	if err != nil || v == "" {
		return ""
	}
	c.SetCookie(flashCookie, "", -1, "/", "", false, true)
	msg, _ := url.QueryUnescape(v)
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

var templateFuncs = template.FuncMap{
	"markdown": markdown.ToHTML,
	// when formats a time in the viewer's zone; the zone is always named.
	"when": func(t any, zone *time.Location) string {
		tt, ok := timeValue(t)
		if !ok {
			return ""
		}
		return tt.In(zone).Format("2006-01-02 15:04 MST")
	},
	"utc": func(t any) string {
		tt, ok := timeValue(t)
		if !ok {
			return ""
		}
		return tt.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"iso": func(t any) string {
		tt, ok := timeValue(t)
		if !ok {
			return ""
		}
		return tt.UTC().Format(time.RFC3339)
	},
	"join": strings.Join,
	// duration formats a *time.Duration or time.Duration; "—" when unset.
	"duration": func(d any) string {
		switch v := d.(type) {
		case *time.Duration:
			if v == nil {
				return "—"
			}
			return timeline.FormatDuration(*v)
		case time.Duration:
			return timeline.FormatDuration(v)
		}
		return "—"
	},
	"momentLabel": func(name string) string { return momentLabels[name] },
	"momentValue": func(m timeline.Moments, name string) *time.Time {
		switch name {
		case timeline.Started:
			return m.Started
		case timeline.Detected:
			return m.Detected
		case timeline.Acknowledged:
			return m.Acknowledged
		case timeline.Mitigated:
			return m.Mitigated
		}
		return m.Resolved
	},
	"localInput": localInput,
	// actionRow and dashboardRow build the data of the "action_row" partial,
	// shared by the incident page, the dashboard and the inline editor.
	"actionRow":    actionRowOf,
	"dashboardRow": dashboardRowOf,
	"actionStatus": func(s string) string {
		return strings.ReplaceAll(strings.Replace(s, "wont_do", "won't do", 1), "_", " ")
	},
	"deref": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	"shortSHA": func(s string) string {
		if len(s) > 7 {
			return s[:7]
		}
		return s
	},
	"list": func(v ...string) []string { return v },
	"roleAtLeast": func(u *models.User, role string) bool {
		return u != nil && models.RoleAtLeast(u.Role, role)
	},
	"statusLabel": statusLabel,
	"lower":       strings.ToLower,
	"channelKind": func(kind string) string { return channelKindLabels[kind] },
	// field bundles the arguments of a form-field partial.
	"field": func(incidentID int64, name, label, value string, readOnly bool) mdField {
		return mdField{IncidentID: incidentID, Name: name, Label: label, Value: value, ReadOnly: readOnly}
	},
	"qualifierLabel": func(q string) string { return qualifierLabels[q] },
	"detectionLabel": func(m string) string { return detectionLabels[m] },
	"add":            func(a, b int) int { return a + b },
	"mul":            func(a, b int) int { return a * b },
	"int64":          func(n int) int64 { return int64(n) },
	"percent":        func(f float64) float64 { return f * 100 },
	"withParam": func(q url.Values, key, value string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = append([]string(nil), vs...)
		}
		if value == "" {
			v.Del(key)
		} else {
			v.Set(key, value)
		}
		return "?" + v.Encode()
	},
	"contains": func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	},
}

func timeValue(t any) (time.Time, bool) {
	switch v := t.(type) {
	case time.Time:
		return v, !v.IsZero()
	case *time.Time:
		if v == nil || v.IsZero() {
			return time.Time{}, false
		}
		return *v, true
	}
	return time.Time{}, false
}

func statusLabel(s string) string {
	switch s {
	case models.StatusDraft:
		return "Draft"
	case models.StatusInReview:
		return "In review"
	case models.StatusApproved:
		return "Approved"
	case models.StatusPublished:
		return "Published"
	}
	return s
}
