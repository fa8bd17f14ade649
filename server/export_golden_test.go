package server_test

import (
	"context"
	"flag"
	"net/http"
	"path/filepath"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/internal/golden"
	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/seeds"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestExportGoldenSeeds pins the Markdown export of every seeded postmortem,
// internal and public, times in Europe/Paris, in
// testdata/export/<slug>.md and <slug>-public.md. Both databases must
// produce the same bytes: nothing in an export depends on the clock or on
// ids. Rerun with -update after an intended change and read the diff.
func TestExportGoldenSeeds(t *testing.T) {
	set, err := seeds.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Incidents) == 0 {
		t.Fatal("no seeded incidents")
	}
	for i, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			store := testdb.New(t, d, testdb.Options())
			if _, err := seeds.Load(ctx, store); err != nil {
				t.Fatal(err)
			}
			app := apptest.StartWithStore(t, store, nil)
			token := app.Token(models.RoleViewer)
			for _, si := range set.Incidents {
				inc, err := store.IncidentBySlug(ctx, si.Slug)
				if err != nil {
					t.Fatalf("%s: %v", si.Slug, err)
				}
				for _, c := range []struct{ file, query string }{
					{si.Slug + ".md", "tz=Europe/Paris"},
					{si.Slug + "-public.md", "tz=Europe/Paris&audience=public"},
				} {
					res := app.API("GET", "/api/v1/incidents/"+inc.Key()+"/export.md?"+c.query, token, "")
					if res.StatusCode != http.StatusOK {
						t.Fatalf("%s: %d %s", c.file, res.StatusCode, res.Body)
					}
					// Only the first database rewrites; the others compare.
					goldenFile(t, filepath.Join("testdata", "export", c.file), []byte(res.Body), *updateGolden && i == 0)
				}
			}
		})
	}
}

func goldenFile(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	golden.Check(t, path, got, update, "go test -run TestExportGoldenSeeds -update ./server/")
}
