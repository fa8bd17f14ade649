package timeline

import (
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBookbotAcceptance is the acceptance story
// (/work/shared/incidents/bookbot-migration.md): scope bookbot-api and
// bookbot-chat in production; the 11:30 feature deploy of bookbot-api with
// its migration, a billing deploy at 11:05, alerts from 11:45, the migration
// run by hand at 11:55, hotfixes at 12:20 and 12:38, the last alert resolved
// at 12:45. Expected, by the rules of the package:
//   - moments: started 11:45 and detected 11:45 (the first alert), no
//     acknowledgement (no tool recorded one), mitigated 12:45 (every alert
//     resolved, so user impact ended with the last of them; its reason names
//     the last hotfix before it, 12:38, not the first one at 12:20, which did
//     not end the impact), resolved 12:45 (the last alert resolved);
//   - durations: detection 0, mitigation 60 min, resolution 60 min, impact
//     60 min (started → mitigated, 11:45–12:45 as the fact sheet says), no
//     detection gap;
//   - suspects (2 h window): the 11:30 deploy first, for its service,
//     environment, closeness (15 min before impact) and migrations: 40 + 15 +
//     22 + 15 = 92; the billing deploy present but lower: −30 + 15 + 17 = 2;
//     the hand-run migration and the hotfixes are no suspects (they came
//     after the impact started) but LateDeploys lists them.
func TestBookbotAcceptance(t *testing.T) {
	events := fxBookbot()

	got := SuggestMoments(events, fxBookbotScope, fxCET)
	var m Moments
	wantAt := map[string]time.Time{Started: fxAt(11, 45), Detected: fxAt(11, 45), Mitigated: fxAt(12, 45), Resolved: fxAt(12, 45)}
	if len(got) != len(wantAt) {
		t.Fatalf("suggestions:\n%s", fxSuggestionsText(got))
	}
	for _, s := range got {
		if w, ok := wantAt[s.Moment]; !ok || !s.At.Equal(w) {
			t.Errorf("%s at %s, want %s", s.Moment, s.At, w)
		}
		at := s.At
		switch s.Moment {
		case Started:
			m.Started = &at
		case Detected:
			m.Detected = &at
		case Mitigated:
			m.Mitigated = &at
			if want := "last alert on `bookbot-api` resolved at 12:45 CET, after deploy `c3d4e5f` of `bookbot-api` succeeded at 12:38 CET"; s.EventID != 3 || s.Reason != want {
				t.Errorf("mitigated #%d %q, want #3 %q", s.EventID, s.Reason, want)
			}
		case Resolved:
			m.Resolved = &at
		}
	}

	d := ComputeDurations(m)
	if d.Impact == nil || *d.Impact != time.Hour || d.TimeToMitigate == nil || *d.TimeToMitigate != time.Hour ||
		d.TimeToResolve == nil || *d.TimeToResolve != time.Hour ||
		d.TimeToDetect == nil || *d.TimeToDetect != 0 || d.TimeToAcknowledge != nil || d.DetectionGap != "" {
		t.Errorf("durations: impact %s, mitigate %s, resolve %s, detect %s, acknowledge %s, gap %q", fxDurText(d.Impact),
			fxDurText(d.TimeToMitigate), fxDurText(d.TimeToResolve), fxDurText(d.TimeToDetect), fxDurText(d.TimeToAcknowledge), d.DetectionGap)
	}
	if FormatDuration(*d.Impact) != "1 h" || FormatDuration(*d.TimeToResolve) != "1 h" {
		t.Errorf("formatted: %s, %s", FormatDuration(*d.Impact), FormatDuration(*d.TimeToResolve))
	}

	suspects := RankSuspects(events, fxBookbotScope, *m.Started, 2*time.Hour)
	fxCheckSuspects(t, events, suspects, *m.Started, 2*time.Hour)
	if len(suspects) != 2 {
		t.Fatalf("suspects:\n%s", fxSuspectsText(suspects))
	}
	first, second := suspects[0], suspects[1]
	wantReasons := []string{
		"same service `bookbot-api` (+40)",
		"same environment production (+15)",
		"15 min before impact (+22, closer scores higher)",
		"carries database migrations (+15)",
	}
	if first.Event.ID != 1 || first.Score != 92 || !slices.Equal(first.Reasons, wantReasons) {
		t.Errorf("first suspect:\n%s", fxSuspectsText(suspects[:1]))
	}
	wantReasons = []string{
		"other service `billing` (−30)",
		"same environment production (+15)",
		"40 min before impact (+17, closer scores higher)",
	}
	if second.Event.ID != 2 || second.Score != 2 || !slices.Equal(second.Reasons, wantReasons) {
		t.Errorf("second suspect:\n%s", fxSuspectsText(suspects[1:]))
	}

	late := LateDeploys(events, *m.Started)
	var ids []int64
	for _, e := range late {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []int64{5, 6, 7}) {
		t.Errorf("late deploys and changes: %v, want [5 6 7]", ids)
	}
}

type fxSuspectWant struct {
	id      int64
	score   float64
	phrases []string
}

func TestRankSuspects(t *testing.T) {
	impact := fxAt(12, 0)
	api := Scope{Services: []string{"bookbot-api"}, Environment: "production"}
	both := fxBookbotScope
	cases := []struct {
		name   string
		events []Event
		scope  Scope
		impact time.Time
		window time.Duration
		want   []fxSuspectWant
	}{
		{
			name: "window edges: both ends count, a second beyond does not",
			events: []Event{
				fxDeploy(1, "bookbot-api", impact, "succeeded"),
				fxDeploy(2, "bookbot-api", impact.Add(-time.Hour), "succeeded"),
				fxDeploy(3, "bookbot-api", impact.Add(-time.Hour-time.Second), "succeeded"),
				fxDeploy(4, "bookbot-api", impact.Add(time.Second), "succeeded"),
			},
			scope: api, impact: impact, window: time.Hour,
			want: []fxSuspectWant{
				// Each has a neighbour a second away, outside the window: +5.
				{1, 85, []string{"at the impact start (+25, closer scores higher)", "1 other deploy within 10 min (+5)"}},
				{2, 60, []string{"1 h before impact (+0, closer scores higher)"}},
			},
		},
		{
			name: "several services: none hidden, others ranked lower; ties by ID",
			events: []Event{
				fxDeploy(3, "payments", fxAt(11, 30), "succeeded"),
				fxDeploy(2, "bookbot-chat", fxAt(11, 30), "succeeded"),
				fxDeploy(1, "bookbot-api", fxAt(11, 30), "succeeded"),
			},
			scope: both, impact: impact, window: time.Hour,
			want: []fxSuspectWant{
				{1, 78, []string{"same service `bookbot-api` (+40)", "30 min before impact (+13, closer scores higher)", "2 other deploys within 10 min (+10)"}},
				{2, 78, []string{"same service `bookbot-chat` (+40)"}},
				{3, 8, []string{"other service `payments` (−30)"}},
			},
		},
		{
			name: "equal scores: the one closer to the impact first",
			events: []Event{
				fxWith(fxDeploy(3, "bookbot-api", fxAt(11, 12), "succeeded"), func(e *Event) { e.HasMigrations = true }), // 5 + 15
				fxDeploy(9, "bookbot-api", fxAt(11, 48), "succeeded"),                                                    // 20
			},
			scope: api, impact: impact, window: time.Hour,
			want: []fxSuspectWant{{9, 75, []string{"12 min before impact (+20"}}, {3, 75, []string{"48 min before impact (+5", "carries database migrations (+15)"}}},
		},
		{
			name: "empty scope: no service or environment parts",
			events: []Event{
				fxWith(fxDeploy(1, "payments", fxAt(11, 45), "succeeded"), func(e *Event) { e.Environment = "staging" }),
			},
			scope: Scope{}, impact: impact, window: time.Hour,
			want: []fxSuspectWant{{1, 19, []string{"15 min before impact (+19, closer scores higher)"}}},
		},
		{
			name: "other environments are ranked, not hidden; none named is neutral",
			events: []Event{
				fxWith(fxDeploy(1, "bookbot-api", fxAt(11, 50), "succeeded"), func(e *Event) { e.Environment = "staging" }),
				fxDeploy(2, "bookbot-api", fxAt(11, 20), "succeeded"),
				fxWith(fxDeploy(3, "bookbot-api", fxAt(11, 0), "succeeded"), func(e *Event) { e.Environment = "" }),
				fxWith(fxDeploy(4, "bookbot-api", fxAt(11, 35), "succeeded"), func(e *Event) { e.Environment = "Production" }),
			},
			scope: api, impact: impact, window: time.Hour,
			want: []fxSuspectWant{
				{4, 70, []string{"same environment Production (+15)"}},
				{2, 63, nil},
				{3, 40, []string{"same service `bookbot-api` (+40)"}},
				{1, 36, []string{"other environment staging (−25)"}},
			},
		},
		{
			name: "failed, cancelled and migrations",
			events: []Event{
				fxDeploy(1, "bookbot-api", fxAt(11, 0), "failed"),
				fxDeploy(2, "bookbot-api", fxAt(11, 15), "cancelled"),
				fxWith(fxDeploy(3, "bookbot-api", fxAt(11, 30), "in_progress"), func(e *Event) { e.HasMigrations = true }),
			},
			scope: api, impact: impact, window: time.Hour,
			want: []fxSuspectWant{
				{3, 83, []string{"carries database migrations (+15)"}},
				{1, 75, []string{"failed (+20)"}},
				{2, 51, []string{"cancelled (−10)"}},
			},
		},
		{
			name: "rolled back: by a later rollback of its service (even after the impact), or by its status",
			events: []Event{
				fxDeploy(1, "bookbot-api", fxAt(11, 0), "rolled_back"),
				fxDeploy(2, "bookbot-api", fxAt(11, 30), "succeeded"),
				fxWith(fxDeploy(3, "bookbot-api", fxAt(12, 10), "succeeded"), func(e *Event) { e.Title = "Rollback to v1.4" }),
				fxWith(fxDeploy(4, "bookbot-api", fxAt(11, 15), "succeeded"), func(e *Event) { e.Environment = "staging" }),
				fxWith(fxDeploy(5, "billing", fxAt(11, 45), "succeeded"), func(e *Event) { e.Ref = "revert-pr-12" }),
			},
			scope: api, impact: impact, window: time.Hour,
			want: []fxSuspectWant{
				{2, 88, []string{"rolled back (+20)"}},
				{1, 75, []string{"rolled back (+20)"}},
				{4, 21, []string{"other environment staging (−25)"}},
				{5, 4, nil},
			},
		},
		{
			name: "alerts, notes and zero times are no suspects",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 50), nil),
				{ID: 2, Kind: "note", Service: "bookbot-api", StartsAt: fxAt(11, 50)},
				fxDeploy(3, "bookbot-api", time.Time{}, "succeeded"),
				{ID: 4, Kind: "change", Service: "bookbot-api", Environment: "production", Title: "feature flag on", StartsAt: fxAt(11, 50)},
			},
			scope: api, impact: impact, window: time.Hour,
			want: []fxSuspectWant{{4, 76, []string{"10 min before impact (+21, closer scores higher)"}}},
		},
		{
			name: "neighbours: deploys and changes within 10 min, any service, same environment",
			events: []Event{
				fxDeploy(1, "bookbot-api", fxAt(11, 30), "succeeded"),
				{ID: 2, Kind: "change", Service: "bookbot-api", Environment: "production", StartsAt: fxAt(11, 35)},
				fxDeploy(3, "billing", fxAt(11, 38), "succeeded"),
				fxDeploy(4, "bookbot-api", fxAt(11, 50), "succeeded"),
				fxWith(fxDeploy(5, "bookbot-api", fxAt(11, 51), "succeeded"), func(e *Event) { e.Environment = "staging" }),
				fxAlert(6, "bookbot-api", fxAt(11, 49), nil),
			},
			scope: api, impact: impact, window: time.Hour,
			want: []fxSuspectWant{
				{2, 80, []string{"2 other deploys within 10 min (+10)"}},
				{1, 78, []string{"1 other deploy and 1 change within 10 min (+10)"}},
				{4, 76, []string{"10 min before impact (+21, closer scores higher)"}},
				{5, 36, nil},
				{3, 11, []string{"1 other deploy and 1 change within 10 min (+10)"}},
			},
		},
		{
			name:   "one neighbour",
			events: []Event{fxDeploy(1, "bookbot-api", fxAt(11, 30), "succeeded"), fxDeploy(2, "billing", fxAt(11, 40), "succeeded")},
			scope:  api, impact: impact, window: time.Hour,
			want: []fxSuspectWant{{1, 73, []string{"1 other deploy within 10 min (+5)"}},
				{2, 7, []string{"1 other deploy within 10 min (+5)"}}},
		},
		{
			name:   "a change among changes",
			events: []Event{{ID: 1, Kind: "change", StartsAt: fxAt(11, 30)}, {ID: 2, Kind: "change", StartsAt: fxAt(11, 31)}},
			scope:  Scope{}, impact: impact, window: time.Hour,
			// 13 + 5 at 29 min, 13 + 5 at 30 min: the closer first.
			want: []fxSuspectWant{{2, 18, []string{"1 other change within 10 min (+5)"}}, {1, 18, nil}},
		},
		{
			name: "window 0 means the default 2 hours",
			events: []Event{fxDeploy(1, "bookbot-api", impact.Add(-110*time.Minute), "succeeded"),
				fxDeploy(2, "bookbot-api", impact.Add(-121*time.Minute), "succeeded")},
			scope: api, impact: impact, window: 0,
			want: []fxSuspectWant{{1, 57, []string{"1 h 50 min before impact (+2, closer scores higher)"}}},
		},
		{
			name:   "a negative window too",
			events: []Event{fxDeploy(1, "bookbot-api", impact.Add(-110*time.Minute), "succeeded")},
			scope:  api, impact: impact, window: -time.Hour,
			want: []fxSuspectWant{{1, 57, nil}},
		},
		{
			name:   "zero impact start: no suspects",
			events: []Event{fxDeploy(1, "bookbot-api", fxAt(11, 30), "succeeded")},
			scope:  api, impact: time.Time{}, window: time.Hour,
			want: nil,
		},
		{
			name:   "a deploy without a service: no service part",
			events: []Event{fxDeploy(1, "", fxAt(11, 30), "succeeded")},
			scope:  api, impact: impact, window: time.Hour,
			want: []fxSuspectWant{{1, 28, []string{"same environment production (+15)"}}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := RankSuspects(c.events, c.scope, c.impact, c.window)
			if got == nil {
				t.Fatal("nil result, want an empty slice")
			}
			window := c.window
			if window <= 0 {
				window = DefaultSuspectWindow
			}
			fxCheckSuspects(t, c.events, got, c.impact, window)
			want := c.want // in the expected order
			if len(got) != len(want) {
				t.Fatalf("got %d suspects, want %d:\n%s", len(got), len(want), fxSuspectsText(got))
			}
			for i, w := range want {
				g := got[i]
				if g.Event.ID != w.id || g.Score != w.score {
					t.Errorf("suspect %d = #%d score %v, want #%d score %v:\n%s", i, g.Event.ID, g.Score, w.id, w.score, fxSuspectsText(got))
				}
				for _, p := range w.phrases {
					if !slices.ContainsFunc(g.Reasons, func(r string) bool { return strings.Contains(r, p) }) {
						t.Errorf("#%d reasons %q lack %q", g.Event.ID, g.Reasons, p)
					}
				}
			}
			rev := slices.Clone(c.events)
			slices.Reverse(rev)
			if again := RankSuspects(rev, c.scope, c.impact, c.window); !reflect.DeepEqual(got, again) {
				t.Errorf("reversed input gives another answer:\n%s\nvs\n%s", fxSuspectsText(got), fxSuspectsText(again))
			}
		})
	}
}

func TestLateDeploys(t *testing.T) {
	impact := fxAt(12, 0)
	events := []Event{
		fxDeploy(4, "billing", fxAt(12, 30), "succeeded"),
		fxDeploy(1, "bookbot-api", impact, "succeeded"), // at the impact start: a suspect, not late
		{ID: 3, Kind: "change", Service: "bookbot-api", StartsAt: fxAt(12, 5)},
		fxAlert(5, "bookbot-api", fxAt(12, 10), nil),
		fxDeploy(2, "bookbot-api", fxAt(12, 5), "failed"),
		fxDeploy(6, "bookbot-api", time.Time{}, "succeeded"),
		fxWith(fxDeploy(7, "bookbot-api", fxAt(13, 0), "succeeded"), func(e *Event) { e.Environment = "staging" }),
	}
	var ids []int64
	for _, e := range LateDeploys(events, impact) {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []int64{2, 3, 4, 7}) {
		t.Errorf("late: %v, want [2 3 4 7]", ids)
	}
	if got := LateDeploys(events, time.Time{}); got == nil || len(got) != 0 {
		t.Errorf("zero impact start: %v", got)
	}
	if got := LateDeploys(nil, impact); got == nil || len(got) != 0 {
		t.Errorf("no events: %v", got)
	}
}

// The weights are the documented ones.
func TestSuspectWeights(t *testing.T) {
	got := []int{WeightSameService, WeightOtherService, WeightSameEnvironment, WeightOtherEnvironment, WeightProximity,
		WeightFailed, WeightRolledBack, WeightMigrations, WeightNeighbour, WeightNeighboursMax, WeightCancelled}
	want := []int{40, -30, 15, -25, 25, 20, 20, 15, 5, 10, -10}
	if !slices.Equal(got, want) {
		t.Errorf("weights %v, want %v (update the table in suspects.go with them)", got, want)
	}
}

var fxPart = regexp.MustCompile(`\(([+−])(\d+)[,)]`)

// fxCheckSuspects checks what must hold of any ranking: every deploy or
// change that started in the window is there once, nothing else is; scores
// are finite and are the sum of the parts the reasons show; reasons are
// written; the order is score, then closeness, then ID.
func fxCheckSuspects(t testing.TB, events []Event, got []Suspect, impact time.Time, window time.Duration) {
	t.Helper()
	want := 0
	if !impact.IsZero() {
		for _, e := range events {
			if (isKind(&e, kindDeploy) || isKind(&e, kindChange)) && !e.StartsAt.IsZero() {
				if gap := impact.Sub(e.StartsAt); gap >= 0 && gap <= window {
					want++
				}
			}
		}
	}
	if len(got) != want {
		t.Fatalf("%d suspects, want %d (none hidden):\n%s", len(got), want, fxSuspectsText(got))
	}
	for i, s := range got {
		if math.IsNaN(s.Score) || math.IsInf(s.Score, 0) {
			t.Fatalf("#%d: score %v", s.Event.ID, s.Score)
		}
		if len(s.Reasons) == 0 {
			t.Fatalf("#%d: no reasons", s.Event.ID)
		}
		sum := 0
		for _, r := range s.Reasons {
			if strings.TrimSpace(r) == "" {
				t.Fatalf("#%d: empty reason", s.Event.ID)
			}
			for _, p := range fxPart.FindAllStringSubmatch(r, -1) {
				n, _ := strconv.Atoi(p[2])
				if p[1] == "−" {
					n = -n
				}
				sum += n
			}
		}
		if float64(sum) != s.Score {
			t.Fatalf("#%d: reasons add up to %d, score %v: %q", s.Event.ID, sum, s.Score, s.Reasons)
		}
		if gap := impact.Sub(s.Event.StartsAt); gap < 0 || gap > window || s.Event.StartsAt.IsZero() {
			t.Fatalf("#%d at %s is outside the window", s.Event.ID, s.Event.StartsAt)
		}
		if i > 0 {
			p := got[i-1]
			pg, sg := impact.Sub(p.Event.StartsAt), impact.Sub(s.Event.StartsAt)
			if p.Score < s.Score || (p.Score == s.Score && (pg > sg || (pg == sg && p.Event.ID > s.Event.ID))) {
				t.Fatalf("order: #%d before #%d:\n%s", p.Event.ID, s.Event.ID, fxSuspectsText(got))
			}
		}
	}
}

func fxSuspectsText(s []Suspect) string {
	var b strings.Builder
	for _, x := range s {
		b.WriteString("  #" + strconv.FormatInt(x.Event.ID, 10) + " " + strconv.FormatFloat(x.Score, 'f', -1, 64) + ": " + strings.Join(x.Reasons, "; ") + "\n")
	}
	return b.String()
}

func FuzzRankSuspects(f *testing.F) {
	f.Add([]byte{}, byte(0), int8(0), uint16(60))
	f.Add([]byte{1, 0, 2, 246, 1, 2, 0, 0, 1, 2, 2, 240, 0, 0, 0, 1, 2, 0, 3, 250, 0, 0, 0, 2, 1, 0, 1, 20, 0, 0, 0, 3}, byte(0), int8(0), uint16(120))
	f.Add([]byte{1, 0, 2, 0x80, 1, 60, 2, 0, 1, 4, 7, 10, 3, 10, 4, 5, 2, 8, 3, 255, 2, 9, 4, 3}, byte(1), int8(-10), uint16(0))
	f.Add([]byte("some arbitrary bytes to start the corpus with a few events"), byte(3), int8(127), uint16(65535))
	f.Fuzz(func(t *testing.T, data []byte, scopeSel byte, impactOffset int8, windowMinutes uint16) {
		events := fxDecodeEvents(data)
		scope := fxDecodeScope(scopeSel)
		impact := fxAt(11, 0).Add(time.Duration(impactOffset) * 2 * time.Minute)
		if impactOffset == math.MinInt8 {
			impact = time.Time{}
		}
		window := time.Duration(windowMinutes) * time.Minute
		if windowMinutes == math.MaxUint16 {
			window = math.MaxInt64
		}
		got := RankSuspects(events, scope, impact, window)
		if window <= 0 {
			window = DefaultSuspectWindow
		}
		fxCheckSuspects(t, events, got, impact, window)
		if again := RankSuspects(events, scope, impact, window); !reflect.DeepEqual(got, again) {
			t.Fatal("not deterministic")
		}
		rev := slices.Clone(events)
		slices.Reverse(rev)
		if again := RankSuspects(rev, scope, impact, window); !reflect.DeepEqual(got, again) {
			t.Fatalf("input order changes the answer:\n%s\nvs\n%s", fxSuspectsText(got), fxSuspectsText(again))
		}
		late := LateDeploys(events, impact)
		for i, e := range late {
			if !e.StartsAt.After(impact) || impact.IsZero() || !(isKind(&e, kindDeploy) || isKind(&e, kindChange)) {
				t.Fatalf("late #%d at %s, impact %s", e.ID, e.StartsAt, impact)
			}
			if i > 0 && eventBefore(&e, &late[i-1]) {
				t.Fatal("late deploys out of order")
			}
		}
		if again := LateDeploys(rev, impact); !reflect.DeepEqual(late, again) {
			t.Fatal("late deploys depend on the input order")
		}
	})
}

// BenchmarkTimelineLogic2000 runs the ranking and the suggestions on 2,000
// events (the most one timeline import considers, models.MaxImportCandidates):
// half alerts, half deploys of three services 5 s apart, some rollbacks.
func BenchmarkTimelineLogic2000(b *testing.B) {
	var events []Event
	for i := range 2000 {
		e := fxDeploy(int64(i+1), []string{"bookbot-api", "billing", "payments"}[i%3], fxAt(9, 0).Add(time.Duration(i)*5*time.Second), "succeeded")
		if i%7 == 0 {
			e.Title = "rollback"
		}
		if i%2 == 0 {
			e.Kind = "alert"
			e.EndsAt = fxPtr(e.StartsAt.Add(time.Hour))
			e.Labels = map[string]string{"acknowledged_at": e.StartsAt.Add(time.Minute).Format(time.RFC3339)}
		}
		events = append(events, e)
	}
	b.Run("rank", func(b *testing.B) {
		for b.Loop() {
			RankSuspects(events, fxBookbotScope, fxAt(11, 30), 3*time.Hour)
		}
	})
	b.Run("suggest", func(b *testing.B) {
		for b.Loop() {
			SuggestMoments(events, fxBookbotScope, fxCET)
		}
	})
}
