package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

// stepDef is how one step's form is shown and saved. Steps without a form
// of their own (timeline, actions, review) have no save.
type stepDef struct {
	// form returns the step's current values for the form.
	form func(s *Server, c *gin.Context, v *writeView) any
	// save parses the posted form and saves it at version. It returns the
	// form as posted (to re-render), the document it tried to save, and
	// the store's error.
	save func(s *Server, c *gin.Context, v *writeView, version int64) (form, doc any, err error)
	// diff compares the stored document (theirs) with the posted one.
	diff func(s *Server, c *gin.Context, v *writeView, yours any) []postmortem.FieldDiff
}

// stepDefs are registered by the files of each step.
var stepDefs = map[postmortem.Step]stepDef{}

func (s *Server) stepForm(c *gin.Context, v *writeView) any {
	if d, ok := stepDefs[v.Step.Step]; ok && d.form != nil {
		return d.form(s, c, v)
	}
	return nil
}

// conflictView is the merge page: the section as someone else saved it
// meanwhile, and what this author sent, field by field.
type conflictView struct {
	TheirVersion int64
	TheirAuthor  string
	TheirAt      time.Time
	Diffs        []postmortem.FieldDiff
}

// writeSave saves one step. With htmx (autosave) it answers a small status
// fragment; otherwise 303 back to the step, 422 with the field messages,
// or 409 with the merge page — never a silent overwrite.
func (s *Server) writeSave(c *gin.Context) {
	v, version, ok := s.stepForSave(c, c.Param("step"))
	if !ok {
		return
	}
	ctx, inc := c.Request.Context(), v.Incident
	def, ok := stepDefs[v.Step.Step]
	if !ok || def.save == nil {
		s.fail(c, errBadRequest("the %s step has nothing to save here", v.Step.Title))
		return
	}
	form, doc, err := def.save(s, c, v, version)
	var ve *models.ValidationError
	switch {
	case err == nil:
		if isHTMX(c) {
			fresh, lerr := s.loadPostmortem(ctx, inc)
			if lerr != nil {
				s.fail(c, lerr)
				return
			}
			s.renderPartial(c, http.StatusOK, "save_status", saveStatus{Saved: true, At: s.store.Now(), Zone: s.viewerZone(c),
				Version: fresh.Versions[sectionOf(v.Step.Step)], Step: v.Step.Step, IncidentID: inc.ID})
			return
		}
		redirect(c, "/incidents/"+itoa(inc.ID)+"/write/"+string(v.Step.Step), v.Step.Title+" saved.")
	case errors.As(err, &ve):
		if isHTMX(c) {
			s.renderPartial(c, http.StatusUnprocessableEntity, "save_status", saveStatus{Errors: ve.Fields, Version: version,
				Step: v.Step.Step, IncidentID: inc.ID})
			return
		}
		v.Form, v.Errors, v.Version = form, ve.Fields, version
		s.renderStep(c, http.StatusUnprocessableEntity, v)
	case errors.Is(err, models.ErrStale):
		if isHTMX(c) {
			s.renderPartial(c, http.StatusConflict, "save_status", saveStatus{Conflict: true, Version: version,
				Step: v.Step.Step, IncidentID: inc.ID})
			return
		}
		s.renderConflict(c, v, def, form, doc)
	default:
		s.fail(c, err)
	}
}

// stepForSave loads the step a form posts to and the section version the
// form was based on; false once it has answered (404, 400).
func (s *Server) stepForSave(c *gin.Context, step string) (*writeView, int64, bool) {
	inc := s.loadIncident(c)
	if inc == nil {
		return nil, 0, false
	}
	st, err := s.loadPostmortem(c.Request.Context(), inc)
	if err != nil {
		s.fail(c, err)
		return nil, 0, false
	}
	v := s.stepView(c, st, step)
	if v == nil {
		return nil, 0, false
	}
	version, err := strconv.ParseInt(c.PostForm("version"), 10, 64)
	if err != nil || version < 0 {
		s.fail(c, errBadRequest("the form lacks the version it was based on; reload the page"))
		return nil, 0, false
	}
	return v, version, true
}

// renderConflict shows the merge page: the stored version next to the
// posted one, and the posted form again, now based on the stored version,
// so that saving it is a conscious choice.
func (s *Server) renderConflict(c *gin.Context, v *writeView, def stepDef, form, doc any) {
	section := sectionOf(v.Step.Step)
	conflict := &conflictView{TheirVersion: v.Versions[section]}
	if revs, err := s.store.SectionRevisions(c.Request.Context(), v.Incident.ID, section); err == nil && len(revs) > 0 {
		conflict.TheirAuthor, conflict.TheirAt = revs[0].Author, revs[0].At
	}
	if def.diff != nil {
		conflict.Diffs = def.diff(s, c, v, doc)
	}
	v.Form, v.Conflict, v.Version = form, conflict, conflict.TheirVersion
	s.renderStep(c, http.StatusConflict, v)
}

// sectionOf names the versioned section a step saves.
func sectionOf(step postmortem.Step) string { return string(step) }

// saveStatus is the autosave fragment.
type saveStatus struct {
	Saved, Conflict bool
	Errors          map[string]string
	At              time.Time
	Zone            *time.Location
	Version         int64
	Step            postmortem.Step
	IncidentID      int64
}

// validationErr reports form values the handler could not even parse, in
// the same shape as the store's validation.
func validationErr(fields map[string]string) error { return &models.ValidationError{Fields: fields} }
