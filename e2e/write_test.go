package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hindsight/internal/apptest"
	"hindsight/models"
)

// TestTwoAuthorsSameSection: two people edit the lessons of one postmortem
// at once. The first one's save lands; the second one's autosave says it is
// stale, and their Save opens the merge page with both versions — nothing
// is overwritten. Then the second author merges and saves.
func TestTwoAuthorsSameSection(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	app := apptest.Start(t, models.Postgres, nil)
	app.User("admin@example.com", models.RoleAdmin)
	app.User("ana@example.com", models.RoleEditor)
	app.User("bo@example.com", models.RoleEditor)
	ctx := context.Background()
	inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2", Status: "draft",
		StartedAt: time.Date(2022, 11, 17, 10, 45, 0, 0, time.UTC)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	step := fmt.Sprintf("/incidents/%d/write/lessons", inc.ID)

	ana := newBrowser(t, app.URL)
	ana.signIn("ana@example.com", apptest.Password)
	bo := newBrowser(t, app.URL)
	bo.signIn("bo@example.com", apptest.Password)
	ana.open(step)
	bo.open(step)
	ana.waitVisible("#f-went_wrong")
	bo.waitVisible("#f-went_wrong")

	// Ana types; her autosave lands as version 1 without a page load.
	ana.markDocument()
	ana.typeInto("#f-went_wrong", "The deploy ran before its migration")
	ana.waitForWithin("Ana's autosave", `document.querySelector("#save-status").textContent.includes("Saved")`, 15*time.Second)
	if !ana.sameDocument() {
		t.Fatal("the autosave reloaded the page")
	}
	ana.expectValue("#section-version", "1")

	// Bo started from version 0: his autosave is refused as stale.
	bo.typeInto("#f-went_well", "Rollback took four minutes")
	bo.waitForWithin("Bo's stale autosave", `document.querySelector("#save-status").textContent.includes("Someone else saved")`, 15*time.Second)
	// His Save opens the merge page: Ana's text and his, the form keeps his.
	bo.clickAndWaitForPage(`#step-form button[type="submit"]`)
	bo.expectPageText("Someone else saved this section while you were editing")
	bo.expectText(".conflict", "The deploy ran before its migration")
	bo.expectValue("#f-went_well", "Rollback took four minutes")
	bo.expectValue("#section-version", "1")
	lessons, _, _ := app.Store.Lessons(ctx, inc.ID)
	if len(lessons.WentWrong) != 1 || len(lessons.WentWell) != 0 {
		t.Fatalf("stored after the conflict: %+v", lessons)
	}

	// Bo merges Ana's line into his version and saves, consciously.
	bo.setValue("#f-went_wrong", "The deploy ran before its migration")
	bo.clickAndWaitForPage(`#step-form button[type="submit"]`)
	bo.expectPageText("Lessons saved.")
	lessons, sec, _ := app.Store.Lessons(ctx, inc.ID)
	if sec.Version != 2 || len(lessons.WentWrong) != 1 || len(lessons.WentWell) != 1 {
		t.Fatalf("after the merge: %+v v%d", lessons, sec.Version)
	}
}

// TestHistoryAndRestore: the history lists who saved which section; a
// version shows its word diff and restores as the newest version.
func TestHistoryAndRestore(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	app := apptest.Start(t, models.SQLite, nil)
	app.User("admin@example.com", models.RoleAdmin)
	app.User("ana@example.com", models.RoleEditor)
	ctx := context.Background()
	inc, err := app.Store.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2", Status: "draft",
		StartedAt: time.Date(2022, 11, 17, 10, 45, 0, 0, time.UTC)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/incidents/%d", inc.ID)
	b := newBrowser(t, app.URL)
	b.signIn("ana@example.com", apptest.Password)

	b.open(base + "/write/lessons")
	b.typeInto("#f-went_well", "Rollback took four minutes")
	b.clickAndWaitForPage(`#step-form .save-row button[type="submit"]`)
	b.replaceText("#f-went_well", "Rollback took twenty minutes")
	b.clickAndWaitForPage(`#step-form .save-row button[type="submit"]`)

	b.clickAndWaitForPage(fmt.Sprintf(`a[href=%q]`, base+"/history"))
	b.expectText("main table", "version 2")
	b.clickAndWaitForPage(fmt.Sprintf(`a[href=%q]`, base+"/history/lessons/2"))
	b.expectText(".diff del", "four")
	b.expectText(".diff ins", "twenty")
	// Leaving the page autosaves it, but unchanged text makes no version.
	if revs, _ := app.Store.SectionRevisions(ctx, inc.ID, models.SectionLessons); len(revs) != 2 {
		for _, r := range revs {
			t.Logf("version %d by %s: %s", r.Version, r.Author, r.Body)
		}
		t.Fatalf("%d versions after two saves, want 2", len(revs))
	}
	b.expectPageText("This is the current version.")
	b.open(base + "/history/lessons/1")
	b.clickAndWaitForPage(`form[action$="/history/lessons/1/restore"] button[type="submit"]`)
	b.expectPageText("Version 1 restored as the newest version.")
	b.expectValue("#f-went_well", "Rollback took four minutes")
	lessons, sec, _ := app.Store.Lessons(ctx, inc.ID)
	if sec.Version != 3 || lessons.WentWell[0] != "Rollback took four minutes" {
		t.Fatalf("after the restore: %+v v%d", lessons, sec.Version)
	}
}
