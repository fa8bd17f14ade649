package models_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"hindsight/actions"
	"hindsight/internal/testdb"
	"hindsight/models"
)

// setClock moves the test clock to t.
func setClock(c *clock, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// dashboardRecords loads the actions matching f the way the pure functions
// see them, page by page through ListActions.
func dashboardRecords(t *testing.T, s *models.Store, f models.ActionFilter) []actions.Record {
	t.Helper()
	var out []actions.Record
	f.PerPage = models.MaxPerPage
	for f.Page = 1; ; f.Page++ {
		page, err := s.ListActions(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Actions {
			r := actions.Record{ID: a.ID, Status: a.Status, Team: a.Team, Priority: a.Priority, Kind: a.Kind,
				CreatedAt: a.CreatedAt, ClosedAt: a.ClosedAt}
			if a.DueDate != nil {
				d := a.DueDate.Time(time.UTC)
				r.Due = &d
			}
			out = append(out, r)
		}
		if int64(f.Page*f.PerPage) >= page.Total {
			return out
		}
	}
}

// pureDashboard is the reference: the pure functions over every record.
func pureDashboard(rs []actions.Record, now time.Time, loc *time.Location, weeks int) *models.ActionDashboard {
	return &models.ActionDashboard{Summary: actions.Summarize(rs, now, loc), Weekly: actions.WeeklyOpenedClosed(rs, now, loc, weeks),
		Ages: actions.AgeBuckets(rs, now), OverdueByTeam: actions.OverdueByTeam(rs, now, loc)}
}

// checkAgainstPure compares the store's dashboard with the pure functions'
// on the same records.
func checkAgainstPure(t *testing.T, s *models.Store, f models.ActionFilter, loc *time.Location, weeks int) *models.ActionDashboard {
	t.Helper()
	got, err := s.ActionDashboard(context.Background(), f, loc, weeks)
	if err != nil {
		t.Fatal(err)
	}
	want := pureDashboard(dashboardRecords(t, s, f), s.Now(), loc, weeks)
	if !reflect.DeepEqual(got.Summary, want.Summary) {
		t.Errorf("%s, filter %+v: summary\n got %+v\nwant %+v", loc, f, got.Summary, want.Summary)
	}
	if !reflect.DeepEqual(got.Ages, want.Ages) {
		t.Errorf("%s, filter %+v: ages\n got %+v\nwant %+v", loc, f, got.Ages, want.Ages)
	}
	if !reflect.DeepEqual(got.OverdueByTeam, want.OverdueByTeam) {
		t.Errorf("%s, filter %+v: overdue by team\n got %+v\nwant %+v", loc, f, got.OverdueByTeam, want.OverdueByTeam)
	}
	if len(got.Weekly) != len(want.Weekly) {
		t.Fatalf("%s, filter %+v: %d weeks, want %d", loc, f, len(got.Weekly), len(want.Weekly))
	}
	for i := range got.Weekly {
		g, w := got.Weekly[i], want.Weekly[i]
		if !g.Start.Equal(w.Start) || g.Year != w.Year || g.Week != w.Week || g.Opened != w.Opened || g.Closed != w.Closed {
			t.Errorf("%s, filter %+v: week %d = %+v, want %+v", loc, f, i, g, w)
		}
	}
	return got
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestActionDashboardFigures builds a fixed set of actions with the clock
// and checks the store's figures against hand-computed values and against
// the pure functions of package actions, on both databases, in several
// zones and at several instants.
func TestActionDashboardFigures(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, c := withClock(t, d)
			ctx := context.Background()
			owner, err := s.CreateUser(ctx, models.NewUser{Email: "owner@example.com", Name: "Owner", Role: models.RoleEditor})
			if err != nil {
				t.Fatal(err)
			}
			incA, err := s.CreateIncident(ctx, newIncident("Checkout errors"), nil)
			if err != nil {
				t.Fatal(err)
			}
			sev1 := newIncident("Search down")
			sev1.Severity = "SEV1"
			incB, err := s.CreateIncident(ctx, sev1, nil)
			if err != nil {
				t.Fatal(err)
			}

			// Now is Friday 2026-03-20 14:00 UTC, 10:00 in New York, where
			// summer time began on 2026-03-08: 30 calendar days ago in New
			// York is 2026-02-18 15:00 UTC, not 14:00.
			now := at("2026-03-20T14:00:00Z")
			ny := mustZone(t, "America/New_York")
			type step struct {
				at     string
				status string
			}
			type spec struct {
				name, team, due string
				inc             int64
				owned           bool
				created         string
				later           []step // status changes
			}
			specs := []spec{
				{name: "1 overdue, created Monday 00:00 in New York", team: "platform", due: "2026-03-19", inc: incA.ID, owned: true,
					created: "2026-03-16T04:00:00Z"},
				{name: "2 due today, created Sunday 23:59:59 in New York", team: "platform", due: "2026-03-20", inc: incA.ID,
					created: "2026-03-16T03:59:59Z"},
				{name: "3 due in 7 days, exactly a week old", team: "payments", due: "2026-03-27", inc: incB.ID, owned: true,
					created: "2026-03-13T14:00:00Z", later: []step{{"2026-03-14T10:00:00Z", "in_progress"}}},
				{name: "4 due in 8 days, exactly 30 days old", due: "2026-03-28", inc: incA.ID, created: "2026-02-18T14:00:00Z",
					later: []step{{"2026-03-01T10:00:00Z", "blocked"}}},
				{name: "5 overdue for months", team: "payments", due: "2026-01-10", inc: incB.ID, owned: true, created: "2025-10-01T14:00:00Z"},
				{name: "6 no due date, older than 6 months", inc: incA.ID, created: "2025-06-01T14:00:00Z"},
				{name: "7 done exactly 30 days ago in New York", team: "platform", inc: incA.ID, created: "2026-02-01T14:00:00Z",
					later: []step{{"2026-02-18T15:00:00Z", "done"}}},
				{name: "8 done 30 days ago in UTC but not in New York", team: "payments", inc: incB.ID, created: "2026-02-01T14:00:00Z",
					later: []step{{"2026-02-18T14:30:00Z", "done"}}},
				{name: "9 done this week, was due before", team: "platform", due: "2026-03-01", inc: incA.ID, owned: true,
					created: "2026-03-02T14:00:00Z", later: []step{{"2026-03-17T12:00:00Z", "done"}}},
				{name: "10 won't do", team: "sre", inc: incB.ID, created: "2026-03-10T12:00:00Z",
					later: []step{{"2026-03-11T12:00:00Z", "wont_do"}}},
				{name: "11 done then reopened, overdue", team: "sre", due: "2026-03-18", inc: incA.ID, owned: true,
					created: "2026-01-05T14:00:00Z", later: []step{{"2026-03-10T12:00:00Z", "done"}, {"2026-03-12T12:00:00Z", "open"}}},
				{name: "12 created after now (a skewed clock)", team: "sre", inc: incA.ID, created: "2026-03-21T14:00:00Z"},
				{name: "13 overdue, four weeks old", team: "payments", due: "2026-03-01", inc: incA.ID, created: "2026-02-20T14:00:00Z"},
				{name: "14 overdue without a team", due: "2026-03-19", inc: incB.ID, created: "2026-03-19T14:00:00Z",
					later: []step{{"2026-03-19T15:00:00Z", "in_progress"}}},
			}
			for _, sp := range specs {
				setClock(c, at(sp.created))
				in := models.ActionInput{Title: "Action " + sp.name, Team: sp.team}
				if sp.due != "" {
					due, _ := models.ParseDate(sp.due)
					in.DueDate = &due
				}
				if sp.owned {
					in.OwnerID = &owner.ID
				}
				a, err := s.CreateAction(ctx, sp.inc, in, owner)
				if err != nil {
					t.Fatalf("%s: %v", sp.name, err)
				}
				for _, st := range sp.later {
					setClock(c, at(st.at))
					in := models.ActionInputOf(a)
					in.Status, in.Reason = st.status, "because"
					if a, err = s.UpdateAction(ctx, a.ID, a.Version, in, owner); err != nil {
						t.Fatalf("%s: %v", sp.name, err)
					}
				}
			}
			setClock(c, now)

			all := models.ActionFilter{Today: s.Today(ny)}
			got := checkAgainstPure(t, s, all, ny, 26)
			wantSummary := actions.Summary{Open: 10, Overdue: 5, DueSoon: 2, DoneLast30: 2, WontDo: 1,
				MedianOpenAge: 17*24*time.Hour + 12*time.Hour, CompletionRate: 3.0 / 13}
			if got.Summary != wantSummary {
				t.Errorf("summary = %+v, want %+v", got.Summary, wantSummary)
			}
			var counts []int
			for _, b := range got.Ages {
				counts = append(counts, b.Count)
			}
			if !reflect.DeepEqual(counts, []int{4, 2, 2, 1, 1}) {
				t.Errorf("age buckets = %v, want [4 2 2 1 1]", counts)
			}
			wantTeams := []actions.TeamCount{{Team: "payments", Count: 2}, {Team: actions.NoTeam, Count: 1},
				{Team: "platform", Count: 1}, {Team: "sre", Count: 1}}
			if !reflect.DeepEqual(got.OverdueByTeam, wantTeams) {
				t.Errorf("overdue by team = %+v, want %+v", got.OverdueByTeam, wantTeams)
			}
			weeks := map[string][2]int{}
			opened, closed := 0, 0
			for _, w := range got.Weekly {
				weeks[w.Start.Format("2006-01-02")] = [2]int{w.Opened, w.Closed}
				opened += w.Opened
				closed += w.Closed
			}
			if first := got.Weekly[0].Start; !first.Equal(time.Date(2025, 9, 22, 0, 0, 0, 0, ny)) || len(got.Weekly) != 26 {
				t.Errorf("weeks start %s (%d weeks), want 2025-09-22 in New York (26)", first, len(got.Weekly))
			}
			for start, want := range map[string][2]int{"2026-03-16": {3, 1}, "2026-03-09": {3, 1}, "2026-03-02": {1, 0},
				"2026-02-16": {2, 2}, "2026-01-26": {2, 0}, "2026-01-05": {1, 0}, "2025-09-29": {1, 0}} {
				if weeks[start] != want {
					t.Errorf("week of %s: opened, closed = %v, want %v", start, weeks[start], want)
				}
			}
			if opened != 13 || closed != 4 {
				t.Errorf("opened %d and closed %d in the 26 weeks, want 13 and 4", opened, closed)
			}

			// In UTC, action 8 was closed within the 30 days too.
			if got := checkAgainstPure(t, s, models.ActionFilter{Today: s.Today(time.UTC)}, time.UTC, 26); got.Summary.DoneLast30 != 3 {
				t.Errorf("done in the last 30 days in UTC = %d, want 3", got.Summary.DoneLast30)
			}

			// Filters, an odd number of open actions, and no match at all.
			open, ownerID := models.ActionFilter{Status: []string{"open"}, Today: s.Today(ny)}, owner.ID
			if got := checkAgainstPure(t, s, open, ny, 26); got.Summary.Open != 7 || got.Summary.MedianOpenAge != 28*24*time.Hour {
				t.Errorf("status=open: %d open, median age %s; want 7 and 672h", got.Summary.Open, got.Summary.MedianOpenAge)
			}
			for _, f := range []models.ActionFilter{
				{Team: "payments"}, {Overdue: true}, {OwnerID: &ownerID}, {Severity: "SEV1"}, {Status: []string{"done", "wont_do"}},
				{Team: "nobody"}, {Status: []string{"blocked"}, Priority: "P1"},
			} {
				f.Today = s.Today(ny)
				checkAgainstPure(t, s, f, ny, 26)
			}
			none := checkAgainstPure(t, s, models.ActionFilter{Team: "nobody", Today: s.Today(ny)}, ny, 26)
			if none.Summary != (actions.Summary{}) || none.OverdueByTeam == nil || len(none.OverdueByTeam) != 0 || len(none.Ages) != 5 {
				t.Errorf("no match: %+v", none)
			}
			if got, _ := s.ActionDashboard(ctx, all, ny, 0); got.Weekly != nil {
				t.Errorf("0 weeks: %v", got.Weekly)
			}

			// Other zones (half-hour and 45-minute offsets, the date line,
			// Chile leaving summer time at midnight back into Saturday on
			// 2026-04-05) and other instants, some between two microseconds:
			// always the pure functions' figures.
			zones := []*time.Location{time.UTC, ny, mustZone(t, "Asia/Kolkata"), mustZone(t, "Pacific/Chatham"),
				mustZone(t, "Pacific/Kiritimati"), mustZone(t, "Pacific/Pago_Pago"), mustZone(t, "America/Santiago")}
			for _, instant := range []time.Time{now, at("2026-03-16T03:59:59Z"), at("2026-03-16T04:00:00Z"),
				at("2026-03-15T12:00:00Z"), at("2026-04-06T03:30:00Z"), now.Add(7*24*time.Hour + 400),
				at("2026-03-20T15:00:00Z").Add(400), at("2026-02-18T15:00:00Z").AddDate(0, 0, 30).Add(-1)} {
				setClock(c, instant)
				for _, loc := range zones {
					checkAgainstPure(t, s, models.ActionFilter{Today: s.Today(loc)}, loc, 26)
					checkAgainstPure(t, s, models.ActionFilter{Status: []string{"open", "in_progress"}, Today: s.Today(loc)}, loc, 3)
				}
			}

			// Closed between two microseconds of the 30-day mark: the
			// bound is not rounded into counting it.
			setClock(c, at("2026-03-20T15:00:00Z").Add(400)) // the mark is 400 ns after action 7 was closed
			if got := checkAgainstPure(t, s, all, time.UTC, 26); got.Summary.DoneLast30 != 1 {
				t.Errorf("done in the last 30 days, 400 ns after the mark = %d, want 1", got.Summary.DoneLast30)
			}

			// Clock changes at midnight: Tehran skipped Monday 00:00 on
			// 2010-03-22, Apia skipped Friday 2011-12-30 altogether, Santiago
			// skips Sunday 00:00 and repeats Saturday 23:00 in 2026. Actions
			// created (and some closed a day later) a second either side of
			// each change and of the local midnights around it fall in the
			// pure function's weeks.
			special, err := s.CreateIncident(ctx, newIncident("Clock changes"), nil)
			if err != nil {
				t.Fatal(err)
			}
			type check struct {
				loc *time.Location
				now time.Time
			}
			var instants []time.Time
			var checks []check
			for _, z := range []struct{ zone, near string }{{"Asia/Tehran", "2010-03-15T00:00:00Z"},
				{"Pacific/Apia", "2011-12-25T00:00:00Z"}, {"America/Santiago", "2026-04-01T00:00:00Z"},
				{"America/Santiago", "2026-09-01T00:00:00Z"}} {
				loc := mustZone(t, z.zone)
				_, change := at(z.near).In(loc).ZoneBounds()
				for _, d := range []time.Duration{-time.Second, 0, time.Hour - time.Second, time.Hour} {
					instants = append(instants, change.Add(d))
				}
				lt := change.In(loc)
				for day := -3; day <= 3; day++ {
					midnight := time.Date(lt.Year(), lt.Month(), lt.Day()+day, 0, 0, 0, 0, loc)
					instants = append(instants, midnight.Add(-time.Second), midnight)
				}
				checks = append(checks, check{loc, change.Add(9 * 24 * time.Hour)}, check{loc, change.Add(2 * 24 * time.Hour)})
			}
			for i, created := range instants {
				setClock(c, created)
				a, err := s.CreateAction(ctx, special.ID, models.ActionInput{Title: "Around a clock change"}, owner)
				if err != nil {
					t.Fatal(err)
				}
				if i%2 == 0 {
					setClock(c, instants[(i+7)%len(instants)])
					in := models.ActionInputOf(a)
					in.Status = "done"
					if _, err := s.UpdateAction(ctx, a.ID, a.Version, in, owner); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, ch := range checks {
				setClock(c, ch.now)
				for _, loc := range append(zones, ch.loc) {
					for _, weeks := range []int{1, 3} {
						checkAgainstPure(t, s, models.ActionFilter{IncidentID: &special.ID, Today: s.Today(loc)}, loc, weeks)
					}
				}
			}
		})
	}
}
