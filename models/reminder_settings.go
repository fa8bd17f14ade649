package models

import (
	"context"
	"time"

	"hindsight/reminders"
)

// MaxDueSoonDays is the furthest ahead a digest looks.
const MaxDueSoonDays = 60

// ReminderSettings is the single row saying whether and when digests go out.
type ReminderSettings struct {
	ID          int64
	Enabled     bool
	Every       string // one of reminders.Cadences
	Weekday     int    // 0 = Sunday, for weekly digests
	Hour        int    // local hour of sending, in Zone
	Zone        string
	DueSoonDays int
	Version     int64
	UpdatedAt   *time.Time
	UpdatedBy   string
}

// Location is the zone digests are timed in (UTC if the name is unknown,
// which validation prevents).
func (r *ReminderSettings) Location() *time.Location {
	loc, err := time.LoadLocation(r.Zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// ReminderSettings reads the digest settings.
func (s *Store) ReminderSettings(ctx context.Context) (*ReminderSettings, error) {
	var r ReminderSettings
	if err := s.db.WithContext(ctx).First(&r, 1).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// SaveReminderSettings stores new settings if the row is still at version.
func (s *Store) SaveReminderSettings(ctx context.Context, in ReminderSettings, version int64, by string) (*ReminderSettings, error) {
	fields := map[string]string{}
	if !contains(reminders.Cadences, in.Every) {
		fields["every"] = "choose weekdays, daily or weekly"
	}
	if in.Weekday < 0 || in.Weekday > 6 {
		fields["weekday"] = "choose a day of the week"
	}
	if in.Hour < 0 || in.Hour > 23 {
		fields["hour"] = "choose an hour from 0 to 23"
	}
	if _, err := time.LoadLocation(in.Zone); err != nil || in.Zone == "" || in.Zone == "Local" {
		fields["zone"] = "enter an IANA time zone such as Europe/Paris or UTC"
	}
	if in.DueSoonDays < 0 || in.DueSoonDays > MaxDueSoonDays {
		fields["due_soon_days"] = "enter a number of days from 0 to 60"
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	now := s.Now()
	res := s.db.WithContext(ctx).Model(&ReminderSettings{}).Where("id = 1 AND version = ?", version).Updates(map[string]any{
		"enabled": in.Enabled, "every": in.Every, "weekday": in.Weekday, "hour": in.Hour, "zone": in.Zone,
		"due_soon_days": in.DueSoonDays, "version": version + 1, "updated_at": now, "updated_by": by,
	})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, ErrStale
	}
	return s.ReminderSettings(ctx)
}

// TableName names the single-row table.
func (ReminderSettings) TableName() string { return "reminder_settings" }
