package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

type incidentListView struct {
	Page     *models.IncidentPage
	Actions  map[int64]models.ActionCounts
	Filter   models.IncidentFilter
	Query    map[string][]string
	Services []string
	Tags     []string
	Sorts    []string
}

func (s *Server) incidentList(c *gin.Context) {
	f := models.IncidentFilter{
		Status: c.Query("status"), Severity: c.Query("severity"), Service: c.Query("service"),
		Tag: c.Query("tag"), Query: c.Query("q"), Sort: c.Query("sort"),
	}
	f.Page, _ = strconv.Atoi(c.Query("page"))
	page, err := s.store.ListIncidents(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	f.Normalize()
	services, err := s.store.ListServiceNames(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	tags, err := s.store.ListTags(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	ids := make([]int64, len(page.Incidents))
	for i, inc := range page.Incidents {
		ids[i] = inc.ID
	}
	counts, err := s.store.ActionCountsByIncident(c.Request.Context(), ids, s.store.Today(s.viewerZone(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "incident_list", "Incidents", incidentListView{
		Page: page, Actions: counts, Filter: f, Query: c.Request.URL.Query(), Services: services, Tags: tags, Sorts: models.IncidentSorts,
	})
}

// loadIncident reads the :id parameter and the incident, answering the
// error itself (a page or JSON, by path) when it returns nil.
func (s *Server) loadIncident(c *gin.Context) *models.Incident {
	id, err := paramID(c, "id")
	if err != nil {
		s.fail(c, err)
		return nil
	}
	inc, err := s.store.Incident(c.Request.Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("incident INC-"+itoa(id)))
		return nil
	}
	if err != nil {
		s.fail(c, err)
		return nil
	}
	return inc
}

type incidentView struct {
	Incident *models.Incident
	Actions  []models.Action
	// The postmortem's steps: how many are complete, and those that are not.
	Complete, Total int
	Incomplete      []postmortem.StepStatus
}

func (s *Server) incidentShow(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	list, err := s.store.IncidentActions(c.Request.Context(), inc.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.loadPostmortem(c.Request.Context(), inc)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := incidentView{Incident: inc, Actions: list}
	v.Complete, v.Total = postmortem.Tally(st.Progress)
	for _, p := range st.Progress {
		if !p.Complete {
			v.Incomplete = append(v.Incomplete, p)
		}
	}
	s.render(c, http.StatusOK, "incident_show", inc.Key()+" "+inc.Title, v)
}

func (s *Server) renderIncidentForm(c *gin.Context, status int, f incidentForm) {
	users, err := s.store.ListUsers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	zone := s.viewerZone(c)
	f.Users, f.Severities, f.Statuses, f.Zone = users, models.Severities, models.ReviewStatuses, zone.String()
	if f.ID == 0 {
		if f.Templates, err = s.store.PostmortemTemplates(c.Request.Context()); err != nil {
			s.fail(c, err)
			return
		}
	}
	title := "New incident"
	if f.ID != 0 {
		title = "Edit INC-" + itoa(f.ID)
	}
	s.render(c, status, "incident_form", title, f)
}

func (s *Server) incidentNew(c *gin.Context) {
	f := newIncidentForm(s.viewerZone(c))
	if u := currentUser(c); u != nil {
		f.AuthorIDs[u.ID] = true
	}
	s.renderIncidentForm(c, http.StatusOK, f)
}

func (s *Server) incidentCreate(c *gin.Context) {
	f, in := parseIncidentForm(c, s.viewerZone(c))
	var inc *models.Incident
	var err error
	if len(f.Errors) == 0 {
		uid := currentUser(c).ID
		inc, err = s.store.CreateIncident(c.Request.Context(), in, &uid)
	}
	if s.formFailed(c, &f, err) {
		return
	}
	redirect(c, "/incidents/"+itoa(inc.ID), inc.Key()+" created.")
}

func (s *Server) incidentEdit(c *gin.Context) {
	if inc := s.loadIncident(c); inc != nil {
		s.renderIncidentForm(c, http.StatusOK, incidentFormOf(inc, s.viewerZone(c)))
	}
}

// incidentUpdate saves the edit form. The form carries the version it was
// loaded at; if someone saved in between, nothing is overwritten: the form
// comes back with a conflict notice and the other person's version.
func (s *Server) incidentUpdate(c *gin.Context) {
	current := s.loadIncident(c)
	if current == nil {
		return
	}
	f, in := parseIncidentForm(c, s.viewerZone(c))
	f.ID = current.ID
	f.Status, in.Status = current.Status, current.Status // the review workflow changes it, not this form
	var err error
	var inc *models.Incident
	if len(f.Errors) == 0 {
		inc, err = s.store.UpdateIncident(c.Request.Context(), current.ID, f.Version, in)
	}
	if errors.Is(err, models.ErrStale) {
		latest, lerr := s.store.Incident(c.Request.Context(), current.ID)
		if lerr != nil {
			s.fail(c, lerr)
			return
		}
		f.Conflict, f.Version = latest, latest.Version
		s.renderIncidentForm(c, http.StatusConflict, f)
		return
	}
	if s.formFailed(c, &f, err) {
		return
	}
	redirect(c, "/incidents/"+itoa(inc.ID), inc.Key()+" saved.")
}

// formFailed re-renders the form with 422 and field messages for form and
// validation errors, answers other errors, and reports whether it did.
func (s *Server) formFailed(c *gin.Context, f *incidentForm, err error) bool {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		for k, v := range ve.Fields {
			if _, seen := f.Errors[k]; !seen {
				f.Errors[k] = v
			}
		}
	} else if err != nil {
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
	s.renderIncidentForm(c, http.StatusUnprocessableEntity, *f)
	return true
}

type deleteView struct {
	Incident *models.Incident
	Error    string
}

func (s *Server) incidentDeleteConfirm(c *gin.Context) {
	if inc := s.loadIncident(c); inc != nil {
		s.render(c, http.StatusOK, "incident_delete", "Delete "+inc.Key(), deleteView{Incident: inc})
	}
}

func (s *Server) incidentDelete(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	if c.PostForm("confirm") != inc.Key() {
		s.render(c, http.StatusUnprocessableEntity, "incident_delete", "Delete "+inc.Key(),
			deleteView{Incident: inc, Error: "Type " + inc.Key() + " to confirm."})
		return
	}
	if err := s.store.DeleteIncident(c.Request.Context(), inc.ID); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/incidents", inc.Key()+" deleted.")
}
