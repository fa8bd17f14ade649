package cli

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"hindsight/models"
	"hindsight/server"
)

func runServe(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "serve", "serve   (configured by environment variables; see hindsight --help)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	start := time.Now()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	cfg, log, store, err := setup(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	if cfg.AutoMigrate {
		applied, err := store.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			log.Info("applied migrations", "versions", applied)
		}
	}
	info, err := store.Schema(ctx)
	if err != nil {
		return err
	}
	switch info.State {
	case models.SchemaBehind:
		log.Error("the database schema is behind this release: serving 503 until `hindsight migrate` runs",
			"current", info.Current, "expected", info.Expected)
	case models.SchemaAhead:
		log.Warn("the database schema is ahead of this release (rolled-back binary?); serving anyway",
			"current", info.Current, "expected", info.Expected)
	}
	srv, err := server.New(cfg, store, log, server.BuildInfo{Version: env.Version, Commit: env.Commit})
	if err != nil {
		return err
	}
	err = srv.Run(ctx, func(addr string) {
		log.Info("hindsight is ready", "addr", addr, "url", cfg.BaseURL.String(), "database", string(store.Dialect()),
			"schema", info.State, "startup_ms", time.Since(start).Milliseconds())
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}
