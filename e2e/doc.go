// Package e2e holds Hindsight's browser tests: they boot the whole server on
// a fresh database (internal/apptest) and drive it with a real headless
// Chromium through chromedp, so that templates, forms, redirects, cookies,
// htmx and the Content-Security-Policy are exercised together.
//
// The tests need Chromium. They look for it in $CHROMIUM_PATH, then
// /usr/bin/chromium, then chromium, chromium-browser, google-chrome and
// google-chrome-stable on $PATH. Without one they skip, with one loud line on
// stderr; set REQUIRE_BROWSER=1 to make a missing browser fail them instead.
//
// Every test also watches the browser console: an uncaught exception, a
// console.error, a failed /static/ load or a Content-Security-Policy violation
// on any page it visits fails it.
//
// On a failure a test saves a screenshot and the page's HTML under
// $E2E_ARTIFACTS_DIR (default: hindsight-e2e in the system temp directory)
// and logs their paths, the page's URL and its visible text.
//
//	REQUIRE_BROWSER=1 go test ./e2e/ -v
package e2e
