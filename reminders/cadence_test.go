package reminders

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("zone %s: %v", name, err)
	}
	return loc
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestNewCadence(t *testing.T) {
	c, err := NewCadence("weekly", 1, 9, "Europe/Paris")
	if err != nil || c.Every != Weekly || c.Weekday != time.Monday || c.Hour != 9 || c.Zone.String() != "Europe/Paris" {
		t.Fatalf("NewCadence = %+v, %v", c, err)
	}
	if got := c.Describe(); got != "Every Monday at 09:00 (Europe/Paris)" {
		t.Errorf("Describe = %q", got)
	}
	bad := []struct {
		every         string
		weekday, hour int
		zone, field   string
	}{
		{"hourly", 1, 9, "UTC", "every"},
		{"", 1, 9, "UTC", "every"},
		{"weekly", 7, 9, "UTC", "weekday"},
		{"weekly", -1, 9, "UTC", "weekday"},
		{"daily", 1, 24, "UTC", "hour"},
		{"daily", 1, -1, "UTC", "hour"},
		{"daily", 1, 9, "Mars/Olympus", "zone"},
		{"daily", 1, 9, "", "zone"},
		{"daily", 1, 9, "Local", "zone"},
	}
	for _, b := range bad {
		_, err := NewCadence(b.every, b.weekday, b.hour, b.zone)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != b.field || fe.Message == "" {
			t.Errorf("NewCadence(%q, %d, %d, %q) = %v, want a %s FieldError", b.every, b.weekday, b.hour, b.zone, err, b.field)
		}
	}
	if _, err := NewCadence("daily", 9, 9, "UTC"); err != nil {
		t.Errorf("daily ignores the weekday, got %v", err)
	}
	if got := (Cadence{Every: Weekdays, Hour: 7}).Describe(); got != "Monday to Friday at 07:00 (UTC)" {
		t.Errorf("Describe = %q", got)
	}
}

func TestPeriod(t *testing.T) {
	paris, ny := zone(t, "Europe/Paris"), zone(t, "America/New_York")
	auck, hnl := zone(t, "Pacific/Auckland"), zone(t, "Pacific/Honolulu")
	cases := []struct {
		name string
		c    Cadence
		now  time.Time
		key  string
		due  bool
	}{
		// Plain days.
		{"utc before", Cadence{Every: Daily, Hour: 9}, utc(2026, 11, 23, 8, 59), "2026-11-23", false},
		{"utc at", Cadence{Every: Daily, Hour: 9}, utc(2026, 11, 23, 9, 0), "2026-11-23", true},
		{"utc late", Cadence{Every: Daily, Hour: 9}, utc(2026, 11, 23, 23, 59), "2026-11-23", true},
		{"hour 0", Cadence{Every: Daily, Hour: 0}, utc(2026, 11, 23, 0, 0), "2026-11-23", true},
		{"paris winter", Cadence{Every: Daily, Hour: 9, Zone: paris}, utc(2026, 11, 23, 8, 0), "2026-11-23", true},
		{"paris winter before", Cadence{Every: Daily, Hour: 9, Zone: paris}, utc(2026, 11, 23, 7, 59), "2026-11-23", false},
		{"paris local date", Cadence{Every: Daily, Hour: 0, Zone: paris}, utc(2026, 11, 23, 23, 30), "2026-11-24", true},
		// Paris springs forward on 2026-03-29 at 02:00 (→ 03:00 CEST).
		{"paris spring 9h before", Cadence{Every: Daily, Hour: 9, Zone: paris}, utc(2026, 3, 29, 6, 59), "2026-03-29", false},
		{"paris spring 9h", Cadence{Every: Daily, Hour: 9, Zone: paris}, utc(2026, 3, 29, 7, 0), "2026-03-29", true},
		{"paris spring gap before", Cadence{Every: Daily, Hour: 2, Zone: paris}, utc(2026, 3, 29, 0, 59), "2026-03-29", false},
		{"paris spring gap", Cadence{Every: Daily, Hour: 2, Zone: paris}, utc(2026, 3, 29, 1, 0), "2026-03-29", true},
		// Paris falls back on 2026-10-25 at 03:00 (→ 02:00 CET): 02:00 twice, the first counts.
		{"paris fall twice before", Cadence{Every: Daily, Hour: 2, Zone: paris}, utc(2026, 10, 24, 23, 59), "2026-10-25", false},
		{"paris fall twice first", Cadence{Every: Daily, Hour: 2, Zone: paris}, utc(2026, 10, 25, 0, 0), "2026-10-25", true},
		{"paris fall 9h before", Cadence{Every: Daily, Hour: 9, Zone: paris}, utc(2026, 10, 25, 7, 59), "2026-10-25", false},
		{"paris fall 9h", Cadence{Every: Daily, Hour: 9, Zone: paris}, utc(2026, 10, 25, 8, 0), "2026-10-25", true},
		// New York springs forward on 2026-03-08 at 02:00, falls back on 2026-11-01 at 02:00 (01:00 twice).
		{"ny spring gap before", Cadence{Every: Daily, Hour: 2, Zone: ny}, utc(2026, 3, 8, 6, 59), "2026-03-08", false},
		{"ny spring gap", Cadence{Every: Daily, Hour: 2, Zone: ny}, utc(2026, 3, 8, 7, 0), "2026-03-08", true},
		{"ny fall twice before", Cadence{Every: Daily, Hour: 1, Zone: ny}, utc(2026, 11, 1, 4, 59), "2026-11-01", false},
		{"ny fall twice first", Cadence{Every: Daily, Hour: 1, Zone: ny}, utc(2026, 11, 1, 5, 0), "2026-11-01", true},
		{"ny fall 9h before", Cadence{Every: Daily, Hour: 9, Zone: ny}, utc(2026, 11, 1, 13, 59), "2026-11-01", false},
		{"ny fall 9h", Cadence{Every: Daily, Hour: 9, Zone: ny}, utc(2026, 11, 1, 14, 0), "2026-11-01", true},
		{"ny evening is still the day", Cadence{Every: Daily, Hour: 9, Zone: ny}, utc(2026, 11, 24, 3, 0), "2026-11-23", true},
		// Auckland (UTC+13 in summer): its day starts the day before in UTC.
		{"auckland before", Cadence{Every: Daily, Hour: 9, Zone: auck}, utc(2026, 11, 22, 19, 59), "2026-11-23", false},
		{"auckland at", Cadence{Every: Daily, Hour: 9, Zone: auck}, utc(2026, 11, 22, 20, 0), "2026-11-23", true},
		// Auckland falls back on 2026-04-05 at 03:00 NZDT (02:00 twice), springs forward on 2026-09-27 at 02:00.
		{"auckland fall twice before", Cadence{Every: Daily, Hour: 2, Zone: auck}, utc(2026, 4, 4, 12, 59), "2026-04-05", false},
		{"auckland fall twice first", Cadence{Every: Daily, Hour: 2, Zone: auck}, utc(2026, 4, 4, 13, 0), "2026-04-05", true},
		{"auckland fall 9h", Cadence{Every: Daily, Hour: 9, Zone: auck}, utc(2026, 4, 4, 21, 0), "2026-04-05", true},
		{"auckland spring gap before", Cadence{Every: Daily, Hour: 2, Zone: auck}, utc(2026, 9, 26, 13, 59), "2026-09-27", false},
		{"auckland spring gap", Cadence{Every: Daily, Hour: 2, Zone: auck}, utc(2026, 9, 26, 14, 0), "2026-09-27", true},
		// Honolulu (UTC−10, no DST): its day ends the next day in UTC.
		{"honolulu before", Cadence{Every: Daily, Hour: 9, Zone: hnl}, utc(2026, 11, 23, 18, 59), "2026-11-23", false},
		{"honolulu at", Cadence{Every: Daily, Hour: 9, Zone: hnl}, utc(2026, 11, 23, 19, 0), "2026-11-23", true},
		{"honolulu late", Cadence{Every: Daily, Hour: 9, Zone: hnl}, utc(2026, 11, 24, 9, 59), "2026-11-23", true},
		{"honolulu next day", Cadence{Every: Daily, Hour: 9, Zone: hnl}, utc(2026, 11, 24, 10, 0), "2026-11-24", false},
		// Weekdays: no digest on Saturday or Sunday, local ones.
		{"weekdays friday", Cadence{Every: Weekdays, Hour: 9}, utc(2026, 11, 27, 9, 0), "2026-11-27", true},
		{"weekdays saturday", Cadence{Every: Weekdays, Hour: 9}, utc(2026, 11, 28, 12, 0), "2026-11-28", false},
		{"weekdays sunday", Cadence{Every: Weekdays, Hour: 9}, utc(2026, 11, 29, 23, 0), "2026-11-29", false},
		{"weekdays monday", Cadence{Every: Weekdays, Hour: 9}, utc(2026, 11, 30, 9, 0), "2026-11-30", true},
		{"weekdays auckland monday is sunday in utc", Cadence{Every: Weekdays, Hour: 9, Zone: auck}, utc(2026, 11, 29, 20, 0), "2026-11-30", true},
		{"weekdays honolulu friday is saturday in utc", Cadence{Every: Weekdays, Hour: 9, Zone: hnl}, utc(2026, 11, 28, 5, 0), "2026-11-27", true},
		{"weekdays honolulu saturday", Cadence{Every: Weekdays, Hour: 9, Zone: hnl}, utc(2026, 11, 28, 19, 0), "2026-11-28", false},
		// Weekly: the ISO week, due from its weekday's send time to its end.
		{"weekly monday before", Cadence{Every: Weekly, Weekday: time.Monday, Hour: 9}, utc(2026, 11, 23, 8, 0), "2026-W48", false},
		{"weekly monday at", Cadence{Every: Weekly, Weekday: time.Monday, Hour: 9}, utc(2026, 11, 23, 9, 0), "2026-W48", true},
		{"weekly catch-up sunday", Cadence{Every: Weekly, Weekday: time.Monday, Hour: 9}, utc(2026, 11, 29, 23, 59), "2026-W48", true},
		{"weekly next week", Cadence{Every: Weekly, Weekday: time.Monday, Hour: 9}, utc(2026, 11, 30, 0, 0), "2026-W49", false},
		{"weekly friday early in the week", Cadence{Every: Weekly, Weekday: time.Friday, Hour: 16}, utc(2026, 11, 25, 16, 0), "2026-W48", false},
		{"weekly friday", Cadence{Every: Weekly, Weekday: time.Friday, Hour: 16}, utc(2026, 11, 27, 16, 0), "2026-W48", true},
		{"weekly sunday ends the iso week", Cadence{Every: Weekly, Weekday: time.Sunday, Hour: 18}, utc(2026, 11, 29, 17, 59), "2026-W48", false},
		{"weekly sunday", Cadence{Every: Weekly, Weekday: time.Sunday, Hour: 18}, utc(2026, 11, 29, 18, 0), "2026-W48", true},
		{"weekly week 53", Cadence{Every: Weekly, Weekday: time.Monday, Hour: 9}, utc(2027, 1, 2, 12, 0), "2026-W53", true},
		{"weekly week 1 of 2027", Cadence{Every: Weekly, Weekday: time.Monday, Hour: 9}, utc(2027, 1, 4, 9, 0), "2027-W01", true},
		{"weekly paris spring sunday", Cadence{Every: Weekly, Weekday: time.Sunday, Hour: 2, Zone: paris}, utc(2026, 3, 29, 1, 0), "2026-W13", true},
		{"weekly auckland monday", Cadence{Every: Weekly, Weekday: time.Monday, Hour: 9, Zone: auck}, utc(2026, 11, 22, 20, 0), "2026-W48", true},
		{"weekly auckland sunday in utc is next week", Cadence{Every: Weekly, Weekday: time.Monday, Hour: 9, Zone: auck}, utc(2026, 11, 29, 11, 0), "2026-W49", false},
		{"weekly honolulu", Cadence{Every: Weekly, Weekday: time.Monday, Hour: 9, Zone: hnl}, utc(2026, 11, 23, 18, 59), "2026-W48", false},
		// Invalid cadences never send.
		{"invalid", Cadence{Every: "hourly"}, utc(2026, 11, 23, 12, 0), "", false},
		{"invalid hour", Cadence{Every: Daily, Hour: 24}, utc(2026, 11, 23, 12, 0), "", false},
	}
	for _, c := range cases {
		key, due := c.c.Period(c.now)
		if key != c.key || due != c.due {
			t.Errorf("%s: Period(%s) = %q, %v; want %q, %v", c.name, c.now.Format(time.RFC3339), key, due, c.key, c.due)
		}
		// The zone of now does not matter.
		if k2, d2 := c.c.Period(c.now.In(zone(t, "Asia/Kolkata"))); k2 != key || d2 != due {
			t.Errorf("%s: Period depends on now's zone", c.name)
		}
	}
}

func TestNext(t *testing.T) {
	paris, ny := zone(t, "Europe/Paris"), zone(t, "America/New_York")
	auck, hnl := zone(t, "Pacific/Auckland"), zone(t, "Pacific/Honolulu")
	cases := []struct {
		name string
		c    Cadence
		now  time.Time
		want time.Time
	}{
		{"today", Cadence{Every: Daily, Hour: 9}, utc(2026, 11, 23, 8, 0), utc(2026, 11, 23, 9, 0)},
		{"strictly after", Cadence{Every: Daily, Hour: 9}, utc(2026, 11, 23, 9, 0), utc(2026, 11, 24, 9, 0)},
		{"weekdays friday evening", Cadence{Every: Weekdays, Hour: 9}, utc(2026, 11, 27, 10, 0), utc(2026, 11, 30, 9, 0)},
		{"weekly", Cadence{Every: Weekly, Weekday: time.Wednesday, Hour: 9}, utc(2026, 11, 26, 10, 0), utc(2026, 12, 2, 9, 0)},
		{"weekly same day later", Cadence{Every: Weekly, Weekday: time.Thursday, Hour: 9}, utc(2026, 11, 26, 8, 0), utc(2026, 11, 26, 9, 0)},
		{"weekly a week on", Cadence{Every: Weekly, Weekday: time.Thursday, Hour: 9}, utc(2026, 11, 26, 9, 0), utc(2026, 12, 3, 9, 0)},
		{"paris over spring forward", Cadence{Every: Daily, Hour: 9, Zone: paris}, utc(2026, 3, 28, 9, 0), utc(2026, 3, 29, 7, 0)},
		{"paris into the gap", Cadence{Every: Daily, Hour: 2, Zone: paris}, utc(2026, 3, 28, 2, 0), utc(2026, 3, 29, 1, 0)},
		{"paris after the gap", Cadence{Every: Daily, Hour: 2, Zone: paris}, utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 0)},
		{"paris twice: first", Cadence{Every: Daily, Hour: 2, Zone: paris}, utc(2026, 10, 24, 1, 0), utc(2026, 10, 25, 0, 0)},
		{"paris twice: not the second", Cadence{Every: Daily, Hour: 2, Zone: paris}, utc(2026, 10, 25, 0, 0), utc(2026, 10, 26, 1, 0)},
		{"ny over fall back", Cadence{Every: Daily, Hour: 9, Zone: ny}, utc(2026, 10, 31, 13, 0), utc(2026, 11, 1, 14, 0)},
		{"ny gap", Cadence{Every: Daily, Hour: 2, Zone: ny}, utc(2026, 3, 7, 7, 0), utc(2026, 3, 8, 7, 0)},
		{"ny twice", Cadence{Every: Daily, Hour: 1, Zone: ny}, utc(2026, 11, 1, 5, 0), utc(2026, 11, 2, 6, 0)},
		{"auckland weekdays", Cadence{Every: Weekdays, Hour: 9, Zone: auck}, utc(2026, 11, 27, 0, 0), utc(2026, 11, 29, 20, 0)},
		{"auckland spring gap", Cadence{Every: Daily, Hour: 2, Zone: auck}, utc(2026, 9, 26, 0, 0), utc(2026, 9, 26, 14, 0)},
		{"honolulu weekly", Cadence{Every: Weekly, Weekday: time.Monday, Hour: 9, Zone: hnl}, utc(2026, 11, 23, 19, 0), utc(2026, 11, 30, 19, 0)},
		{"invalid", Cadence{Every: "sometimes"}, utc(2026, 11, 23, 19, 0), time.Time{}},
	}
	for _, c := range cases {
		got := c.c.Next(c.now)
		if !got.Equal(c.want) {
			t.Errorf("%s: Next(%s) = %s, want %s", c.name, c.now.Format(time.RFC3339), got.UTC().Format(time.RFC3339), c.want.Format(time.RFC3339))
		}
		if !got.IsZero() && got.Location() != c.c.zone() {
			t.Errorf("%s: Next is in %s, want %s", c.name, got.Location(), c.c.zone())
		}
	}
}

// TestNextAndPeriodAgree walks through several years of send times in
// zones with and without DST: each Next is a send time (its period turns
// due exactly then), nothing is due in between that was not due before,
// and Hour:00 is the local clock where it exists.
func TestNextAndPeriodAgree(t *testing.T) {
	zones := []string{"UTC", "Europe/Paris", "America/New_York", "Pacific/Auckland", "Pacific/Honolulu", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Santiago", "Pacific/Kiritimati"}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, zn := range zones {
		loc := zone(t, zn)
		for _, every := range Cadences {
			for range 4 {
				c := Cadence{Every: every, Weekday: time.Weekday(rng.IntN(7)), Hour: rng.IntN(24), Zone: loc}
				now := utc(2025, 1, 1, 0, 0).Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
				sends := map[string]bool{}
				for range 400 {
					next := c.Next(now)
					if !next.After(now) || next.Sub(now) > 8*24*time.Hour {
						t.Fatalf("%s %+v: Next(%s) = %s", zn, c, now, next)
					}
					key, due := c.Period(next)
					if !due {
						t.Fatalf("%s %+v: Period(Next = %s) is not due", zn, c, next)
					}
					if k, d := c.Period(next.Add(-time.Second)); k == key && d {
						t.Fatalf("%s %+v: period %s already due a second before its send time %s", zn, c, key, next)
					}
					if sends[key] {
						t.Fatalf("%s %+v: two send times in period %s", zn, c, key)
					}
					sends[key] = true
					if l := next.In(loc); l.Hour() != c.Hour || l.Minute() != 0 {
						// Only when the clock skipped Hour:00: a second before, it read earlier.
						if b := next.Add(-time.Second).In(loc); b.Hour() == c.Hour || wallClock(b).After(wallClock(l)) {
							t.Fatalf("%s %+v: send time %s reads %s locally", zn, c, next, l)
						}
					}
					// In between, the period of every instant stays as it was.
					mid := now.Add(next.Sub(now) / 2)
					if k, d := c.Period(mid); d && k == key {
						t.Fatalf("%s %+v: period %s due at %s, before its send time %s", zn, c, key, mid, next)
					}
					now = next
				}
			}
		}
	}
}
