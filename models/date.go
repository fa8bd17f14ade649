package models

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Date is a calendar date without a time or zone, as "due on 2026-12-03".
// It is stored as a PostgreSQL date or SQLite YYYY-MM-DD text.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateLayout is how dates are written in forms, the API and the database.
const DateLayout = "2006-01-02"

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date as YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf is the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Time is the date's midnight in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Time(time.UTC).Before(e.Time(time.UTC)) }

// Value writes the date as YYYY-MM-DD text, which both databases accept.
func (d Date) Value() (driver.Value, error) { return d.String(), nil }

// Scan reads a date from a time (PostgreSQL) or text (SQLite).
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d = DateOf(v.UTC())
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	}
	return fmt.Errorf("cannot read a date from %T", src)
}

func (d *Date) scanText(s string) error {
	if len(s) >= 10 {
		s = s[:10]
	}
	parsed, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// AddDays is the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.Time(time.UTC).AddDate(0, 0, n)) }
