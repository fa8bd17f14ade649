package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

type statusView struct {
	Current *models.Instance
	Levels  []string
	Errors  map[string]string
}

func (s *Server) statusForm(c *gin.Context) {
	cur, err := s.store.InstanceStatus(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "status", "Status banner", statusView{Current: cur, Levels: models.StatusLevels})
}

func (s *Server) statusSubmit(c *gin.Context) {
	err := s.store.SetInstanceStatus(c.Request.Context(), c.PostForm("level"), c.PostForm("message"), currentUser(c).Email)
	if ae := classify(err); err != nil && ae.Fields != nil {
		cur := &models.Instance{StatusLevel: c.PostForm("level"), StatusMessage: c.PostForm("message")}
		s.render(c, ae.Status, "status", "Status banner", statusView{Current: cur, Levels: models.StatusLevels, Errors: ae.Fields})
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/status", "Status announced; /version now reports it.")
}
