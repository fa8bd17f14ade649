package models

import (
	"context"
	"strings"
	"time"
)

// Status levels an admin can announce. Teams' own apps read them from
// /version to show a banner.
const (
	StatusOK          = "ok"
	StatusDegraded    = "degraded"
	StatusMaintenance = "maintenance"
	StatusDown        = "down"
)

// StatusLevels lists the levels in the order forms show them.
var StatusLevels = []string{StatusOK, StatusDegraded, StatusMaintenance, StatusDown}

// Instance is the single row of installation-wide state.
type Instance struct {
	ID              int64
	SetupAt         *time.Time
	StatusLevel     string
	StatusMessage   string
	StatusUpdatedAt *time.Time
	StatusUpdatedBy string
}

// TableName keeps gorm from pluralising.
func (Instance) TableName() string { return "instance" }

// InstanceStatus reads the announced status.
func (s *Store) InstanceStatus(ctx context.Context) (*Instance, error) {
	var in Instance
	if err := s.db.WithContext(ctx).First(&in, 1).Error; err != nil {
		return nil, notFound(err)
	}
	return &in, nil
}

// SetInstanceStatus announces a status level and message.
func (s *Store) SetInstanceStatus(ctx context.Context, level, message, by string) error {
	message = strings.TrimSpace(message)
	fields := map[string]string{}
	valid := false
	for _, l := range StatusLevels {
		valid = valid || l == level
	}
	if !valid {
		fields["level"] = "choose ok, degraded, maintenance or down"
	}
	if len(message) > 500 {
		fields["message"] = "use at most 500 characters"
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return s.db.WithContext(ctx).Model(&Instance{}).Where("id = 1").Updates(map[string]any{
		"status_level": level, "status_message": message, "status_updated_at": s.Now(), "status_updated_by": by,
	}).Error
}
