package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

type machine struct {
	date      time.Time
	cpus      int
	cpuModel  string
	memTotal  string
	kernel    string
	goVersion string
	load      string
}

func describeMachine(ctx context.Context, o options) machine {
	m := machine{date: time.Now().UTC(), cpus: runtime.NumCPU(), goVersion: runtime.Version()}
	if out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output(); err == nil && o.bin == "" {
		m.goVersion = strings.TrimSpace(string(out)) // the toolchain that built the server
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpuModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				var kb int64
				fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(line, "MemTotal:")), &kb)
				m.memTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	m.load = loadAverage()
	return m
}

// loadAverage is the 1, 5 and 15 minute load average: anything well above
// the CPU count means other work competed with the run.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

type report struct {
	opts      options
	machine   machine
	bin       string
	buildTime time.Duration
	runs      []*dialectRun
}

func (r *report) write(w io.Writer) {
	m, o := r.machine, r.opts
	fmt.Fprintf(w, "# Hindsight load run, %s\n\n", m.date.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- Machine: %d CPUs (%s), %s RAM, Linux %s; load average at start %s\n", m.cpus, m.cpuModel, m.memTotal, m.kernel, m.load)
	fmt.Fprintf(w, "- Go: %s; server binary: %s", m.goVersion, r.bin)
	if r.buildTime > 0 {
		fmt.Fprintf(w, " (built for this run)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- Data: %d incidents (seed %d); load: %d closed-loop workers, %v per scenario after a %v warm-up, at most %d requests per scenario\n",
		o.incidents, o.seed, o.concurrency, o.duration, o.warmup, o.maxRequests)
	fmt.Fprintf(w, "- The load generator, the server and the database share this machine. CPU columns are cores used during the scenario (1.00 = one core): the hindsight process, all PostgreSQL processes, loadrun itself, and everything else on the machine; a large \"other\" means unrelated work skewed the figures. CPU ms/request (CPU time divided by requests) depends much less on such interference than req/s and latencies do\n")
	for _, run := range r.runs {
		name := "PostgreSQL"
		if run.dialect == "sqlite" {
			name = "SQLite"
		}
		fmt.Fprintf(w, "\n## %s %s\n\n", name, run.dbVersion)
		fmt.Fprintln(w, "| Measure | Value |")
		fmt.Fprintln(w, "|---|---|")
		db := run.database
		if run.dialect == "postgres" && !run.kept {
			db += " (dropped at the end)"
		} else if run.kept {
			db += " (kept: -keep)"
		}
		fmt.Fprintf(w, "| Database | `%s` |\n", db)
		if l := run.load; l != nil {
			fmt.Fprintf(w, "| Fixture | %d incidents, %d service links, %d tags, %d author links; %d match `migration`, %d are SEV2 |\n",
				l.Incidents, l.IncidentServices, l.IncidentTags, l.IncidentAuthors, l.MatchingQuery, l.SEV2)
			fmt.Fprintf(w, "| Bulk load | %s", ms(l.Elapsed))
			if run.dialect == "postgres" {
				fmt.Fprintf(w, " + VACUUM ANALYZE %s", ms(run.analyzeTime))
			}
			fmt.Fprintln(w, " |")
		}
		if run.startToReady > 0 {
			fmt.Fprintf(w, "| Process start to `/readyz` 200 | %s |\n", ms(run.startToReady))
			fmt.Fprintf(w, "| Idle RSS (%v after ready) | %s |\n", o.settle, mib(run.idleRSS))
		}
		if run.peakRSS > 0 {
			fmt.Fprintf(w, "| Peak RSS (VmHWM, end of load) | %s |\n", mib(run.peakRSS))
		}
		fmt.Fprintf(w, "| CPUs busy in the second before the run | %.0f%% |\n", 100*run.busyBefore)
		if run.shutdown.signalled || run.shutdown.err != "" {
			fmt.Fprintf(w, "| SIGTERM under load | %s |\n", run.shutdown.describe())
		}
		if len(run.results) > 0 {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "| Scenario | Request | Requests | Errors | req/s | p50 | p95 | p99 | max | Bytes/answer | CPU ms/request server / db | CPU cores server / db / loadgen / other | RSS after |")
			fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
			for _, res := range run.results {
				c := res.cpu
				perReq := func(cores float64) float64 {
					if res.rps == 0 {
						return 0
					}
					return 1000 * cores / res.rps
				}
				fmt.Fprintf(w, "| %s | `GET %s` | %d | %d | %.1f | %s | %s | %s | %s | %d | %.2f / %.2f | %.2f / %.2f / %.2f / %.2f | %s |\n",
					res.scenario.name, res.scenario.path, res.requests, res.errors, res.rps,
					ms(res.p50), ms(res.p95), ms(res.p99), ms(res.max), res.meanBytes,
					perReq(c.server), perReq(c.db), c.server, c.db, c.loadgen, c.other, mib(res.rssAfterKB))
			}
			for _, res := range run.results {
				if res.firstError != "" {
					fmt.Fprintf(w, "\nFirst error in %s: %s\n", res.scenario.name, res.firstError)
				}
			}
		}
		if log := strings.TrimSpace(run.serverLog); log != "" {
			fmt.Fprintf(w, "\nServer log (warnings and errors):\n\n```\n%s\n```\n", log)
		}
	}
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
}

func mib(kb int64) string {
	if kb == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
}
