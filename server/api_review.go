package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

// The review workflow and the comments in the API. A step the state does
// not allow is a 409 ("review_state") naming the state and what it needs;
// an approval by someone not asked is a 403 ("not_reviewer"). An API token
// approves as the user who created it (Settings → API tokens); a token made
// with `hindsight token add` belongs to nobody and cannot approve.

type reviewerJSON struct {
	ID          int64      `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	ApprovedAt  *time.Time `json:"approved_at"`
}

type reviewLogJSON struct {
	Event string    `json:"event"`
	Actor string    `json:"actor"`
	Note  string    `json:"note"`
	At    time.Time `json:"at"`
}

type incompleteStepJSON struct {
	Step    string   `json:"step"`
	Title   string   `json:"title"`
	Missing []string `json:"missing"`
}

type reviewJSON struct {
	State              string               `json:"state"`
	Reviewers          []reviewerJSON       `json:"reviewers"`
	Approvals          int                  `json:"approvals"`
	IncompleteSteps    []incompleteStepJSON `json:"incomplete_steps"`
	UnresolvedComments int                  `json:"unresolved_comments"`
	Log                []reviewLogJSON      `json:"log"`
}

// writeReview answers with where the postmortem of inc stands.
func (s *Server) writeReview(c *gin.Context, status int, inc *models.Incident, r *models.Review) {
	ctx := c.Request.Context()
	inc.Status = r.State
	st, err := s.loadPostmortem(ctx, inc)
	if err != nil {
		s.fail(c, err)
		return
	}
	open, err := s.store.CommentThreads(ctx, inc.ID, models.CommentFilter{Unresolved: true})
	if err != nil {
		s.fail(c, err)
		return
	}
	out := reviewJSON{State: r.State, Reviewers: []reviewerJSON{}, Approvals: r.Approvals(),
		IncompleteSteps: []incompleteStepJSON{}, UnresolvedComments: len(open), Log: []reviewLogJSON{}}
	for _, rv := range r.Reviewers {
		var approved *time.Time
		if rv.ApprovedAt != nil {
			t := apiTime(*rv.ApprovedAt)
			approved = &t
		}
		out.Reviewers = append(out.Reviewers, reviewerJSON{ID: rv.User.ID, Email: rv.User.Email, Name: rv.User.Name,
			RequestedBy: rv.RequestedBy, RequestedAt: apiTime(rv.RequestedAt), ApprovedAt: approved})
	}
	for _, p := range st.Progress {
		if p.Step != postmortem.StepReview && !p.Complete {
			out.IncompleteSteps = append(out.IncompleteSteps, incompleteStepJSON{Step: string(p.Step), Title: p.Title, Missing: p.Missing})
		}
	}
	for _, e := range r.Log {
		out.Log = append(out.Log, reviewLogJSON{Event: e.Event, Actor: e.Actor, Note: e.Note, At: apiTime(e.At)})
	}
	c.JSON(status, out)
}

// apiReviewGet answers GET /api/v1/incidents/:id/review.
func (s *Server) apiReviewGet(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	r, err := s.store.Review(c.Request.Context(), inc.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeReview(c, http.StatusOK, inc, r)
}

// apiReviewStep runs one step of the workflow and answers with the review.
func (s *Server) apiReviewStep(c *gin.Context, do func(inc *models.Incident) (*models.Review, error)) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	r, err := do(inc)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeReview(c, http.StatusOK, inc, r)
}

// readMembers reads a JSON object whose members must all be among known.
func readMembers(c *gin.Context, what string, known ...string) (map[string]json.RawMessage, error) {
	obj, err := readJSONObject(c)
	if err != nil {
		return nil, err
	}
	for key := range obj {
		if !containsString(known, key) {
			return nil, fieldError(key, fmt.Sprintf("is not a member of %s (use %s)", what, strings.Join(known, ", ")))
		}
	}
	return obj, nil
}

// apiReviewRequest answers POST /api/v1/incidents/:id/review/request
// {"reviewers": ["e-mail", …]}; no reviewer sends the postmortem back to
// those asked before.
func (s *Server) apiReviewRequest(c *gin.Context) {
	s.apiReviewStep(c, func(inc *models.Incident) (*models.Review, error) {
		obj, err := readMembers(c, "a review request", "reviewers")
		if err != nil {
			return nil, err
		}
		var emails []string
		if raw, ok := obj["reviewers"]; ok && string(raw) != "null" {
			if json.Unmarshal(raw, &emails) != nil {
				return nil, fieldError("reviewers", "must be an array of e-mail addresses")
			}
		}
		for i, e := range emails {
			if strings.TrimSpace(e) == "" {
				return nil, fieldError(fmt.Sprintf("reviewers[%d]", i), "must be an e-mail address, not empty")
			}
		}
		users, missing, err := s.store.UsersByEmails(c.Request.Context(), emails)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			return nil, &models.ValidationError{Fields: map[string]string{"reviewers": fmt.Sprintf("no user has the e-mail address %q", missing[0])}}
		}
		ids := make([]int64, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		return s.store.RequestReview(c.Request.Context(), inc.ID, ids, apiAuthor(c))
	})
}

// apiReviewApprove answers POST /api/v1/incidents/:id/review/approve: the
// approval of the user who created the token. No body.
func (s *Server) apiReviewApprove(c *gin.Context) {
	s.apiReviewStep(c, func(inc *models.Incident) (*models.Review, error) {
		u, err := s.tokenUser(c)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, &appError{Status: http.StatusForbidden, Code: "not_reviewer", Message: "this API token belongs to no user " +
				"(it was made with `hindsight token add`), so it cannot approve; approve on the review page, or use a token " +
				"the reviewer created under Settings → API tokens"}
		}
		return s.store.Approve(c.Request.Context(), inc.ID, u.ID, u.Email+" ("+apiAuthor(c)+")")
	})
}

// tokenUser is the user who created the request's token; nil when none
// (a command-line token, or its creator was deleted).
func (s *Server) tokenUser(c *gin.Context) (*models.User, error) {
	t := currentToken(c)
	if t == nil || t.CreatedByID == nil {
		return nil, nil
	}
	u, err := s.store.UserByID(c.Request.Context(), *t.CreatedByID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	return u, err
}

// apiReviewPublish answers POST /api/v1/incidents/:id/review/publish. No body.
func (s *Server) apiReviewPublish(c *gin.Context) {
	s.apiReviewStep(c, func(inc *models.Incident) (*models.Review, error) {
		return s.store.Publish(c.Request.Context(), inc.ID, apiAuthor(c))
	})
}

// apiReviewReopen answers POST /api/v1/incidents/:id/review/reopen {"reason"}.
func (s *Server) apiReviewReopen(c *gin.Context) {
	s.apiReviewStep(c, func(inc *models.Incident) (*models.Review, error) {
		obj, err := readMembers(c, "a reopening", "reason")
		if err != nil {
			return nil, err
		}
		var reason string
		if raw, ok := obj["reason"]; ok {
			if err := decodeString(raw, &reason); err != nil {
				return nil, fieldError("reason", err.Error())
			}
		}
		return s.store.Reopen(c.Request.Context(), inc.ID, apiAuthor(c), reason)
	})
}

// --- comments ---

type commentJSON struct {
	ID         int64       `json:"id"`
	IncidentID int64       `json:"incident_id"`
	Section    string      `json:"section"`
	ParentID   *int64      `json:"parent_id"`
	Author     *authorJSON `json:"author"`
	Body       string      `json:"body"`
	CreatedAt  time.Time   `json:"created_at"`
}

type threadJSON struct {
	commentJSON
	ResolvedAt *time.Time    `json:"resolved_at"`
	ResolvedBy string        `json:"resolved_by"`
	Replies    []commentJSON `json:"replies"`
}

func toCommentJSON(cm *models.Comment) commentJSON {
	out := commentJSON{ID: cm.ID, IncidentID: cm.IncidentID, Section: cm.Section, ParentID: cm.ParentID,
		Body: cm.Body, CreatedAt: apiTime(cm.CreatedAt)}
	if cm.Author != nil {
		out.Author = &authorJSON{ID: cm.Author.ID, Email: cm.Author.Email, Name: cm.Author.Name}
	}
	return out
}

func toThreadJSON(t *models.CommentThread) threadJSON {
	out := threadJSON{commentJSON: toCommentJSON(&t.Comment), ResolvedBy: t.ResolvedBy, Replies: []commentJSON{}}
	if t.ResolvedAt != nil {
		at := apiTime(*t.ResolvedAt)
		out.ResolvedAt = &at
	}
	for i := range t.Replies {
		out.Replies = append(out.Replies, toCommentJSON(&t.Replies[i]))
	}
	return out
}

// apiCommentList answers GET /api/v1/incidents/:id/comments: the threads,
// by step, optionally of one step (?section=) or unresolved only
// (?unresolved=true).
func (s *Server) apiCommentList(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	f := models.CommentFilter{Section: c.Query("section")}
	if _, ok := postmortem.ParseStep(f.Section); f.Section != "" && !ok {
		s.fail(c, fieldError("section", "use a step of the postmortem: "+stepList()))
		return
	}
	switch c.Query("unresolved") {
	case "", "false":
	case "true":
		f.Unresolved = true
	default:
		s.fail(c, fieldError("unresolved", "use true or false"))
		return
	}
	threads, err := s.store.CommentThreads(c.Request.Context(), inc.ID, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]threadJSON, 0, len(threads))
	for i := range threads {
		out = append(out, toThreadJSON(&threads[i]))
	}
	c.JSON(http.StatusOK, gin.H{"threads": out})
}

func stepList() string {
	names := make([]string, len(postmortem.Steps))
	for i, st := range postmortem.Steps {
		names[i] = string(st.Step)
	}
	return strings.Join(names, ", ")
}

// apiCommentCreate answers POST /api/v1/incidents/:id/comments
// {"section", "parent_id", "body"}: 201 with the comment, written as the
// user who created the token (none for a command-line token).
func (s *Server) apiCommentCreate(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	obj, err := readMembers(c, "a comment", "section", "parent_id", "body")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in models.CommentInput
	if raw, ok := obj["section"]; ok {
		if err := decodeString(raw, &in.Section); err != nil {
			s.fail(c, fieldError("section", err.Error()))
			return
		}
	}
	if raw, ok := obj["body"]; ok {
		if err := decodeString(raw, &in.Body); err != nil {
			s.fail(c, fieldError("body", err.Error()))
			return
		}
	}
	if raw, ok := obj["parent_id"]; ok && string(raw) != "null" {
		var id int64
		if json.Unmarshal(raw, &id) != nil || id <= 0 {
			s.fail(c, fieldError("parent_id", "must be the id of a comment (a whole number) or null"))
			return
		}
		in.ParentID = &id
	}
	u, err := s.tokenUser(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var authorID *int64
	if u != nil {
		authorID = &u.ID
	}
	cm, err := s.store.AddComment(c.Request.Context(), inc.ID, in, authorID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toCommentJSON(cm))
}

// apiCommentResolve and apiCommentUnresolve answer POST
// /api/v1/comments/:id/resolve and /unresolve: the comment's thread.
func (s *Server) apiCommentResolve(c *gin.Context)   { s.apiSetResolved(c, true) }
func (s *Server) apiCommentUnresolve(c *gin.Context) { s.apiSetResolved(c, false) }

func (s *Server) apiSetResolved(c *gin.Context, resolved bool) {
	cm := s.loadComment(c, "id")
	if cm == nil {
		return
	}
	var th *models.CommentThread
	var err error
	if resolved {
		th, err = s.store.ResolveComment(c.Request.Context(), cm.ID, apiAuthor(c))
	} else {
		th, err = s.store.UnresolveComment(c.Request.Context(), cm.ID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toThreadJSON(th))
}
