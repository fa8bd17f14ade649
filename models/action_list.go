package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// ActionFilter selects actions, as the dashboard and the API filter them.
// Empty fields match all; Today is the viewer's calendar date, for overdue.
type ActionFilter struct {
	Status     []string
	OwnerID    *int64
	Team       string
	Priority   string
	Kind       string
	Service    string
	Severity   string // the incident's
	IncidentID *int64
	Overdue    bool
	DueBefore  *Date // due on or before
	DueAfter   *Date // due on or after
	Today      Date
	Sort       string // due (default), priority, created, updated
	Page       int
	PerPage    int
}

// ActionPage is one page of actions.
type ActionPage struct {
	Actions []Action
	Total   int64
	Page    int
	PerPage int
}

var actionOrder = map[string]string{
	"due":      "actions.due_date IS NULL, actions.due_date, actions.id",
	"priority": "actions.priority, actions.due_date IS NULL, actions.due_date, actions.id",
	"created":  "actions.created_at DESC, actions.id DESC",
	"updated":  "actions.updated_at DESC, actions.id DESC",
}

// ActionSorts lists the accepted orders, the default first.
var ActionSorts = []string{"due", "priority", "created", "updated"}

// openStatuses are the states of an action still to be done.
var openStatuses = []string{"open", "in_progress", "blocked"}

// ListActions returns a page of actions matching the filter.
func (s *Store) ListActions(ctx context.Context, f ActionFilter) (*ActionPage, error) {
	if _, ok := actionOrder[f.Sort]; !ok {
		f.Sort = "due"
	}
	f.Page = max(f.Page, 1)
	if f.PerPage <= 0 {
		f.PerPage = DefaultPerPage
	}
	f.PerPage = min(f.PerPage, MaxPerPage)
	q := s.actionQuery(ctx, f)
	page := &ActionPage{Page: f.Page, PerPage: f.PerPage}
	if err := q.Session(&gorm.Session{}).Count(&page.Total).Error; err != nil {
		return nil, err
	}
	if err := q.Order(actionOrder[f.Sort]).Limit(f.PerPage).Offset((f.Page - 1) * f.PerPage).Find(&page.Actions).Error; err != nil {
		return nil, err
	}
	return page, s.loadOwners(ctx, page.Actions)
}

func (s *Store) actionQuery(ctx context.Context, f ActionFilter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&Action{})
	if len(f.Status) > 0 {
		q = q.Where("actions.status IN ?", f.Status)
	}
	if f.OwnerID != nil {
		q = q.Where("actions.owner_id = ?", *f.OwnerID)
	}
	for col, v := range map[string]string{"team": f.Team, "priority": f.Priority, "kind": f.Kind} {
		if v != "" {
			q = q.Where("actions."+col+" = ?", v)
		}
	}
	if f.IncidentID != nil {
		q = q.Where("actions.incident_id = ?", *f.IncidentID)
	}
	if f.Severity != "" {
		q = q.Where("actions.incident_id IN (SELECT id FROM incidents WHERE severity = ?)", f.Severity)
	}
	if f.Service != "" {
		q = q.Where("actions.incident_id IN (SELECT incident_services.incident_id FROM incident_services JOIN services ON services.id = incident_services.service_id WHERE services.name = ?)", f.Service)
	}
	if f.Overdue {
		q = q.Where("actions.status IN ? AND actions.due_date < ?", openStatuses, f.Today)
	}
	if f.DueBefore != nil {
		q = q.Where("actions.due_date <= ?", *f.DueBefore)
	}
	if f.DueAfter != nil {
		q = q.Where("actions.due_date >= ?", *f.DueAfter)
	}
	return q
}

// Today is the calendar date now in loc.
func (s *Store) Today(loc *time.Location) Date { return DateOf(s.Now().In(loc)) }

// ActionIncidents loads the incidents of a list of actions, with their
// services, tags and authors, in one query each; keyed by incident id.
func (s *Store) ActionIncidents(ctx context.Context, list []Action) (map[int64]*Incident, error) {
	out := map[int64]*Incident{}
	if len(list) == 0 {
		return out, nil
	}
	ids := make([]int64, len(list))
	for i, a := range list {
		ids[i] = a.IncidentID
	}
	var incs []Incident
	if err := s.db.WithContext(ctx).Where("id IN ?", uniqueIDs(ids)).Find(&incs).Error; err != nil {
		return nil, err
	}
	if err := s.loadIncidentLinks(ctx, incs); err != nil {
		return nil, err
	}
	for i := range incs {
		out[incs[i].ID] = &incs[i]
	}
	return out, nil
}

// ActionCounts are an incident's follow-up figures.
type ActionCounts struct {
	Total, Open, Overdue int
}

// FollowUpComplete is true when every action is done or consciously dropped.
func (c ActionCounts) FollowUpComplete() bool { return c.Total > 0 && c.Open == 0 }

// ActionCountsByIncident counts the actions of the incidents in one query.
func (s *Store) ActionCountsByIncident(ctx context.Context, incidentIDs []int64, today Date) (map[int64]ActionCounts, error) {
	out := make(map[int64]ActionCounts, len(incidentIDs))
	if len(incidentIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		IncidentID  int64
		Total, Open int
		Overdue     int
	}
	err := s.db.WithContext(ctx).Model(&Action{}).
		Select(`incident_id, COUNT(*) AS total,
			SUM(CASE WHEN status IN ? THEN 1 ELSE 0 END) AS open,
			SUM(CASE WHEN status IN ? AND due_date < ? THEN 1 ELSE 0 END) AS overdue`, openStatuses, openStatuses, today).
		Where("incident_id IN ?", incidentIDs).Group("incident_id").Scan(&rows).Error
	for _, r := range rows {
		out[r.IncidentID] = ActionCounts{Total: r.Total, Open: r.Open, Overdue: r.Overdue}
	}
	return out, err
}
