package server

import (
	"time"

	"github.com/gin-gonic/gin"
)

// tzCookie is set by static/app.js from the browser's Intl time zone, so
// that times default to the viewer's zone even before they pick one.
const tzCookie = "hindsight_tz"

// viewerZone is the zone times are shown in: the user's profile setting,
// else the browser's, else UTC.
func (s *Server) viewerZone(c *gin.Context) *time.Location {
	if u := currentUser(c); u != nil && u.TimeZone != "" {
		if loc, err := time.LoadLocation(u.TimeZone); err == nil {
			return loc
		}
	}
	if name, err := c.Cookie(tzCookie); err == nil && name != "" && len(name) < 64 {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.UTC
}
