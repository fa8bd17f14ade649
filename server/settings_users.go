package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

type usersView struct {
	Users  []models.User
	Roles  []string
	New    models.NewUser
	Errors map[string]string
}

func (s *Server) renderUsers(c *gin.Context, status int, v usersView) {
	users, err := s.store.ListUsers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	v.Users, v.Roles = users, models.Roles
	s.render(c, status, "users", "Users", v)
}

func (s *Server) userList(c *gin.Context) {
	s.renderUsers(c, http.StatusOK, usersView{New: models.NewUser{Role: models.RoleEditor}})
}

func (s *Server) userCreate(c *gin.Context) {
	n := models.NewUser{Email: c.PostForm("email"), Name: c.PostForm("name"), Role: c.PostForm("role"), Password: c.PostForm("password")}
	_, err := s.store.CreateUser(c.Request.Context(), n)
	if err != nil {
		n.Password = ""
		ae := classify(err)
		if ae.Fields != nil {
			s.renderUsers(c, ae.Status, usersView{New: n, Errors: ae.Fields})
			return
		}
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/users", "User "+models.NormalizeEmail(n.Email)+" added.")
}

func (s *Server) userSetRole(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, errBadRequest("%q is not a user id", c.Param("id")))
		return
	}
	if err := s.store.SetUserRole(c.Request.Context(), id, c.PostForm("role")); err != nil {
		s.failUsers(c, err)
		return
	}
	redirect(c, "/settings/users", "Role changed.")
}

func (s *Server) userDelete(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, errBadRequest("%q is not a user id", c.Param("id")))
		return
	}
	if err := s.store.DeleteUser(c.Request.Context(), id); err != nil {
		s.failUsers(c, err)
		return
	}
	redirect(c, "/settings/users", "User removed.")
}

// failUsers shows refusals (last admin, bad role) on the users page itself.
func (s *Server) failUsers(c *gin.Context, err error) {
	ae := classify(err)
	if errors.Is(err, models.ErrLastAdmin) || ae.Fields != nil {
		msg := ae.Message
		if ae.Fields != nil {
			msg = ae.Fields["role"]
		}
		s.renderUsers(c, ae.Status, usersView{New: models.NewUser{Role: models.RoleEditor}, Errors: map[string]string{"list": msg}})
		return
	}
	s.fail(c, err)
}
