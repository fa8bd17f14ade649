package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"hindsight/ingest/kinds"
	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

// alertmanagerBatch is one Alertmanager (v4) notification with n firing
// alerts numbered from first.
func alertmanagerBatch(first, n int) []byte {
	alerts := make([]map[string]any, 0, n)
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := first; i < first+n; i++ {
		alerts = append(alerts, map[string]any{
			"status": "firing",
			"labels": map[string]string{"alertname": "HighErrorRate", "service": fmt.Sprintf("svc-%02d", i%40),
				"instance": fmt.Sprintf("pod-%07d", i), "severity": "critical", "env": "production"},
			"annotations":  map[string]string{"summary": fmt.Sprintf("Error rate above 5%% on pod-%07d", i)},
			"startsAt":     start.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
			"endsAt":       "0001-01-01T00:00:00Z",
			"generatorURL": "http://prometheus.example.internal/graph",
			"fingerprint":  fmt.Sprintf("%016x", uint64(i)*2654435761+7),
		})
	}
	body, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "receiver": "hindsight",
		"groupKey": fmt.Sprintf("{}:{b=%q}", fmt.Sprint(first)), "groupLabels": map[string]string{}, "commonLabels": map[string]string{},
		"commonAnnotations": map[string]string{}, "externalURL": "http://am.example.internal", "alerts": alerts})
	return body
}

// BenchmarkIngest compares, on PostgreSQL and in one run, alerts per second
// through the whole webhook path (HTTP, auth, parse, dedup, one transaction)
// with a plain multi-row INSERT of the same rows into the same table.
func BenchmarkIngest(b *testing.B) {
	store := testdb.New(b, models.Postgres, testdb.Options())
	app := apptest.StartWithStore(b, store, nil)
	ctx := context.Background()
	integ, err := store.CreateIntegration(ctx, "alertmanager", "bench", kinds.Names())
	if err != nil {
		b.Fatal(err)
	}
	const batch = 100
	next := 0

	b.Run("webhook", func(b *testing.B) {
		latencies := make([]time.Duration, 0, b.N)
		client := &http.Client{}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			body := alertmanagerBatch(next, batch)
			next += batch
			req, _ := http.NewRequest(http.MethodPost, app.URL+"/hooks/"+integ.ID, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+integ.Secret)
			began := time.Now()
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			res.Body.Close()
			latencies = append(latencies, time.Since(began))
			if res.StatusCode != http.StatusAccepted {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
		b.StopTimer()
		reportLatencies(b, latencies, batch)
	})

	// A storm arrives from several senders at once: the same comparison
	// with 8 concurrent requests (and 8 concurrent plain INSERTs).
	var mu sync.Mutex
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := next
		next += batch
		return n
	}
	b.Run("webhook_parallel", func(b *testing.B) {
		b.SetParallelism(4)
		var lat []time.Duration
		b.ResetTimer()
		began := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			client := &http.Client{}
			var mine []time.Duration
			for pb.Next() {
				body := alertmanagerBatch(take(), batch)
				req, _ := http.NewRequest(http.MethodPost, app.URL+"/hooks/"+integ.ID, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+integ.Secret)
				t := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				res.Body.Close()
				mine = append(mine, time.Since(t))
				if res.StatusCode != http.StatusAccepted {
					b.Errorf("status %d", res.StatusCode)
					return
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		elapsed := time.Since(began)
		b.StopTimer()
		reportLatencies(b, lat, batch)
		b.ReportMetric(float64(len(lat)*batch)/elapsed.Seconds(), "alerts/s")
	})

	b.Run("plain_insert", func(b *testing.B) {
		latencies := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			first := take()
			began := time.Now()
			if err := plainInsert(ctx, store.DB(), first, batch); err != nil {
				b.Fatal(err)
			}
			latencies = append(latencies, time.Since(began))
		}
		b.StopTimer()
		reportLatencies(b, latencies, batch)
	})

	b.Run("plain_insert_parallel", func(b *testing.B) {
		b.SetParallelism(4)
		var lat []time.Duration
		b.ResetTimer()
		began := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				first := take()
				t := time.Now()
				if err := plainInsert(ctx, store.DB(), first, batch); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		elapsed := time.Since(began)
		b.StopTimer()
		reportLatencies(b, lat, batch)
		b.ReportMetric(float64(len(lat)*batch)/elapsed.Seconds(), "alerts/s")
	})
}

func plainInsert(ctx context.Context, db *sql.DB, first, batch int) error {
	cols := "scope, source, kind, dedup_key, status, title, severity, service, environment, starts_at, labels, received_at, updated_at"
	var q strings.Builder
	args := make([]any, 0, batch*13)
	q.WriteString("INSERT INTO events (" + cols + ") VALUES ")
	now := time.Now().UTC()
	for j := 0; j < batch; j++ {
		n := first + j
		if j > 0 {
			q.WriteString(", ")
		}
		p := len(args)
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
			p+1, p+2, p+3, p+4, p+5, p+6, p+7, p+8, p+9, p+10, p+11, p+12, p+13)
		labels := fmt.Sprintf(`{"alertname":"HighErrorRate","instance":"pod-%07d","service":"svc-%02d","severity":"critical","env":"production"}`, n, n%40)
		args = append(args, "plain", "alertmanager", "alert", fmt.Sprintf("plain-%d", n), "firing",
			fmt.Sprintf("Error rate above 5%% on pod-%07d", n), "critical", fmt.Sprintf("svc-%02d", n%40), "production",
			now, labels, now, now)
	}
	_, err := db.ExecContext(ctx, q.String(), args...)
	return err
}

func reportLatencies(b *testing.B, lat []time.Duration, perOp int) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	var total time.Duration
	for _, l := range lat {
		total += l
	}
	b.ReportMetric(float64(len(lat)*perOp)/total.Seconds(), "alerts/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
