package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is a `hindsight serve` child process.
type server struct {
	cmd     *exec.Cmd
	base    string
	started time.Time
	ready   time.Duration
	done    chan struct{} // closed when the process has exited
	stderr  *logBuffer
}

// startServer runs the binary on a free loopback port and waits until
// /readyz answers 200, polling every 5ms.
func startServer(ctx context.Context, bin, dbURL string, o options) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s := &server{base: "http://" + addr, done: make(chan struct{}), stderr: &logBuffer{limit: 64 << 10}}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(childEnv(),
		"DATABASE_URL="+dbURL,
		"HINDSIGHT_ADDR="+addr,
		"HINDSIGHT_BASE_URL="+s.base,
		"HINDSIGHT_LOG_LEVEL=warn",
		"HINDSIGHT_AUTO_MIGRATE=true",
		"HINDSIGHT_SHUTDOWN_TIMEOUT="+o.shutdownTimeout.String(),
	)
	s.cmd.Stdout, s.cmd.Stderr = s.stderr, s.stderr
	configureChild(s.cmd)
	s.started = time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()

	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("the server exited before it was ready (%v):\n%s", s.cmd.ProcessState, s.stderr.String())
		case <-ctx.Done():
			s.kill()
			return nil, ctx.Err()
		default:
		}
		if res, err := client.Get(s.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				s.ready = time.Since(s.started)
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, fmt.Errorf("the server was not ready within 60s:\n%s", s.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// kill ends the process if it still runs and waits for it.
func (s *server) kill() {
	if !s.exited() {
		s.cmd.Process.Kill()
		<-s.done
	}
}

// childEnv is loadrun's environment without any Hindsight setting, so that
// the developer's own configuration cannot leak into the run.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HINDSIGHT_") || strings.HasPrefix(kv, "DATABASE_URL=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// shutdownResult is what happened when SIGTERM arrived under load.
type shutdownResult struct {
	signalled  bool
	exitCode   int
	elapsed    time.Duration // SIGTERM to exit
	limit      time.Duration
	killed     bool
	inflight   int // requests sent before SIGTERM that reached the server and ended after it
	inflightOK int // ... answered 200
	afterOK    int // requests sent after SIGTERM still answered 200
	refused    int // requests refused after SIGTERM (connection refused): expected
	otherFail  int // anything else: dropped connections, 5xx
	firstFail  string
	err        string
}

func (r shutdownResult) ok() bool {
	return r.signalled && !r.killed && r.exitCode == 0 && r.elapsed <= r.limit &&
		r.inflight == r.inflightOK && r.otherFail == 0 && r.err == ""
}

func (r shutdownResult) describe() string {
	if !r.signalled {
		return "not run: " + r.err
	}
	verdict := "OK"
	if !r.ok() {
		verdict = "FAILED"
	}
	s := fmt.Sprintf("%s: exit code %d %s after SIGTERM (limit %v); %d requests in flight at the signal, %d answered 200; "+
		"after the signal %d more answered 200, %d connections refused (expected), %d failed otherwise",
		verdict, r.exitCode, ms(r.elapsed), r.limit, r.inflight, r.inflightOK, r.afterOK, r.refused, r.otherFail)
	if r.killed {
		s += "; the process had to be killed"
	}
	if r.firstFail != "" {
		s += "; first failure: " + r.firstFail
	}
	if r.err != "" {
		s += "; " + r.err
	}
	return s
}

// terminateUnderLoad keeps every worker sending list-page requests, sends
// SIGTERM once requests are in flight, and classifies every request by
// whether it was sent before or after the signal.
func terminateUnderLoad(ctx context.Context, s *server, c *client, o options) shutdownResult {
	res := shutdownResult{limit: o.shutdownTimeout}
	sc, _ := scenarioByName("page")
	var (
		mu    sync.Mutex
		sigAt time.Time
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	signalTime := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return sigAt
	}
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				sent := time.Now()
				status, err := c.do(c.request(ctx, w, sc))
				sig := signalTime()
				mu.Lock()
				switch {
				case sig.IsZero():
				case err != nil && errors.Is(err, syscall.ECONNREFUSED):
					// Never reached the server: sent after the listener
					// closed, or retried by the transport after Shutdown
					// closed a keep-alive connection the server had not
					// read from yet (the usual keep-alive race).
					res.refused++
				case sent.Before(sig):
					res.inflight++
					if err == nil && status == http.StatusOK {
						res.inflightOK++
					} else if res.firstFail == "" {
						res.firstFail = failure(status, err)
					}
				case err == nil && status == http.StatusOK:
					res.afterOK++
				default:
					res.otherFail++
					if res.firstFail == "" {
						res.firstFail = failure(status, err)
					}
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(10 * time.Millisecond) // the server is gone: do not spin
				}
			}
		}(w)
	}
	time.Sleep(500 * time.Millisecond) // every worker has requests under way
	mu.Lock()
	sigAt = time.Now()
	mu.Unlock()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		res.err = "signal: " + err.Error()
		close(stop)
		wg.Wait()
		return res
	}
	res.signalled = true
	select {
	case <-s.done:
		res.elapsed = time.Since(sigAt)
	case <-time.After(o.shutdownTimeout + 5*time.Second):
		res.elapsed = time.Since(sigAt)
		res.killed = true
		s.kill()
	case <-ctx.Done():
		res.err = ctx.Err().Error()
		s.kill()
	}
	time.Sleep(100 * time.Millisecond) // requests racing the exit see the closed port
	close(stop)
	wg.Wait()
	res.exitCode = s.cmd.ProcessState.ExitCode()
	return res
}

func failure(status int, err error) string {
	if err != nil {
		return err.Error()
	}
	return "HTTP " + strconv.Itoa(status)
}

// --- /proc ---

type status struct{ rssKB, hwmKB int64 }

// procStatus reads VmRSS and VmHWM (peak RSS) of a process.
func procStatus(pid int) (status, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return status{}, err
	}
	var st status
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			st.rssKB = n
		case "VmHWM":
			st.hwmKB = n
		}
	}
	return st, nil
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// procTicks returns the command name and the user+system CPU time (in
// clock ticks) of a process.
func procTicks(pid string) (string, int64, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return "", 0, false
	}
	// The command name sits in parentheses and may contain spaces.
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 13 {
		return "", 0, false
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return string(b[open+1 : end]), utime + stime, true
}

// cpuSample is a snapshot of CPU time, in clock ticks.
type cpuSample struct {
	at                     time.Time
	busy, total            int64 // all CPUs, from /proc/stat
	server, db, self, idle int64
}

// sampleCPU reads the CPU time of the server, of every PostgreSQL process,
// of loadrun itself, and of the machine as a whole.
func sampleCPU(serverPID int) cpuSample {
	s := cpuSample{at: time.Now()}
	s.busy, s.total = machineCPU()
	entries, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	server := strconv.Itoa(serverPID)
	for _, e := range entries {
		name := e.Name()
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		comm, ticks, ok := procTicks(name)
		switch {
		case !ok:
		case name == server:
			s.server = ticks
		case name == self:
			s.self = ticks
		case comm == "postgres":
			s.db += ticks
		}
	}
	return s
}

// cpuUse is how many cores each party used over an interval (1.00 = one
// core busy all the time).
type cpuUse struct {
	server, db, loadgen, other float64
	machineBusy                float64 // share of all CPUs busy
}

func (s cpuSample) since(before cpuSample) cpuUse {
	secs := s.at.Sub(before.at).Seconds()
	if secs <= 0 {
		return cpuUse{}
	}
	cores := func(ticks int64) float64 { return float64(max(ticks, 0)) / clockTicks / secs }
	u := cpuUse{
		server:  cores(s.server - before.server),
		db:      cores(s.db - before.db), // backends that exited meanwhile are missed
		loadgen: cores(s.self - before.self),
	}
	busy := cores(s.busy - before.busy)
	u.other = max(0, busy-u.server-u.db-u.loadgen)
	if s.total > before.total {
		u.machineBusy = float64(s.busy-before.busy) / float64(s.total-before.total)
	}
	return u
}

// machineCPU returns the busy and total jiffies of all CPUs.
func machineCPU() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i >= 8 { // guest time is already counted in user
			break
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// logBuffer keeps the first limit bytes the server writes.
type logBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
