package export

import (
	"cmp"
	"fmt"
	"testing"
	"time"
)

// bigPostmortem is the fixture with 2,000 timeline entries (one in ten
// hidden, notes naming people, hosts and addresses) and 100 actions.
func bigPostmortem() Postmortem {
	p := fixture()
	start := at0("2026-11-20T13:00:00Z")
	kinds := []string{"alert", "deploy", "note", "change"}
	p.Timeline = make([]Entry, 2000)
	for i := range p.Timeline {
		p.Timeline[i] = Entry{
			ID:      int64(i + 1),
			At:      start.Add(time.Duration(i*7) * time.Second),
			Kind:    kinds[i%len(kinds)],
			Service: fmt.Sprintf("service-%d", i%17),
			Title:   fmt.Sprintf("Error rate on checkout-%d above %d%% for the `/pay` route", i%9, i%50),
			Note: fmt.Sprintf("Bo Chen looked at db-%d.corp.example.com (10.1.%d.%d); Globex saw timeouts | p99 %d ms <retry>",
				i%30, i%200, i%250, 200+i%900),
			Hidden:    i%10 == 9,
			Highlight: i%25 == 0,
		}
	}
	p.Actions = make([]Action, 100)
	for i := range p.Actions {
		p.Actions[i] = Action{
			Title:      fmt.Sprintf("Add a pool-exhaustion alert to payments-api shard %d", i),
			Status:     []string{"open", "in_progress", "blocked", "done", "wont_do"}[i%5],
			Owner:      []Person{ana, bo, erin, {}}[i%4],
			Team:       "Platform",
			Due:        "2026-12-15",
			Priority:   []string{"P1", "P2", "P3", "P4"}[i%4],
			TrackerURL: fmt.Sprintf("https://github.com/hindsight-demo/infra/issues/%d", 1000+i),
		}
	}
	return p
}

func BenchmarkMarkdown(b *testing.B) {
	p := bigPostmortem()
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"internal", Options{Zone: paris()}},
		{"public", Options{Audience: AudiencePublic, Zone: paris(), Redaction: corp}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Markdown(p, c.o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJSON(b *testing.B) {
	p := bigPostmortem()
	o := Options{Audience: AudiencePublic, Redaction: corp}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := JSON(p, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreview(b *testing.B) {
	p := bigPostmortem()
	o := Options{Redaction: corp}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PreviewPublic(p, o); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMarkdownSpeed guards the budget of 20 ms for 2,000 entries and 100
// actions in both audiences. It fails only at ten times the budget, so
// that a slow or busy machine (or -race) does not make it flaky; run
// BenchmarkMarkdown for the figure.
func TestMarkdownSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	p := bigPostmortem()
	for _, o := range []Options{{}, {Audience: AudiencePublic, Redaction: corp}} {
		best := time.Hour
		for range 5 {
			start := time.Now()
			if _, err := Markdown(p, o); err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(start))
		}
		t.Logf("%s: %v", cmp.Or(o.Audience, AudienceInternal), best)
		if best > 200*time.Millisecond {
			t.Errorf("%s: %v for 2,000 entries and 100 actions (budget 20 ms)", cmp.Or(o.Audience, AudienceInternal), best)
		}
	}
}
