package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

// appError carries two messages: Message is safe to show to the user, Err
// is the detail that goes to the log.
type appError struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
	Err     error
}

func (e *appError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *appError) Unwrap() error { return e.Err }

func errBadRequest(msg string, args ...any) *appError {
	return &appError{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf(msg, args...)}
}

func errNotFound(what string) *appError {
	return &appError{Status: http.StatusNotFound, Code: "not_found", Message: what + " not found"}
}

func errForbidden(msg string) *appError {
	return &appError{Status: http.StatusForbidden, Code: "forbidden", Message: msg}
}

// statusClientClosed is the status logged for a request its client
// abandoned (nginx's 499); the client never sees it.
const statusClientClosed = 499

// classify turns any error into an appError. Unknown errors become a 500
// whose user message reveals nothing.
func classify(err error) *appError {
	var ae *appError
	if errors.As(err, &ae) {
		return ae
	}
	var ve *models.ValidationError
	var tooBig *http.MaxBytesError
	var review *models.ReviewError
	var notReviewer *models.NotReviewerError
	switch {
	case errors.Is(err, context.Canceled):
		// The client went away (a page left during an autosave): nobody
		// reads the answer, and it is no fault of the server's.
		return &appError{Status: statusClientClosed, Code: "canceled", Message: "the request was canceled by the client", Err: err}
	case errors.As(err, &review):
		return &appError{Status: http.StatusConflict, Code: "review_state", Message: review.Error()}
	case errors.As(err, &notReviewer):
		return &appError{Status: http.StatusForbidden, Code: "not_reviewer", Message: notReviewer.Error()}
	case errors.As(err, &ve):
		return &appError{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: "some fields are not valid", Fields: ve.Fields}
	case errors.As(err, &tooBig):
		return &appError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("the request body is larger than the limit of %d bytes", tooBig.Limit)}
	case errors.Is(err, models.ErrNotFound):
		return &appError{Status: http.StatusNotFound, Code: "not_found", Message: "not found"}
	case errors.Is(err, models.ErrStale):
		return &appError{Status: http.StatusPreconditionFailed, Code: "stale", Message: models.ErrStale.Error() + "; fetch it again and reapply your change"}
	case errors.Is(err, models.ErrSlugTaken):
		return &appError{Status: http.StatusConflict, Code: "conflict", Message: err.Error(), Fields: map[string]string{"slug": err.Error()}}
	case errors.Is(err, models.ErrEmailTaken):
		return &appError{Status: http.StatusConflict, Code: "conflict", Message: err.Error(), Fields: map[string]string{"email": err.Error()}}
	case errors.Is(err, models.ErrPublished):
		return &appError{Status: http.StatusConflict, Code: "published", Message: models.ErrPublished.Error()}
	case errors.Is(err, models.ErrLastAdmin), errors.Is(err, models.ErrAlreadySetUp):
		return &appError{Status: http.StatusConflict, Code: "conflict", Message: err.Error()}
	}
	return &appError{Status: http.StatusInternalServerError, Code: "internal", Message: "something went wrong on our side; the error is in the server log", Err: err}
}

// isAPI tells whether a request expects JSON answers.
func isAPI(c *gin.Context) bool {
	return strings.HasPrefix(c.Request.URL.Path, "/api/") || strings.HasPrefix(c.Request.URL.Path, "/hooks/")
}

// fail answers with an error: JSON for the API, an error page for browsers.
func (s *Server) fail(c *gin.Context, err error) {
	ae := classify(err)
	if ae.Status >= 500 {
		s.log.ErrorContext(c.Request.Context(), "request failed", "err", err, "request_id", requestID(c), "path", c.Request.URL.Path)
	} else if ae.Err != nil {
		s.log.InfoContext(c.Request.Context(), "request refused", "err", ae.Err, "status", ae.Status, "request_id", requestID(c))
	}
	if isAPI(c) {
		writeAPIError(c, ae)
		return
	}
	s.renderError(c, ae)
}

type apiErrorBody struct {
	Error apiError `json:"error"`
}

type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func writeAPIError(c *gin.Context, ae *appError) {
	c.AbortWithStatusJSON(ae.Status, apiErrorBody{Error: apiError{Code: ae.Code, Message: ae.Message, Fields: ae.Fields}})
}

func (s *Server) notFound(c *gin.Context) { s.fail(c, errNotFound("page")) }

func (s *Server) methodNotAllowed(c *gin.Context) {
	s.fail(c, &appError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
		Message: c.Request.Method + " is not allowed on " + c.Request.URL.Path})
}
