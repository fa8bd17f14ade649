package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hindsight/internal/apptest"
	"hindsight/models"
)

// startApp boots the app on SQLite, after making sure there is a browser
// (so that a machine without one skips before doing any work).
func startApp(t *testing.T) *apptest.App {
	t.Helper()
	requireBrowser(t)
	return apptest.Start(t, models.SQLite, nil)
}

// TestSignInOutAndRoles signs a viewer in and out through the forms and
// checks what the role may see.
func TestSignInOutAndRoles(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.User("admin@example.com", models.RoleAdmin)
	app.User("vera@example.com", models.RoleViewer)
	app.User("ed@example.com", models.RoleEditor)
	b := newBrowser(t, app.URL)

	// Signed out, pages send you to sign in, remembering where you were going.
	b.open("/incidents")
	b.waitVisible("#email")
	b.expectPath("/signin?next=%2Fincidents")
	b.expectCount(`header form[action="/signout"]`, 0)

	// A wrong password is refused on the form.
	b.typeInto("#email", "vera@example.com")
	b.typeInto("#password", "not the password")
	b.clickAndWaitForPage(`form[action="/signin"] button[type="submit"]`)
	b.expectText(`#main .error[role="alert"]`, "e-mail address or password is wrong")
	b.expectValue("#email", "vera@example.com")
	b.expectValue("#password", "")

	// The viewer signs in and lands where they were going.
	b.replaceText("#email", "vera@example.com")
	b.typeInto("#password", apptest.Password)
	b.clickAndWaitForPage(`form[action="/signin"] button[type="submit"]`)
	b.expectPath("/incidents")
	b.expectText("#main h1", "Incidents")
	b.expectText(`header a[href="/settings/profile"]`, "vera")
	b.waitVisible("#incident-results table")
	// Viewers read; they get no way to write.
	b.expectCount(`a[href="/incidents/new"]`, 0)
	b.expectCount(`header a[href="/settings/users"]`, 0)
	b.expectCount(`header a[href="/settings/tokens"]`, 0)

	// Asking for the form anyway is refused, with a page that says why.
	if status := b.openStatus("/incidents/new"); status != http.StatusForbidden {
		t.Fatalf("GET /incidents/new as a viewer: status %d, want 403", status)
	}
	b.expectText("#main h1", "Forbidden")
	b.expectPageText("this needs the editor role; you are a viewer")
	if status := b.openStatus("/settings/tokens"); status != http.StatusForbidden {
		t.Fatalf("GET /settings/tokens as a viewer: status %d, want 403", status)
	}

	// Signing out ends the session for good.
	b.open("/incidents")
	b.signOut()
	b.expectPath("/signin")
	b.expectText(".flash", "signed out")
	b.waitVisible("#email")
	b.open("/incidents")
	b.waitVisible("#email")
	b.expectPath("/signin?next=%2Fincidents")

	// An editor who follows a link to the form gets there after signing in,
	// and does get the button.
	b.open("/incidents/new")
	b.waitVisible("#email")
	b.expectPath("/signin?next=%2Fincidents%2Fnew")
	b.typeInto("#email", "ed@example.com")
	b.typeInto("#password", apptest.Password)
	b.clickAndWaitForPage(`form[action="/signin"] button[type="submit"]`)
	b.expectPath("/incidents/new")
	b.waitVisible("#title")
	b.open("/incidents")
	b.waitVisible(`#main a.button[href="/incidents/new"]`)
	b.expectCount(`header a[href="/settings/users"]`, 0)
}

// TestFormErrorsRerender posts an invalid incident and checks that the form
// comes back with a message on each bad field and everything else kept.
func TestFormErrorsRerender(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.User("admin@example.com", models.RoleAdmin)
	b := newBrowser(t, app.URL)
	b.signIn("admin@example.com", apptest.Password)

	b.open("/incidents/new")
	b.waitVisible("#title")
	// Let the browser send an empty title: the server must catch it too.
	b.do("drop the title's required attribute", chromedp.RemoveAttribute(chromedp.CSS("#title"), "required"))
	b.setValue("#severity", "SEV1")
	b.setValue("#status", "in_review")
	b.replaceText("#environment", "staging")
	b.setValue("#started_at", "2022-11-17T11:45")
	b.setValue("#detected_at", "2022-11-17T11:00") // before the start
	b.typeInto("#services", "bookbot-api")
	b.typeInto("#tags", "queue")
	b.setValue("#summary", "Keep **this** text.")
	b.clickAndWaitForPage(`#main form[action="/incidents"] button[type="submit"]`)

	// Same URL the form posted to, with the messages.
	b.expectPath("/incidents")
	b.expectText(`#main > p.error[role="alert"]`, "Some fields need attention")
	b.expectText(`.field-error:has(#title) .error`, "enter a title")
	b.expectText(`.field-error:has(#detected_at) .error`, "must not be before the impact start")
	b.expectCount(`.field-error`, 2)
	// What was typed is still there.
	b.expectValue("#title", "")
	b.expectValue("#severity", "SEV1")
	b.expectValue("#status", "in_review")
	b.expectValue("#environment", "staging")
	b.expectValue("#started_at", "2022-11-17T11:45")
	b.expectValue("#detected_at", "2022-11-17T11:00")
	b.expectValue("#services", "bookbot-api")
	b.expectValue("#tags", "queue")
	b.expectValue("#summary", "Keep **this** text.")
	// The form preselected the signed-in admin as author; that is kept too.
	if got := eval[[]string](b, `[...document.querySelectorAll("#authors option:checked")].map(o => o.textContent)`); strings.Join(got, "|") != "admin (admin@example.com)" {
		t.Fatalf("selected authors after the error are %q, want the admin", got)
	}

	// Fixing the two fields creates the incident with the kept values.
	b.typeInto("#title", "Queue stalled in staging")
	b.do("clear the detected time", chromedp.SetValue(chromedp.CSS("#detected_at"), ""))
	b.clickAndWaitForPage(`#main form[action="/incidents"] button[type="submit"]`)
	if p := b.path(); !strings.HasPrefix(p, "/incidents/") {
		t.Fatalf("after fixing the form the page is %s, want the new incident", p)
	}
	b.expectText("#main h1", "Queue stalled in staging")
	b.expectText("#main .sev", "SEV1")
	b.expectText("#main .status", "In review")
	b.expectText(".prose strong", "this")
	b.expectText("dl.facts dd .chip", "bookbot-api")
}

// TestTokenCreatedOnce creates an API token in the browser: its value is
// shown on the answer to the form and never again.
func TestTokenCreatedOnce(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.User("admin@example.com", models.RoleAdmin)
	b := newBrowser(t, app.URL)
	b.signIn("admin@example.com", apptest.Password)

	b.clickAndWaitForPage(`header a[href="/settings/tokens"]`)
	b.expectPath("/settings/tokens")
	b.expectText("#main tbody", "No tokens yet")
	b.typeInto("#token-name", "deploy pipeline")
	b.setValue("#token-role", "editor")
	b.clickAndWaitForPage(`#main form[action="/settings/tokens"] button[type="submit"]`)

	b.waitVisible("#new-token")
	token := b.text("#new-token")
	if !strings.HasPrefix(token, "hs_") || len(token) < 20 {
		t.Fatalf("the new token is %q; want a long value starting with hs_", token)
	}
	b.expectPageText("Authorization: Bearer " + token)
	prefix := strings.TrimSuffix(b.text("#main tbody tr td:nth-child(3) code"), "…")
	if prefix == "" || !strings.HasPrefix(token, prefix) || prefix == token {
		t.Fatalf("the list shows the token as %q…; want a proper prefix of %q", prefix, token)
	}
	b.expectText("#main tbody tr td:nth-child(1)", "deploy pipeline")
	b.expectText("#main tbody tr td:nth-child(2)", "editor")

	// The token works.
	if res := app.API(http.MethodGet, "/api/v1/incidents", token, ""); res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/incidents with the new token: %d %s", res.StatusCode, res.Body)
	}

	// Coming back to the page shows the token's prefix, never its value.
	// (A browser reload of the POST answer would post the form again and
	// create another token, so this navigates to the page.)
	b.open("/settings/tokens")
	b.waitVisible("#main table")
	b.expectCount("#new-token", 0)
	if strings.Contains(b.pageHTML(), token) {
		t.Fatal("the token's value is still on the tokens page after leaving it")
	}
	b.expectText("#main tbody tr td:nth-child(3) code", prefix)
	b.expectCount(`#main tbody tr`, 1)

	// Revoke it.
	b.clickAndWaitForPage(`#main tbody form[action$="/revoke"] button[type="submit"]`)
	b.expectPath("/settings/tokens")
	b.expectText(".flash", "Token revoked")
	b.expectText("#main tbody tr td:nth-child(6)", "revoked")
	b.expectCount(`#main tbody form[action$="/revoke"]`, 0)
	if res := app.API(http.MethodGet, "/api/v1/incidents", token, ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/incidents with the revoked token: %d, want 401", res.StatusCode)
	}
}

// TestContentSecurityPolicyBlocksInlineCode checks that the policy the server
// sends really stops injected inline script and inline styles, and that the
// tests' console watch reports such violations (so that a clean run of the
// other tests means their pages have none).
func TestContentSecurityPolicyBlocksInlineCode(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.User("admin@example.com", models.RoleAdmin)
	b := newBrowser(t, app.URL)
	b.signIn("admin@example.com", apptest.Password)
	b.open("/settings/profile")
	b.waitVisible("#time_zone")

	eval[bool](b, `(() => {
		const s = document.createElement("script");
		s.textContent = "window.__e2eInline = true";
		document.body.appendChild(s);
		document.body.insertAdjacentHTML("beforeend",
			'<img src="/static/app.css" onload="window.__e2eHandler = true" onerror="window.__e2eHandler = true">' +
			'<p id="e2e-styled" style="color: rgb(1, 2, 3)">styled</p>');
		return true;
	})()`)
	// The image loads or fails either way; wait for it to settle.
	b.waitFor("the injected image to settle", `[...document.images].every(i => i.complete)`)
	if eval[bool](b, `window.__e2eInline === true || window.__e2eHandler === true`) {
		t.Fatal("injected inline script ran: the Content-Security-Policy does not protect the page")
	}
	if color := eval[string](b, `getComputedStyle(document.getElementById("e2e-styled")).color`); color == "rgb(1, 2, 3)" {
		t.Fatal("an injected style attribute applied: the Content-Security-Policy allows inline styles")
	}
	seen := b.takeProblems(func(p problem) bool { return p.csp })
	var scripts, styles int
	for _, p := range seen {
		switch {
		case strings.Contains(p.text, "directive 'script-src"):
			scripts++
		case strings.Contains(p.text, "directive 'style-src"):
			styles++
		}
		t.Logf("blocked as expected: %.100s…", p.text)
	}
	if scripts == 0 || styles == 0 {
		t.Fatalf("the console watch saw %d script and %d style CSP violations; want both reported", scripts, styles)
	}
}
