package models

import (
	"cmp"
	"context"
	"slices"
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
// actions, and the creation and closing times of the actions of the weeks
// shown. The time semantics are the pure functions': due dates are
// calendar dates compared with today's date in loc, and the weeks are
// counted by actions.WeeklyOpenedClosed itself.
func (s *Store) ActionDashboard(ctx context.Context, f ActionFilter, loc *time.Location, weeks int) (*ActionDashboard, error) {
	if loc == nil {
		loc = time.UTC
	}
	now := s.Now()
	// The weekly series reads the most rows and depends on nothing else:
	// it runs on its own connection while the figures are counted.
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

// weeklyOpenedClosed reads the creation and closing times of the matching
// actions created or closed in the weeks shown (a few days more either
// side, whatever the zone) and counts them with the pure function.
func (s *Store) weeklyOpenedClosed(ctx context.Context, f ActionFilter, now time.Time, loc *time.Location, weeks int) ([]actions.WeekCount, error) {
	if weeks <= 0 {
		return nil, nil
	}
	weeks = min(weeks, actions.MaxWeeks)
	// The first week starts at most 7·weeks days before today in loc, and
	// the last ends at most 7 days after it; a day in any zone lies within
	// 26 hours of the same day in UTC.
	from := now.AddDate(0, 0, -7*weeks-3)
	to := now.AddDate(0, 0, 10)
	rows, err := s.actionQuery(ctx, f).Select("actions.created_at, actions.closed_at, actions.status").
		Where("((actions.created_at >= ? AND actions.created_at < ?) OR (actions.closed_at >= ? AND actions.closed_at < ? AND actions.status IN ?))",
			from, to, from, to, []string{actions.StatusDone, actions.StatusWontDo}).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []actions.Record
	for rows.Next() {
		var r actions.Record
		if err := rows.Scan(&r.CreatedAt, &r.ClosedAt, &r.Status); err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return actions.WeeklyOpenedClosed(rs, now, loc, weeks), nil
}
