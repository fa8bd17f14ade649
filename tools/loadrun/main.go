// Command loadrun is a reproducible load run of Hindsight against loopback
// only. For each database (PostgreSQL, SQLite) it
//
//  1. creates a fresh database (PostgreSQL: hindsight_loadrun_<random> on
//     -admin-url, dropped at the end; SQLite: a file in a temporary
//     directory), migrates it and bulk-loads -incidents incidents
//     (tools/loadrun/fixture), an admin, an editor who signs in and a viewer
//     API token;
//  2. starts `hindsight serve` as a child process on 127.0.0.1:<free port>
//     and measures the time from process start to /readyz answering 200
//     (polled every 5ms) and the idle RSS after -settle;
//  3. runs a closed loop of -c workers for -d per scenario (after -warmup,
//     at most -max-requests requests) against the signed-in /incidents page
//     and the /api/v1/incidents API, plain, with ?q=migration and with
//     ?severity=SEV2&sort=severity;
//  4. sends SIGTERM while requests are in flight and checks that the server
//     drains them and exits 0 within its shutdown timeout.
//
// Progress goes to stderr; the report is Markdown on stdout:
//
//	go run ./tools/loadrun > loadrun.md
//	go run ./tools/loadrun -dialects postgres -incidents 50000 -d 30s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	adminURL        string
	bin             string
	dialects        []string
	incidents       int
	seed            uint64
	concurrency     int
	duration        time.Duration
	warmup          time.Duration
	maxRequests     int64
	settle          time.Duration
	shutdownTimeout time.Duration
	scenarios       []scenario
	timeout         time.Duration
	keep            bool
	waitIdle        time.Duration
}

func main() {
	var o options
	var dialects, scenarios string
	flag.StringVar(&o.adminURL, "admin-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL server (loopback only) on which to create and drop the load-run database")
	flag.StringVar(&o.bin, "bin", "", "hindsight binary to run (default: go build the module into a temporary directory)")
	flag.StringVar(&dialects, "dialects", "postgres,sqlite", "databases to run against, comma-separated: postgres, sqlite")
	sqliteOnly := flag.Bool("sqlite", false, "shorthand for -dialects sqlite")
	flag.IntVar(&o.incidents, "incidents", 10_000, "incidents to bulk-load")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated data")
	flag.IntVar(&o.concurrency, "c", 8, "concurrent workers (closed loop: each sends its next request when the last one is answered)")
	flag.DurationVar(&o.duration, "d", 15*time.Second, "measured duration of each scenario")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up before each scenario")
	flag.Int64Var(&o.maxRequests, "max-requests", 100_000, "hard cap on measured requests per scenario")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "wait after /readyz before reading the idle RSS")
	flag.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 20*time.Second, "HINDSIGHT_SHUTDOWN_TIMEOUT of the server (the drain limit checked at SIGTERM)")
	flag.StringVar(&scenarios, "scenarios", strings.Join(defaultScenarioNames(), ","),
		"scenarios to run, comma-separated, out of: "+strings.Join(allScenarioNames(), ", "))
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "abort the whole run after this long")
	flag.DurationVar(&o.waitIdle, "wait-idle", 0, "before each database, wait up to this long for the machine to be less than 25% busy (other work skews the figures)")
	flag.BoolVar(&o.keep, "keep", false, "keep the databases instead of dropping them (for EXPLAIN ANALYZE afterwards)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./tools/loadrun [flags] > report.md\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fatalf("unexpected argument %q", flag.Arg(0))
	}
	if *sqliteOnly {
		dialects = "sqlite"
	}
	for _, d := range strings.Split(dialects, ",") {
		switch d = strings.TrimSpace(d); d {
		case "postgres", "sqlite":
			o.dialects = append(o.dialects, d)
		case "":
		default:
			fatalf("-dialects: unknown database %q (use postgres, sqlite)", d)
		}
	}
	for _, name := range strings.Split(scenarios, ",") {
		sc, ok := scenarioByName(strings.TrimSpace(name))
		if !ok {
			fatalf("-scenarios: unknown scenario %q (use %s)", name, strings.Join(allScenarioNames(), ", "))
		}
		o.scenarios = append(o.scenarios, sc)
	}
	switch {
	case len(o.dialects) == 0:
		fatalf("-dialects: name at least one database")
	case o.incidents < 1 || o.incidents > 1_000_000:
		fatalf("-incidents: use 1 to 1,000,000")
	case o.concurrency < 1 || o.concurrency > 256:
		fatalf("-c: use 1 to 256 workers")
	case o.duration <= 0 || o.duration > 10*time.Minute:
		fatalf("-d: use a positive duration up to 10m")
	case o.maxRequests < 1:
		fatalf("-max-requests: must be positive")
	}
	if err := checkLoopbackURL(o.adminURL); err != nil && contains(o.dialects, "postgres") {
		fatalf("-admin-url: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "loadrun: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "hindsight-loadrun-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := o.bin
	var buildTime time.Duration
	if bin == "" {
		bin = filepath.Join(tmp, "hindsight")
		t0 := time.Now()
		if err := buildBinary(ctx, bin); err != nil {
			return err
		}
		buildTime = time.Since(t0)
		progress("built %s in %v", bin, buildTime.Round(time.Millisecond))
	} else if bin, err = filepath.Abs(bin); err != nil {
		return err
	}

	rep := &report{opts: o, machine: describeMachine(ctx, o), bin: bin, buildTime: buildTime}
	var failed []string
	for _, d := range o.dialects {
		r, err := runDialect(ctx, o, d, bin, tmp)
		if r != nil {
			rep.runs = append(rep.runs, r)
		}
		if err != nil {
			progress("%s: %v", d, err)
			failed = append(failed, fmt.Sprintf("%s: %v", d, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	rep.write(out)
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	for _, r := range rep.runs {
		if !r.shutdown.ok() {
			return fmt.Errorf("%s: the server did not shut down cleanly", r.dialect)
		}
	}
	return nil
}

// buildBinary compiles the hindsight command of the enclosing module.
func buildBinary(ctx context.Context, out string) error {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return errors.New("run loadrun from inside the hindsight module, or pass -bin")
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}

// checkLoopbackURL refuses database servers that are not on this machine:
// a load run must not hit shared infrastructure.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("expected a postgres:// URL, got %q", u.Redacted())
	}
	host := u.Hostname()
	if host == "" || host == "localhost" || strings.HasPrefix(host, "/") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address; loadrun only runs against this machine", host)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadrun: "+format+"\n", args...)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadrun: "+format+"\n", args...)
	os.Exit(2)
}
