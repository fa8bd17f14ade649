package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

const requestIDKey = "request_id"

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// requestLog assigns a request id (or keeps a sane incoming X-Request-ID),
// records metrics and writes one structured line per request.
func (s *Server) requestLog(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader("X-Request-ID")
	if !requestIDPattern.MatchString(id) {
		id = models.NewSecret(8)
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-ID", id)
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	elapsed := time.Since(start)
	status := c.Writer.Status()
	s.metrics.observe(c.Request.Method, route, status, elapsed)
	level := slog.LevelInfo
	if route == "/healthz" || route == "/readyz" || route == "/metrics" || strings.HasPrefix(route, "/static") {
		level = slog.LevelDebug
	}
	attrs := []any{"method", c.Request.Method, "path", c.Request.URL.Path, "route", route,
		"status", status, "duration_ms", float64(elapsed.Microseconds()) / 1000, "request_id", id,
		"client_ip", c.ClientIP(), "bytes", c.Writer.Size()}
	if u := currentUser(c); u != nil {
		attrs = append(attrs, "user_id", u.ID)
	}
	s.log.Log(c.Request.Context(), level, "request", attrs...)
}

// recoverPanics turns a panic into a logged 500 instead of a dropped connection.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.fail(c, fmt.Errorf("panic: %v\n%s", r, debug.Stack()))
		}
	}()
	c.Next()
}

// contentSecurityPolicy allows scripts and styles only from our own origin:
// no inline script can run even if some user text slipped through.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.cfg.SecureCookies {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.Next()
}

// limitBody refuses bodies over the limit up front when the length is
// declared, and caps the reader otherwise; handlers map the read error to 413.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.ContentLength > s.cfg.MaxBodyBytes {
		s.fail(c, &appError{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: fmt.Sprintf("the request body is %d bytes; the limit is %d", c.Request.ContentLength, s.cfg.MaxBodyBytes)})
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	c.Next()
}

// protectCrossOrigin rejects state-changing browser requests from other
// origins (Go's Fetch-metadata based CSRF protection). Requests without
// browser headers, such as API clients with a Bearer token, pass.
func (s *Server) protectCrossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintln(w, "This request came from another site and was refused (cross-site request forgery protection). Submit the form from Hindsight itself.")
	}))
	return cop.Handler(next)
}

// --- authentication ---

const (
	sessionCookie = "hindsight_session"
	userKey       = "user"
	tokenKey      = "api_token"
)

func currentUser(c *gin.Context) *models.User {
	if u, ok := c.Get(userKey); ok {
		return u.(*models.User)
	}
	return nil
}

func (s *Server) loadSession(c *gin.Context) {
	if token, err := c.Cookie(sessionCookie); err == nil && token != "" {
		u, err := s.store.SessionUser(c.Request.Context(), token, s.cfg.SessionLifetime)
		switch {
		case err == nil:
			c.Set(userKey, u)
		case err != models.ErrNotFound:
			s.fail(c, err)
			return
		}
	}
	c.Next()
}

// requireSetup sends every page to /setup until the first admin exists, and
// keeps /setup closed afterwards.
func (s *Server) requireSetup(c *gin.Context) {
	if !s.setupDone.Load() {
		needs, err := s.store.NeedsSetup(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		if !needs {
			s.setupDone.Store(true)
		}
	}
	onSetup := c.FullPath() == "/setup"
	switch {
	case !s.setupDone.Load() && !onSetup:
		c.Redirect(http.StatusSeeOther, "/setup")
		c.Abort()
	case s.setupDone.Load() && onSetup:
		c.Redirect(http.StatusSeeOther, "/signin")
		c.Abort()
	default:
		c.Next()
	}
}

func (s *Server) requirePageRole(min string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		if u == nil {
			next := "/signin?next=" + url.QueryEscape(c.Request.URL.RequestURI())
			if c.GetHeader("HX-Request") == "true" {
				// An htmx poll or search would swap the sign-in page into a
				// fragment; send the whole page to sign in instead.
				if cur, err := url.Parse(c.GetHeader("HX-Current-URL")); err == nil && cur.Path != "" {
					next = "/signin?next=" + url.QueryEscape(cur.RequestURI())
				}
				c.Header("HX-Redirect", next)
				c.AbortWithStatus(http.StatusUnauthorized)
				return
			}
			c.Redirect(http.StatusSeeOther, next)
			c.Abort()
			return
		}
		if !models.RoleAtLeast(u.Role, min) {
			s.fail(c, errForbidden(fmt.Sprintf("this needs the %s role; you are %s", min, article(u.Role))))
			return
		}
		c.Next()
	}
}

func article(role string) string {
	if role == models.RoleAdmin || role == models.RoleEditor {
		return "an " + role
	}
	return "a " + role
}

// requireToken authenticates API calls with "Authorization: Bearer <token>".
func (s *Server) requireToken(c *gin.Context) {
	h := c.GetHeader("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		c.Header("WWW-Authenticate", `Bearer realm="hindsight"`)
		writeAPIError(c, &appError{Status: http.StatusUnauthorized, Code: "unauthorized",
			Message: "send an API token as 'Authorization: Bearer <token>'; admins create tokens under Settings → API tokens"})
		return
	}
	t, err := s.store.APITokenByValue(c.Request.Context(), strings.TrimSpace(token))
	if err == models.ErrNotFound {
		c.Header("WWW-Authenticate", `Bearer realm="hindsight", error="invalid_token"`)
		writeAPIError(c, &appError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "the API token is unknown or revoked"})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(tokenKey, t)
	c.Next()
}

func currentToken(c *gin.Context) *models.APIToken {
	if t, ok := c.Get(tokenKey); ok {
		return t.(*models.APIToken)
	}
	return nil
}

func (s *Server) requireAPIRole(min string) gin.HandlerFunc {
	return func(c *gin.Context) {
		t := currentToken(c)
		if t == nil || !models.RoleAtLeast(t.Role, min) {
			role := ""
			if t != nil {
				role = t.Role
			}
			writeAPIError(c, &appError{Status: http.StatusForbidden, Code: "forbidden",
				Message: fmt.Sprintf("this needs a token with the %s role; this token has the %s role", min, role)})
			return
		}
		c.Next()
	}
}

// paramID reads an incident-style id from the path: "42" or "INC-42".
func paramID(c *gin.Context, name string) (int64, error) {
	id, ok := models.ParseIncidentKey(c.Param(name))
	if !ok {
		return 0, errBadRequest("%q is not a valid id: use a number such as 42 or a key such as INC-42", c.Param(name))
	}
	return id, nil
}

// parseForm reads a posted form up front, so that an oversized or malformed
// body is answered (413, 400) instead of reaching a handler as empty fields.
func (s *Server) parseForm(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		c.Next()
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(c, err)
			return
		}
		s.fail(c, errBadRequest("the form could not be read: %v", err))
		return
	}
	c.Next()
}
