package server

import (
	"encoding/csv"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/errgroup"

	"hindsight/actions"
	"hindsight/models"
)

// actionForm is the HTML form's view of an action.
type actionForm struct {
	ID, IncidentID int64
	Version        int64
	Title          string
	Description    string
	OwnerID        int64
	Team           string
	DueDate        string
	Priority       string
	Kind           string
	Status         string
	Reason         string
	Verification   string
	TrackerURL     string
	Cause          string // "why:<id>", "factor:<id>" or ""
	Errors         map[string]string
	Hints          []actions.Hint
	Conflict       bool

	Users                       []models.User
	Priorities, Kinds, Statuses []string
	Incident                    *models.Incident
	Addresses                   *causeView // what Cause points at
}

func actionFormOf(a *models.Action) actionForm {
	f := actionForm{ID: a.ID, IncidentID: a.IncidentID, Version: a.Version, Title: a.Title, Description: a.Description,
		Team: a.Team, Priority: a.Priority, Kind: a.Kind, Status: a.Status, Reason: a.Reason, Verification: a.Verification,
		TrackerURL: a.TrackerURL, Cause: a.Cause}
	if a.OwnerID != nil {
		f.OwnerID = *a.OwnerID
	}
	if a.DueDate != nil {
		f.DueDate = a.DueDate.String()
	}
	return f
}

func parseActionForm(c *gin.Context) (actionForm, models.ActionInput) {
	f := actionForm{Title: c.PostForm("title"), Description: c.PostForm("description"), Team: c.PostForm("team"),
		DueDate: strings.TrimSpace(c.PostForm("due_date")), Priority: c.PostForm("priority"), Kind: c.PostForm("kind"),
		Status: c.PostForm("status"), Reason: c.PostForm("reason"), Verification: c.PostForm("verification"),
		TrackerURL: c.PostForm("tracker_url"), Cause: strings.TrimSpace(c.PostForm("cause")), Errors: map[string]string{}}
	f.Version, _ = strconv.ParseInt(c.PostForm("version"), 10, 64)
	in := models.ActionInput{Title: f.Title, Description: f.Description, Team: f.Team, Priority: f.Priority, Kind: f.Kind,
		Status: f.Status, Reason: f.Reason, Verification: f.Verification, TrackerURL: f.TrackerURL, Cause: f.Cause}
	if id, err := strconv.ParseInt(c.PostForm("owner"), 10, 64); err == nil && id > 0 {
		f.OwnerID, in.OwnerID = id, &id
	}
	if f.DueDate != "" {
		d, err := models.ParseDate(f.DueDate)
		if err != nil {
			f.Errors["due_date"] = "enter a date as YYYY-MM-DD"
		} else {
			in.DueDate = &d
		}
	}
	return f, in
}

func (s *Server) renderActionForm(c *gin.Context, status int, f actionForm) {
	users, err := s.store.ListUsers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	inc, err := s.store.Incident(c.Request.Context(), f.IncidentID)
	if err != nil {
		s.fail(c, err)
		return
	}
	f.Users, f.Incident = users, inc
	if f.Addresses, err = s.describeCause(c.Request.Context(), inc.ID, f.Cause); err != nil {
		s.fail(c, err)
		return
	}
	f.Priorities, f.Kinds, f.Statuses = actions.Priorities, actions.Kinds, actions.Statuses
	owner := ""
	for _, u := range users {
		if u.ID == f.OwnerID {
			owner = u.Name
		}
	}
	if f.Title != "" {
		var due *models.Date
		if d, err := models.ParseDate(f.DueDate); err == nil {
			due = &d
		}
		draft := actions.Draft{Title: f.Title, Description: f.Description, Owner: owner, Team: f.Team, Status: f.Status}
		if due != nil {
			t := due.Time(s.viewerZone(c))
			draft.Due = &t
		}
		f.Hints = actions.QualityHints(draft, s.store.Now().In(s.viewerZone(c)))
	}
	title := "New action for " + inc.Key()
	if f.ID != 0 {
		title = "Edit action"
	}
	s.render(c, status, "action_form", title, f)
}

func (s *Server) actionNew(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	s.renderActionForm(c, http.StatusOK, actionForm{IncidentID: inc.ID, Priority: "P3", Kind: "prevent", Status: "open",
		Cause: strings.TrimSpace(c.Query("cause"))})
}

func (s *Server) actionCreate(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	f, in := parseActionForm(c)
	f.IncidentID = inc.ID
	var err error
	if len(f.Errors) == 0 {
		_, err = s.store.CreateAction(c.Request.Context(), inc.ID, in, currentUser(c))
	}
	if s.actionFormFailed(c, &f, err) {
		return
	}
	redirect(c, causeReturn(inc.ID, f.Cause, "/incidents/"+itoa(inc.ID)+"#actions"), "Action added.")
}

func (s *Server) actionEdit(c *gin.Context) {
	if a := s.loadAction(c); a != nil {
		s.renderActionForm(c, http.StatusOK, actionFormOf(a))
	}
}

// actionUpdate saves the edit form; if someone saved in between, the form
// comes back (409) with the typed values and nothing is overwritten.
func (s *Server) actionUpdate(c *gin.Context) {
	a := s.loadAction(c)
	if a == nil {
		return
	}
	f, in := parseActionForm(c)
	f.ID, f.IncidentID = a.ID, a.IncidentID
	var err error
	if len(f.Errors) == 0 {
		_, err = s.store.UpdateAction(c.Request.Context(), a.ID, f.Version, in, currentUser(c))
	}
	if errors.Is(err, models.ErrStale) {
		f.Conflict, f.Version = true, a.Version
		s.renderActionForm(c, http.StatusConflict, f)
		return
	}
	if s.actionFormFailed(c, &f, err) {
		return
	}
	redirect(c, "/incidents/"+itoa(a.IncidentID)+"#actions", "Action saved.")
}

func (s *Server) actionFormFailed(c *gin.Context, f *actionForm, err error) bool {
	if err != nil {
		ae := classify(err)
		if ae.Fields == nil {
			s.fail(c, err)
			return true
		}
		for k, v := range ae.Fields {
			f.Errors[k] = v
		}
	}
	if len(f.Errors) == 0 {
		return false
	}
	s.renderActionForm(c, http.StatusUnprocessableEntity, *f)
	return true
}

type dashboardView struct {
	Summary  actions.Summary
	Charts   struct{ Weekly, Age, Overdue template.HTML }
	Page     *models.ActionPage
	Query    map[string][]string
	Filter   dashboardFilter
	Users    []models.User
	Incident map[int64]*models.Incident
	Options  struct{ Statuses, Priorities, Kinds, Severities, Sorts []string }
}

type dashboardFilter struct {
	Status, Owner, Team, Priority, Kind, Service, Severity, DueBefore, DueAfter, Sort string
	Overdue                                                                           bool
}

// actionsDashboard shows the figures and the filtered table; every filter
// lives in the URL, so a view can be shared.
func (s *Server) actionsDashboard(c *gin.Context) {
	f, ok := s.dashboardFilter(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	// The figures and the table's page are independent reads of the same
	// actions: run them side by side.
	var dash *models.ActionDashboard
	var page *models.ActionPage
	var incidents map[int64]*models.Incident
	var g errgroup.Group
	g.Go(func() (err error) {
		dash, err = s.store.ActionDashboard(ctx, f, s.viewerZone(c), 26)
		return err
	})
	g.Go(func() (err error) {
		if page, err = s.store.ListActions(ctx, f); err != nil {
			return err
		}
		incidents, err = s.store.ActionIncidents(ctx, page.Actions)
		return err
	})
	users, err := s.store.ListUsers(ctx)
	if werr := g.Wait(); err == nil {
		err = werr
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	v := dashboardView{Summary: dash.Summary, Page: page, Query: c.Request.URL.Query(), Users: users, Incident: incidents}
	// The chart renderers escape all text and emit no script or style.
	v.Charts.Weekly = template.HTML(actions.WeeklyChartSVG(dash.Weekly))              //nolint:gosec
	v.Charts.Age = template.HTML(actions.AgeChartSVG(dash.Ages))                      //nolint:gosec
	v.Charts.Overdue = template.HTML(actions.OverdueByTeamSVG(dash.OverdueByTeam, 8)) //nolint:gosec
	q := c.Request.URL.Query()
	v.Filter = dashboardFilter{Status: q.Get("status"), Owner: q.Get("owner"), Team: q.Get("team"), Priority: q.Get("priority"),
		Kind: q.Get("kind"), Service: q.Get("service"), Severity: q.Get("severity"), DueBefore: q.Get("due_before"),
		DueAfter: q.Get("due_after"), Sort: q.Get("sort"), Overdue: q.Get("overdue") == "true"}
	v.Options.Statuses, v.Options.Priorities, v.Options.Kinds = actions.Statuses, actions.Priorities, actions.Kinds
	v.Options.Severities, v.Options.Sorts = models.Severities, models.ActionSorts
	s.render(c, http.StatusOK, "actions_dashboard", "Actions", v)
}

// dashboardFilter reads the filters; owner=me means the signed-in user.
func (s *Server) dashboardFilter(c *gin.Context) (models.ActionFilter, bool) {
	f, err := s.actionFilterFromQuery(c, s.viewerZone(c), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return f, false
	}
	return f, true
}

// actionsCSV exports the current view of the dashboard.
func (s *Server) actionsCSV(c *gin.Context) {
	f, ok := s.dashboardFilter(c)
	if !ok {
		return
	}
	f.Page, f.PerPage = 1, models.MaxPerPage
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="actions.csv"`)
	w := csv.NewWriter(c.Writer)
	w.Write([]string{"id", "incident", "title", "status", "reason", "owner", "team", "due_date", "priority", "kind", "tracker", "verification"})
	for {
		page, err := s.store.ListActions(c.Request.Context(), f)
		if err != nil {
			s.log.ErrorContext(c.Request.Context(), "csv export", "err", err)
			return
		}
		for _, a := range page.Actions {
			owner, due := "", ""
			if a.Owner != nil {
				owner = a.Owner.Email
			}
			if a.DueDate != nil {
				due = a.DueDate.String()
			}
			w.Write([]string{itoa(a.ID), "INC-" + itoa(a.IncidentID), csvSafe(a.Title), a.Status, csvSafe(a.Reason), owner, csvSafe(a.Team), due,
				a.Priority, a.Kind, a.TrackerURL, csvSafe(a.Verification)})
		}
		if int64(f.Page*f.PerPage) >= page.Total {
			break
		}
		f.Page++
	}
	w.Flush()
}

// csvSafe keeps spreadsheet programs from running a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
