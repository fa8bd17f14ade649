package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// testTimeout bounds each test's browser work.
const testTimeout = 60 * time.Second

// browserZone is the time zone the browser reports to pages. It is not UTC
// on purpose: static/app.js hands it to the server in a cookie, and the
// tests check that times typed into forms are read in it.
const browserZone = "Europe/Berlin"

// --- finding Chromium ---

var (
	findOnce   sync.Once
	foundPath  string
	notFoundBy string // why no browser was found
	skipOnce   sync.Once
)

// requireBrowserEnv is true when a missing browser must fail the tests.
func requireBrowserEnv() bool { return os.Getenv("REQUIRE_BROWSER") == "1" }

// findChromium returns the browser to run, or "" and the reason there is none.
// A CHROMIUM_PATH that is set but names no executable counts as "not found":
// the caller asked for that browser, so no other one is used instead.
func findChromium() (string, string) {
	findOnce.Do(func() {
		if p := os.Getenv("CHROMIUM_PATH"); p != "" {
			found, err := exec.LookPath(p)
			if err != nil {
				notFoundBy = fmt.Sprintf("CHROMIUM_PATH=%q is not an executable file (%v)", p, err)
				return
			}
			foundPath = found
			return
		}
		candidates := []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
		for _, c := range candidates {
			if found, err := exec.LookPath(c); err == nil {
				foundPath = found
				return
			}
		}
		notFoundBy = "CHROMIUM_PATH is unset and none of " + strings.Join(candidates, ", ") + " is installed or on PATH"
	})
	return foundPath, notFoundBy
}

// requireBrowser returns the browser's path; without one it fails the test
// (REQUIRE_BROWSER=1) or skips it, saying so loudly once per process.
func requireBrowser(t testing.TB) string {
	t.Helper()
	path, why := findChromium()
	if path != "" {
		return path
	}
	if requireBrowserEnv() {
		t.Fatalf("Chromium is required (REQUIRE_BROWSER=1) but was not found: %s. Install it (apt-get install chromium) or set CHROMIUM_PATH.", why)
	}
	skipOnce.Do(func() {
		fmt.Fprintf(os.Stderr, "\n*** SKIPPING browser tests: no Chromium found (%s). Install chromium or set CHROMIUM_PATH; set REQUIRE_BROWSER=1 to fail instead ***\n\n", why)
	})
	t.Skipf("no Chromium: %s", why)
	return ""
}

// --- one shared browser process, one browser context per test ---

var (
	browserMu     sync.Mutex
	browserCtx    context.Context // the browser; tests open their contexts under it
	browserStop   func()
	browserOutput lockedBuffer
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 64<<10 { // keep the head: start-up errors are there
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// sharedBrowser starts the browser on first use. Its life is not bound to any
// test's context, so one test's timeout cannot close it for the others.
func sharedBrowser(path string) (context.Context, error) {
	browserMu.Lock()
	defer browserMu.Unlock()
	if browserCtx != nil {
		return browserCtx, nil
	}
	dir, err := os.MkdirTemp("", "hindsight-e2e-chromium-")
	if err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,PasswordLeakDetection"),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("enable-automation", true),
		chromedp.WindowSize(1280, 1000),
		chromedp.CombinedOutput(&browserOutput),
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err = <-started:
	case <-time.After(45 * time.Second):
		err = errors.New("the browser did not start within 45s")
	}
	if err != nil {
		cancel()
		allocCancel()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w\nbrowser output:\n%s", path, err, browserOutput.String())
	}
	browserCtx = ctx
	browserStop = func() {
		cancel()
		allocCancel()
		os.RemoveAll(dir)
	}
	return browserCtx, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	browserMu.Lock()
	if browserStop != nil {
		browserStop()
	}
	browserMu.Unlock()
	os.Exit(code)
}

// --- the per-test browser ---

// Browser is one test's tab, in a browser context of its own (own cookies,
// own storage), with a deadline.
type Browser struct {
	t    *testing.T
	base string
	tab  context.Context // lives until the test ends
	ctx  context.Context // tab with the test's deadline

	mu       sync.Mutex
	console  []string  // everything the page logged, for failure reports
	problems []problem // exceptions, console errors, CSP violations
}

// problem is something the browser reported that fails a test.
type problem struct {
	text string // as logged, with the document or script it came from
	csp  bool   // a Content-Security-Policy violation
}

// newBrowser opens a tab for the test against the app at base.
func newBrowser(t *testing.T, base string) *Browser {
	t.Helper()
	path := requireBrowser(t)
	parent, err := sharedBrowser(path)
	if err != nil {
		t.Fatalf("Chromium: %v", err)
	}
	tab, closeTab := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(closeTab)
	// The first Run binds the tab's life to its context, so it cannot carry
	// a deadline; wait for it here instead.
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(tab) }()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("open a tab: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the browser opened no tab within 30s\nbrowser output:\n%s", browserOutput.String())
	}
	b := &Browser{t: t, base: strings.TrimRight(base, "/"), tab: tab}
	if err := chromedp.Listen(tab, b.onEvent); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	if _, err := chromedp.Call(tab, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: browserZone}); err != nil {
		t.Fatalf("set the browser's time zone: %v", err)
	}
	ctx, cancel := context.WithTimeout(tab, testTimeout)
	t.Cleanup(cancel)
	b.ctx = ctx
	// Cleanups run last-registered first: the console check runs, then (on
	// failure) the artifacts are saved, then the deadline and the tab go.
	t.Cleanup(b.saveArtifactsOnFailure)
	t.Cleanup(b.checkConsole)
	return b
}

// onEvent runs in the tab's message loop: it must be quick and call nothing.
func (b *Browser) onEvent(ev any) {
	var line string
	bad, csp := false, false
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		line = "uncaught exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			line += " " + d.Exception.Description
		}
		line += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		bad = true
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			switch {
			case a.Description != "":
				parts = append(parts, a.Description)
			case len(a.Value) > 0:
				parts = append(parts, string(a.Value))
			default:
				parts = append(parts, string(a.Type))
			}
		}
		line = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
		bad = ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		line = fmt.Sprintf("log %s/%s: %s", e.Source, e.Level, e.Text)
		if e.URL != "" {
			line += " (" + e.URL + ")"
		}
		switch {
		case isCSPViolation(e.Text):
			bad, csp = true, true
		case e.Level == cdplog.EntryLevelError && e.Source == cdplog.EntrySourceNetwork:
			// Pages answered 403 or 422 on purpose log a network error for the
			// document; a failed script, style or image is a real problem.
			bad = strings.Contains(e.URL, "/static/")
		case e.Level == cdplog.EntryLevelError:
			bad = true
		}
	default:
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.console = append(b.console, line)
	if bad {
		b.problems = append(b.problems, problem{text: line, csp: csp})
	}
}

func isCSPViolation(text string) bool {
	return strings.Contains(text, "Content Security Policy") || strings.Contains(text, "Content-Security-Policy")
}

// takeProblems removes and returns the problems seen so far that match, for
// tests that cause one on purpose.
func (b *Browser) takeProblems(match func(problem) bool) []problem {
	b.flushEvents()
	b.mu.Lock()
	defer b.mu.Unlock()
	var taken, kept []problem
	for _, p := range b.problems {
		if match(p) {
			taken = append(taken, p)
		} else {
			kept = append(kept, p)
		}
	}
	b.problems = kept
	return taken
}

// flushEvents makes a round trip to the page: Listen has then seen every
// event the browser sent before the reply.
func (b *Browser) flushEvents() {
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[int](`1`))
}

// checkConsole fails the test on uncaught exceptions, console errors and
// Content-Security-Policy violations seen in any page it visited.
func (b *Browser) checkConsole() {
	b.flushEvents()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("browser console problem: %s", p.text)
	}
}

// saveArtifactsOnFailure writes a screenshot and the HTML of the page, and
// logs them with the page's URL, text and console.
func (b *Browser) saveArtifactsOnFailure() {
	if !b.t.Failed() {
		return
	}
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	dir := os.Getenv("E2E_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "hindsight-e2e")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(b.t.Name(), "_") + "-" + time.Now().Format("150405.000")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Logf("artifacts: %v", err)
		return
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		b.t.Logf("page at failure: %s", loc)
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		b.t.Logf("screenshot failed: %v", err)
	} else {
		p := filepath.Join(dir, name+".png")
		if err := os.WriteFile(p, png, 0o644); err == nil {
			b.t.Logf("screenshot: %s", p)
		}
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err == nil {
		p := filepath.Join(dir, name+".html")
		if err := os.WriteFile(p, []byte(html), 0o644); err == nil {
			b.t.Logf("page HTML: %s", p)
		}
	}
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
		if len(text) > 4000 {
			text = text[:4000] + "\n[…]"
		}
		b.t.Logf("page text at failure:\n%s", text)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.console) > 0 {
		b.t.Logf("browser console:\n  %s", strings.Join(b.console, "\n  "))
	}
}

// --- actions; each fails the test on error ---

// do runs actions within the test's deadline.
func (b *Browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to a path of the app and waits for the page to load.
func (b *Browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
}

// openStatus navigates and returns the HTTP status of the document.
func (b *Browser) openStatus(path string) int64 {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// waitVisible waits until the element is shown.
func (b *Browser) waitVisible(sel string) {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// typeInto focuses a field and types into it with real key events.
func (b *Browser) typeInto(sel, text string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// setValue sets a field's value and fires input and change events.
func (b *Browser) setValue(sel, value string) {
	b.t.Helper()
	b.do("set "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

// replaceText clears a text field and types the new text.
func (b *Browser) replaceText(sel, text string) {
	b.t.Helper()
	b.do("replace the text of "+sel, chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// click clicks an element that loads no page (a checkbox, a summary).
func (b *Browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// eval runs JavaScript in the page and returns its result.
func eval[T any](b *Browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// text returns the visible text of the first element matching sel.
func (b *Browser) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

// textContent returns the text content of the first element matching sel,
// trimmed; unlike text it reads elements without innerText, such as SVG's.
func (b *Browser) textContent(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text content of %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

// value returns the value of a form field.
func (b *Browser) value(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

// count returns how many elements match sel right now (no waiting).
func (b *Browser) count(sel string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel)))
}

// pageText is the visible text of the whole page.
func (b *Browser) pageText() string {
	b.t.Helper()
	return eval[string](b, `document.body.innerText`)
}

// pageHTML is the page's current HTML.
func (b *Browser) pageHTML() string {
	b.t.Helper()
	return eval[string](b, `document.documentElement.outerHTML`)
}

// path is the path and query of the page, without the origin.
func (b *Browser) path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("location: %v", err)
	}
	return strings.TrimPrefix(loc, b.base)
}

// markDocument tags the current document; a full page load drops the tag.
func (b *Browser) markDocument() {
	b.t.Helper()
	eval[bool](b, `window.__e2eSameDocument = true`)
}

// sameDocument tells whether the tag set by markDocument is still there.
func (b *Browser) sameDocument() bool {
	b.t.Helper()
	return eval[bool](b, `window.__e2eSameDocument === true`)
}

// clickAndWaitForPage clicks (a link, a submit button) and waits until a new
// document has replaced the current one and finished loading.
func (b *Browser) clickAndWaitForPage(sel string) {
	b.t.Helper()
	b.markDocument()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	b.waitForNewDocument("after clicking " + sel)
}

func (b *Browser) waitForNewDocument(what string) {
	b.t.Helper()
	const expr = `window.__e2eSameDocument === undefined && document.readyState === "complete"`
	for {
		// Each probe has its own short deadline: during the navigation the
		// old document's context goes away under it.
		probe, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		done, err := chromedp.Run(probe, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && done {
			return
		}
		select {
		case <-b.ctx.Done():
			b.t.Fatalf("no new page loaded %s: %v", what, b.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitFor waits until the JavaScript expression is true in the page.
func (b *Browser) waitFor(what, expr string) {
	b.t.Helper()
	b.waitForWithin(what, expr, 20*time.Second)
}

// waitForWithin waits at most d until the JavaScript expression is true in
// the page.
func (b *Browser) waitForWithin(what, expr string, d time.Duration) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d))); err != nil {
		b.t.Fatalf("waiting up to %s for %s (%s): %v", d, what, expr, err)
	}
}

// clickStatus clicks (a submit button, a link), waits for the page it loads
// and returns the HTTP status of that document (after redirects).
func (b *Browser) clickStatus(sel string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("click %s and wait for the page: %v", sel, err)
	}
	if res == nil {
		b.t.Fatalf("clicking %s loaded a page without a response", sel)
	}
	return res.Status
}

// signIn signs in through the form and waits for the page after it.
func (b *Browser) signIn(email, password string) {
	b.t.Helper()
	b.open("/signin")
	b.waitVisible("#email")
	b.typeInto("#email", email)
	b.typeInto("#password", password)
	b.clickAndWaitForPage(`form[action="/signin"] button[type="submit"]`)
}

// signOut uses the header's button.
func (b *Browser) signOut() {
	b.t.Helper()
	b.clickAndWaitForPage(`header form[action="/signout"] button[type="submit"]`)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`)
	return `"` + r.Replace(s) + `"`
}

// --- assertions ---

func (b *Browser) expectPath(want string) {
	b.t.Helper()
	if got := b.path(); got != want {
		b.t.Fatalf("page is %s, want %s", got, want)
	}
}

func (b *Browser) expectText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.t.Fatalf("%s reads %q, want it to contain %q", sel, got, want)
	}
}

func (b *Browser) expectValue(sel, want string) {
	b.t.Helper()
	if got := b.value(sel); got != want {
		b.t.Fatalf("%s has value %q, want %q", sel, got, want)
	}
}

func (b *Browser) expectCount(sel string, want int) {
	b.t.Helper()
	if got := b.count(sel); got != want {
		b.t.Fatalf("%d elements match %s, want %d", got, sel, want)
	}
}

func (b *Browser) expectPageText(want string) {
	b.t.Helper()
	if got := b.pageText(); !strings.Contains(got, want) {
		b.t.Fatalf("the page does not say %q; it reads:\n%s", want, got)
	}
}
