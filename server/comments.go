package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

// Comments on the steps of a postmortem, on every step page: the step's
// threads with their replies, reply, resolve and unresolve, and a form to
// start a thread. Plain POSTs answered with 303 back to the comment.

// commentsView is the comments part of a step page.
type commentsView struct {
	Threads   []models.CommentThread
	CanWrite  bool // an editor, on a postmortem that is not published
	Published bool
	// A comment refused by validation comes back with its fields and text.
	Errors   map[string]string
	Body     string
	ParentID int64
}

// loadDiscussion adds what every step page shows under the step (its
// comments) and the review step's workflow.
func (s *Server) loadDiscussion(c *gin.Context, v *writeView) error {
	threads, err := s.store.CommentThreads(c.Request.Context(), v.Incident.ID, models.CommentFilter{Section: string(v.Step.Step)})
	if err != nil {
		return err
	}
	if v.Comments == nil {
		v.Comments = &commentsView{}
	}
	u := currentUser(c)
	v.Comments.Threads = threads
	v.Comments.Published = v.Incident.Status == models.StatusPublished
	v.Comments.CanWrite = !v.Comments.Published && u != nil && models.RoleAtLeast(u.Role, models.RoleEditor)
	if v.Step.Step == postmortem.StepReview {
		return s.loadReview(c, v)
	}
	return nil
}

// commentCreate adds a comment or a reply from a step page.
func (s *Server) commentCreate(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	in := models.CommentInput{Section: c.PostForm("section"), Body: c.PostForm("body")}
	var parentID int64
	if raw := strings.TrimSpace(c.PostForm("parent_id")); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			s.fail(c, errBadRequest("%q is not a comment id", raw))
			return
		}
		parentID, in.ParentID = id, &id
	}
	uid := currentUser(c).ID
	cm, err := s.store.AddComment(c.Request.Context(), inc.ID, in, &uid)
	var ve *models.ValidationError
	switch {
	case err == nil:
		redirect(c, "/incidents/"+itoa(inc.ID)+"/write/"+cm.Section+"#comment-"+itoa(cm.ID), "Comment added.")
	case errors.As(err, &ve) && ve.Fields["section"] == "" && in.Section != "":
		// Back to the step with the message and the text as typed.
		st, lerr := s.loadPostmortem(c.Request.Context(), inc)
		if lerr != nil {
			s.fail(c, lerr)
			return
		}
		v := s.stepView(c, st, in.Section)
		if v == nil {
			return
		}
		v.Comments = &commentsView{Errors: ve.Fields, Body: in.Body, ParentID: parentID}
		s.renderStep(c, http.StatusUnprocessableEntity, v)
	default:
		s.fail(c, err)
	}
}

// commentResolve and commentUnresolve resolve a thread or open it again;
// back to the comment, or to the review step's list (back=review).
func (s *Server) commentResolve(c *gin.Context)   { s.setCommentResolved(c, true) }
func (s *Server) commentUnresolve(c *gin.Context) { s.setCommentResolved(c, false) }

func (s *Server) setCommentResolved(c *gin.Context, resolved bool) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	cm := s.loadComment(c, "cid")
	if cm == nil {
		return
	}
	if cm.IncidentID != inc.ID {
		s.fail(c, errNotFound("comment "+itoa(cm.ID)+" of "+inc.Key()))
		return
	}
	var th *models.CommentThread
	var err error
	if resolved {
		th, err = s.store.ResolveComment(c.Request.Context(), cm.ID, reviewActor(c))
	} else {
		th, err = s.store.UnresolveComment(c.Request.Context(), cm.ID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	to := "/incidents/" + itoa(inc.ID) + "/write/" + th.Section + "#comment-" + itoa(th.ID)
	if c.PostForm("back") == "review" {
		to = "/incidents/" + itoa(inc.ID) + "/write/review#unresolved"
	}
	msg := "Thread resolved."
	if !resolved {
		msg = "Thread unresolved."
	}
	redirect(c, to, msg)
}

// loadComment reads a comment id from the path and the comment, answering
// the error itself when it returns nil.
func (s *Server) loadComment(c *gin.Context, param string) *models.Comment {
	id, err := strconv.ParseInt(c.Param(param), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, errBadRequest("%q is not a comment id: use a number such as 42", c.Param(param)))
		return nil
	}
	cm, err := s.store.Comment(c.Request.Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("comment "+itoa(id)))
		return nil
	}
	if err != nil {
		s.fail(c, err)
		return nil
	}
	return cm
}
