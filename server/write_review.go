package server

import (
	"errors"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/markdown"
	"hindsight/models"
	"hindsight/postmortem"
)

// The review step: where the postmortem stands in the workflow (draft → in
// review → approved → published), the steps still incomplete, the
// reviewers and their approvals, the forms of the next steps, the log, and
// every unresolved comment. Each form is a plain POST answered with 303
// back to the step, or the step again with the refusal (422, 409, 403).

// reviewView is what the review step shows.
type reviewView struct {
	*models.Review
	States     []reviewState
	Incomplete []postmortem.StepStatus // the other steps not complete yet
	Candidates []models.User           // editors and admins not asked yet
	Mine       *models.Reviewer        // the viewer's own request, if asked
	CanEdit    bool                    // an editor or admin
	Unresolved []unresolvedThread
	Error      string            // a refused step, as the store said it
	Errors     map[string]string // form fields
	Reason     string            // the reopening reason as typed
}

// reviewState is one state of the progression, as the page shows it.
type reviewState struct {
	State, Label  string
	Done, Current bool
	Number        int
}

// unresolvedThread is an unresolved thread with the title of its step.
type unresolvedThread struct {
	models.CommentThread
	StepTitle string
	Excerpt   string // the start of the first comment, as plain text
}

// CanApprove tells whether the viewer may approve now.
func (r *reviewView) CanApprove() bool {
	return r.State == models.StatusInReview && r.Mine != nil && r.Mine.ApprovedAt == nil && r.CanEdit
}

// SentBack is true for a draft whose reviewers were asked before: it can
// be sent back to them without choosing anyone new.
func (r *reviewView) SentBack() bool { return r.State == models.StatusDraft && len(r.Reviewers) > 0 }

// loadReview prepares the review step's data.
func (s *Server) loadReview(c *gin.Context, v *writeView) error {
	ctx := c.Request.Context()
	r, err := s.store.Review(ctx, v.Incident.ID)
	if err != nil {
		return err
	}
	rv := v.Review
	if rv == nil {
		rv = &reviewView{}
	}
	rv.Review = r
	u := currentUser(c)
	rv.CanEdit = u != nil && models.RoleAtLeast(u.Role, models.RoleEditor)
	if u != nil {
		rv.Mine = r.Reviewer(u.ID)
	}
	rv.States = nil
	current := slicesIndex(models.ReviewStatuses, r.State)
	for i, st := range models.ReviewStatuses {
		rv.States = append(rv.States, reviewState{State: st, Label: statusLabel(st), Number: i + 1,
			Done: i < current, Current: i == current})
	}
	rv.Incomplete = nil
	for _, p := range v.Progress {
		if p.Step != postmortem.StepReview && !p.Complete {
			rv.Incomplete = append(rv.Incomplete, p)
		}
	}
	cands, err := s.store.ReviewCandidates(ctx)
	if err != nil {
		return err
	}
	rv.Candidates = nil
	for _, u := range cands {
		if r.Reviewer(u.ID) == nil {
			rv.Candidates = append(rv.Candidates, u)
		}
	}
	threads, err := s.store.CommentThreads(ctx, v.Incident.ID, models.CommentFilter{Unresolved: true})
	if err != nil {
		return err
	}
	rv.Unresolved = nil
	for _, t := range threads {
		rv.Unresolved = append(rv.Unresolved, unresolvedThread{CommentThread: t, StepTitle: stepTitle(v, t.Section),
			Excerpt: excerpt(t.Body, 140)})
	}
	v.Review = rv
	return nil
}

// stepTitle is the template's title of a step, or the guide's.
func stepTitle(v *writeView, step string) string {
	for _, p := range v.Progress {
		if string(p.Step) == step {
			return p.Title
		}
	}
	if info, ok := postmortem.Step(step).Info(); ok {
		return info.Title
	}
	return step
}

func slicesIndex(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// reviewActor is how the signed-in person appears in the review log.
func reviewActor(c *gin.Context) string {
	if u := currentUser(c); u != nil {
		return u.Email
	}
	return "unknown"
}

// reviewStep answers a review form: 303 back to the review step with a
// message, or the step again with the refusal.
func (s *Server) reviewStep(c *gin.Context, do func(inc *models.Incident) (string, *reviewView, error)) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	msg, form, err := do(inc)
	if err == nil {
		redirect(c, "/incidents/"+itoa(inc.ID)+"/write/review", msg)
		return
	}
	ae := classify(err)
	if ae.Status >= 500 || ae.Status == http.StatusNotFound {
		s.fail(c, err)
		return
	}
	// The incident changed: show it as it is now.
	if fresh, lerr := s.store.Incident(c.Request.Context(), inc.ID); lerr == nil {
		inc = fresh
	}
	st, lerr := s.loadPostmortem(c.Request.Context(), inc)
	if lerr != nil {
		s.fail(c, lerr)
		return
	}
	v := s.stepView(c, st, string(postmortem.StepReview))
	if v == nil {
		return
	}
	if form == nil {
		form = &reviewView{}
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		form.Errors = ve.Fields
	} else {
		form.Error = ae.Message
	}
	v.Review = form
	s.renderStep(c, ae.Status, v)
}

// reviewRequest asks the checked editors and admins to review.
func (s *Server) reviewRequest(c *gin.Context) {
	s.reviewStep(c, func(inc *models.Incident) (string, *reviewView, error) {
		var ids []int64
		for _, raw := range c.PostFormArray("reviewer") {
			id, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				return "", nil, validationErr(map[string]string{"reviewers": "choose reviewers from the list"})
			}
			ids = append(ids, id)
		}
		r, err := s.store.RequestReview(c.Request.Context(), inc.ID, ids, reviewActor(c))
		if err != nil {
			return "", nil, err
		}
		if r.State == models.StatusApproved {
			return "Every reviewer approves already: the postmortem can be published.", nil, nil
		}
		return "Review requested from " + strings.Join(namesOfPending(r), ", ") + ".", nil, nil
	})
}

func namesOfPending(r *models.Review) []string {
	var out []string
	for _, rv := range r.Pending() {
		out = append(out, rv.User.Name)
	}
	return out
}

// reviewApprove records the signed-in reviewer's approval.
func (s *Server) reviewApprove(c *gin.Context) {
	s.reviewStep(c, func(inc *models.Incident) (string, *reviewView, error) {
		u := currentUser(c)
		r, err := s.store.Approve(c.Request.Context(), inc.ID, u.ID, u.Email)
		if err != nil {
			return "", nil, err
		}
		if r.State == models.StatusApproved {
			return "Approved. Every reviewer has approved: the postmortem can be published.", nil, nil
		}
		return "Approved.", nil, nil
	})
}

// reviewPublish publishes an approved postmortem.
func (s *Server) reviewPublish(c *gin.Context) {
	s.reviewStep(c, func(inc *models.Incident) (string, *reviewView, error) {
		if _, err := s.store.Publish(c.Request.Context(), inc.ID, reviewActor(c)); err != nil {
			return "", nil, err
		}
		return "Published. The postmortem is read-only until an editor reopens it.", nil, nil
	})
}

// reviewReopen makes a published postmortem a draft again, with a reason.
func (s *Server) reviewReopen(c *gin.Context) {
	s.reviewStep(c, func(inc *models.Incident) (string, *reviewView, error) {
		reason := c.PostForm("reason")
		if _, err := s.store.Reopen(c.Request.Context(), inc.ID, reviewActor(c), reason); err != nil {
			return "", &reviewView{Reason: reason}, err
		}
		return "Reopened: the postmortem can be edited again.", nil, nil
	})
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// excerpt is the start of a Markdown text as plain text on one line, cut
// at a word: at most n characters and an ellipsis.
func excerpt(md string, n int) string {
	text := html.UnescapeString(htmlTag.ReplaceAllString(string(markdown.ToHTML(md)), " "))
	s := strings.Join(strings.Fields(text), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
