package server

import (
	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

func init() {
	stepDefs[postmortem.StepSummary] = stepDef{form: summaryFormOf, save: saveSummary, diff: diffSummary}
}

// summaryExtra is what the summary step shows next to its form.
type summaryExtra struct {
	Severities []string
	Rubric     []severityLevel
}

// severityLevel explains one severity, next to the field.
type severityLevel struct{ Name, Meaning string }

// severityRubric is shown next to the severity field so that authors pick
// the same level for the same kind of outage.
var severityRubric = []severityLevel{
	{"SEV1", "Most users cannot use a core product, data is lost or exposed, or money is lost at scale. All hands until mitigated."},
	{"SEV2", "A core feature is broken or badly degraded for many users, or a smaller group is fully blocked."},
	{"SEV3", "A secondary feature misbehaves, or a workaround exists; users notice but can carry on."},
	{"SEV4", "Little or no user impact: a near miss, an internal tool, a risk found in time."},
}

func summaryFormOf(_ *Server, _ *gin.Context, v *writeView) any {
	v.Extra = summaryExtra{Severities: models.Severities, Rubric: severityRubric}
	return models.Summary{Title: v.Incident.Title, Summary: v.Incident.Summary, Severity: v.Incident.Severity}
}

func saveSummary(s *Server, c *gin.Context, v *writeView, version int64) (any, any, error) {
	doc := models.Summary{Title: c.PostForm("title"), Summary: c.PostForm("summary"), Severity: c.PostForm("severity")}
	v.Extra = summaryExtra{Severities: models.Severities, Rubric: severityRubric}
	_, err := s.store.SaveSummary(c.Request.Context(), v.Incident, doc, version, authorName(c))
	return doc, doc, err
}

func diffSummary(_ *Server, _ *gin.Context, v *writeView, yours any) []postmortem.FieldDiff {
	return summaryDiff(models.Summary{Title: v.Incident.Title, Summary: v.Incident.Summary, Severity: v.Incident.Severity}, yours.(models.Summary))
}

// summaryDiff lists the summary's fields that differ, word by word.
func summaryDiff(old, new models.Summary) []postmortem.FieldDiff {
	var out []postmortem.FieldDiff
	for _, f := range []struct{ path, label, old, new string }{
		{"title", "Title", old.Title, new.Title},
		{"severity", "Severity", old.Severity, new.Severity},
		{"summary", "Summary", old.Summary, new.Summary},
	} {
		if f.old != f.new {
			out = append(out, postmortem.FieldDiff{Path: f.path, Label: f.label, Ops: postmortem.Diff(f.old, f.new)})
		}
	}
	return out
}

// authorName is how history names the signed-in author.
func authorName(c *gin.Context) string {
	if u := currentUser(c); u != nil {
		return u.Name
	}
	return "API"
}
