package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/models"
)

// TestPostmortemSettingsFlow shapes the postmortem guide from Settings →
// Postmortems and follows each change into a draft: a custom select field
// appears in the impact step and keeps its value, a team phrase is flagged
// by the "try it" box as it is typed, and a new factor category is offered
// in the contributing factors step.
func TestPostmortemSettingsFlow(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	app := apptest.Start(t, models.Postgres, nil)
	admin := app.User("admin@example.com", models.RoleAdmin)
	ctx := context.Background()
	inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Checkout errors in one region", Severity: "SEV2",
		Status: models.StatusDraft, StartedAt: time.Date(2022, 11, 17, 10, 45, 0, 0, time.UTC)}, &admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	write := fmt.Sprintf("/incidents/%d/write/", inc.ID)

	b := newBrowser(t, app.URL)
	b.signIn("admin@example.com", apptest.Password)

	// Settings → Postmortems from the header: no custom fields yet.
	b.clickAndWaitForPage(`header a[href="/settings/postmortems"]`)
	b.expectPath("/settings/postmortems")
	b.expectText("#main h1", "Postmortem settings")
	b.expectText("#fields", "No custom fields yet")

	// A select field with two options.
	b.typeInto("#nf-key", "region")
	b.typeInto("#nf-label", "Region")
	b.setValue("#nf-kind", "select")
	b.typeInto("#nf-options", "eu\nus")
	if status := b.clickStatus(`#fields form[action="/settings/postmortems/fields"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("adding the field: status %d, want 200 after the redirect", status)
	}
	b.expectPath("/settings/postmortems#fields")
	b.expectText(".flash", "Field “Region” added to the impact step.")
	b.expectCount("#fields li.settings-row", 1)
	b.expectText("#field-region .row-key code", "region")
	b.expectText("#field-region .row-key .badge", "select")
	b.expectValue("#fl-region", "Region")
	b.expectValue("#fo-region", "eu\nus")

	// The impact step of a draft shows it as a select of those options.
	b.open(write + "impact")
	b.waitVisible("#f-custom-region")
	b.expectText(`label[for="f-custom-region"]`, "Region")
	if tag := eval[string](b, `document.querySelector("#f-custom-region").tagName`); tag != "SELECT" {
		t.Fatalf("the region field is a %s, want a SELECT", tag)
	}
	options := eval[[]string](b, `[...document.querySelectorAll("#f-custom-region option")].map(o => o.value)`)
	if !slices.Equal(options, []string{"", "eu", "us"}) {
		t.Fatalf("the region field offers %q, want none, eu and us", options)
	}
	b.expectValue("#f-custom-region", "")
	b.setValue("#f-custom-region", "eu")
	b.clickAndWaitForPage(`#step-form .save-row button[type="submit"]`)
	b.expectPath(write + "impact")
	b.expectText(".flash", "saved.")
	b.open(write + "impact")
	b.waitVisible("#f-custom-region")
	b.expectValue("#f-custom-region", "eu")
	impact, _, err := app.Store.Impact(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := impact.Custom["region"]; got != "eu" {
		t.Fatalf("the stored impact has region %v, want eu (custom: %v)", got, impact.Custom)
	}

	// A team phrase for the blameless check.
	b.clickAndWaitForPage(`header a[href="/settings/postmortems"]`)
	b.expectText("#blameless", "None yet.")
	b.typeInto("#nr-phrase", "cowboy deploy")
	b.typeInto("#nr-suggestion", "an unreviewed deploy")
	if status := b.clickStatus(`#blameless form[action="/settings/postmortems/blameless"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("adding the phrase: status %d, want 200 after the redirect", status)
	}
	b.expectPath("/settings/postmortems#blameless")
	b.expectText(".flash", "“cowboy deploy” is now flagged in postmortems.")
	b.expectText("#blameless mark", "cowboy deploy")
	b.expectPageText("an unreviewed deploy")

	// "Try it" checks the text as it is typed, without a page load: first
	// nothing to flag, then the phrase, with the suggestion.
	b.markDocument()
	b.typeInto("#try-text", "The release went out on Friday afternoon.")
	b.waitFor("the check of a clean text", `document.querySelector("#try-notes").textContent.includes("Nothing flagged")`)
	b.typeInto("#try-text", " It was a Cowboy Deploy.")
	b.waitFor("the phrase flagged", `(document.querySelector("#try-notes mark") || {textContent: ""}).textContent === "Cowboy Deploy"`)
	b.expectCount("#try-notes li", 1)
	b.expectText("#try-notes li .instead", "an unreviewed deploy")
	if !b.sameDocument() {
		t.Fatal("trying a text reloaded the page")
	}
	if n, err := app.Store.BlamelessRules(ctx); err != nil || len(n) != 1 {
		t.Fatalf("after trying, %d phrases are stored (%v), want 1", len(n), err)
	}

	// A new factor category, offered in the factors step.
	b.replaceText("#nc-key", "feature_flag")
	b.typeInto("#nc-label", "Feature flag")
	b.replaceText("#nc-group", "trigger")
	if status := b.clickStatus(`#factors form[action="/settings/postmortems/factors"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("adding the category: status %d, want 200 after the redirect", status)
	}
	b.expectPath("/settings/postmortems#factors")
	b.expectText(".flash", "Category “Feature flag” added.")
	b.expectValue("#cl-feature_flag", "Feature flag")
	b.expectValue("#cg-feature_flag", "trigger")

	b.open(write + "factors")
	b.waitVisible("#f-new_category")
	if got := b.textContent(`#f-new_category option[value="feature_flag"]`); got != "Feature flag" {
		t.Fatalf("the factors step offers the category as %q, want Feature flag", got)
	}
	sameGroup := eval[bool](b, `(() => {
		const mine = document.querySelector('#f-new_category option[value="feature_flag"]');
		const deploy = document.querySelector('#f-new_category option[value="deploy"]');
		return !!mine && !!deploy && mine.parentElement.tagName === "OPTGROUP" && mine.parentElement === deploy.parentElement;
	})()`)
	if !sameGroup {
		t.Fatal("the new category is not offered in the trigger group, next to Deploy")
	}
	// …and a factor can use it.
	b.setValue("#f-new_category", "feature_flag")
	b.typeInto("#f-new_note", "The new checkout flag was turned on for every region at once.")
	b.clickAndWaitForPage(`#step-form .save-row button[type="submit"]`)
	b.expectPath(write + "factors")
	b.expectCount("#factors li.factor", 1)
	b.expectValue("#factors li.factor select", "feature_flag")
	factors, _, err := app.Store.Factors(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(factors.Items) != 1 || factors.Items[0].Category != "feature_flag" {
		t.Fatalf("stored factors: %+v, want one feature_flag", factors.Items)
	}
}
