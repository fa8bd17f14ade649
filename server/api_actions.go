package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/actions"
	"hindsight/models"
)

type actionJSON struct {
	ID           int64       `json:"id"`
	IncidentID   int64       `json:"incident_id"`
	Title        string      `json:"title"`
	Description  string      `json:"description"`
	Owner        *authorJSON `json:"owner"`
	Team         string      `json:"team"`
	DueDate      *string     `json:"due_date"`
	Priority     string      `json:"priority"`
	Kind         string      `json:"kind"`
	Status       string      `json:"status"`
	Reason       string      `json:"reason"`
	Verification string      `json:"verification"`
	TrackerURL   string      `json:"tracker_url"`
	TrackerKey   string      `json:"tracker_key"`
	Cause        string      `json:"cause"` // "why:w3" or "factor:f2": the Five Whys step or factor it addresses
	Version      int64       `json:"version"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
	ClosedAt     *time.Time  `json:"closed_at"`
	Hints        []hintJSON  `json:"hints"`
}

type hintJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (s *Server) toActionJSON(a *models.Action) actionJSON {
	out := actionJSON{ID: a.ID, IncidentID: a.IncidentID, Title: a.Title, Description: a.Description, Team: a.Team,
		Priority: a.Priority, Kind: a.Kind, Status: a.Status, Reason: a.Reason, Verification: a.Verification,
		TrackerURL: a.TrackerURL, TrackerKey: a.Tracker().Key, Cause: a.Cause, Version: a.Version, CreatedAt: a.CreatedAt,
		UpdatedAt: a.UpdatedAt, ClosedAt: a.ClosedAt, Hints: []hintJSON{}}
	if a.Owner != nil {
		out.Owner = &authorJSON{ID: a.Owner.ID, Email: a.Owner.Email, Name: a.Owner.Name}
	}
	var due *time.Time
	if a.DueDate != nil {
		d := a.DueDate.String()
		out.DueDate = &d
		t := a.DueDate.Time(time.UTC)
		due = &t
	}
	owner := ""
	if a.Owner != nil {
		owner = a.Owner.Name
	}
	for _, h := range actions.QualityHints(actions.Draft{Title: a.Title, Description: a.Description, Owner: owner, Team: a.Team,
		Due: due, Status: a.Status}, s.store.Now()) {
		out.Hints = append(out.Hints, hintJSON{Field: h.Field, Message: h.Message})
	}
	return out
}

func actionETag(a *models.Action) string { return etag("action", a.ID, a.Version) }

func (s *Server) loadAction(c *gin.Context) *models.Action {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, errBadRequest("%q is not an action id", c.Param("id")))
		return nil
	}
	a, err := s.store.Action(c.Request.Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("action "+c.Param("id")))
		return nil
	}
	if err != nil {
		s.fail(c, err)
		return nil
	}
	return a
}

func (s *Server) writeAction(c *gin.Context, status int, a *models.Action) {
	c.Header("ETag", actionETag(a))
	c.JSON(status, s.toActionJSON(a))
}

func (s *Server) apiActionGet(c *gin.Context) {
	if a := s.loadAction(c); a != nil {
		s.writeAction(c, http.StatusOK, a)
	}
}

func (s *Server) apiActionCreate(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	obj, err := readJSONObject(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in models.ActionInput
	if err := s.applyActionJSON(c, obj, &in); err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.store.CreateAction(c.Request.Context(), inc.ID, in, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/actions/"+itoa(a.ID))
	s.writeAction(c, http.StatusCreated, a)
}

func (s *Server) apiActionPatch(c *gin.Context) {
	a := s.loadAction(c)
	if a == nil {
		return
	}
	if err := ifMatch(c, actionETag(a), true); err != nil {
		s.fail(c, err)
		return
	}
	obj, err := readJSONObject(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	in := models.ActionInputOf(a)
	if err := s.applyActionJSON(c, obj, &in); err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.store.UpdateAction(c.Request.Context(), a.ID, a.Version, in, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeAction(c, http.StatusOK, updated)
}

func (s *Server) apiActionDelete(c *gin.Context) {
	a := s.loadAction(c)
	if a == nil {
		return
	}
	if err := ifMatch(c, actionETag(a), false); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.DeleteAction(c.Request.Context(), a.ID); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// readOnlyActionFields may come back from a GET and are ignored.
var readOnlyActionFields = map[string]bool{"id": true, "incident_id": true, "version": true, "created_at": true,
	"updated_at": true, "closed_at": true, "tracker_key": true, "hints": true}

func (s *Server) applyActionJSON(c *gin.Context, obj map[string]json.RawMessage, in *models.ActionInput) error {
	for key, raw := range obj {
		if readOnlyActionFields[key] {
			continue
		}
		var err error
		switch key {
		case "title":
			err = decodeString(raw, &in.Title)
		case "description":
			err = decodeString(raw, &in.Description)
		case "team":
			err = decodeString(raw, &in.Team)
		case "priority":
			err = decodeString(raw, &in.Priority)
		case "kind":
			err = decodeString(raw, &in.Kind)
		case "status":
			err = decodeString(raw, &in.Status)
		case "reason":
			err = decodeString(raw, &in.Reason)
		case "verification":
			err = decodeString(raw, &in.Verification)
		case "tracker_url":
			err = decodeString(raw, &in.TrackerURL)
		case "cause":
			err = decodeString(raw, &in.Cause)
		case "due_date":
			in.DueDate, err = decodeDate(raw)
		case "owner":
			in.OwnerID, err = s.decodeOwner(c, raw)
		default:
			return fieldError(key, "is not a field of an action")
		}
		if err != nil {
			return fieldError(key, err.Error())
		}
	}
	return nil
}

func decodeDate(raw json.RawMessage) (*models.Date, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errors.New("must be a date string such as 2026-12-03, or null")
	}
	d, err := models.ParseDate(s)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// decodeOwner accepts an e-mail address, {"email": …} or {"id": …}, or null.
func (s *Server) decodeOwner(c *gin.Context, raw json.RawMessage) (*int64, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	ids, err := s.decodeAuthors(c, json.RawMessage("["+string(raw)+"]"))
	if err != nil {
		return nil, errors.New(strings.Replace(err.Error(), "item 0 ", "", 1))
	}
	return &ids[0], nil
}

// apiActionList filters like the dashboard: status (comma-separated), owner
// (e-mail), team, priority, kind, service, severity, incident_id,
// overdue=true, due_before, due_after, sort, page, per_page.
func (s *Server) apiActionList(c *gin.Context) {
	f, err := s.actionFilterFromQuery(c, time.UTC, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.ListActions(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]actionJSON, 0, len(page.Actions))
	for i := range page.Actions {
		out = append(out, s.toActionJSON(&page.Actions[i]))
	}
	c.JSON(http.StatusOK, gin.H{"actions": out, "total": page.Total, "page": page.Page, "per_page": page.PerPage})
}

// actionFilterFromQuery reads the dashboard's filters; owner=me means me,
// the signed-in user (pages only).
func (s *Server) actionFilterFromQuery(c *gin.Context, zone *time.Location, me *models.User) (models.ActionFilter, error) {
	f := models.ActionFilter{Team: c.Query("team"), Priority: c.Query("priority"), Kind: c.Query("kind"),
		Service: c.Query("service"), Severity: c.Query("severity"), Sort: c.Query("sort"), Today: s.store.Today(zone)}
	for _, st := range splitList(c.Query("status")) {
		if !containsString(actions.Statuses, st) {
			return f, fieldError("status", "use "+strings.Join(actions.Statuses, ", "))
		}
		f.Status = append(f.Status, st)
	}
	if f.Priority != "" && !containsString(actions.Priorities, f.Priority) {
		return f, fieldError("priority", "use P1, P2, P3 or P4")
	}
	if f.Kind != "" && !containsString(actions.Kinds, f.Kind) {
		return f, fieldError("kind", "use "+strings.Join(actions.Kinds, ", "))
	}
	if f.Sort != "" && !containsString(models.ActionSorts, f.Sort) {
		return f, fieldError("sort", "use "+strings.Join(models.ActionSorts, ", "))
	}
	if owner := c.Query("owner"); owner == "me" && me != nil {
		f.OwnerID = &me.ID
	} else if owner != "" {
		u, err := s.store.UserByEmail(c.Request.Context(), owner)
		if errors.Is(err, models.ErrNotFound) {
			return f, fieldError("owner", fmt.Sprintf("no user has the e-mail address %q", owner))
		}
		if err != nil {
			return f, err
		}
		f.OwnerID = &u.ID
	}
	if raw := c.Query("incident_id"); raw != "" {
		id, ok := models.ParseIncidentKey(raw)
		if !ok {
			return f, fieldError("incident_id", "use a number or a key such as INC-42")
		}
		f.IncidentID = &id
	}
	switch c.Query("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return f, fieldError("overdue", "use true or false")
	}
	for name, dst := range map[string]**models.Date{"due_before": &f.DueBefore, "due_after": &f.DueAfter} {
		if raw := c.Query(name); raw != "" {
			d, err := models.ParseDate(raw)
			if err != nil {
				return f, fieldError(name, err.Error())
			}
			*dst = &d
		}
	}
	var err error
	if f.Page, err = queryInt(c, "page", 1, 1_000_000); err != nil {
		return f, err
	}
	if f.PerPage, err = queryInt(c, "per_page", models.DefaultPerPage, models.MaxPerPage); err != nil {
		return f, err
	}
	return f, nil
}
