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

// previewView is the live preview of one Markdown field, with the
// "Blameless language" notes on its text.
type previewView struct {
	Text  string
	Notes *blamelessNotes
}

// writePreview renders the posted Markdown field named by ?field= exactly
// as the postmortem will show it (the one Markdown function, raw HTML off),
// and under it what the blameless-language checker flags: advice only,
// the save is never refused for it.
func (s *Server) writePreview(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	text := c.PostForm(c.Query("field"))
	findings, err := s.blamelessFindings(c, text)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderPartial(c, http.StatusOK, "md_preview", previewView{Text: text, Notes: &blamelessNotes{Findings: findings}})
}
