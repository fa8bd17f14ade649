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

// ListTags returns every tag used on an incident. It hops through the tag
// index from one distinct value to the next (a loose index scan), so it
// costs one probe per tag instead of a read of every incident's tags.
func (s *Store) ListTags(ctx context.Context) ([]string, error) {
	var tags []string
	err := s.db.WithContext(ctx).Raw(`WITH RECURSIVE t(tag) AS (
	    SELECT min(tag) FROM incident_tags
	    UNION ALL
	    SELECT (SELECT min(i.tag) FROM incident_tags i WHERE i.tag > t.tag) FROM t WHERE t.tag IS NOT NULL
	) SELECT tag FROM t WHERE tag IS NOT NULL ORDER BY tag`).Scan(&tags).Error
	return tags, err
}
