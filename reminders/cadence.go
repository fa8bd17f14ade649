package reminders

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"hindsight/actions"
)

// Cadences: how often digests go out.
const (
	Daily    = "daily"    // every day at Hour
	Weekdays = "weekdays" // Monday to Friday at Hour
	Weekly   = "weekly"   // once a week, on Weekday at Hour
)

// Cadences lists the allowed values of Cadence.Every.
var Cadences = []string{Daily, Weekdays, Weekly}

// FieldError is a validation error about one settings field ("every",
// "weekday", "hour", "zone"), with a message safe to show next to it.
type FieldError = actions.FieldError

// Cadence says when digests go out: at Hour o'clock, local time in Zone,
// every day, every weekday or once a week on Weekday.
//
// The send time of a day is the first instant at which the clock in Zone
// reads Hour:00 or later on that day. On a day when the clocks jump over
// Hour:00 (spring forward) that is the instant of the jump; on a day when
// Hour:00 happens twice (fall back) it is the first one.
type Cadence struct {
	Every   string       // Daily, Weekdays or Weekly
	Weekday time.Weekday // the day of a Weekly cadence; ignored otherwise
	Hour    int          // 0–23, the local hour of sending
	Zone    *time.Location
}

// NewCadence builds a Cadence from settings as stored (weekday 0 is
// Sunday, zone an IANA name such as "Europe/Paris" or "UTC") and validates
// it. Errors are *FieldError.
func NewCadence(every string, weekday, hour int, zone string) (Cadence, error) {
	c := Cadence{Every: every, Weekday: time.Weekday(weekday), Hour: hour, Zone: time.UTC}
	if err := c.Validate(); err != nil {
		return Cadence{}, err
	}
	if zone == "" || zone == "Local" {
		return Cadence{}, &FieldError{Field: "zone", Message: "Enter an IANA time zone such as Europe/Paris or UTC."}
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Cadence{}, &FieldError{Field: "zone", Message: fmt.Sprintf("Unknown time zone %q: enter an IANA name such as Europe/Paris or UTC.", zone)}
	}
	c.Zone = loc
	return c, nil
}

// Validate checks Every, Weekday (for weekly cadences) and Hour; a nil
// Zone means UTC. Errors are *FieldError.
func (c Cadence) Validate() error {
	switch {
	case !slices.Contains(Cadences, c.Every):
		return &FieldError{Field: "every", Message: "Choose one of: " + strings.Join(Cadences, ", ") + "."}
	case c.Every == Weekly && (c.Weekday < time.Sunday || c.Weekday > time.Saturday):
		return &FieldError{Field: "weekday", Message: "Choose a day of the week."}
	case c.Hour < 0 || c.Hour > 23:
		return &FieldError{Field: "hour", Message: "Choose an hour from 0 to 23."}
	}
	return nil
}

func (c Cadence) zone() *time.Location {
	if c.Zone == nil {
		return time.UTC
	}
	return c.Zone
}

// sends reports whether the cadence sends on a day of this weekday.
func (c Cadence) sends(w time.Weekday) bool {
	switch c.Every {
	case Daily:
		return true
	case Weekdays:
		return w != time.Saturday && w != time.Sunday
	case Weekly:
		return w == c.Weekday
	}
	return false
}

// Period gives the key of the sending period now falls in and whether the
// period's send time has been reached: for daily and weekdays cadences the
// period is now's local date in Zone ("2026-11-23"), for weekly ones its
// ISO 8601 week ("2026-W48", Monday to Sunday in Zone). due is false on
// Saturdays and Sundays for a weekdays cadence, and before the send time.
//
// Once due, a period stays due until it ends: a scheduler that was down at
// the send time catches up later the same day (the same week for weekly).
// The key is stable all period long, so it makes a unique digest key.
// An invalid cadence (see Validate) gives "", false.
func (c Cadence) Period(now time.Time) (key string, due bool) {
	if c.Validate() != nil {
		return "", false
	}
	local := now.In(c.zone())
	day := dayNumber(local)
	switch c.Every {
	case Daily, Weekdays:
		date := dayDate(day)
		key = date.Format(time.DateOnly)
		if !c.sends(date.Weekday()) {
			return key, false
		}
		return key, !now.Before(c.sendAt(date))
	default: // Weekly
		date := dayDate(day)
		y, w := date.ISOWeek()
		key = fmt.Sprintf("%04d-W%02d", y, w)
		monday := day - int64((date.Weekday()+6)%7)
		send := dayDate(monday + int64((c.Weekday+6)%7))
		return key, !now.Before(c.sendAt(send))
	}
}

// Next is the first send time strictly after now, in Zone (for "next
// digest at …"); the zero Time for an invalid cadence.
func (c Cadence) Next(now time.Time) time.Time {
	if c.Validate() != nil {
		return time.Time{}
	}
	// The day before too: a clock change may push a send time past midnight.
	first := dayNumber(now.In(c.zone())) - 1
	for n := first; n < first+16; n++ {
		date := dayDate(n)
		if !c.sends(date.Weekday()) {
			continue
		}
		if at := c.sendAt(date); at.After(now) {
			return at
		}
	}
	return time.Time{} // not reached: every cadence sends at least once a week
}

// Describe says the cadence in words, for settings pages:
// "Monday to Friday at 09:00 (Europe/Paris)".
func (c Cadence) Describe() string {
	var when string
	switch c.Every {
	case Daily:
		when = "Every day"
	case Weekdays:
		when = "Monday to Friday"
	case Weekly:
		when = "Every " + c.Weekday.String()
	default:
		return "Never (invalid cadence)"
	}
	return fmt.Sprintf("%s at %02d:00 (%s)", when, c.Hour, c.zone())
}

// sendAt is the send time of the local date of day (a date at midnight
// UTC): the first instant whose clock in Zone reads Hour:00 or later on
// that date. It does not rely on time.Date's unspecified choice for wall
// clocks that happen twice or never.
func (c Cadence) sendAt(day time.Time) time.Time {
	loc := c.zone()
	wall := time.Date(day.Year(), day.Month(), day.Day(), c.Hour, 0, 0, 0, time.UTC)
	from, to := wall.Add(-36*time.Hour), wall.Add(36*time.Hour) // offsets are within ±14 h
	var best time.Time
	var transitions []time.Time
	for t := from; ; {
		lt := t.In(loc)
		_, off := lt.Zone()
		// wall read with this offset: a real instant if the offset holds there.
		if at := wall.Add(-time.Duration(off) * time.Second); wallClock(at.In(loc)).Equal(wall) && (best.IsZero() || at.Before(best)) {
			best = at
		}
		_, end := lt.ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		transitions = append(transitions, end)
		t = end
	}
	if !best.IsZero() {
		return best.In(loc)
	}
	// The clocks jumped over wall: the first instant past it is the jump.
	for _, t := range transitions {
		if wallClock(t.In(loc)).After(wall) && wallClock(t.Add(-time.Nanosecond).In(loc)).Before(wall) {
			return t.In(loc)
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), c.Hour, 0, 0, 0, loc) // not reached
}

// wallClock is t's local date and clock as the same reading in UTC.
func wallClock(t time.Time) time.Time {
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, m, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// dayNumber is the number of t's date (in t's own zone) counted in days
// from 1970-01-01.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// dayDate is the inverse of dayNumber, as a date at midnight UTC.
func dayDate(n int64) time.Time { return time.Unix(n*86400, 0).UTC() }
