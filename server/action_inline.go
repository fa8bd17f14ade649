package server

import (
	"errors"
	"maps"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"hindsight/actions"
	"hindsight/models"
)

// Inline editing of an action's most-changed fields (status and its reason,
// owner, due date, priority) in the table rows of the incident page and of
// the dashboard. With htmx the row swaps for a small form and back; without
// JavaScript the row's Edit link is the full edit page, and a plain POST of
// the small form answers 303 like every other form.

// viewDashboard, sent as ?view= (or a hidden field), renders the row with
// the dashboard's columns.
const viewDashboard = "dashboard"

// inlineFields are the fields the inline form edits, in the form's order.
var inlineFields = []string{"status", "reason", "owner", "due_date", "priority"}

// actionRowView is the data of the "action_row" partial.
type actionRowView struct {
	A         *models.Action
	Incident  *models.Incident // the dashboard's incident column
	Dashboard bool             // the dashboard's columns rather than the incident page's
	CanEdit   bool
	Focus     bool // focus the Edit link: the row has just replaced the inline form
}

func actionRowOf(a models.Action, u *models.User) actionRowView {
	return actionRowView{A: &a, CanEdit: u != nil && models.RoleAtLeast(u.Role, models.RoleEditor)}
}

func dashboardRowOf(a models.Action, u *models.User, inc *models.Incident) actionRowView {
	v := actionRowOf(a, u)
	v.Dashboard, v.Incident = true, inc
	return v
}

// actionRowEditView is the data of the "action_row_edit" partial.
type actionRowEditView struct {
	actionForm
	Dashboard bool
	Focus     string // the field that gets the focus: the first one in error
}

func isHTMX(c *gin.Context) bool { return c.GetHeader("HX-Request") == "true" }

func onDashboard(c *gin.Context) bool {
	return c.Query("view") == viewDashboard || c.PostForm("view") == viewDashboard
}

// actionRow answers the read-only row (htmx's Cancel); a plain browser is
// sent to the page that shows it.
func (s *Server) actionRow(c *gin.Context) {
	a := s.loadAction(c)
	if a == nil {
		return
	}
	c.Header("Vary", "HX-Request")
	if !isHTMX(c) {
		c.Redirect(http.StatusSeeOther, actionBackTo(c, a))
		return
	}
	s.renderActionRow(c, http.StatusOK, a)
}

// actionRowEdit answers the inline form; a plain browser gets the full
// edit page instead.
func (s *Server) actionRowEdit(c *gin.Context) {
	a := s.loadAction(c)
	if a == nil {
		return
	}
	c.Header("Vary", "HX-Request")
	if !isHTMX(c) {
		c.Redirect(http.StatusSeeOther, "/actions/"+itoa(a.ID)+"/edit")
		return
	}
	s.renderActionRowEdit(c, http.StatusOK, actionFormOf(a))
}

// actionRowSave saves the inline form. htmx gets the updated row (200), the
// form again with its messages (422), or the form reloaded with the current
// values when someone saved in between (409). A plain POST is answered like
// the full form: 303 back, or the full edit page with 422 or 409.
func (s *Server) actionRowSave(c *gin.Context) {
	a := s.loadAction(c)
	if a == nil {
		return
	}
	// The fields the form sent replace the stored ones; the others are kept.
	posted, typed := parseActionForm(c)
	f, in := actionFormOf(a), models.ActionInputOf(a)
	f.Version, f.Errors = posted.Version, posted.Errors
	sent := func(name string) bool { _, ok := c.GetPostForm(name); return ok }
	if sent("status") {
		f.Status, in.Status = posted.Status, typed.Status
	}
	if sent("reason") {
		f.Reason, in.Reason = posted.Reason, typed.Reason
	}
	if sent("owner") {
		f.OwnerID, in.OwnerID = posted.OwnerID, typed.OwnerID
	}
	if sent("due_date") {
		f.DueDate, in.DueDate = posted.DueDate, typed.DueDate
	}
	if sent("priority") {
		f.Priority, in.Priority = posted.Priority, typed.Priority
	}
	var saved *models.Action
	var err error
	if len(f.Errors) == 0 {
		saved, err = s.store.UpdateAction(c.Request.Context(), a.ID, f.Version, in, currentUser(c))
	}
	if errors.Is(err, models.ErrStale) {
		if !isHTMX(c) {
			f.Conflict, f.Version = true, a.Version
			s.renderActionForm(c, http.StatusConflict, f)
			return
		}
		cur, err := s.store.Action(c.Request.Context(), a.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		reloaded := actionFormOf(cur)
		reloaded.Conflict = true
		s.renderActionRowEdit(c, http.StatusConflict, reloaded)
		return
	}
	if err != nil {
		ae := classify(err)
		if ae.Fields == nil {
			s.fail(c, err)
			return
		}
		maps.Copy(f.Errors, ae.Fields)
	}
	switch {
	case len(f.Errors) > 0 && isHTMX(c):
		s.renderActionRowEdit(c, http.StatusUnprocessableEntity, f)
	case len(f.Errors) > 0:
		s.renderActionForm(c, http.StatusUnprocessableEntity, f)
	case isHTMX(c):
		s.renderActionRow(c, http.StatusOK, saved)
	default:
		redirect(c, actionBackTo(c, saved), "Action saved.")
	}
}

// renderActionRow writes the read-only row that replaces the inline form.
func (s *Server) renderActionRow(c *gin.Context, status int, a *models.Action) {
	v := actionRowOf(*a, currentUser(c))
	v.Focus = true
	if onDashboard(c) {
		inc, err := s.store.Incident(c.Request.Context(), a.IncidentID)
		if err != nil {
			s.fail(c, err)
			return
		}
		v.Dashboard, v.Incident = true, inc
	}
	s.renderPartial(c, status, "action_row", v)
}

func (s *Server) renderActionRowEdit(c *gin.Context, status int, f actionForm) {
	users, err := s.store.ListUsers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	f.Users, f.Priorities, f.Statuses = users, actions.Priorities, actions.Statuses
	v := actionRowEditView{actionForm: f, Dashboard: onDashboard(c), Focus: inlineFields[0]}
	for _, name := range inlineFields {
		if f.Errors[name] != "" {
			v.Focus = name
			break
		}
	}
	s.renderPartial(c, status, "action_row_edit", v)
}

// actionBackTo is where a plain browser returns after the inline form: the
// incident page, or the dashboard with the filters it came from.
func actionBackTo(c *gin.Context, a *models.Action) string {
	if !onDashboard(c) {
		return "/incidents/" + itoa(a.IncidentID) + "#actions"
	}
	if ref, err := url.Parse(c.GetHeader("Referer")); err == nil && ref.Host == c.Request.Host && ref.Path == "/actions" {
		return ref.RequestURI()
	}
	return "/actions"
}
