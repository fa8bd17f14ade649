package actions

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Record is an action as the dashboard figures see it.
type Record struct {
	ID               int64
	Status           string
	Owner, Team      string
	Priority, Kind   string
	Due              *time.Time // a calendar date: its own year, month and day count, whatever its zone
	CreatedAt        time.Time
	ClosedAt         *time.Time // when it was last closed (done or wont_do)
	IncidentSeverity string
	Services         []string
}

// Summary is the headline figures of the actions dashboard.
type Summary struct {
	Open           int           // open-like: open, in_progress or blocked
	Overdue        int           // open-like with a due date before today
	DueSoon        int           // open-like due today or in the next 7 days (today+7 included)
	DoneLast30     int           // done, with ClosedAt no more than 30 days (in loc's calendar) before now
	WontDo         int           // wont_do, all time
	MedianOpenAge  time.Duration // age (now − CreatedAt, never negative) of the open-like; 0 when none
	CompletionRate float64       // done / every action but wont_do, 0..1; 0 when there are none
}

// NoTeam names the group of actions without a team in OverdueByTeam.
const NoTeam = "no team"

// MaxWeeks is the most weeks WeeklyOpenedClosed returns.
const MaxWeeks = 520

// Due dates are calendar dates. "Today" is now's date in loc (nil: UTC);
// a due date is its own year, month and day (a DATE column scans as
// midnight UTC), never converted to loc: converting midnight UTC to a zone
// west of Greenwich would move it to the day before.

// dayNumber is the number of t's date (in t's own zone) counted in days
// from 1970-01-01.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// dayDate is the inverse of dayNumber, as a date at midnight UTC.
func dayDate(n int64) time.Time { return time.Unix(n*86400, 0).UTC() }

func today(now time.Time, loc *time.Location) int64 {
	if loc == nil {
		loc = time.UTC
	}
	return dayNumber(now.In(loc))
}

func overdue(r Record, today int64) bool {
	return IsOpenLike(r.Status) && r.Due != nil && dayNumber(*r.Due) < today
}

// Summarize computes the headline figures (see Summary) as of now, with
// "today" in loc (nil: UTC). Unknown statuses count only in the
// denominator of CompletionRate.
func Summarize(rs []Record, now time.Time, loc *time.Location) Summary {
	if loc == nil {
		loc = time.UTC
	}
	var s Summary
	day := today(now, loc)
	since := now.In(loc).AddDate(0, 0, -30)
	var ages []time.Duration
	done, counted := 0, 0
	for _, r := range rs {
		if r.Status != StatusWontDo {
			counted++
		}
		switch {
		case IsOpenLike(r.Status):
			s.Open++
			ages = append(ages, max(0, now.Sub(r.CreatedAt)))
			if r.Due != nil {
				switch d := dayNumber(*r.Due); {
				case d < day:
					s.Overdue++
				case d-day <= 7:
					s.DueSoon++
				}
			}
		case r.Status == StatusDone:
			done++
			if r.ClosedAt != nil && !r.ClosedAt.Before(since) {
				s.DoneLast30++
			}
		case r.Status == StatusWontDo:
			s.WontDo++
		}
	}
	s.MedianOpenAge = median(ages)
	if counted > 0 {
		s.CompletionRate = float64(done) / float64(counted)
	}
	return s
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	mid := len(ds) / 2
	if len(ds)%2 == 1 {
		return ds[mid]
	}
	a, b := ds[mid-1], ds[mid]
	return a + (b-a)/2
}

// WeekCount is the actions opened and closed in one week.
type WeekCount struct {
	Start  time.Time // Monday 00:00 in loc (the first instant of Monday if a clock change skipped midnight)
	Year   int       // ISO 8601 week-numbering year
	Week   int       // ISO 8601 week, 1..53
	Opened int       // CreatedAt in the week
	Closed int       // ClosedAt in the week, for actions now done or wont_do
}

// WeeklyOpenedClosed counts the actions opened and closed in each of the
// last weeks ISO weeks (Monday to Sunday in loc; nil: UTC), the current,
// partial week last. An action counts by the local date of CreatedAt and
// ClosedAt, so weeks with a clock change are still whole calendar weeks.
// Actions reopened since (ClosedAt set, status open-like) are not counted
// as closed. weeks ≤ 0 gives nil; more than MaxWeeks gives MaxWeeks.
func WeeklyOpenedClosed(rs []Record, now time.Time, loc *time.Location, weeks int) []WeekCount {
	if weeks <= 0 {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	weeks = min(weeks, MaxWeeks)
	day := today(now, loc)
	monday := day - ((day+3)%7+7)%7 // 1970-01-01 was a Thursday
	first := monday - 7*int64(weeks-1)
	out := make([]WeekCount, weeks)
	for i := range out {
		d := dayDate(first + 7*int64(i))
		out[i].Start = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		out[i].Year, out[i].Week = d.ISOWeek()
	}
	index := func(t time.Time) (int, bool) {
		d := dayNumber(t.In(loc))
		if d < first || d >= monday+7 {
			return 0, false
		}
		return int((d - first) / 7), true
	}
	for _, r := range rs {
		if i, ok := index(r.CreatedAt); ok {
			out[i].Opened++
		}
		if r.ClosedAt != nil && IsClosed(r.Status) {
			if i, ok := index(*r.ClosedAt); ok {
				out[i].Closed++
			}
		}
	}
	return out
}

// Bucket is a range of ages of open-like actions: Min ≤ age < Max.
type Bucket struct {
	Label    string
	Min, Max time.Duration // Max 0: no upper bound
	Count    int
}

const (
	day   = 24 * time.Hour
	week  = 7 * day
	month = 30 * day
)

// AgeBuckets counts the open-like actions by age (now − CreatedAt) in five
// buckets, always all five, youngest first: < 1 week, 1–4 weeks (7 to 29
// days), 1–3 months, 3–6 months, > 6 months. A month is 30 days, so the
// figures do not depend on a zone. A CreatedAt after now counts as age 0.
func AgeBuckets(rs []Record, now time.Time) []Bucket {
	out := []Bucket{
		{Label: "< 1 week", Min: 0, Max: week},
		{Label: "1–4 weeks", Min: week, Max: month},
		{Label: "1–3 months", Min: month, Max: 3 * month},
		{Label: "3–6 months", Min: 3 * month, Max: 6 * month},
		{Label: "> 6 months", Min: 6 * month},
	}
	for _, r := range rs {
		if !IsOpenLike(r.Status) {
			continue
		}
		age := now.Sub(r.CreatedAt)
		i := len(out) - 1
		for i > 0 && age < out[i].Min {
			i--
		}
		out[i].Count++
	}
	return out
}

// TeamCount is a number of actions of one team.
type TeamCount struct {
	Team  string
	Count int
}

// OverdueByTeam counts the overdue open-like actions (due date before
// today in loc; nil: UTC) by team, trimmed, NoTeam for none, most first,
// then by name. Teams without overdue actions are left out.
func OverdueByTeam(rs []Record, now time.Time, loc *time.Location) []TeamCount {
	day := today(now, loc)
	counts := map[string]int{}
	for _, r := range rs {
		if !overdue(r, day) {
			continue
		}
		team := strings.TrimSpace(r.Team)
		if team == "" {
			team = NoTeam
		}
		counts[team]++
	}
	out := make([]TeamCount, 0, len(counts))
	for t, n := range counts {
		out = append(out, TeamCount{Team: t, Count: n})
	}
	slices.SortFunc(out, func(a, b TeamCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Team, b.Team))
	})
	return out
}
