// Package cli implements the hindsight command's subcommands. Each one
// parses its own flags, so that --help works everywhere and a bad flag or
// value exits non-zero with one line that says what is wrong.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"hindsight/config"
	"hindsight/models"
)

// Env is the outside world of one run, injectable for tests.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Version        string
	Commit         string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the web app (the default)", runServe},
		{"migrate", "apply pending database migrations; `migrate status` lists them", runMigrate},
		{"seed", "load the demo postmortems (idempotent)", runSeed},
		{"user", "manage users: `user add --email E --name N --role R`", runUser},
		{"token", "manage API tokens: `token add --name N [--role editor]`", runToken},
		{"integration", "add a webhook integration: `integration add --kind KIND --name N [--json]`", runIntegration},
		{"version", "print the version", runVersion},
	}
}

// errUsage marks an error already explained by a usage message.
var errUsage = errors.New("usage")

// Run executes one invocation and returns the process exit code.
func Run(args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		usage(env.Stdout)
		return 0
	}
	if name == "help" {
		usage(env.Stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(context.Background(), env, args)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		}
		fmt.Fprintf(env.Stderr, "hindsight %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(env.Stderr, "hindsight: unknown command %q; run 'hindsight --help' for the list\n", name)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Hindsight: write postmortems, rebuild timelines, follow up on actions.")
	fmt.Fprintln(w, "\nUsage: hindsight <command> [flags]    (every command has --help)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from the environment:")
	for _, v := range config.Variables {
		fmt.Fprintf(w, "  %-28s default %s\n", v.Name, v.Default)
	}
}

// newFlags makes a flag set whose errors are one line on stderr.
func newFlags(env Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("hindsight "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: hindsight %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses and rejects stray arguments.
func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > maxArgs {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(maxArgs))
		return errUsage
	}
	return nil
}

// setup reads the configuration, builds the logger and opens the store.
func setup(ctx context.Context, env Env) (*config.Config, *slog.Logger, *models.Store, error) {
	cfg, err := config.FromEnv(env.Getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	log := newLogger(cfg, env.Stderr)
	store, err := models.Open(ctx, cfg.DatabaseURL, models.Options{Logger: log})
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, log, store, nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runVersion(_ context.Context, env Env, args []string) error {
	fs := newFlags(env, "version", "version")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "hindsight %s (commit %s)\n", env.Version, env.Commit)
	return nil
}
