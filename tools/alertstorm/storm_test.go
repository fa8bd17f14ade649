package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"hindsight/internal/testdb"
	"hindsight/models"
)

// TestStormSurvivesSIGKILL is a smaller storm than `make storm`: 2,000
// alerts, the server killed midway, every batch retried until acknowledged.
func TestStormSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	bin := filepath.Join(t.TempDir(), "hindsight")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			url := testdb.URL(t, d)
			if d == models.Postgres {
				url = testdb.EmptyPostgresURL(t)
			}
			rep, err := Run(context.Background(), Options{Bin: bin, DatabaseURL: url, Alerts: 2000, BatchSize: 100, Senders: 4, KillAfter: 8})
			t.Log(rep)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Kills != 1 || !rep.OK() {
				t.Fatalf("storm: %s", rep)
			}
		})
	}
}
