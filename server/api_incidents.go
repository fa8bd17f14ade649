package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

type authorJSON struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

type incidentJSON struct {
	ID         int64      `json:"id"`
	Key        string     `json:"key"`
	Slug       string     `json:"slug"`
	Title      string     `json:"title"`
	Summary    string     `json:"summary"`
	Severity   string     `json:"severity"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	DetectedAt *time.Time `json:"detected_at"`
	// AcknowledgedAt and TriggerEventID came with the timeline.
	AcknowledgedAt *time.Time   `json:"acknowledged_at"`
	TriggerEventID *int64       `json:"trigger_event_id"`
	MitigatedAt    *time.Time   `json:"mitigated_at"`
	ResolvedAt     *time.Time   `json:"resolved_at"`
	Services       []string     `json:"services"`
	Environment    string       `json:"environment"`
	Tags           []string     `json:"tags"`
	Authors        []authorJSON `json:"authors"`
	Template       string       `json:"template"` // the postmortem template's key, set at creation
	Version        int64        `json:"version"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
}

func toIncidentJSON(inc *models.Incident) incidentJSON {
	out := incidentJSON{
		ID: inc.ID, Key: inc.Key(), Slug: inc.Slug, Title: inc.Title, Summary: inc.Summary,
		Severity: inc.Severity, Status: inc.Status, StartedAt: inc.StartedAt, DetectedAt: inc.DetectedAt,
		AcknowledgedAt: inc.AcknowledgedAt, TriggerEventID: inc.TriggerEventID,
		MitigatedAt: inc.MitigatedAt, ResolvedAt: inc.ResolvedAt, Services: inc.Services,
		Environment: inc.Environment, Tags: inc.Tags, Authors: []authorJSON{}, Template: inc.TemplateKey, Version: inc.Version,
		CreatedAt: inc.CreatedAt, UpdatedAt: inc.UpdatedAt,
	}
	for _, a := range inc.Authors {
		out.Authors = append(out.Authors, authorJSON{ID: a.ID, Email: a.Email, Name: a.Name})
	}
	return out
}

func incidentETag(inc *models.Incident) string { return etag("incident", inc.ID, inc.Version) }

func (s *Server) apiIncidentList(c *gin.Context) {
	f := models.IncidentFilter{
		Status: c.Query("status"), Severity: c.Query("severity"), Service: c.Query("service"),
		Tag: c.Query("tag"), Query: c.Query("q"), Sort: c.Query("sort"),
	}
	if f.Status != "" && !containsString(models.ReviewStatuses, f.Status) {
		s.fail(c, fieldError("status", "use one of draft, in_review, approved, published"))
		return
	}
	if f.Severity != "" && !containsString(models.Severities, f.Severity) {
		s.fail(c, fieldError("severity", "use one of SEV1, SEV2, SEV3, SEV4"))
		return
	}
	if f.Sort != "" && !containsString(models.IncidentSorts, f.Sort) {
		s.fail(c, fieldError("sort", fmt.Sprintf("use one of %v", models.IncidentSorts)))
		return
	}
	var err error
	if f.Page, err = queryInt(c, "page", 1, 1_000_000); err != nil {
		s.fail(c, err)
		return
	}
	if f.PerPage, err = queryInt(c, "per_page", models.DefaultPerPage, models.MaxPerPage); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.ListIncidents(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]incidentJSON, 0, len(page.Incidents))
	for i := range page.Incidents {
		items = append(items, toIncidentJSON(&page.Incidents[i]))
	}
	c.JSON(http.StatusOK, gin.H{"incidents": items, "total": page.Total, "page": page.Page, "per_page": page.PerPage})
}

func queryInt(c *gin.Context, name string, def, max int) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > max {
		return 0, fieldError(name, fmt.Sprintf("use a whole number from 1 to %d", max))
	}
	return n, nil
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) writeIncident(c *gin.Context, status int, inc *models.Incident) {
	c.Header("ETag", incidentETag(inc))
	c.JSON(status, toIncidentJSON(inc))
}

func (s *Server) apiIncidentGet(c *gin.Context) {
	if inc := s.loadIncident(c); inc != nil {
		s.writeIncident(c, http.StatusOK, inc)
	}
}

func (s *Server) apiIncidentCreate(c *gin.Context) {
	obj, err := readJSONObject(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	in := models.IncidentInput{Status: models.StatusDraft}
	if err := s.applyIncidentJSON(c, obj, &in, true); err != nil {
		s.fail(c, err)
		return
	}
	inc, err := s.store.CreateIncident(c.Request.Context(), in, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/incidents/"+itoa(inc.ID))
	s.writeIncident(c, http.StatusCreated, inc)
}

func (s *Server) apiIncidentPatch(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	if err := ifMatch(c, incidentETag(inc), true); err != nil {
		s.fail(c, err)
		return
	}
	obj, err := readJSONObject(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	in := models.InputOf(inc)
	if err := s.applyIncidentJSON(c, obj, &in, false); err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.store.UpdateIncident(c.Request.Context(), inc.ID, inc.Version, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeIncident(c, http.StatusOK, updated)
}

func (s *Server) apiIncidentDelete(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	if err := ifMatch(c, incidentETag(inc), false); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.DeleteIncident(c.Request.Context(), inc.ID); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// readOnlyIncidentFields may appear in a body (a client writing back what it
// read) and are ignored.
var readOnlyIncidentFields = map[string]bool{"id": true, "key": true, "version": true, "created_at": true, "updated_at": true,
	"trigger_event_id": true}

// applyIncidentJSON copies the present members of a JSON object onto in.
// Each member is decoded on its own so that errors name the field.
func (s *Server) applyIncidentJSON(c *gin.Context, obj map[string]json.RawMessage, in *models.IncidentInput, creating bool) error {
	for key, raw := range obj {
		if readOnlyIncidentFields[key] || ((key == "slug" || key == "template") && !creating) {
			continue
		}
		var err error
		switch key {
		case "slug":
			err = decodeString(raw, &in.Slug)
		case "template":
			err = decodeString(raw, &in.TemplateKey)
		case "title":
			err = decodeString(raw, &in.Title)
		case "summary":
			err = decodeString(raw, &in.Summary)
		case "severity":
			err = decodeString(raw, &in.Severity)
		case "status":
			var status string
			if err = decodeString(raw, &status); err == nil && !creating && status != in.Status {
				// Sending back what was read is fine; a change is not.
				msg := fmt.Sprintf("is %s: it changes through the review workflow (POST /api/v1/incidents/{id}/review/request, "+
					"approve, publish or reopen), not here", in.Status)
				return &appError{Status: http.StatusConflict, Code: "review_state", Message: "status " + msg,
					Fields: map[string]string{"status": msg}}
			}
			if creating {
				in.Status = status
			}
		case "environment":
			err = decodeString(raw, &in.Environment)
		case "started_at":
			var t *time.Time
			if t, err = decodeTime(raw); err == nil {
				if t == nil {
					err = errors.New("is required; it cannot be null")
				} else {
					in.StartedAt = *t
				}
			}
		case "detected_at":
			in.DetectedAt, err = decodeTime(raw)
		case "acknowledged_at":
			in.AcknowledgedAt, err = decodeTime(raw)
		case "mitigated_at":
			in.MitigatedAt, err = decodeTime(raw)
		case "resolved_at":
			in.ResolvedAt, err = decodeTime(raw)
		case "services":
			err = decodeStrings(raw, &in.Services)
		case "tags":
			err = decodeStrings(raw, &in.Tags)
		case "authors":
			in.AuthorIDs, err = s.decodeAuthors(c, raw)
		default:
			return fieldError(key, "is not a field of an incident")
		}
		if err != nil {
			return fieldError(key, err.Error())
		}
	}
	if creating && in.StartedAt.IsZero() {
		return &appError{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: "some fields are not valid",
			Fields: map[string]string{"started_at": "is required: when the impact started, in RFC 3339"}}
	}
	return nil
}

func decodeString(raw json.RawMessage, dst *string) error {
	if string(raw) == "null" {
		*dst = ""
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return errors.New("must be a string")
	}
	return nil
}

func decodeStrings(raw json.RawMessage, dst *[]string) error {
	if string(raw) == "null" {
		*dst = nil
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return errors.New("must be an array of strings")
	}
	return nil
}

func decodeTime(raw json.RawMessage) (*time.Time, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errors.New("must be an RFC 3339 time string such as 2022-11-17T10:45:00Z, or null")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an RFC 3339 time such as 2022-11-17T10:45:00Z", s)
	}
	return &t, nil
}

// decodeAuthors accepts e-mail strings, {"email": …} or {"id": …} objects,
// so that a client can send back the authors it read.
func (s *Server) decodeAuthors(c *gin.Context, raw json.RawMessage) ([]int64, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("must be an array of e-mail addresses or {\"email\": …} objects")
	}
	var ids []int64
	var emails []string
	for i, item := range items {
		var email string
		if json.Unmarshal(item, &email) == nil {
			emails = append(emails, email)
			continue
		}
		var ref struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		}
		if err := json.Unmarshal(item, &ref); err != nil || (ref.ID == 0 && ref.Email == "") {
			return nil, fmt.Errorf("item %d must be an e-mail address or an object with id or email", i)
		}
		if ref.ID != 0 {
			ids = append(ids, ref.ID)
		} else {
			emails = append(emails, ref.Email)
		}
	}
	users, missing, err := s.store.UsersByEmails(c.Request.Context(), emails)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no user has the e-mail address %q", missing[0])
	}
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	return ids, nil
}
