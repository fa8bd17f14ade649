package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hindsight/internal/apptest"
	"hindsight/models"
	"hindsight/postmortem"
)

// TestExportAndRedactionPreview exports a postmortem from the incident
// page (the download checked by fetching the link), opens the redaction
// preview, sees a removal highlighted, adds a term of its own and finds it
// highlighted after the reload, then keeps a flagged customer name and
// finds it no longer highlighted.
func TestExportAndRedactionPreview(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	app := apptest.Start(t, models.Postgres, nil)
	ctx := context.Background()
	app.User("admin@example.com", models.RoleAdmin)
	app.User("ed@example.com", models.RoleEditor)
	ana, err := app.Store.CreateUser(ctx, models.NewUser{Email: "ana.lima@example.com", Name: "Ana Lima", Role: models.RoleEditor})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 11, 20, 13, 5, 0, 0, time.UTC)
	inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{
		Title: "Checkout errors after the pool change", Severity: "SEV2", StartedAt: started,
		Summary:   "Ana Lima rolled the pool change back on db-7.internal. Project Falcon was paused; Globex saw errors for 47 minutes.",
		AuthorIDs: []int64{ana.ID}, Services: []string{"checkout"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.SaveImpact(ctx, inc.ID, postmortem.Impact{Customers: postmortem.Customers{Names: []string{"Globex"}},
		WhatUsersSaw: "Globex shoppers saw a payment error."}, 0, "ana.lima@example.com"); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/incidents/%d", inc.ID)

	b := newBrowser(t, app.URL)
	b.signIn("ed@example.com", apptest.Password)
	b.open(base)
	b.clickAndWaitForPage("#export-button")
	b.expectPath(base + "/export")

	// The download: fetch the Markdown link as the browser would.
	got := evalAsync(b, `(async () => {
		const r = await fetch(document.querySelector("#export-md-link").href);
		return [r.status, r.headers.get("Content-Type"), r.headers.get("Content-Disposition"), await r.text()].join("\n");
	})()`)
	lines := strings.SplitN(got, "\n", 4)
	if len(lines) != 4 || lines[0] != "200" || lines[1] != "text/markdown; charset=utf-8" ||
		!strings.Contains(lines[2], "attachment") || !strings.HasPrefix(lines[3], "---\n") ||
		!strings.Contains(lines[3], `title: "Checkout errors after the pool change"`) || !strings.Contains(lines[3], "Ana Lima") {
		t.Fatalf("the Markdown download:\n%s", got)
	}
	// The options form downloads the public version too.
	b.click(`input[name="audience"][value="public"]`)
	pub := evalAsync(b, `(async () => {
		const f = document.querySelector("#export-form");
		const r = await fetch(f.action + "?" + new URLSearchParams(new FormData(f)));
		return r.headers.get("Content-Disposition") + "\n" + await r.text();
	})()`)
	if !strings.Contains(pub, "-public.md") || strings.Contains(pub, "Ana Lima") || !strings.Contains(pub, "The author rolled") {
		t.Fatalf("the public download from the form:\n%s", pub)
	}

	// The redaction preview: the author's name is highlighted, with what it replaced.
	b.clickAndWaitForPage("#export-preview-link")
	b.expectPath(base + "/export/preview")
	mark := `#preview-text mark.removal[data-original="Ana Lima"]`
	b.expectCount(mark, 1)
	if title := eval[string](b, `document.querySelector(`+jsString(mark)+`).title`); title != "person: Ana Lima" {
		t.Errorf("the mark's tooltip is %q", title)
	}
	b.expectText(mark, "The author")

	// A term of the author's own: highlighted after the reload.
	falcon := `#preview-text mark.removal[data-original="Project Falcon"]`
	b.expectCount(falcon, 0)
	b.typeInto("#term", "Project Falcon")
	b.clickAndWaitForPage(`#term-form button[type="submit"]`)
	b.expectPath(base + "/export/preview")
	b.expectPageText("is removed from the public version")
	b.expectCount(falcon, 1)
	b.expectText(falcon, "(redacted)")
	b.expectText("#terms", "Project Falcon")

	// Keep a flagged customer name: no longer highlighted, written as is.
	globex := `#preview-text mark.removal[data-original="Globex"]`
	if b.count(globex) == 0 {
		t.Fatal("Globex is not flagged")
	}
	b.clickAndWaitForPage(`#removals form:has(input[name="value"][value="Globex"]) button.keep`)
	b.expectPageText("is kept in the public version")
	b.expectCount(globex, 0)
	b.expectText("#preview-text", "Globex shoppers saw a payment error.")
	b.expectText("#kept", "Globex")
	b.expectCount(falcon, 1)

	// The print view of the same postmortem.
	b.open(base + "/print")
	b.expectText("#print-doc h1", "Checkout errors after the pool change")
}

// evalAsync runs JavaScript that returns a promise of a string and waits
// for it.
func evalAsync(b *Browser, js string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}
