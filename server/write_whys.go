package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

func init() {
	stepDefs[postmortem.StepWhys] = stepDef{form: whysFormOf, save: saveWhys, diff: diffWhys}
}

// whysForm is the Five Whys step's form: the problem statement and the
// steps in display order. The form carries the tree itself (each step's id
// and parent in hidden fields), so that what it posts is a whole document:
// the one the author saw and typed into, whatever was saved meanwhile.
type whysForm struct {
	Problem string
	Steps   []whyRow
	Entries []models.TimelineEntry // the timeline, to cite as evidence
}

// whyRow is one step as the form shows it.
type whyRow struct {
	postmortem.FlatStep
	ParentNumber string                 // "1.2" for a cause of step 1.2; "" at the top level
	First, Last  bool                   // among its siblings: it cannot move up, down
	Below        int                    // steps below it, deleted with it
	Cited        map[int64]bool         // its evidence, by timeline entry id
	Offer        []models.TimelineEntry // the entries offered as its evidence
	Actions      []models.Action
}

// maxOfferedEntries is how long a timeline every why step offers whole as
// evidence. A longer one (thousands of alerts) would repeat thousands of
// checkboxes under every step: then each step offers the highlighted
// entries and the ones it cites.
const maxOfferedEntries = 60

// offeredEntries are the timeline entries a step offers as evidence, in
// timeline order; a cited entry is always among them, so that saving the
// form never drops a citation.
func offeredEntries(entries []models.TimelineEntry, cited map[int64]bool) []models.TimelineEntry {
	if len(entries) <= maxOfferedEntries {
		return entries
	}
	var out []models.TimelineEntry
	for _, e := range entries {
		if e.Highlight || cited[e.ID] {
			out = append(out, e)
		}
	}
	return out
}

func whysFormOf(_ *Server, _ *gin.Context, v *writeView) any { return newWhysForm(v, v.Whys) }

// newWhysForm lays the whys out for the form.
func newWhysForm(v *writeView, w postmortem.Whys) whysForm {
	f := whysForm{Problem: w.Problem, Entries: v.Entries}
	flat := w.Flatten()
	siblings := map[string]int{} // by parent number
	for _, s := range flat {
		siblings[parentNumber(s.Number)]++
	}
	byCause := map[string][]models.Action{}
	for _, a := range v.Actions {
		if kind, id, ok := models.ParseActionCause(a.Cause); ok && kind == models.CauseWhy {
			byCause[id] = append(byCause[id], a)
		}
	}
	for i, s := range flat {
		parent := parentNumber(s.Number)
		pos, _ := strconv.Atoi(s.Number[strings.LastIndex(s.Number, ".")+1:])
		row := whyRow{FlatStep: s, ParentNumber: parent, First: pos == 1, Last: pos == siblings[parent],
			Cited: make(map[int64]bool, len(s.Evidence)), Actions: byCause[s.ID]}
		for _, e := range s.Evidence {
			row.Cited[e] = true
		}
		row.Offer = offeredEntries(v.Entries, row.Cited)
		for _, after := range flat[i+1:] { // the subtree follows the step
			if after.Depth <= s.Depth {
				break
			}
			row.Below++
		}
		f.Steps = append(f.Steps, row)
	}
	return f
}

// parentNumber is "1.2" for "1.2.3", "" for "3".
func parentNumber(number string) string {
	if i := strings.LastIndex(number, "."); i >= 0 {
		return number[:i]
	}
	return ""
}

// lf turns the line ends browsers post (CR LF) into LF.
func lf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// parseWhysForm reads the posted whys: the steps named by the "step" fields,
// in their order, each with its parent, texts and cited entries. Entries no
// longer on the incident's timeline are dropped; a cited value that is no
// number is kept as 0 for Validate to refuse.
func parseWhysForm(c *gin.Context, v *writeView) postmortem.Whys {
	onTimeline := make(map[int64]bool, len(v.Entries))
	for _, e := range v.Entries {
		onTimeline[e.ID] = true
	}
	w := postmortem.Whys{Problem: lf(c.PostForm("problem")), Steps: []postmortem.WhyStep{}}
	for _, id := range c.PostFormArray("step") {
		s := postmortem.WhyStep{ID: id, ParentID: c.PostForm("parent_" + id), Why: c.PostForm("why_" + id),
			Because: lf(c.PostForm("because_" + id)), Evidence: []int64{}}
		for _, raw := range c.PostFormArray("evidence_" + id) {
			n, err := strconv.ParseInt(raw, 10, 64)
			switch {
			case err != nil:
				s.Evidence = append(s.Evidence, 0)
			case onTimeline[n]:
				s.Evidence = append(s.Evidence, n)
			}
		}
		w.Steps = append(w.Steps, s)
	}
	w.Normalize()
	return w
}

func saveWhys(s *Server, c *gin.Context, v *writeView, version int64) (any, any, error) {
	doc := parseWhysForm(c, v)
	_, err := s.store.SaveWhys(c.Request.Context(), v.Incident.ID, doc, version, authorName(c))
	return newWhysForm(v, doc), doc, err
}

func diffWhys(_ *Server, _ *gin.Context, v *writeView, yours any) []postmortem.FieldDiff {
	return postmortem.DiffWhys(v.Whys, yours.(postmortem.Whys))
}

// The questions a new step starts with: a step must have a why or a
// because to be saved, and the author rewrites it anyway.
const (
	firstWhy = "Why did this happen?"
	laterWhy = "Why is that?"
)

// whyOp changes the tree of the posted whys. It returns the step to show
// (the page scrolls to it), the message to flash, and the ids of the steps
// it deleted. Its errors are the postmortem package's tree errors, shown
// on the form, or an *appError.
type whyOp func(w *postmortem.Whys) (anchor, flash string, removed []string, err error)

// whysAddStep adds a step at the top level, or below ?parent= as one more
// cause of that step's because.
func (s *Server) whysAddStep(c *gin.Context) {
	parent := c.Query("parent")
	s.whysStructure(c, func(w *postmortem.Whys) (string, string, []string, error) {
		why := firstWhy
		if parent != "" {
			why = laterWhy
		}
		step, err := w.Add(parent, why, "")
		if err != nil {
			return "", "", nil, err
		}
		at, _ := w.Find(step.ID)
		return step.ID, "Step " + at.Number + " added.", nil, nil
	})
}

// whysMoveStep swaps a step with its previous (?dir=up) or next (down)
// sibling, with their subtrees. At the edge nothing moves; the typed text
// is saved all the same.
func (s *Server) whysMoveStep(c *gin.Context) {
	sid := c.Param("sid")
	s.whysStructure(c, func(w *postmortem.Whys) (string, string, []string, error) {
		var dir postmortem.Direction
		switch c.Query("dir") {
		case "up":
			dir = postmortem.Up
		case "down":
			dir = postmortem.Down
		default:
			return "", "", nil, errBadRequest("dir must be up or down")
		}
		if _, ok := w.Find(sid); !ok {
			return "", "", nil, postmortem.ErrNoSuchStep
		}
		if !w.Move(sid, dir) {
			return sid, "Saved; that step is already the " + map[bool]string{true: "first", false: "last"}[dir == postmortem.Up] + " of its level.", nil, nil
		}
		at, _ := w.Find(sid)
		return sid, "Step moved; it is now " + at.Number + ".", nil, nil
	})
}

// whysDeleteStep deletes a step and every step below it.
func (s *Server) whysDeleteStep(c *gin.Context) {
	sid := c.Param("sid")
	s.whysStructure(c, func(w *postmortem.Whys) (string, string, []string, error) {
		at, ok := w.Find(sid)
		if !ok {
			return "", "", nil, postmortem.ErrNoSuchStep
		}
		removed := w.Delete(sid)
		flash := "Step " + at.Number + " deleted."
		if n := len(removed) - 1; n > 0 {
			flash = "Step " + at.Number + " and the " + plural(n, "step", "steps") + " below it deleted."
		}
		return at.ParentID, flash, removed, nil
	})
}

// whysStructure saves the posted whys with one change of the tree, in one
// version: what the author typed is never lost to a structure button.
// Then 303 to the step page at the step concerned; invalid text or an
// impossible change: 422 with the form; a version saved meanwhile: 409
// with the merge page, as a plain save gets.
func (s *Server) whysStructure(c *gin.Context, op whyOp) {
	if isHTMX(c) {
		// htmx posts an autosave to the formaction of the button that has
		// the focus when it fires: that is an autosave, not a click, so
		// save the text and change nothing else.
		c.Params = append(c.Params, gin.Param{Key: "step", Value: string(postmortem.StepWhys)})
		s.writeSave(c)
		return
	}
	v, version, ok := s.stepForSave(c, string(postmortem.StepWhys))
	if !ok {
		return
	}
	ctx, inc := c.Request.Context(), v.Incident
	doc := parseWhysForm(c, v)
	if problems := doc.Validate(); problems != nil {
		v.Form, v.Errors, v.Version = newWhysForm(v, doc), problems, version
		s.renderStep(c, http.StatusUnprocessableEntity, v)
		return
	}
	before := postmortem.Whys{Problem: doc.Problem, Steps: slices.Clone(doc.Steps)}
	anchor, flash, removed, err := op(&doc)
	if err != nil {
		var ae *appError
		if errors.As(err, &ae) {
			s.fail(c, err)
			return
		}
		v.Form, v.Errors, v.Version = newWhysForm(v, before), map[string]string{"steps": err.Error()}, version
		s.renderStep(c, http.StatusUnprocessableEntity, v)
		return
	}
	_, err = s.store.SaveWhys(ctx, inc.ID, doc, version, authorName(c))
	var ve *models.ValidationError
	switch {
	case err == nil:
	case errors.As(err, &ve):
		v.Form, v.Errors, v.Version = newWhysForm(v, doc), ve.Fields, version
		s.renderStep(c, http.StatusUnprocessableEntity, v)
		return
	case errors.Is(err, models.ErrStale):
		// The merge page shows the change too: the form holds the whys as
		// this author wanted them, based on the version saved meanwhile.
		s.renderConflict(c, v, stepDefs[postmortem.StepWhys], newWhysForm(v, doc), doc)
		return
	default:
		s.fail(c, err)
		return
	}
	if len(removed) > 0 {
		s.unlinkWhySteps(ctx, c, v, removed)
	}
	to := "/incidents/" + itoa(inc.ID) + "/write/whys"
	if anchor != "" {
		to += "#why-" + anchor
	} else {
		to += "#whys"
	}
	redirect(c, to, flash)
}

// unlinkWhySteps clears the links to deleted steps: the factors that came
// from them stay, as factors added directly, and the actions addressing
// them no longer name a cause. Step ids can be handed out again, so a link
// left behind could point at a new, unrelated step. The whys are saved by
// then; a failure here is logged, not shown.
func (s *Server) unlinkWhySteps(ctx context.Context, c *gin.Context, v *writeView, removed []string) {
	incID := v.Incident.ID
	factors, sec, err := s.store.Factors(ctx, incID)
	if err == nil && factors.UnlinkWhySteps(removed) {
		_, err = s.store.SaveFactors(ctx, incID, factors, sec.Version, authorName(c))
	}
	if err != nil {
		s.log.WarnContext(ctx, "unlink factors from deleted whys", "incident", incID, "err", err, "request_id", requestID(c))
	}
	s.unlinkActions(ctx, c, v, models.CauseWhy, removed)
}

// unlinkActions clears the cause of the incident's actions that address
// one of these steps or factors.
func (s *Server) unlinkActions(ctx context.Context, c *gin.Context, v *writeView, kind string, ids []string) {
	for _, a := range v.Actions {
		k, id, ok := models.ParseActionCause(a.Cause)
		if !ok || k != kind || !slices.Contains(ids, id) {
			continue
		}
		in := models.ActionInputOf(&a)
		in.Cause = ""
		if _, err := s.store.UpdateAction(ctx, a.ID, a.Version, in, currentUser(c)); err != nil {
			s.log.WarnContext(ctx, "unlink an action from a deleted cause", "action", a.ID, "err", err, "request_id", requestID(c))
		}
	}
}

// whyCite is a Five Whys step citing a timeline entry, for the timeline
// page's link back.
type whyCite struct{ ID, Number string }

// whyCitations maps each timeline entry the whys cite to the steps citing
// it, in display order.
func whyCitations(w postmortem.Whys) map[int64][]whyCite {
	numbers := map[string]string{}
	for _, f := range w.Flatten() {
		numbers[f.ID] = f.Number
	}
	out := map[int64][]whyCite{}
	for entry, ids := range w.CitedEntries() {
		for _, id := range ids {
			if n, ok := numbers[id]; ok {
				out[entry] = append(out[entry], whyCite{ID: id, Number: n})
			}
		}
	}
	return out
}
