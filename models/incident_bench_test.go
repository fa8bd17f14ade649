package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/tools/loadrun/fixture"
)

// benchIncidents is the size of the table the list benchmarks read.
const benchIncidents = 10_000

// benchListCases are the list queries the incident page and the API send most.
var benchListCases = []struct {
	name   string
	filter models.IncidentFilter
}{
	{"first-page", models.IncidentFilter{}},
	{"query-migration", models.IncidentFilter{Query: "migration"}},
	{"sev2-by-severity", models.IncidentFilter{Severity: "SEV2", Sort: models.SortSeverity}},
	{"service", models.IncidentFilter{Service: "checkout-api"}},
	{"page-200", models.IncidentFilter{Page: 200}},
}

// BenchmarkListIncidents measures Store.ListIncidents over 10,000 incidents
// (fixture.Load: 1–3 services out of 50, 0–3 tags, 1–2 authors each) on
// each database. PostgreSQL sub-benchmarks skip when no server is reachable,
// unless REQUIRE_POSTGRES=1.
//
//	go test -run '^$' -bench BenchmarkListIncidents -benchmem ./models/
func BenchmarkListIncidents(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(string(d), func(b *testing.B) {
			store := testdb.New(b, d, testdb.Options())
			ctx := context.Background()
			st, err := fixture.Load(ctx, store, fixture.Options{Incidents: benchIncidents})
			if err != nil {
				b.Fatal(err)
			}
			if err := fixture.Analyze(ctx, store); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: loaded %d incidents in %v", d, st.Incidents, st.Elapsed.Round(time.Millisecond))
			for _, c := range benchListCases {
				b.Run(c.name, func(b *testing.B) {
					page, err := store.ListIncidents(ctx, c.filter)
					if err != nil {
						b.Fatal(err)
					}
					if len(page.Incidents) == 0 {
						b.Fatalf("%s: no incidents listed (total %d)", c.name, page.Total)
					}
					lat := make([]time.Duration, 0, 1024)
					b.ReportAllocs()
					for b.Loop() {
						t0 := time.Now()
						if _, err := store.ListIncidents(ctx, c.filter); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
					}
					benchReportPercentiles(b, lat)
					b.ReportMetric(float64(page.Total), "matches")
				})
			}
		})
	}
}

// benchReportPercentiles adds p50 and p95 latencies (in ns) to the result line.
func benchReportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		i := int(float64(len(lat))*p+0.5) - 1
		return float64(lat[max(0, min(i, len(lat)-1))].Nanoseconds())
	}
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.95), "p95-ns")
}
