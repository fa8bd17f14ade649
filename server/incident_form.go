package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

// datetimeLocal is the layout of <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// incidentForm is the HTML form's view of an incident: text as typed, times
// in the viewer's zone, lists as comma-separated text.
type incidentForm struct {
	ID             int64
	Version        int64
	Title          string
	Summary        string
	Severity       string
	Status         string
	Environment    string
	StartedAt      string
	DetectedAt     string
	AcknowledgedAt string
	MitigatedAt    string
	ResolvedAt     string
	Services       string
	Tags           string
	AuthorIDs      map[int64]bool
	TemplateKey    string // the postmortem template, picked at creation only
	Errors         map[string]string
	Conflict       *models.Incident // set when someone else saved first

	// Choices for the selects.
	Users      []models.User
	Severities []string
	Statuses   []string
	Zone       string
	Templates  []postmortem.Template // on the creation form
}

func newIncidentForm(zone *time.Location) incidentForm {
	return incidentForm{
		Severity: "SEV3", Status: models.StatusDraft, Environment: "production",
		StartedAt: time.Now().In(zone).Format(datetimeLocal), AuthorIDs: map[int64]bool{},
		TemplateKey: models.DefaultTemplateKey,
	}
}

func incidentFormOf(inc *models.Incident, zone *time.Location) incidentForm {
	f := incidentForm{
		ID: inc.ID, Version: inc.Version, Title: inc.Title, Summary: inc.Summary, Severity: inc.Severity,
		Status: inc.Status, Environment: inc.Environment,
		StartedAt: localInput(&inc.StartedAt, zone), DetectedAt: localInput(inc.DetectedAt, zone),
		AcknowledgedAt: localInput(inc.AcknowledgedAt, zone),
		MitigatedAt:    localInput(inc.MitigatedAt, zone), ResolvedAt: localInput(inc.ResolvedAt, zone),
		Services: strings.Join(inc.Services, ", "), Tags: strings.Join(inc.Tags, ", "),
		AuthorIDs: map[int64]bool{},
	}
	for _, a := range inc.Authors {
		f.AuthorIDs[a.ID] = true
	}
	return f
}

func localInput(t *time.Time, zone *time.Location) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(zone).Format(datetimeLocal)
}

// parseIncidentForm reads the posted form. Field errors it finds (bad times)
// are merged with the model's validation.
func parseIncidentForm(c *gin.Context, zone *time.Location) (incidentForm, models.IncidentInput) {
	f := incidentForm{
		Title: c.PostForm("title"), Summary: c.PostForm("summary"), Severity: c.PostForm("severity"),
		Status: c.PostForm("status"), Environment: c.PostForm("environment"),
		StartedAt: c.PostForm("started_at"), DetectedAt: c.PostForm("detected_at"), AcknowledgedAt: c.PostForm("acknowledged_at"),
		MitigatedAt: c.PostForm("mitigated_at"), ResolvedAt: c.PostForm("resolved_at"),
		Services: c.PostForm("services"), Tags: c.PostForm("tags"), TemplateKey: strings.TrimSpace(c.PostForm("template")),
		AuthorIDs: map[int64]bool{}, Errors: map[string]string{},
	}
	f.Version, _ = strconv.ParseInt(c.PostForm("version"), 10, 64)
	in := models.IncidentInput{
		Title: f.Title, Summary: f.Summary, Severity: f.Severity, Status: f.Status, Environment: f.Environment,
		Services: splitList(f.Services), Tags: splitList(f.Tags), TemplateKey: f.TemplateKey,
	}
	for _, raw := range c.PostFormArray("authors") {
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil {
			f.AuthorIDs[id] = true
			in.AuthorIDs = append(in.AuthorIDs, id)
		}
	}
	if t, ok := parseLocal(f.StartedAt, zone, "started_at", f.Errors); ok && t != nil {
		in.StartedAt = *t
	}
	in.DetectedAt, _ = parseLocal(f.DetectedAt, zone, "detected_at", f.Errors)
	in.AcknowledgedAt, _ = parseLocal(f.AcknowledgedAt, zone, "acknowledged_at", f.Errors)
	in.MitigatedAt, _ = parseLocal(f.MitigatedAt, zone, "mitigated_at", f.Errors)
	in.ResolvedAt, _ = parseLocal(f.ResolvedAt, zone, "resolved_at", f.Errors)
	return f, in
}

func parseLocal(raw string, zone *time.Location, field string, errs map[string]string) (*time.Time, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, true
	}
	for _, layout := range []string{datetimeLocal, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, raw, zone); err == nil {
			return &t, true
		}
	}
	errs[field] = "enter a date and time as YYYY-MM-DD HH:MM"
	return nil, false
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
