// Package server owns Hindsight's HTTP surface: the route list, middleware,
// handlers and rendering. Handlers are thin: they parse input, call the
// store and render.
package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/config"
	"hindsight/models"
	"hindsight/scheduler"
)

// BuildInfo identifies the running binary in /version.
type BuildInfo struct {
	Version string
	Commit  string
}

// Server is the application: every dependency a handler needs hangs here.
type Server struct {
	cfg       *config.Config
	store     *models.Store
	log       *slog.Logger
	build     BuildInfo
	pages     *pageSet
	metrics   *metrics
	schema    *schemaWatch
	reminders *scheduler.Reminders
	setupDone atomic.Bool // once true stays true: the last admin cannot be removed
	engine    *gin.Engine
	handler   http.Handler
}

// New builds the server. It fails when a template is missing or broken, so a
// bad build never starts serving.
func New(cfg *config.Config, store *models.Store, log *slog.Logger, build BuildInfo) (*Server, error) {
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		store:   store,
		log:     log,
		build:   build,
		pages:   pages,
		metrics: newMetrics(store),
		schema:  newSchemaWatch(store, 2*time.Second),
		reminders: &scheduler.Reminders{Store: store, BaseURL: cfg.BaseURL, Log: log,
			HTTP: &http.Client{Timeout: 30 * time.Second}, Lease: 5 * time.Minute},
	}
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	engine.RemoveExtraSlash = true
	s.routes(engine)
	s.engine = engine
	s.handler = s.protectCrossOrigin(engine)
	return s, nil
}

// Routes lists every registered route; tests check each one is guarded and
// documented.
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Run serves until ctx ends, then drains in-flight requests for up to the
// shutdown timeout.
func (s *Server) Run(ctx context.Context, ready func(addr string)) error {
	srv := &http.Server{
		Addr:              s.cfg.Addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go s.housekeeping(ctx)
	go s.reminders.Run(ctx, s.cfg.ReminderTick)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining in-flight requests", "timeout", s.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// housekeeping prunes expired sessions, old sign-in failures and raw
// webhook payloads past their retention. Every
// replica may run it: the deletes are idempotent.
func (s *Server) housekeeping(ctx context.Context) {
	tick := time.NewTicker(10 * time.Minute)
	defer tick.Stop()
	for {
		if _, err := s.store.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("prune sessions", "err", err)
		}
		if err := s.store.DeleteOldLoginFailures(ctx, s.cfg.LoginWindow); err != nil && ctx.Err() == nil {
			s.log.Warn("prune sign-in failures", "err", err)
		}
		if n, err := s.store.PruneDeliveryPayloads(ctx, s.store.Now().Add(-s.cfg.PayloadRetention)); err != nil && ctx.Err() == nil {
			s.log.Warn("prune webhook payloads", "err", err)
		} else if n > 0 {
			s.log.Info("pruned webhook payloads past retention", "deliveries", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
