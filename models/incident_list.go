package models

import (
	"context"
	"sort"

	"gorm.io/gorm"
)

// Incident list orders.
const (
	SortStartedDesc = "started_desc"
	SortStartedAsc  = "started_asc"
	SortSeverity    = "severity"
	SortTitle       = "title"
	SortUpdated     = "updated_desc"
)

// IncidentSorts lists the accepted orders, the default first.
var IncidentSorts = []string{SortStartedDesc, SortStartedAsc, SortSeverity, SortTitle, SortUpdated}

var incidentOrder = map[string]string{
	SortStartedDesc: "started_at DESC, id DESC",
	SortStartedAsc:  "started_at ASC, id ASC",
	SortSeverity:    "severity ASC, started_at DESC, id DESC", // SEV1 sorts first
	SortTitle:       "title ASC, id ASC",
	SortUpdated:     "updated_at DESC, id DESC",
}

// Page sizes.
const (
	DefaultPerPage = 25
	MaxPerPage     = 100
)

// IncidentFilter selects and orders incidents. Empty fields match all.
type IncidentFilter struct {
	Status   string
	Severity string
	Service  string
	Tag      string
	Query    string // full-text search over title and summary
	Sort     string
	Page     int // from 1
	PerPage  int
}

// IncidentPage is one page of a filtered list.
type IncidentPage struct {
	Incidents []Incident
	Total     int64
	Page      int
	PerPage   int
}

// Pages is the number of pages in the whole result.
func (p *IncidentPage) Pages() int {
	if p.Total == 0 {
		return 1
	}
	return int((p.Total + int64(p.PerPage) - 1) / int64(p.PerPage))
}

// Normalize fills defaults and clamps paging.
func (f *IncidentFilter) Normalize() {
	if _, ok := incidentOrder[f.Sort]; !ok {
		f.Sort = SortStartedDesc
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 {
		f.PerPage = DefaultPerPage
	}
	if f.PerPage > MaxPerPage {
		f.PerPage = MaxPerPage
	}
}

// ListIncidents returns a page of incidents matching the filter.
func (s *Store) ListIncidents(ctx context.Context, f IncidentFilter) (*IncidentPage, error) {
	f.Normalize()
	q := s.db.WithContext(ctx).Model(&Incident{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Severity != "" {
		q = q.Where("severity = ?", f.Severity)
	}
	if f.Service != "" {
		q = q.Where("id IN (SELECT incident_services.incident_id FROM incident_services JOIN services ON services.id = incident_services.service_id WHERE services.name = ?)", f.Service)
	}
	if f.Tag != "" {
		q = q.Where("id IN (SELECT incident_id FROM incident_tags WHERE tag = ?)", f.Tag)
	}
	if terms := SearchTerms(f.Query); len(terms) > 0 {
		clause, arg := s.search.match("incidents", terms)
		q = q.Where(clause, arg)
	}
	page := &IncidentPage{Page: f.Page, PerPage: f.PerPage}
	if err := q.Session(&gorm.Session{}).Count(&page.Total).Error; err != nil {
		return nil, err
	}
	err := q.Select("id, slug, title, severity, status, environment, started_at, detected_at, acknowledged_at, mitigated_at, resolved_at, trigger_event_id, version, created_at, updated_at").
		Order(incidentOrder[f.Sort]).Limit(f.PerPage).Offset((f.Page - 1) * f.PerPage).Find(&page.Incidents).Error
	if err != nil {
		return nil, err
	}
	return page, s.loadIncidentLinks(ctx, page.Incidents)
}

// loadIncidentLinks fills Services, Tags and Authors with three queries for
// the whole list.
func (s *Store) loadIncidentLinks(ctx context.Context, list []Incident) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]int64, len(list))
	byID := make(map[int64]*Incident, len(list))
	for i := range list {
		ids[i] = list[i].ID
		byID[list[i].ID] = &list[i]
		list[i].Services, list[i].Tags, list[i].Authors = []string{}, []string{}, []User{}
	}
	db := s.db.WithContext(ctx)
	var svc []struct {
		IncidentID int64
		Name       string
	}
	if err := db.Table("incident_services").Select("incident_services.incident_id, services.name").
		Joins("JOIN services ON services.id = incident_services.service_id").
		Where("incident_services.incident_id IN ?", ids).Order("services.name").Scan(&svc).Error; err != nil {
		return err
	}
	for _, r := range svc {
		byID[r.IncidentID].Services = append(byID[r.IncidentID].Services, r.Name)
	}
	var tags []struct {
		IncidentID int64
		Tag        string
	}
	if err := db.Table("incident_tags").Where("incident_id IN ?", ids).Order("tag").Scan(&tags).Error; err != nil {
		return err
	}
	for _, r := range tags {
		byID[r.IncidentID].Tags = append(byID[r.IncidentID].Tags, r.Tag)
	}
	var authors []struct {
		IncidentID int64
		User       User `gorm:"embedded"`
	}
	if err := db.Table("incident_authors").Select("incident_authors.incident_id, users.*").
		Joins("JOIN users ON users.id = incident_authors.user_id").
		Where("incident_authors.incident_id IN ?", ids).Scan(&authors).Error; err != nil {
		return err
	}
	for _, r := range authors {
		byID[r.IncidentID].Authors = append(byID[r.IncidentID].Authors, r.User)
	}
	for i := range list {
		sort.Slice(list[i].Authors, func(a, b int) bool { return list[i].Authors[a].Name < list[i].Authors[b].Name })
	}
	return nil
}
