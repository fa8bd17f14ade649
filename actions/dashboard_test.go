package actions

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func utc(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, time.UTC)
}

func TestSummarize(t *testing.T) {
	now := utc(2024, 3, 15, 10, 0, 0) // Friday
	rs := []Record{
		{ID: 1, Status: "open", CreatedAt: utc(2024, 3, 14, 10, 0, 0), Due: date(2024, 3, 14)},                   // age 1d, overdue
		{ID: 2, Status: "in_progress", CreatedAt: utc(2024, 3, 5, 10, 0, 0), Due: date(2024, 3, 15)},             // age 10d, due today: soon
		{ID: 3, Status: "blocked", CreatedAt: utc(2024, 2, 14, 10, 0, 0), Due: date(2024, 3, 22)},                // age 30d (2024 is a leap year), today+7: soon
		{ID: 4, Status: "open", CreatedAt: utc(2024, 1, 15, 10, 0, 0), Due: date(2024, 3, 23)},                   // age 16+29+15 = 60d, today+8: not soon
		{ID: 5, Status: "open", CreatedAt: now},                                                                  // age 0, no due date
		{ID: 6, Status: "done", CreatedAt: utc(2024, 1, 1, 0, 0, 0), ClosedAt: ptr(utc(2024, 2, 14, 10, 0, 0))},  // exactly 30 days ago: counts
		{ID: 7, Status: "done", CreatedAt: utc(2024, 1, 1, 0, 0, 0), ClosedAt: ptr(utc(2024, 2, 14, 9, 59, 59))}, // a second earlier: not
		{ID: 8, Status: "done", CreatedAt: utc(2024, 1, 1, 0, 0, 0)},                                             // no ClosedAt
		{ID: 9, Status: "done", CreatedAt: utc(2024, 1, 1, 0, 0, 0), Due: date(2020, 1, 1)},                      // late but done: not overdue
		{ID: 10, Status: "wont_do", CreatedAt: utc(2024, 1, 1, 0, 0, 0)},
		{ID: 11, Status: "wont_do", CreatedAt: utc(2024, 1, 1, 0, 0, 0), Due: date(2020, 1, 1)},
		{ID: 12, Status: "garbage", CreatedAt: utc(2024, 1, 1, 0, 0, 0), Due: date(2020, 1, 1)},
	}
	want := Summary{
		Open:           5,
		Overdue:        1,
		DueSoon:        2,
		DoneLast30:     1,
		WontDo:         2,
		MedianOpenAge:  10 * 24 * time.Hour, // of 0, 1d, 10d, 30d, 60d
		CompletionRate: 0.4,                 // 4 done of 12 − 2 wont_do
	}
	if got := Summarize(rs, now, time.UTC); got != want {
		t.Errorf("Summarize\n got %+v\nwant %+v", got, want)
	}
	if got := Summarize(rs, now, nil); got != want {
		t.Errorf("Summarize, nil loc\n got %+v\nwant %+v", got, want)
	}

	if got := Summarize(nil, now, time.UTC); got != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v", got)
	}
	onlyWontDo := []Record{{Status: "wont_do"}}
	if got := Summarize(onlyWontDo, now, time.UTC); got != (Summary{WontDo: 1}) {
		t.Errorf("Summarize(wont_do only) = %+v", got)
	}
	even := []Record{
		{Status: "open", CreatedAt: now.Add(-4 * time.Hour)},
		{Status: "blocked", CreatedAt: now.Add(-time.Hour)},
		{Status: "done", ClosedAt: ptr(now)},
		{Status: "open", CreatedAt: now.Add(time.Hour)}, // in the future: age 0
	}
	want = Summary{Open: 3, DoneLast30: 1, MedianOpenAge: time.Hour, CompletionRate: 0.25} // median of 0, 1h, 4h
	if got := Summarize(even, now, time.UTC); got != want {
		t.Errorf("Summarize(even)\n got %+v\nwant %+v", got, want)
	}
	even = even[:2]
	want = Summary{Open: 2, MedianOpenAge: 150 * time.Minute} // mean of 1h and 4h
	if got := Summarize(even, now, time.UTC); got != want {
		t.Errorf("Summarize(two)\n got %+v\nwant %+v", got, want)
	}
}

// TestToday checks "today" (overdue, due soon) at zone and DST boundaries,
// through both Summarize and OverdueByTeam.
func TestToday(t *testing.T) {
	ny, berlin, akl, hnl := zone(t, "America/New_York"), zone(t, "Europe/Berlin"), zone(t, "Pacific/Auckland"), zone(t, "Pacific/Honolulu")
	tests := []struct {
		name    string
		loc     *time.Location
		now     time.Time
		due     *time.Time
		overdue bool
		soon    bool
	}{
		// New York, the evening before spring forward (EST, UTC−5).
		{"NY 9th 23:59 EST", ny, utc(2024, 3, 10, 4, 59, 59), date(2024, 3, 9), false, true},
		{"NY 10th 00:00 EST", ny, utc(2024, 3, 10, 5, 0, 0), date(2024, 3, 9), true, false},
		// The 10th has 23 hours; its midnight end is at UTC−4.
		{"NY 10th 23:59 EDT", ny, utc(2024, 3, 11, 3, 59, 59), date(2024, 3, 10), false, true},
		{"NY 11th 00:00 EDT", ny, utc(2024, 3, 11, 4, 0, 0), date(2024, 3, 10), true, false},
		{"NY today+7 after DST", ny, utc(2024, 3, 11, 4, 0, 0), date(2024, 3, 18), false, true},
		{"NY today+8 after DST", ny, utc(2024, 3, 11, 4, 0, 0), date(2024, 3, 19), false, false},
		// A due date in its own zone keeps its own date.
		{"NY due as local midnight", ny, utc(2024, 3, 10, 5, 0, 0), ptr(time.Date(2024, 3, 9, 0, 0, 0, 0, ny)), true, false},
		{"NY due as local midnight, same day", ny, utc(2024, 3, 10, 5, 0, 0), ptr(time.Date(2024, 3, 10, 0, 0, 0, 0, ny)), false, true},
		// Berlin, fall back on Sunday the 27th (a 25-hour day); then CET, UTC+1.
		{"Berlin 27th 23:59 CET", berlin, utc(2024, 10, 27, 22, 59, 59), date(2024, 10, 27), false, true},
		{"Berlin 28th 00:00 CET", berlin, utc(2024, 10, 27, 23, 0, 0), date(2024, 10, 27), true, false},
		// One instant, 11:30 UTC on the 14th: Auckland (NZDT, UTC+13) is
		// already on the 15th, Honolulu (UTC−10) still on the 14th.
		{"Auckland", akl, utc(2024, 3, 14, 11, 30, 0), date(2024, 3, 14), true, false},
		{"UTC", time.UTC, utc(2024, 3, 14, 11, 30, 0), date(2024, 3, 14), false, true},
		{"Honolulu", hnl, utc(2024, 3, 14, 11, 30, 0), date(2024, 3, 14), false, true},
		{"Honolulu earlier", hnl, utc(2024, 3, 14, 9, 0, 0), date(2024, 3, 13), false, true}, // 23:00 on the 13th
		{"no due date", time.UTC, utc(2024, 3, 14, 11, 30, 0), nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Record{Status: "open", Team: "sre", CreatedAt: tt.now.Add(-time.Hour), Due: tt.due}
			s := Summarize([]Record{r}, tt.now, tt.loc)
			if got := s.Overdue == 1; got != tt.overdue {
				t.Errorf("overdue = %v, want %v (%+v)", got, tt.overdue, s)
			}
			if got := s.DueSoon == 1; got != tt.soon {
				t.Errorf("due soon = %v, want %v (%+v)", got, tt.soon, s)
			}
			byTeam := OverdueByTeam([]Record{r}, tt.now, tt.loc)
			if got := len(byTeam) == 1; got != tt.overdue {
				t.Errorf("OverdueByTeam = %+v, want overdue %v", byTeam, tt.overdue)
			}
		})
	}
}

// TestDoneLast30Calendar: the 30 days are calendar days in loc, so across
// spring forward they are 30×24h − 1h.
func TestDoneLast30Calendar(t *testing.T) {
	ny := zone(t, "America/New_York")
	now := utc(2024, 3, 15, 16, 0, 0) // 12:00 EDT; 30 days before is Feb 14 12:00 EST = 17:00 UTC
	for _, tt := range []struct {
		closed time.Time
		want   int
	}{
		{utc(2024, 2, 14, 17, 0, 0), 1},
		{utc(2024, 2, 14, 16, 59, 59), 0},
		{utc(2024, 2, 14, 16, 0, 0), 0}, // exactly 30×24h before: still out
		{now.Add(time.Hour), 1},         // clock skew: a close just after now counts
	} {
		s := Summarize([]Record{{Status: "done", ClosedAt: ptr(tt.closed)}}, now, ny)
		if s.DoneLast30 != tt.want {
			t.Errorf("closed %v: DoneLast30 = %d, want %d", tt.closed, s.DoneLast30, tt.want)
		}
	}
}

func TestWeeklyOpenedClosed(t *testing.T) {
	type wc = WeekCount
	ny, akl := zone(t, "America/New_York"), zone(t, "Pacific/Auckland")
	tests := []struct {
		name  string
		rs    []Record
		now   time.Time
		loc   *time.Location
		weeks int
		want  []WeekCount
	}{
		{
			name: "UTC, three weeks",
			now:  utc(2024, 3, 15, 10, 0, 0), // Friday of 2024-W11 (Monday the 11th)
			loc:  time.UTC, weeks: 3,
			rs: []Record{
				{Status: "open", CreatedAt: utc(2024, 2, 25, 23, 59, 59)}, // Sunday before the window
				{Status: "open", CreatedAt: utc(2024, 2, 26, 0, 0, 0)},    // W09
				{Status: "done", CreatedAt: utc(2024, 3, 10, 23, 59, 0), ClosedAt: ptr(utc(2024, 3, 11, 0, 0, 0))},
				{Status: "wont_do", CreatedAt: utc(2024, 3, 15, 9, 0, 0), ClosedAt: ptr(utc(2024, 3, 15, 9, 30, 0))},
				{Status: "open", CreatedAt: utc(2024, 3, 4, 8, 0, 0), ClosedAt: ptr(utc(2024, 3, 5, 8, 0, 0))},   // reopened: not closed
				{Status: "done", CreatedAt: utc(2024, 1, 4, 8, 0, 0), ClosedAt: ptr(utc(2024, 3, 4, 0, 0, 0))},   // W10 close of an old action
				{Status: "done", CreatedAt: utc(2024, 1, 4, 8, 0, 0), ClosedAt: ptr(utc(2024, 2, 25, 23, 0, 0))}, // closed before the window
				{Status: "open", CreatedAt: utc(2024, 3, 18, 0, 0, 0)},                                           // next week
			},
			want: []wc{
				{Start: utc(2024, 2, 26, 0, 0, 0), Year: 2024, Week: 9, Opened: 1},
				{Start: utc(2024, 3, 4, 0, 0, 0), Year: 2024, Week: 10, Opened: 2, Closed: 1},
				{Start: utc(2024, 3, 11, 0, 0, 0), Year: 2024, Week: 11, Opened: 1, Closed: 2},
			},
		},
		{
			// Spring forward on Sunday the 10th: the week of the 4th ends at
			// midnight EDT (04:00 UTC), not EST (05:00 UTC).
			name: "New York across DST",
			now:  time.Date(2024, 3, 13, 12, 0, 0, 0, ny),
			loc:  ny, weeks: 2,
			rs: []Record{
				{Status: "open", CreatedAt: utc(2024, 3, 4, 4, 59, 59)},                                          // Sunday the 3rd, 23:59:59 EST
				{Status: "open", CreatedAt: utc(2024, 3, 4, 5, 0, 0)},                                            // Monday the 4th, 00:00 EST
				{Status: "done", CreatedAt: utc(2024, 3, 5, 5, 0, 0), ClosedAt: ptr(utc(2024, 3, 11, 3, 30, 0))}, // closed Sunday 23:30 EDT
				{Status: "open", CreatedAt: utc(2024, 3, 11, 4, 30, 0)},                                          // Monday the 11th, 00:30 EDT
			},
			want: []wc{
				{Start: utc(2024, 3, 4, 5, 0, 0), Year: 2024, Week: 10, Opened: 2, Closed: 1},
				{Start: utc(2024, 3, 11, 4, 0, 0), Year: 2024, Week: 11, Opened: 1},
			},
		},
		{
			// 11:30 UTC on Sunday the 17th is already Monday the 18th,
			// 00:30 NZDT, in Auckland: a new week has begun there.
			name: "Auckland is a day ahead",
			now:  utc(2024, 3, 17, 11, 30, 0),
			loc:  akl, weeks: 1,
			rs: []Record{
				{Status: "open", CreatedAt: utc(2024, 3, 17, 11, 0, 0)},  // Monday 00:00 NZDT
				{Status: "open", CreatedAt: utc(2024, 3, 17, 10, 59, 0)}, // Sunday 23:59 NZDT
			},
			want: []wc{{Start: utc(2024, 3, 17, 11, 0, 0), Year: 2024, Week: 12, Opened: 1}},
		},
		{
			name: "same instant in UTC",
			now:  utc(2024, 3, 17, 11, 30, 0),
			loc:  nil, weeks: 1,
			rs: []Record{
				{Status: "open", CreatedAt: utc(2024, 3, 17, 11, 0, 0)},
				{Status: "open", CreatedAt: utc(2024, 3, 17, 10, 59, 0)},
			},
			want: []wc{{Start: utc(2024, 3, 11, 0, 0, 0), Year: 2024, Week: 11, Opened: 2}},
		},
		{
			// Sunday 2021-01-03 is in 2020-W53; the week before is 2020-W52.
			name: "ISO week 53",
			now:  utc(2021, 1, 3, 12, 0, 0),
			loc:  time.UTC, weeks: 2,
			rs: []Record{{Status: "open", CreatedAt: utc(2021, 1, 1, 0, 0, 0)}},
			want: []wc{
				{Start: utc(2020, 12, 21, 0, 0, 0), Year: 2020, Week: 52},
				{Start: utc(2020, 12, 28, 0, 0, 0), Year: 2020, Week: 53, Opened: 1},
			},
		},
		{
			// Tuesday 2024-12-31 is in 2025-W01, which starts Monday the 30th.
			name: "ISO year ahead of the calendar",
			now:  utc(2024, 12, 31, 12, 0, 0),
			loc:  time.UTC, weeks: 1,
			want: []wc{{Start: utc(2024, 12, 30, 0, 0, 0), Year: 2025, Week: 1}},
		},
		{
			name: "now on a Monday at midnight",
			now:  utc(2024, 3, 11, 0, 0, 0),
			loc:  time.UTC, weeks: 1,
			rs:   []Record{{Status: "open", CreatedAt: utc(2024, 3, 10, 23, 59, 59)}},
			want: []wc{{Start: utc(2024, 3, 11, 0, 0, 0), Year: 2024, Week: 11}},
		},
		{name: "zero weeks", now: utc(2024, 3, 11, 0, 0, 0), weeks: 0, want: nil},
		{name: "negative weeks", now: utc(2024, 3, 11, 0, 0, 0), weeks: -3, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WeeklyOpenedClosed(tt.rs, tt.now, tt.loc, tt.weeks)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d weeks, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if !g.Start.Equal(w.Start) || g.Year != w.Year || g.Week != w.Week || g.Opened != w.Opened || g.Closed != w.Closed {
					t.Errorf("week %d\n got %+v\nwant %+v", i, g, w)
				}
				loc := tt.loc
				if loc == nil {
					loc = time.UTC
				}
				if g.Start.Location() != loc || g.Start.Weekday() != time.Monday {
					t.Errorf("week %d starts %v, want a Monday in %v", i, g.Start, loc)
				}
			}
		})
	}
	if got := WeeklyOpenedClosed(nil, utc(2024, 3, 11, 0, 0, 0), time.UTC, 1<<40); len(got) != MaxWeeks {
		t.Errorf("huge weeks: %d weeks, want %d", len(got), MaxWeeks)
	}
}

func TestAgeBuckets(t *testing.T) {
	now := utc(2024, 3, 15, 10, 0, 0)
	const d = 24 * time.Hour
	ages := []time.Duration{
		-time.Hour, 0, 7*d - time.Second, // < 1 week
		7 * d, 30*d - time.Second, // 1–4 weeks
		30 * d, 90*d - time.Second, // 1–3 months
		90 * d, 180*d - time.Second, // 3–6 months
		180 * d, 1000 * d, // > 6 months
	}
	var rs []Record
	for i, a := range ages {
		rs = append(rs, Record{Status: Statuses[i%3], CreatedAt: now.Add(-a)})
	}
	rs = append(rs,
		Record{Status: "done", CreatedAt: now.Add(-1000 * d)},
		Record{Status: "wont_do", CreatedAt: now},
		Record{Status: "", CreatedAt: now},
	)
	want := []Bucket{
		{Label: "< 1 week", Min: 0, Max: 7 * d, Count: 3},
		{Label: "1–4 weeks", Min: 7 * d, Max: 30 * d, Count: 2},
		{Label: "1–3 months", Min: 30 * d, Max: 90 * d, Count: 2},
		{Label: "3–6 months", Min: 90 * d, Max: 180 * d, Count: 2},
		{Label: "> 6 months", Min: 180 * d, Max: 0, Count: 2},
	}
	if got := AgeBuckets(rs, now); !slices.Equal(got, want) {
		t.Errorf("AgeBuckets\n got %+v\nwant %+v", got, want)
	}
	for i := range want {
		want[i].Count = 0
	}
	if got := AgeBuckets(nil, now); !slices.Equal(got, want) {
		t.Errorf("AgeBuckets(nil) = %+v", got)
	}
}

func TestOverdueByTeam(t *testing.T) {
	now := utc(2024, 3, 15, 10, 0, 0)
	late, today := date(2024, 3, 14), date(2024, 3, 15)
	rs := []Record{
		{Status: "open", Team: "sre", Due: late},
		{Status: "in_progress", Team: "sre", Due: late},
		{Status: "blocked", Team: "sre", Due: date(2023, 1, 1)},
		{Status: "open", Team: " payments ", Due: late},
		{Status: "open", Team: "payments", Due: late},
		{Status: "open", Team: "", Due: late},
		{Status: "open", Team: "  ", Due: late},
		{Status: "open", Team: "db", Due: late},
		{Status: "open", Team: "api", Due: late},
		{Status: "open", Team: "web", Due: today},  // not overdue
		{Status: "open", Team: "web"},              // no due date
		{Status: "done", Team: "sre", Due: late},   // closed
		{Status: "wont_do", Team: "db", Due: late}, // closed
		{Status: "garbage", Team: "db", Due: late}, // unknown status
	}
	want := []TeamCount{{"sre", 3}, {"no team", 2}, {"payments", 2}, {"api", 1}, {"db", 1}}
	if got := OverdueByTeam(rs, now, time.UTC); !slices.Equal(got, want) {
		t.Errorf("OverdueByTeam\n got %+v\nwant %+v", got, want)
	}
	if got := OverdueByTeam(nil, now, nil); len(got) != 0 {
		t.Errorf("OverdueByTeam(nil) = %+v", got)
	}
}

// TestFiguresAgree checks, over pseudo-random records, that the figures
// are consistent with each other and do not depend on the records' order.
func TestFiguresAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	now := utc(2024, 3, 15, 10, 0, 0)
	locs := []*time.Location{time.UTC, zone(t, "America/New_York"), zone(t, "Pacific/Auckland"), zone(t, "Asia/Kolkata")}
	statuses := append(slices.Clone(Statuses), "", "garbage")
	for round := range 200 {
		loc := locs[round%len(locs)]
		var rs []Record
		for range rng.IntN(40) {
			r := Record{
				Status:    statuses[rng.IntN(len(statuses))],
				Team:      []string{"", "sre", "db", " db"}[rng.IntN(4)],
				CreatedAt: now.Add(-time.Duration(rng.Int64N(int64(400 * 24 * time.Hour)))),
			}
			if rng.IntN(3) > 0 {
				r.Due = date(2024, 3, 15+rng.IntN(40)-20)
			}
			if rng.IntN(2) > 0 {
				r.ClosedAt = ptr(r.CreatedAt.Add(time.Duration(rng.Int64N(int64(now.Sub(r.CreatedAt)) + 1))))
			}
			rs = append(rs, r)
		}
		s := Summarize(rs, now, loc)
		overdue := 0
		for _, tc := range OverdueByTeam(rs, now, loc) {
			overdue += tc.Count
		}
		open := 0
		for _, b := range AgeBuckets(rs, now) {
			open += b.Count
		}
		if overdue != s.Overdue || open != s.Open || s.CompletionRate < 0 || s.CompletionRate > 1 {
			t.Fatalf("round %d: summary %+v, overdue by team %d, aged %d", round, s, overdue, open)
		}
		weeks := WeeklyOpenedClosed(rs, now, loc, 60) // 60 weeks cover every CreatedAt
		opened := 0
		for _, w := range weeks {
			opened += w.Opened
		}
		if opened != len(rs) {
			t.Fatalf("round %d: %d opened over 60 weeks, want %d", round, opened, len(rs))
		}
		shuffled := slices.Clone(rs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if s2 := Summarize(shuffled, now, loc); s2 != s {
			t.Fatalf("round %d: order matters: %+v vs %+v", round, s, s2)
		}
		if !slices.Equal(OverdueByTeam(shuffled, now, loc), OverdueByTeam(rs, now, loc)) {
			t.Fatalf("round %d: OverdueByTeam depends on order", round)
		}
	}
}
