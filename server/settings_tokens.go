package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

type tokensView struct {
	Tokens  []models.APIToken
	Roles   []string
	Created string // the new token's value, shown once
	Name    string
	Role    string
	Errors  map[string]string
}

func (s *Server) renderTokens(c *gin.Context, status int, v tokensView) {
	tokens, err := s.store.ListAPITokens(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	v.Tokens, v.Roles = tokens, models.Roles
	if v.Role == "" {
		v.Role = models.RoleEditor
	}
	c.Header("Cache-Control", "no-store")
	s.render(c, status, "tokens", "API tokens", v)
}

func (s *Server) tokenList(c *gin.Context) { s.renderTokens(c, http.StatusOK, tokensView{}) }

// tokenCreate shows the new token on the answer to the POST itself (not
// after a redirect) because it is never shown again.
func (s *Server) tokenCreate(c *gin.Context) {
	v := tokensView{Name: c.PostForm("name"), Role: c.PostForm("role")}
	uid := currentUser(c).ID
	_, plain, err := s.store.CreateAPIToken(c.Request.Context(), v.Name, v.Role, &uid)
	if err != nil {
		if ae := classify(err); ae.Fields != nil {
			v.Errors = ae.Fields
			s.renderTokens(c, ae.Status, v)
			return
		}
		s.fail(c, err)
		return
	}
	s.renderTokens(c, http.StatusCreated, tokensView{Created: plain})
}

func (s *Server) tokenRevoke(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, errBadRequest("%q is not a token id", c.Param("id")))
		return
	}
	if err := s.store.RevokeAPIToken(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/tokens", "Token revoked.")
}
