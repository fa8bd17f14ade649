package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// mdField is a Markdown text area with its live preview.
type mdField struct {
	IncidentID  int64
	Name, Label string
	Value       string
	ReadOnly    bool
}

// previewView is the live preview of one Markdown field.
type previewView struct {
	Text string
}

// writePreview renders the posted Markdown field named by ?field= exactly
// as the postmortem will show it (the one Markdown function, raw HTML off).
func (s *Server) writePreview(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	s.renderPartial(c, http.StatusOK, "md_preview", previewView{Text: c.PostForm(c.Query("field"))})
}
