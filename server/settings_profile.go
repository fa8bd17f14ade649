package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

type profileView struct {
	TimeZone string
	Browser  string
	Errors   map[string]string
}

func (s *Server) profileForm(c *gin.Context) {
	browser, _ := c.Cookie(tzCookie)
	s.render(c, http.StatusOK, "profile", "Your profile", profileView{TimeZone: currentUser(c).TimeZone, Browser: browser})
}

func (s *Server) profileSubmit(c *gin.Context) {
	u := currentUser(c)
	zone := c.PostForm("time_zone")
	err := s.store.SetUserTimeZone(c.Request.Context(), u.ID, zone)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		s.render(c, http.StatusUnprocessableEntity, "profile", "Your profile", profileView{TimeZone: zone, Errors: ve.Fields})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/profile", "Time zone saved.")
}
