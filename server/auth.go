package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

type setupForm struct {
	Name, Email string
	Errors      map[string]string
}

func (s *Server) setupForm(c *gin.Context) {
	s.render(c, http.StatusOK, "setup", "Set up Hindsight", setupForm{})
}

// setupSubmit creates the first admin and signs them in.
func (s *Server) setupSubmit(c *gin.Context) {
	f := setupForm{Name: c.PostForm("name"), Email: c.PostForm("email")}
	password := c.PostForm("password")
	if password != c.PostForm("password_confirm") {
		f.Errors = map[string]string{"password_confirm": "the two passwords differ"}
		s.render(c, http.StatusUnprocessableEntity, "setup", "Set up Hindsight", f)
		return
	}
	u, err := s.store.CreateFirstAdmin(c.Request.Context(), models.NewUser{Email: f.Email, Name: f.Name, Password: password})
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		f.Errors = ve.Fields
		s.render(c, http.StatusUnprocessableEntity, "setup", "Set up Hindsight", f)
		return
	case errors.Is(err, models.ErrAlreadySetUp):
		s.setupDone.Store(true)
		redirect(c, "/signin", "Hindsight is already set up; sign in.")
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	s.setupDone.Store(true)
	if err := s.startSession(c, u); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/incidents", "Welcome, "+u.Name+". You are the first admin.")
}

type signInForm struct {
	Email, Next string
	Error       string
}

func (s *Server) signInForm(c *gin.Context) {
	if currentUser(c) != nil {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return
	}
	s.render(c, http.StatusOK, "signin", "Sign in", signInForm{Next: c.Query("next")})
}

// signInSubmit checks the password, limited per e-mail and per client
// address in the database so that the limit holds across replicas.
func (s *Server) signInSubmit(c *gin.Context) {
	f := signInForm{Email: strings.TrimSpace(c.PostForm("email")), Next: c.PostForm("next")}
	blocked, err := s.store.LoginBlocked(c.Request.Context(), f.Email, c.ClientIP(), s.cfg.LoginMaxFailures, s.cfg.LoginWindow)
	if err != nil {
		s.fail(c, err)
		return
	}
	if blocked {
		c.Header("Retry-After", itoa(int64(s.cfg.LoginWindow.Seconds())))
		f.Error = "Too many failed sign-ins. Wait " + s.cfg.LoginWindow.String() + " and try again."
		s.render(c, http.StatusTooManyRequests, "signin", "Sign in", f)
		return
	}
	u, err := s.store.Authenticate(c.Request.Context(), f.Email, c.PostForm("password"))
	if errors.Is(err, models.ErrBadCredentials) {
		if err := s.store.RecordLoginFailure(c.Request.Context(), f.Email, c.ClientIP()); err != nil {
			s.fail(c, err)
			return
		}
		f.Error = "The e-mail address or password is wrong."
		s.render(c, http.StatusUnauthorized, "signin", "Sign in", f)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.ClearLoginFailures(c.Request.Context(), f.Email); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.startSession(c, u); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, safeNext(f.Next), "")
}

// startSession issues a new session id at every sign-in (no fixation) and
// revokes the one the browser had.
func (s *Server) startSession(c *gin.Context, u *models.User) error {
	if old, err := c.Cookie(sessionCookie); err == nil && old != "" {
		if err := s.store.DeleteSession(c.Request.Context(), old); err != nil {
			return err
		}
	}
	token, err := s.store.CreateSession(c.Request.Context(), u.ID, s.cfg.SessionLifetime, c.Request.UserAgent(), c.ClientIP())
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token, int(s.cfg.SessionLifetime.Seconds()))
	c.Set(userKey, u)
	return nil
}

func (s *Server) setSessionCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) signOut(c *gin.Context) {
	if token, err := c.Cookie(sessionCookie); err == nil && token != "" {
		if err := s.store.DeleteSession(c.Request.Context(), token); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.setSessionCookie(c, "", -1)
	redirect(c, "/signin", "You are signed out.")
}

// safeNext keeps post-sign-in redirects on this site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/incidents"
	}
	return next
}
