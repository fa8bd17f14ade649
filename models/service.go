package models

import (
	"context"
	"time"
)

// Service is a system that incidents affect, named once and shared.
type Service struct {
	ID        int64
	Name      string
	CreatedAt time.Time
}

// ListServiceNames returns the names of every known service.
func (s *Store) ListServiceNames(ctx context.Context) ([]string, error) {
	var names []string
	err := s.db.WithContext(ctx).Model(&Service{}).Order("name").Pluck("name", &names).Error
	return names, err
}

// ListTags returns every tag used on an incident.
func (s *Store) ListTags(ctx context.Context) ([]string, error) {
	var tags []string
	err := s.db.WithContext(ctx).Table("incident_tags").Distinct("tag").Order("tag").Pluck("tag", &tags).Error
	return tags, err
}
