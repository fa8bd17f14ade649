package server

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"hindsight/actions"
	"hindsight/models"
	"hindsight/postmortem"
)

// postmortemState is everything the guided steps and their progress read.
type postmortemState struct {
	Incident *models.Incident
	Template postmortem.Template
	Impact   postmortem.Impact
	Whys     postmortem.Whys
	Factors  postmortem.Factors
	Lessons  postmortem.Lessons
	Versions map[string]int64 // per section; the summary's is the incident's
	Entries  []models.TimelineEntry
	Actions  []models.Action
	Progress []postmortem.StepStatus
}

// loadPostmortem reads an incident's postmortem and works out its progress.
func (s *Server) loadPostmortem(ctx context.Context, inc *models.Incident) (*postmortemState, error) {
	st := &postmortemState{Incident: inc, Versions: map[string]int64{models.SectionSummary: inc.Version}}
	var err error
	if st.Template, err = s.store.IncidentTemplate(ctx, inc); err != nil {
		return nil, err
	}
	var sec *models.PostmortemSection
	if st.Impact, sec, err = s.store.Impact(ctx, inc.ID); err != nil {
		return nil, err
	}
	st.Versions[models.SectionImpact] = sec.Version
	if st.Whys, sec, err = s.store.Whys(ctx, inc.ID); err != nil {
		return nil, err
	}
	st.Versions[models.SectionWhys] = sec.Version
	if st.Factors, sec, err = s.store.Factors(ctx, inc.ID); err != nil {
		return nil, err
	}
	st.Versions[models.SectionFactors] = sec.Version
	if st.Lessons, sec, err = s.store.Lessons(ctx, inc.ID); err != nil {
		return nil, err
	}
	st.Versions[models.SectionLessons] = sec.Version
	if st.Entries, err = s.store.Timeline(ctx, inc.ID); err != nil {
		return nil, err
	}
	if st.Actions, err = s.store.IncidentActions(ctx, inc.ID); err != nil {
		return nil, err
	}
	snap := postmortem.Snapshot{Title: inc.Title, Summary: inc.Summary, Severity: inc.Severity,
		HasKeyMoments: inc.ResolvedAt != nil, TimelineEntries: len(st.Entries), HasTrigger: inc.TriggerEventID != nil,
		Impact: st.Impact.WithDefaults(incidentMoments(inc)), Whys: st.Whys, Factors: st.Factors, Lessons: st.Lessons,
		Actions: len(st.Actions), ReviewState: inc.Status}
	for _, a := range st.Actions {
		if !actions.IsClosed(a.Status) && a.OwnerID == nil && a.Team == "" {
			snap.OpenActionsWithoutOwner++
		}
	}
	st.Progress = postmortem.Progress(snap, st.Template)
	return st, nil
}

// writeView is one step page of the guided postmortem.
type writeView struct {
	*postmortemState
	Step       postmortem.StepStatus
	Prev, Next *postmortem.StepStatus
	Complete   int
	Total      int
	ReadOnly   bool // published, or a viewer
	Version    int64
	Errors     map[string]string
	Form       any // the step's form values, when re-rendered
	Conflict   *conflictView
	Extra      any             // step-specific data
	Comments   *commentsView   // the step's comment threads (comments.go)
	Review     *reviewView     // the review step's workflow (write_review.go)
	Blameless  []fieldFindings // what the checker flags in the saved text
}

// writeStart sends the author to the first step still incomplete.
func (s *Server) writeStart(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	st, err := s.loadPostmortem(c.Request.Context(), inc)
	if err != nil {
		s.fail(c, err)
		return
	}
	step := st.Progress[0].Step
	for _, p := range st.Progress {
		if !p.Complete {
			step = p.Step
			break
		}
	}
	c.Redirect(http.StatusSeeOther, "/incidents/"+itoa(inc.ID)+"/write/"+string(step))
}

// stepView prepares the page of one step; nil (after answering 404) when
// the template has no such step.
func (s *Server) stepView(c *gin.Context, st *postmortemState, name string) *writeView {
	v := &writeView{postmortemState: st}
	found := false
	for i, p := range st.Progress {
		if string(p.Step) == name {
			v.Step, found = p, true
			if i > 0 {
				v.Prev = &st.Progress[i-1]
			}
			if i+1 < len(st.Progress) {
				v.Next = &st.Progress[i+1]
			}
		}
	}
	if !found {
		s.fail(c, errNotFound("step "+name+" of this postmortem's template"))
		return nil
	}
	v.Complete, v.Total = postmortem.Tally(st.Progress)
	u := currentUser(c)
	v.ReadOnly = st.Incident.Status == models.StatusPublished || !models.RoleAtLeast(u.Role, models.RoleEditor)
	v.Version = st.Versions[name]
	return v
}

// writeStep shows one step.
func (s *Server) writeStep(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	st, err := s.loadPostmortem(c.Request.Context(), inc)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := s.stepView(c, st, c.Param("step"))
	if v == nil {
		return
	}
	if v.Blameless, err = s.stepFindings(c.Request.Context(), st, v.Step.Step); err != nil {
		s.fail(c, err)
		return
	}
	s.renderStep(c, http.StatusOK, v)
}

func (s *Server) renderStep(c *gin.Context, status int, v *writeView) {
	if v.Form == nil {
		v.Form = s.stepForm(c, v)
	}
	if err := s.loadDiscussion(c, v); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "write", v.Step.Title+" · "+v.Incident.Key(), v)
}
