// Command alertstorm proves that an alert storm loses and duplicates
// nothing: it sends N distinct alerts in Alertmanager batches to a real
// `hindsight serve`, kills the server with SIGKILL midway, restarts it, keeps
// retrying every batch until it is acknowledged, and then counts the stored
// events. Only loopback addresses are used; the run is bounded in time.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"hindsight/models"
)

// Options of one storm.
type Options struct {
	Bin         string // the hindsight binary
	DatabaseURL string // a fresh database
	Alerts      int
	BatchSize   int
	Senders     int
	KillAfter   int           // acknowledged batches before the SIGKILL; 0: half of them
	Timeout     time.Duration // the whole run
	Log         io.Writer
}

// Report is what a storm found.
type Report struct {
	Alerts, Batches      int
	Attempts, Failures   int64
	Kills                int
	StoredEvents         int64
	DistinctKeys         int64
	Duplicates           int64
	Elapsed              time.Duration
	ServerRestartElapsed time.Duration
}

// OK is true when exactly one event per alert was stored.
func (r Report) OK() bool {
	return r.StoredEvents == int64(r.Alerts) && r.DistinctKeys == int64(r.Alerts)
}

func (r Report) String() string {
	return fmt.Sprintf("alerts %d in %d batches; attempts %d (failed %d, retried); SIGKILLs %d; stored events %d, distinct keys %d; duplicates reported %d; %s; restart to ready %s",
		r.Alerts, r.Batches, r.Attempts, r.Failures, r.Kills, r.StoredEvents, r.DistinctKeys, r.Duplicates,
		r.Elapsed.Round(time.Millisecond), r.ServerRestartElapsed.Round(time.Millisecond))
}

type server struct {
	opts Options
	addr string
	cmd  *exec.Cmd
	logs *os.File
}

func (s *server) env() []string {
	return append(os.Environ(), "DATABASE_URL="+s.opts.DatabaseURL, "HINDSIGHT_ADDR="+s.addr,
		"HINDSIGHT_BASE_URL=http://"+s.addr, "HINDSIGHT_LOG_LEVEL=warn")
}

func (s *server) start(ctx context.Context) (time.Duration, error) {
	began := time.Now()
	s.cmd = exec.Command(s.opts.Bin, "serve")
	s.cmd.Env = s.env()
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		return 0, err
	}
	for {
		res, err := http.Get("http://" + s.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(began), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (s *server) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGKILL)
		s.cmd.Wait()
	}
}

// Run performs one storm.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.Senders <= 0 {
		o.Senders = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	rep := Report{Alerts: o.Alerts, Batches: (o.Alerts + o.BatchSize - 1) / o.BatchSize}
	if o.KillAfter <= 0 {
		o.KillAfter = rep.Batches / 2
	}
	addr, err := freeAddr()
	if err != nil {
		return rep, err
	}
	logs, err := os.CreateTemp("", "alertstorm-server-*.log")
	if err != nil {
		return rep, err
	}
	defer logs.Close()
	srv := &server{opts: o, addr: addr, logs: logs}

	migrate := exec.CommandContext(ctx, o.Bin, "migrate")
	migrate.Env = srv.env()
	if out, err := migrate.CombinedOutput(); err != nil {
		return rep, fmt.Errorf("migrate: %v: %s", err, out)
	}
	add := exec.CommandContext(ctx, o.Bin, "integration", "add", "--kind", "alertmanager", "--name", "storm", "--json")
	add.Env = srv.env()
	out, err := add.Output()
	if err != nil {
		return rep, fmt.Errorf("integration add: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var integ struct{ ID, URL, Secret string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &integ); err != nil {
		return rep, fmt.Errorf("integration add --json printed %q: %v", lines[len(lines)-1], err)
	}
	if _, err := srv.start(ctx); err != nil {
		return rep, err
	}
	defer srv.kill()

	began := time.Now()
	batches := make(chan int, rep.Batches)
	for b := 0; b < rep.Batches; b++ {
		batches <- b
	}
	close(batches)
	var acked atomic.Int64
	var killOnce sync.Once
	var restartMu sync.RWMutex // senders pause while the server restarts
	client := &http.Client{Timeout: 10 * time.Second}
	var wg, restarting sync.WaitGroup
	errc := make(chan error, o.Senders+1)
	for w := 0; w < o.Senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				body := alertBatch(b, o.BatchSize, o.Alerts)
				for attempt := 0; ; attempt++ {
					if ctx.Err() != nil {
						errc <- ctx.Err()
						return
					}
					restartMu.RLock()
					dup, err := send(ctx, client, integ.URL, integ.Secret, body)
					restartMu.RUnlock()
					atomic.AddInt64(&rep.Attempts, 1)
					if err == nil {
						atomic.AddInt64(&rep.Duplicates, int64(dup))
						break
					}
					atomic.AddInt64(&rep.Failures, 1)
					time.Sleep(min(time.Duration(attempt+1)*20*time.Millisecond, 500*time.Millisecond))
				}
				if acked.Add(1) == int64(o.KillAfter) {
					killOnce.Do(func() {
						restarting.Add(1)
						go func() {
							defer restarting.Done()
							fmt.Fprintf(o.Log, "SIGKILL after %d acknowledged batches\n", o.KillAfter)
							srv.kill() // in-flight requests die with it and are retried
							rep.Kills++
							restartMu.Lock()
							d, err := srv.start(ctx)
							restartMu.Unlock()
							if err != nil {
								errc <- fmt.Errorf("restart: %w", err)
								return
							}
							rep.ServerRestartElapsed = d
							fmt.Fprintf(o.Log, "restarted, ready in %s\n", d.Round(time.Millisecond))
						}()
					})
				}
			}
		}()
	}
	wg.Wait()
	restarting.Wait()
	rep.Elapsed = time.Since(began)
	select {
	case err := <-errc:
		return rep, err
	default:
	}
	rep.StoredEvents, rep.DistinctKeys, err = countEvents(ctx, o.DatabaseURL, integ.ID)
	return rep, err
}

// send posts one batch; it fails on anything but 202.
func send(ctx context.Context, client *http.Client, url, secret string, body []byte) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var reply struct{ Accepted, Duplicates int }
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("status %d: %s", res.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &reply); err != nil {
		return 0, err
	}
	return reply.Duplicates, nil
}

// alertBatch is Alertmanager's webhook (version 4) for alerts
// [b*size, (b+1)*size) of n, all firing.
func alertBatch(b, size, n int) []byte {
	type alert struct {
		Status       string            `json:"status"`
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		StartsAt     string            `json:"startsAt"`
		EndsAt       string            `json:"endsAt"`
		GeneratorURL string            `json:"generatorURL"`
		Fingerprint  string            `json:"fingerprint"`
	}
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var alerts []alert
	for i := b * size; i < min((b+1)*size, n); i++ {
		svc := fmt.Sprintf("svc-%02d", i%40)
		alerts = append(alerts, alert{
			Status: "firing",
			Labels: map[string]string{"alertname": "HighErrorRate", "service": svc, "instance": fmt.Sprintf("pod-%05d", i),
				"severity": []string{"critical", "warning"}[i%2], "env": "production"},
			Annotations:  map[string]string{"summary": fmt.Sprintf("Error rate above 5%% on %s pod-%05d", svc, i)},
			StartsAt:     start.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
			EndsAt:       "0001-01-01T00:00:00Z",
			GeneratorURL: "http://prometheus.example.internal/graph?g0.expr=rate",
			Fingerprint:  fmt.Sprintf("%016x", uint64(i)*2654435761+1),
		})
	}
	body, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": fmt.Sprintf("{}:{batch=\"%d\"}", b), "truncatedAlerts": 0, "status": "firing",
		"receiver": "hindsight", "groupLabels": map[string]string{"alertname": "HighErrorRate"},
		"commonLabels": map[string]string{"alertname": "HighErrorRate"}, "commonAnnotations": map[string]string{},
		"externalURL": "http://alertmanager.example.internal", "alerts": alerts,
	})
	return body
}

func countEvents(ctx context.Context, databaseURL, integrationID string) (total, distinct int64, err error) {
	store, err := models.Open(ctx, databaseURL, models.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer store.Close()
	query := "SELECT COUNT(*), COUNT(DISTINCT dedup_key) FROM events WHERE scope = ?"
	if store.Dialect() == models.Postgres {
		query = strings.Replace(query, "?", "$1", 1)
	}
	err = store.DB().QueryRowContext(ctx, query, integrationID).Scan(&total, &distinct)
	return total, distinct, err
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

var errFailed = errors.New("the storm lost or duplicated alerts")

func main() {
	var o Options
	flag.StringVar(&o.Bin, "bin", "bin/hindsight", "the hindsight binary")
	flag.StringVar(&o.DatabaseURL, "database-url", "", "a fresh database (default: a new SQLite file in a temp dir)")
	flag.IntVar(&o.Alerts, "alerts", 10000, "distinct alerts to send")
	flag.IntVar(&o.BatchSize, "batch", 100, "alerts per Alertmanager notification")
	flag.IntVar(&o.Senders, "senders", 4, "concurrent senders")
	flag.IntVar(&o.KillAfter, "kill-after", 0, "acknowledged batches before the SIGKILL (default: half)")
	flag.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "bound on the whole run")
	flag.Parse()
	o.Log = os.Stderr
	if o.DatabaseURL == "" {
		dir, _ := os.MkdirTemp("", "alertstorm-")
		defer os.RemoveAll(dir)
		o.DatabaseURL = "sqlite:" + filepath.Join(dir, "storm.db")
	}
	rep, err := Run(context.Background(), o)
	fmt.Println(rep)
	if err == nil && !rep.OK() {
		err = errFailed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "alertstorm:", err)
		os.Exit(1)
	}
	fmt.Println("OK: every alert stored exactly once")
}
