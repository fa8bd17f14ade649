package models

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"hindsight/actions"
)

// ActionDashboard is the figures and chart series of the actions
// dashboard over the actions matching a filter: the same values the pure
// functions of package actions compute from every matching record
// (Summarize, WeeklyOpenedClosed, AgeBuckets, OverdueByTeam), computed
// here by the database so that the records never leave it.
type ActionDashboard struct {
	Summary       actions.Summary
	Weekly        []actions.WeekCount
	Ages          []actions.Bucket
	OverdueByTeam []actions.TeamCount
}

// dashboardGroup is one (team, status) group of the dashboard's aggregate.
type dashboardGroup struct {
	Team, Status string
	N            int64 // actions in the group
	Overdue      int64 // due before today
	DueSoon      int64 // due today to today+7
	ClosedRecent int64 // closed on or after the 30-day mark
	// Older[i] counts those at least Ages[i+1].Min old.
	Older []int64
}

// ActionDashboard computes the dashboard of the actions matching f (paging
// and sort ignored) as of the store's clock, with "today", the 30-day mark
// and the weeks in loc (nil: UTC), over the last weeks weeks. It reads one
// row per team and status, the two middle creation times of the open
// actions, and one row per pair of weeks (opened, closed). The time
// semantics are the pure functions': due dates are calendar dates compared
// with today's date in loc, and an action counts in the week of its local
// creation or closing date.
func (s *Store) ActionDashboard(ctx context.Context, f ActionFilter, loc *time.Location, weeks int) (*ActionDashboard, error) {
	if loc == nil {
		loc = time.UTC
	}
	now := s.Now()
	// The weekly series is a second scan that depends on nothing else: it
	// runs on its own connection while the figures are counted.
	var weekly []actions.WeekCount
	var g errgroup.Group
	g.Go(func() (err error) {
		weekly, err = s.weeklyOpenedClosed(ctx, f, now, loc, weeks)
		return err
	})
	d, err := s.dashboardFigures(ctx, f, now, loc)
	if werr := g.Wait(); err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	d.Weekly = weekly
	return d, nil
}

// dashboardFigures computes the summary, the age buckets and the overdue
// teams.
func (s *Store) dashboardFigures(ctx context.Context, f ActionFilter, now time.Time, loc *time.Location) (*ActionDashboard, error) {
	groups, ages, err := s.dashboardGroups(ctx, f, now, loc)
	if err != nil {
		return nil, err
	}
	d := &ActionDashboard{Ages: ages}
	overdue := map[string]int{}
	done, counted := 0, 0
	sum := &d.Summary
	for _, g := range groups {
		n := int(g.N)
		if g.Status != actions.StatusWontDo {
			counted += n
		}
		switch {
		case actions.IsOpenLike(g.Status):
			sum.Open += n
			sum.Overdue += int(g.Overdue)
			sum.DueSoon += int(g.DueSoon)
			for i := range d.Ages {
				younger := g.N // those at least Ages[i].Min old, less those at least Ages[i+1].Min old
				if i > 0 {
					younger = g.Older[i-1]
				}
				if i < len(g.Older) {
					younger -= g.Older[i]
				}
				d.Ages[i].Count += int(younger)
			}
			if g.Overdue > 0 {
				team := strings.TrimSpace(g.Team)
				if team == "" {
					team = actions.NoTeam
				}
				overdue[team] += int(g.Overdue)
			}
		case g.Status == actions.StatusDone:
			done += n
			sum.DoneLast30 += int(g.ClosedRecent)
		case g.Status == actions.StatusWontDo:
			sum.WontDo += n
		}
	}
	if counted > 0 {
		sum.CompletionRate = float64(done) / float64(counted)
	}
	if sum.MedianOpenAge, err = s.medianOpenAge(ctx, f, now, sum.Open); err != nil {
		return nil, err
	}
	d.OverdueByTeam = make([]actions.TeamCount, 0, len(overdue))
	for t, n := range overdue {
		d.OverdueByTeam = append(d.OverdueByTeam, actions.TeamCount{Team: t, Count: n})
	}
	slices.SortFunc(d.OverdueByTeam, func(a, b actions.TeamCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Team, b.Team))
	})
	return d, nil
}

// dashboardGroups counts the matching actions by team and status, with
// per group the counts the figures need, and returns the empty age
// buckets (actions.AgeBuckets' own, so their bounds are defined once).
func (s *Store) dashboardGroups(ctx context.Context, f ActionFilter, now time.Time, loc *time.Location) ([]dashboardGroup, []actions.Bucket, error) {
	today := DateOf(now.In(loc))
	soon := DateOf(today.Time(time.UTC).AddDate(0, 0, 7))
	since := now.In(loc).AddDate(0, 0, -30)
	ages := actions.AgeBuckets(nil, now)
	cols := `actions.team, actions.status, COUNT(*),
		SUM(CASE WHEN actions.due_date < ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN actions.due_date >= ? AND actions.due_date <= ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN actions.closed_at >= ? THEN 1 ELSE 0 END)`
	args := []any{today, today, soon, s.notBefore(since)}
	for _, b := range ages[1:] {
		// age ≥ Min ⟺ created_at ≤ now − Min
		cols += ",\n\t\tSUM(CASE WHEN actions.created_at <= ? THEN 1 ELSE 0 END)"
		args = append(args, now.Add(-b.Min))
	}
	rows, err := s.actionQuery(ctx, f).Select(cols, args...).Group("actions.team, actions.status").Rows()
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []dashboardGroup
	for rows.Next() {
		g := dashboardGroup{Older: make([]int64, len(ages)-1)}
		dest := []any{&g.Team, &g.Status, &g.N, &g.Overdue, &g.DueSoon, &g.ClosedRecent}
		for i := range g.Older {
			dest = append(dest, &g.Older[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
		out = append(out, g)
	}
	return out, ages, rows.Err()
}

// notBefore is the bound for "stored time ≥ t". PostgreSQL keeps
// microseconds and the driver truncates a parameter to them, which would
// count a time stored just before t; the bound is rounded up instead.
// SQLite keeps the nanoseconds.
func (s *Store) notBefore(t time.Time) time.Time {
	t = t.UTC()
	if s.dialect == Postgres {
		if r := t.Truncate(time.Microsecond); !r.Equal(t) {
			return r.Add(time.Microsecond)
		}
	}
	return t
}

// medianOpenAge is the median age (now − created_at, never negative) of
// the open matching actions, of which there are open: the two middle
// creation times, newest first, are the two middle ages, youngest first.
func (s *Store) medianOpenAge(ctx context.Context, f ActionFilter, now time.Time, open int) (time.Duration, error) {
	if open == 0 {
		return 0, nil
	}
	var created []time.Time
	err := s.actionQuery(ctx, f).Where("actions.status IN ?", openStatuses).
		Order("actions.created_at DESC").Offset((open-1)/2).Limit(2).Pluck("actions.created_at", &created).Error
	if err != nil || len(created) == 0 {
		return 0, err
	}
	a := max(0, now.Sub(created[0]))
	if open%2 == 1 || len(created) < 2 {
		return a, nil
	}
	b := max(0, now.Sub(created[1]))
	return a + (b-a)/2, nil
}

// weeklyOpenedClosed counts the matching actions opened and closed in each
// week of actions.WeeklyOpenedClosed (which gives the weeks themselves).
// An action counts in the week of the date of its creation or closing in
// loc; the database compares the times with the instants at which that
// date changes (dayIntervals), so the weeks are exact in any zone, clock
// changes included, and only one row per pair of weeks is read.
func (s *Store) weeklyOpenedClosed(ctx context.Context, f ActionFilter, now time.Time, loc *time.Location, weeks int) ([]actions.WeekCount, error) {
	out := actions.WeeklyOpenedClosed(nil, now, loc, weeks)
	if len(out) == 0 {
		return out, nil
	}
	first := isoMonday(out[0].Year, out[0].Week)
	bounds, index := dayIntervals(loc, first, first+7*int64(len(out)))
	var b strings.Builder
	var args []any
	// weekOf writes the week of col: a binary search of the intervals
	// [lo, hi) as nested CASEs, about five comparisons a row. Below the
	// first bound, at or above the last, or NULL, it ends in the first or
	// the last interval, which are outside the weeks (-1).
	var weekOf func(col string, lo, hi int)
	weekOf = func(col string, lo, hi int) {
		if hi-lo == 1 {
			b.WriteString(strconv.Itoa(index[lo]))
			return
		}
		mid := (lo + hi) / 2
		b.WriteString("CASE WHEN " + col + " < ? THEN ")
		args = append(args, bounds[mid])
		weekOf(col, lo, mid)
		b.WriteString(" ELSE ")
		weekOf(col, mid, hi)
		b.WriteString(" END")
	}
	b.WriteString("CASE WHEN actions.status IN ? THEN ")
	closed := []string{actions.StatusDone, actions.StatusWontDo}
	args = append(args, closed)
	weekOf("actions.closed_at", 0, len(index))
	b.WriteString(" ELSE -1 END AS closed_week, ")
	weekOf("actions.created_at", 0, len(index))
	b.WriteString(" AS opened_week, COUNT(*)")
	from, to := bounds[0], bounds[len(bounds)-1]
	rows, err := s.actionQuery(ctx, f).Select(b.String(), args...).
		Where("((actions.created_at >= ? AND actions.created_at < ?) OR (actions.status IN ? AND actions.closed_at >= ? AND actions.closed_at < ?))",
			from, to, closed, from, to).
		Group("closed_week, opened_week").Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var closedWeek, openedWeek, n int
		if err := rows.Scan(&closedWeek, &openedWeek, &n); err != nil {
			return nil, err
		}
		if openedWeek >= 0 && openedWeek < len(out) {
			out[openedWeek].Opened += n
		}
		if closedWeek >= 0 && closedWeek < len(out) {
			out[closedWeek].Closed += n
		}
	}
	return out, rows.Err()
}

// isoMonday is the day number (days since 1970-01-01) of the Monday of an
// ISO 8601 week: week 1 is the one with January 4th.
func isoMonday(year, week int) int64 {
	jan4 := time.Date(year, time.January, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(week-1))
	return monday.Unix() / 86400
}

// dayIntervals splits time around the local days [first, end) of loc
// (day numbers as in isoMonday) into intervals on which the date in loc
// is the same: interval i runs from bounds[i] to bounds[i+1], and index[i]
// is the week of its date counted from first, or -1 outside. A date
// changes at a local midnight or at a change of the zone's offset, so this
// holds when clocks skip midnight or go back across it. The intervals
// start and end two days beyond the range, on whole seconds, so the first
// and the last are always outside it (-1).
func dayIntervals(loc *time.Location, first, end int64) (bounds []time.Time, index []int) {
	const day = 86400
	t, stop := time.Unix((first-2)*day, 0), time.Unix((end+2)*day, 0)
	bounds = []time.Time{t.UTC()}
	for t.Before(stop) {
		lt := t.In(loc)
		_, offset := lt.Zone()
		periodEnd := stop
		if _, e := lt.ZoneBounds(); !e.IsZero() && e.After(t) && e.Before(stop) {
			periodEnd = e
		}
		for t.Before(periodEnd) {
			d := t.Unix() + int64(offset)
			d = (d - ((d%day)+day)%day) / day // floor division: the local date's day number
			next := time.Unix((d+1)*day-int64(offset), 0)
			if !next.Before(periodEnd) {
				next = periodEnd
			}
			week := -1
			if d >= first && d < end {
				week = int((d - first) / 7)
			}
			if n := len(index); n > 0 && index[n-1] == week {
				bounds[n] = next.UTC()
			} else {
				index = append(index, week)
				bounds = append(bounds, next.UTC())
			}
			t = next
		}
	}
	return bounds, index
}
