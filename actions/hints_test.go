package actions

import (
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below on hosts without a zone database
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("zone %s: %v", name, err)
	}
	return loc
}

func ptr(t time.Time) *time.Time { return &t }

// date is a due date as a DATE column scans: midnight UTC.
func date(y int, m time.Month, d int) *time.Time {
	return ptr(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

func TestVagueWording(t *testing.T) {
	tests := []struct {
		title string
		want  []string // the vague phrases found, in order
	}{
		// Flagged.
		{"Investigate the DB outage", []string{"investigate"}},
		{"INVESTIGATE THE DB OUTAGE", []string{"investigate"}},
		{"Look into flaky deploys", []string{"look into"}},
		{"We should review alert thresholds", []string{"review"}},
		{"We need to investigate slow queries", []string{"investigate"}},
		{"Add alerts, then review them weekly", []string{"review"}},
		{"Add alerts and consider paging on-call", []string{"consider"}},
		{"Add a dashboard (review it weekly)", []string{"review"}},
		{"Update/review the on-call runbook", []string{"review"}},
		{"Fix the retry loop. Review the timeouts.", []string{"review"}},
		{"Add a canary stage - improve rollout safety", []string{"improve"}},
		{"Maybe consider a canary stage", []string{"consider"}},
		{"Please look into and improve retries", []string{"look into", "improve"}},
		{"Try to reduce deploys on Fridays", []string{"try to"}},
		{"Think about sharding the jobs table", []string{"think about"}},
		{"Better alerting for checkout", []string{"better"}},
		{"Make the payment alerts better", []string{"better"}},
		{"Be more careful with migrations", []string{"be more careful"}},
		{"Everyone must be careful with prod access", []string{"be careful"}},
		{"Monitor more of the queue metrics", []string{"monitor more"}},
		{"Rotate the signing keys as needed", []string{"as needed"}},
		{"Update runbooks, dashboards, etc.", []string{"etc"}},
		{"Look into better alerting, logging etc", []string{"look into", "better", "etc"}},
		{"Improve improve better better", []string{"improve", "better"}},
		{"Review", []string{"review"}},
		{"Consider’s", nil}, // one word "consider's", not "consider"

		// Left alone.
		{"Add code-review checklist item for migrations", nil},
		{"Add a review step to the deploy checklist", nil},
		{"Schedule the post-incident review for the payments outage", nil},
		{"Page on-call when the review queue exceeds 50 for 5 min", nil},
		{"Add caching to improve checkout latency", nil},
		{"To improve latency, add a read replica for reports", nil},
		{"Make clients try to reconnect with jittered backoff", nil},
		{"Upgrade the etcd cluster to 3.5.12", nil},
		{"Document the reviewer rotation for database migrations", nil},
		{"Add investigation notes template to the wiki", nil},
		{"Add betterstack uptime checks for the public API", nil},
		{"Reconsider nothing: add an alert when errors exceed 1% for 5 min", nil},
		{"Add an alert when checkout p99 exceeds 2 s for 5 min", nil},
		{"Monitor queue depth: page when it exceeds 1000 for 5 min", nil},
		{"Monitor. More alerts are not the answer", nil}, // a sentence break splits the phrase
		{"Add a self-review gate to the release job", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := vaguePhrases(tokenize(tt.title)); !slices.Equal(got, tt.want) {
			t.Errorf("vague phrases in %q = %q, want %q", tt.title, got, tt.want)
		}
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want string // words, "|" before a word after a clause break
	}{
		{"Add code-review checklist", "add code-review checklist"},
		{"Don’t page - it's noisy", "don't page |it's noisy"},
		{"v1.2 api.example.com: fine. Next", "v1 2 api example com |fine |next"},
		{"a/b (c) d, e; f & g + h", "a |b |c |d |e |f |g |h"},
		{"well- -known", "well |known"},
		{"ÉTÉ naïve", "été naïve"},
		{"  ", ""},
	}
	for _, tt := range tests {
		var parts []string
		for _, tok := range tokenize(tt.in) {
			w := tok.word
			if tok.brk {
				w = "|" + w
			}
			parts = append(parts, w)
		}
		if got := strings.Join(parts, " "); got != tt.want {
			t.Errorf("tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestQualityHints(t *testing.T) {
	now := time.Date(2024, 3, 15, 10, 0, 0, 0, time.UTC) // a Friday
	good := Draft{Title: "Add an alert when checkout p99 exceeds 2 s for 5 min", Owner: "alice", Due: date(2024, 4, 1), Status: "open"}
	with := func(f func(*Draft)) Draft { d := good; f(&d); return d }

	tests := []struct {
		name   string
		draft  Draft
		now    time.Time
		fields []string // the fields hinted at, in order
	}{
		{"good", good, now, nil},
		{"good new draft", with(func(d *Draft) { d.Status = "" }), now, nil},

		{"empty title", with(func(d *Draft) { d.Title = "  " }), now, []string{"title"}},
		{"two words", with(func(d *Draft) { d.Title = "Fix DNS" }), now, []string{"title"}},
		{"hyphenated two words", with(func(d *Draft) { d.Title = "Add rate-limiting" }), now, []string{"title"}},
		{"three words", with(func(d *Draft) { d.Title = "Add DNS alert" }), now, nil},
		{"short and vague", with(func(d *Draft) { d.Title = "Investigate" }), now, []string{"title", "title"}},
		{"vague", with(func(d *Draft) { d.Title = "Look into the flaky deploys" }), now, []string{"title"}},
		{"no verb first is fine", with(func(d *Draft) { d.Title = "Checkout alert on p99 above 2 s for 5 min" }), now, nil},

		{"no owner, no team", with(func(d *Draft) { d.Owner = "" }), now, []string{"owner"}},
		{"blank owner and team", with(func(d *Draft) { d.Owner, d.Team = " ", "\t" }), now, []string{"owner"}},
		{"team only", with(func(d *Draft) { d.Owner, d.Team = "", "sre" }), now, nil},
		{"no owner but done", with(func(d *Draft) { d.Owner, d.Status = "", "done" }), now, nil},

		{"no due", with(func(d *Draft) { d.Due = nil }), now, []string{"due"}},
		{"no due, new draft", with(func(d *Draft) { d.Due, d.Status = nil, "" }), now, []string{"due"}},
		{"no due but wont_do", with(func(d *Draft) { d.Due, d.Status = nil, "wont_do" }), now, nil},
		{"due yesterday", with(func(d *Draft) { d.Due = date(2024, 3, 14) }), now, []string{"due"}},
		{"due yesterday, blocked", with(func(d *Draft) { d.Due, d.Status = date(2024, 3, 14), "blocked" }), now, []string{"due"}},
		{"due yesterday, in progress", with(func(d *Draft) { d.Due, d.Status = date(2024, 3, 14), "in_progress" }), now, []string{"due"}},
		{"due yesterday but done", with(func(d *Draft) { d.Due, d.Status = date(2024, 3, 14), "done" }), now, nil},
		{"due today", with(func(d *Draft) { d.Due = date(2024, 3, 15) }), now, nil},
		{"due today, late in the day", with(func(d *Draft) { d.Due = date(2024, 3, 15) }), time.Date(2024, 3, 15, 23, 59, 59, 0, time.UTC), nil},
		{"due yesterday, just after midnight", with(func(d *Draft) { d.Due = date(2024, 3, 14) }), time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC), []string{"due"}},

		// "Today" is now's date in now's zone: 02:00 UTC on the 15th is
		// 22:00 on the 14th in New York (EDT, UTC−4), so the 14th is not
		// past yet there.
		{"due 14th, 15th 02:00 UTC", with(func(d *Draft) { d.Due = date(2024, 3, 14) }), time.Date(2024, 3, 15, 2, 0, 0, 0, time.UTC), []string{"due"}},
		{"due 14th, 14th 22:00 New York", with(func(d *Draft) { d.Due = date(2024, 3, 14) }), time.Date(2024, 3, 15, 2, 0, 0, 0, time.UTC).In(zone(t, "America/New_York")), nil},
		// A due date is its own calendar date, whatever its zone: midnight
		// of the 14th in Auckland is the 13th in UTC, still "the 14th".
		{"due 14th in Auckland, 14th UTC", with(func(d *Draft) {
			d.Due = ptr(time.Date(2024, 3, 14, 0, 0, 0, 0, zone(t, "Pacific/Auckland")))
		}), time.Date(2024, 3, 14, 12, 0, 0, 0, time.UTC), nil},

		{"everything missing", Draft{}, now, []string{"title", "owner", "due"}},
		{"everything wrong", Draft{Title: "Improve stuff", Due: date(2020, 1, 1)}, now, []string{"title", "title", "owner", "due"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hints := QualityHints(tt.draft, tt.now)
			var fields []string
			for _, h := range hints {
				fields = append(fields, h.Field)
				if h.Message == "" {
					t.Errorf("empty message for %q", h.Field)
				}
			}
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("hint fields = %q, want %q\n%+v", fields, tt.fields, hints)
			}
		})
	}
}

func TestQualityHintsMessages(t *testing.T) {
	now := time.Date(2024, 3, 15, 10, 0, 0, 0, time.UTC)
	got := QualityHints(Draft{Title: "Look into better alerting", Due: date(2024, 3, 1), Status: "open"}, now)
	want := []Hint{
		{"title", `Vague wording: "look into", "better". Name a specific, bounded action with a concrete outcome, so everyone can tell when it is done, e.g. "Add an alert when … exceeds … for 5 min".`},
		{"owner", "Nobody owns this action. Assign an owner, or at least a team, so it doesn't get lost."},
		{"due", "The due date 2024-03-01 has passed. Move it to a realistic date, or close the action if it is no longer needed."},
	}
	if !slices.Equal(got, want) {
		t.Errorf("QualityHints\n got %q\nwant %q", got, want)
	}
	got = QualityHints(Draft{Title: "Fix DNS", Owner: "bob"}, now)
	want = []Hint{
		{"title", `This title is very short; it will be hard to act on months from now. Say what will change and where, e.g. "Add an alert when … exceeds … for 5 min".`},
		{"due", "No due date. Pick one, even a rough one, so the action can be followed up."},
	}
	if !slices.Equal(got, want) {
		t.Errorf("QualityHints\n got %q\nwant %q", got, want)
	}
}
