package server

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

func init() {
	stepDefs[postmortem.StepFactors] = stepDef{form: factorsFormOf, save: saveFactors, diff: diffFactors}
}

// factorsForm is the contributing factors step's form: one row per factor,
// an empty row to add one, and the Five Whys causes not listed yet. Like
// the whys, it posts the whole list (ids in hidden fields).
type factorsForm struct {
	Rows        []factorRow
	NewCategory string
	NewNote     string
	NewGroups   []categoryGroup // live categories only
	Suggestions []suggestionRow
}

// factorRow is one factor as the form shows it.
type factorRow struct {
	postmortem.Factor
	Index   int
	Groups  []categoryGroup // live categories, and its own if archived
	Known   bool            // its category is in the taxonomy
	Source  *postmortem.FlatStep
	Actions []models.Action
}

// suggestionRow is a Five Whys cause offered as a factor.
type suggestionRow struct {
	postmortem.FlatStep
	Category string // as picked, when the form comes back
}

// categoryGroup is one <optgroup> of the category picker.
type categoryGroup struct {
	Label   string
	Options []postmortem.Category
}

// groupLabels names the groups of the default taxonomy; an admin's own
// group is shown by its slug.
var groupLabels = map[string]string{postmortem.GroupTrigger: "Triggers", postmortem.GroupGap: "Gaps"}

// groupCategories groups the live categories in taxonomy order, plus the
// archived one selected, which stays valid where it is used.
func groupCategories(cats []postmortem.Category, selected string) []categoryGroup {
	var out []categoryGroup
	at := map[string]int{}
	for _, c := range cats {
		if c.Archived && c.Key != selected {
			continue
		}
		i, ok := at[c.Group]
		if !ok {
			label := groupLabels[c.Group]
			if label == "" {
				label = strings.ReplaceAll(c.Group, "_", " ")
			}
			i = len(out)
			at[c.Group] = i
			out = append(out, categoryGroup{Label: label})
		}
		out[i].Options = append(out[i].Options, c)
	}
	return out
}

func factorsFormOf(s *Server, c *gin.Context, v *writeView) any {
	return s.newFactorsForm(c, v, v.Factors)
}

// newFactorsForm lays the factors out for the form.
func (s *Server) newFactorsForm(c *gin.Context, v *writeView, doc postmortem.Factors) factorsForm {
	cats, err := s.store.FactorCategories(c.Request.Context())
	if err != nil {
		s.log.ErrorContext(c.Request.Context(), "factor categories", "err", err, "request_id", requestID(c))
	}
	f := factorsForm{NewGroups: groupCategories(cats, "")}
	byCause := map[string][]models.Action{}
	for _, a := range v.Actions {
		if kind, id, ok := models.ParseActionCause(a.Cause); ok && kind == models.CauseFactor {
			byCause[id] = append(byCause[id], a)
		}
	}
	for i, it := range doc.Items {
		row := factorRow{Factor: it, Index: i, Groups: groupCategories(cats, it.Category), Actions: byCause[it.ID],
			Known: slices.ContainsFunc(cats, func(c postmortem.Category) bool { return c.Key == it.Category })}
		if it.WhyStepID != "" {
			if step, ok := v.Whys.Find(it.WhyStepID); ok {
				row.Source = &step
			}
		}
		f.Rows = append(f.Rows, row)
	}
	for _, l := range doc.Suggestions(v.Whys) {
		f.Suggestions = append(f.Suggestions, suggestionRow{FlatStep: l})
	}
	return f
}

// parseFactorsForm reads the posted factors: the rows named by the "factor"
// fields, less those ticked "remove", plus the add row when it has a
// category or a note.
func parseFactorsForm(c *gin.Context) (doc postmortem.Factors, removed []string) {
	doc.Items = []postmortem.Factor{}
	remove := c.PostFormArray("remove")
	for _, id := range c.PostFormArray("factor") {
		if slices.Contains(remove, id) {
			removed = append(removed, id)
			continue
		}
		doc.Items = append(doc.Items, postmortem.Factor{ID: id, Category: c.PostForm("category_" + id),
			Note: lf(c.PostForm("note_" + id)), WhyStepID: c.PostForm("from_" + id)})
	}
	if cat, note := c.PostForm("new_category"), c.PostForm("new_note"); strings.TrimSpace(cat) != "" || strings.TrimSpace(note) != "" {
		doc.Add(cat, lf(note), "")
	}
	doc.Normalize()
	return doc, removed
}

func saveFactors(s *Server, c *gin.Context, v *writeView, version int64) (any, any, error) {
	doc, removed := parseFactorsForm(c)
	ctx := c.Request.Context()
	_, err := s.store.SaveFactors(ctx, v.Incident.ID, doc, version, authorName(c))
	if err == nil && len(removed) > 0 {
		s.unlinkActions(ctx, c, v, models.CauseFactor, removed)
	}
	return s.newFactorsForm(c, v, doc), doc, err
}

func diffFactors(_ *Server, _ *gin.Context, v *writeView, yours any) []postmortem.FieldDiff {
	return postmortem.DiffFactors(v.Factors, yours.(postmortem.Factors))
}

// factorsAddSuggested saves the posted factors with one more: the Five
// Whys cause :sid, its because as the note, in the category picked next
// to it. Then 303 to the new factor; 422 without a category; 409 with the
// merge page when the factors were saved meanwhile.
func (s *Server) factorsAddSuggested(c *gin.Context) {
	if isHTMX(c) {
		// An autosave fired while this button had the focus (see
		// whysStructure): save the list, add nothing.
		c.Params = append(c.Params, gin.Param{Key: "step", Value: string(postmortem.StepFactors)})
		s.writeSave(c)
		return
	}
	v, version, ok := s.stepForSave(c, string(postmortem.StepFactors))
	if !ok {
		return
	}
	ctx, inc := c.Request.Context(), v.Incident
	sid := c.Param("sid")
	doc, removed := parseFactorsForm(c)
	category := strings.TrimSpace(c.PostForm("suggest_category_" + sid))
	fail := func(status int, errs map[string]string) {
		f := s.newFactorsForm(c, v, doc)
		for i := range f.Suggestions {
			f.Suggestions[i].Category = c.PostForm("suggest_category_" + f.Suggestions[i].ID)
		}
		v.Form, v.Errors, v.Version = f, errs, version
		s.renderStep(c, status, v)
	}
	var step *postmortem.FlatStep
	for _, l := range doc.Suggestions(v.Whys) {
		if l.ID == sid {
			step = &l
			break
		}
	}
	switch {
	case step == nil:
		fail(http.StatusUnprocessableEntity, map[string]string{"suggestions": "that cause is no longer in the Five Whys, or is already a factor"})
		return
	case category == "":
		fail(http.StatusUnprocessableEntity, map[string]string{"suggest_" + sid: "choose a category for this factor"})
		return
	}
	added := doc.Add(category, step.Because, sid)
	_, err := s.store.SaveFactors(ctx, inc.ID, doc, version, authorName(c))
	var ve *models.ValidationError
	switch {
	case err == nil:
	case errors.As(err, &ve):
		fail(http.StatusUnprocessableEntity, ve.Fields)
		return
	case errors.Is(err, models.ErrStale):
		s.renderConflict(c, v, stepDefs[postmortem.StepFactors], s.newFactorsForm(c, v, doc), doc)
		return
	default:
		s.fail(c, err)
		return
	}
	if len(removed) > 0 {
		s.unlinkActions(ctx, c, v, models.CauseFactor, removed)
	}
	redirect(c, "/incidents/"+itoa(inc.ID)+"/write/factors#factor-"+added.ID, "Five Whys "+step.Number+" added as a factor.")
}
