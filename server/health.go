package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

// schemaWatch caches the schema comparison for a short while: the gate runs
// on every request, and an operator's `hindsight migrate` must be noticed
// without a restart.
type schemaWatch struct {
	store *models.Store
	ttl   time.Duration

	mu      sync.Mutex
	info    models.SchemaInfo
	err     error
	checked time.Time
}

func newSchemaWatch(store *models.Store, ttl time.Duration) *schemaWatch {
	return &schemaWatch{store: store, ttl: ttl}
}

func (w *schemaWatch) get(ctx context.Context) (models.SchemaInfo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if time.Since(w.checked) < w.ttl {
		return w.info, w.err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	w.info, w.err = w.store.Schema(ctx)
	w.checked = time.Now()
	return w.info, w.err
}

// schemaGate answers 503 while the database schema is behind this binary:
// serving new code on an old schema is exactly the outage Hindsight's own
// users wrote postmortems about.
func (s *Server) schemaGate(c *gin.Context) {
	info, err := s.schema.get(c.Request.Context())
	if err != nil {
		s.fail(c, &appError{Status: http.StatusServiceUnavailable, Code: "database_unavailable",
			Message: "the database cannot be reached; see /readyz", Err: err})
		return
	}
	if info.State != models.SchemaBehind {
		c.Next()
		return
	}
	c.Header("Retry-After", "30")
	ae := &appError{Status: http.StatusServiceUnavailable, Code: "schema_behind",
		Message: schemaBehindMessage(info)}
	if isAPI(c) {
		writeAPIError(c, ae)
		return
	}
	s.render(c, http.StatusServiceUnavailable, "schema_behind", "Database upgrade needed", info)
	c.Abort()
}

func schemaBehindMessage(info models.SchemaInfo) string {
	return "the database schema is at version " + itoa(info.Current) + " but this release needs version " +
		itoa(info.Expected) + "; run `hindsight migrate` (or start with HINDSIGHT_AUTO_MIGRATE=true)"
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(c.Request.Context(), "not ready: database", "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "reason": "the database cannot be reached"})
		return
	}
	info, err := s.schema.get(c.Request.Context())
	if err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "reason": "the schema version cannot be read"})
		return
	}
	if info.State == models.SchemaBehind {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "reason": schemaBehindMessage(info), "schema": info})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "schema": info})
}

type versionBody struct {
	Version string            `json:"version"`
	Commit  string            `json:"commit"`
	Schema  models.SchemaInfo `json:"schema"`
	Status  statusBody        `json:"status"`
}

type statusBody struct {
	Level     string     `json:"level"`
	Message   string     `json:"message"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// version reports the build, the schema state and the status an admin
// announced. Teams' own apps poll it to show a maintenance banner.
func (s *Server) version(c *gin.Context) {
	body := versionBody{Version: s.build.Version, Commit: s.build.Commit}
	info, err := s.schema.get(c.Request.Context())
	if err != nil {
		body.Schema = models.SchemaInfo{State: "unknown"}
		body.Status = statusBody{Level: models.StatusDown, Message: "the database cannot be reached"}
		c.JSON(http.StatusOK, body)
		return
	}
	body.Schema = info
	body.Status = statusBody{Level: models.StatusOK}
	if info.State == models.SchemaBehind {
		body.Status = statusBody{Level: models.StatusMaintenance, Message: schemaBehindMessage(info)}
	} else if st, err := s.store.InstanceStatus(c.Request.Context()); err == nil {
		body.Status = statusBody{Level: st.StatusLevel, Message: st.StatusMessage, UpdatedAt: st.StatusUpdatedAt}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, body)
}
