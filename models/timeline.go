package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"hindsight/timeline"
)

// TimelineEntry is one line of an incident's timeline: an imported event
// (read live, so a later resolve shows) or an author's note.
type TimelineEntry struct {
	ID          int64
	IncidentID  int64
	EventID     *int64
	At          *time.Time // notes only
	Title       string     // overrides the event's title when set
	Note        string     // Markdown
	Highlight   bool
	Hidden      bool // left out of the published version
	Version     int64
	CreatedByID *int64
	CreatedAt   time.Time
	UpdatedAt   time.Time

	Event *Event `gorm:"-"`
}

// When is the entry's time: the note's own, or its event's start.
func (e *TimelineEntry) When() time.Time {
	if e.Event != nil {
		return e.Event.StartsAt
	}
	if e.At != nil {
		return *e.At
	}
	return e.CreatedAt
}

// DisplayTitle is the author's title, else the event's.
func (e *TimelineEntry) DisplayTitle() string {
	if e.Title != "" || e.Event == nil {
		return e.Title
	}
	return e.Event.Title
}

// IsNote tells a note from an imported event.
func (e *TimelineEntry) IsNote() bool { return e.EventID == nil }

// IncidentChange is one line of an incident's history.
type IncidentChange struct {
	ID         int64
	IncidentID int64
	Actor      string
	Action     string
	Detail     string
	At         time.Time
}

// ImportFilter selects the events a timeline import considers.
type ImportFilter struct {
	From, To     time.Time
	Services     []string // empty: all
	Environments []string // empty: all
	Kinds        []string // empty: all
}

// MaxImportCandidates bounds one preview or import.
const MaxImportCandidates = 2000

// DefaultImportWindow is the window the import proposes for an incident: 2
// hours before impact started to 30 minutes after it was resolved (or now).
func DefaultImportWindow(inc *Incident, now time.Time) (time.Time, time.Time) {
	end := now
	if inc.ResolvedAt != nil {
		end = inc.ResolvedAt.Add(30 * time.Minute)
	}
	return inc.StartedAt.Add(-2 * time.Hour), end
}

// ImportCandidate is an event the import could add.
type ImportCandidate struct {
	Event        Event
	AlreadyAdded bool
}

// ImportCandidates lists the events in the filter, oldest first, marking
// those already on the incident's timeline.
func (s *Store) ImportCandidates(ctx context.Context, incidentID int64, f ImportFilter) ([]ImportCandidate, error) {
	if !f.To.After(f.From) {
		return nil, &ValidationError{Fields: map[string]string{"to": "must be after from"}}
	}
	q := s.db.WithContext(ctx).Model(&Event{}).Where("starts_at >= ? AND starts_at < ?", f.From.UTC(), f.To.UTC())
	if len(f.Services) > 0 {
		q = q.Where("service IN ?", f.Services)
	}
	if len(f.Environments) > 0 {
		q = q.Where("environment IN ?", f.Environments)
	}
	if len(f.Kinds) > 0 {
		q = q.Where("kind IN ?", f.Kinds)
	}
	var events []Event
	if err := q.Order("starts_at, id").Limit(MaxImportCandidates).Find(&events).Error; err != nil {
		return nil, err
	}
	added, err := s.timelineEventIDs(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	out := make([]ImportCandidate, len(events))
	for i := range events {
		utcEvent(&events[i])
		out[i] = ImportCandidate{Event: events[i], AlreadyAdded: added[events[i].ID]}
	}
	return out, nil
}

func (s *Store) timelineEventIDs(ctx context.Context, incidentID int64) (map[int64]bool, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&TimelineEntry{}).Where("incident_id = ? AND event_id IS NOT NULL", incidentID).
		Pluck("event_id", &ids).Error
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// AddTimelineEvents puts events on the timeline. Events already on it are
// skipped, so importing twice never duplicates; it returns the new entries.
func (s *Store) AddTimelineEvents(ctx context.Context, incidentID int64, eventIDs []int64, actor *User) ([]TimelineEntry, error) {
	ids := uniqueIDs(eventIDs)
	var added []TimelineEntry
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := requireIncident(tx, incidentID); err != nil {
			return err
		}
		var known int64
		if err := tx.Model(&Event{}).Where("id IN ?", ids).Count(&known).Error; err != nil {
			return err
		}
		if known != int64(len(ids)) {
			return &ValidationError{Fields: map[string]string{"event_ids": "one or more events do not exist"}}
		}
		now := s.Now()
		for _, id := range ids {
			eventID := id
			entry := TimelineEntry{IncidentID: incidentID, EventID: &eventID, Version: 1, CreatedByID: actorID(actor), CreatedAt: now, UpdatedAt: now}
			res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "incident_id"}, {Name: "event_id"}}, DoNothing: true}).Create(&entry)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 1 {
				added = append(added, entry)
			}
		}
		if len(added) == 0 {
			return nil
		}
		return recordChange(tx, incidentID, actor, "timeline.import", fmt.Sprintf("added %d events", len(added)), now)
	})
	if err != nil {
		return nil, err
	}
	return added, s.attachEvents(ctx, added)
}

func requireIncident(tx *gorm.DB, id int64) error {
	var n int64
	if err := tx.Model(&Incident{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func actorID(u *User) *int64 {
	if u == nil {
		return nil
	}
	return &u.ID
}

func actorName(u *User) string {
	if u == nil {
		return "API"
	}
	return u.Name
}

func recordChange(tx *gorm.DB, incidentID int64, actor *User, action, detail string, at time.Time) error {
	return tx.Create(&IncidentChange{IncidentID: incidentID, Actor: actorName(actor), Action: action, Detail: detail, At: at}).Error
}

// Timeline returns an incident's entries in time order, events attached,
// in one query scanned without gorm: an incident can have thousands of
// entries, and reflection-based scanning cost more than the query itself.
func (s *Store) Timeline(ctx context.Context, incidentID int64) ([]TimelineEntry, error) {
	query := `SELECT t.id, t.incident_id, t.event_id, t.at, t.title, t.note, t.highlight, t.hidden, t.version,
	    t.created_by_id, t.created_at, t.updated_at,
	    e.id, e.scope, e.integration_id, e.source, e.kind, e.dedup_key, e.status, e.title, e.description, e.severity,
	    e.service, e.environment, e.starts_at, e.ends_at, e.commit_sha, e.ref, e.url, e.labels, e.has_migrations,
	    e.first_delivery_id, e.last_delivery_id, e.received_at, e.updated_at
	  FROM timeline_entries t LEFT JOIN events e ON e.id = t.event_id
	  WHERE t.incident_id = ?`
	if s.dialect == Postgres {
		query = strings.Replace(query, "?", "$1", 1)
	}
	rows, err := s.sqlDB.QueryContext(ctx, query, incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var entries []TimelineEntry
	for rows.Next() {
		var t TimelineEntry
		var e struct {
			ID                                                        *int64
			Scope, Source, Kind, DedupKey, Status, Title, Description *string
			Severity, Service, Environment, CommitSHA, Ref, URL       *string
			Labels                                                    *string
			IntegrationID                                             *string
			StartsAt, ReceivedAt, UpdatedAt                           *time.Time
			EndsAt                                                    *time.Time
			HasMigrations                                             *bool
			FirstDeliveryID, LastDeliveryID                           *int64
		}
		if err := rows.Scan(&t.ID, &t.IncidentID, &t.EventID, &t.At, &t.Title, &t.Note, &t.Highlight, &t.Hidden, &t.Version,
			&t.CreatedByID, &t.CreatedAt, &t.UpdatedAt,
			&e.ID, &e.Scope, &e.IntegrationID, &e.Source, &e.Kind, &e.DedupKey, &e.Status, &e.Title, &e.Description, &e.Severity,
			&e.Service, &e.Environment, &e.StartsAt, &e.EndsAt, &e.CommitSHA, &e.Ref, &e.URL, &e.Labels, &e.HasMigrations,
			&e.FirstDeliveryID, &e.LastDeliveryID, &e.ReceivedAt, &e.UpdatedAt); err != nil {
			return nil, err
		}
		t.normalize()
		if e.ID != nil {
			ev := Event{ID: *e.ID, Scope: *e.Scope, IntegrationID: e.IntegrationID, Source: *e.Source, Kind: *e.Kind,
				DedupKey: *e.DedupKey, Status: *e.Status, Title: *e.Title, Description: *e.Description, Severity: *e.Severity,
				Service: *e.Service, Environment: *e.Environment, StartsAt: *e.StartsAt, EndsAt: e.EndsAt, CommitSHA: *e.CommitSHA,
				Ref: *e.Ref, URL: *e.URL, Labels: *e.Labels, HasMigrations: *e.HasMigrations,
				FirstDeliveryID: e.FirstDeliveryID, LastDeliveryID: e.LastDeliveryID, ReceivedAt: *e.ReceivedAt, UpdatedAt: *e.UpdatedAt}
			utcEvent(&ev)
			t.Event = &ev
		}
		entries = append(entries, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i].When(), entries[j].When()
		if a.Equal(b) {
			return entries[i].ID < entries[j].ID
		}
		return a.Before(b)
	})
	return entries, nil
}

// attachEvents loads the events of entries (and their status history) in
// two queries.
func (s *Store) attachEvents(ctx context.Context, entries []TimelineEntry) error {
	var ids []int64
	for i := range entries {
		entries[i].normalize()
		if entries[i].EventID != nil {
			ids = append(ids, *entries[i].EventID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	byID := make(map[int64]*Event, len(ids))
	for start := 0; start < len(ids); start += inListChunk {
		var events []Event
		if err := s.db.WithContext(ctx).Where("id IN ?", ids[start:min(start+inListChunk, len(ids))]).Find(&events).Error; err != nil {
			return err
		}
		for i := range events {
			utcEvent(&events[i])
			e := events[i]
			byID[e.ID] = &e
		}
	}
	for i := range entries {
		if entries[i].EventID != nil {
			entries[i].Event = byID[*entries[i].EventID]
		}
	}
	return nil
}

func (e *TimelineEntry) normalize() {
	e.At = utcPtr(e.At)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
}

// EventHistories returns the status history of several events at once.
func (s *Store) EventHistories(ctx context.Context, eventIDs []int64) (map[int64][]EventStatusChange, error) {
	out := map[int64][]EventStatusChange{}
	for start := 0; start < len(eventIDs); start += inListChunk {
		var rows []EventStatusChange
		if err := s.db.WithContext(ctx).Where("event_id IN ?", eventIDs[start:min(start+inListChunk, len(eventIDs))]).
			Order("event_id, id").Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			r.At, r.ReceivedAt = r.At.UTC(), r.ReceivedAt.UTC()
			out[r.EventID] = append(out[r.EventID], r)
		}
	}
	return out, nil
}

// NoteInput is an author's note on the timeline.
type NoteInput struct {
	At        time.Time
	Title     string
	Note      string
	Highlight bool
	Hidden    bool
}

func (n *NoteInput) normalize() error {
	n.Title = strings.TrimSpace(n.Title)
	fields := map[string]string{}
	if n.At.IsZero() {
		fields["at"] = "enter when it happened"
	}
	if n.Title == "" && strings.TrimSpace(n.Note) == "" {
		fields["title"] = "write a title or a note"
	}
	if len(n.Title) > 300 {
		fields["title"] = "use at most 300 characters"
	}
	if len(n.Note) > MaxSummaryLength {
		fields["note"] = fmt.Sprintf("use at most %d characters", MaxSummaryLength)
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	n.At = n.At.UTC()
	return nil
}

// AddNote writes an author's note on the timeline.
func (s *Store) AddNote(ctx context.Context, incidentID int64, n NoteInput, actor *User) (*TimelineEntry, error) {
	if err := n.normalize(); err != nil {
		return nil, err
	}
	now := s.Now()
	entry := TimelineEntry{IncidentID: incidentID, At: &n.At, Title: n.Title, Note: n.Note, Highlight: n.Highlight,
		Hidden: n.Hidden, Version: 1, CreatedByID: actorID(actor), CreatedAt: now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := requireIncident(tx, incidentID); err != nil {
			return err
		}
		if err := tx.Create(&entry).Error; err != nil {
			return err
		}
		return recordChange(tx, incidentID, actor, "timeline.note", "added note “"+truncate(n.Title, 80)+"”", now)
	})
	if err != nil {
		return nil, err
	}
	entry.normalize()
	return &entry, nil
}

// EntryPatch changes some fields of an entry; nil leaves a field as is.
type EntryPatch struct {
	At        *time.Time // notes only
	Title     *string
	Note      *string
	Highlight *bool
	Hidden    *bool
}

// ErrNotANote refuses a time change on an imported event.
var ErrNotANote = errors.New("only a note's time can be changed; an event keeps the time its tool reported")

// TimelineEntry loads one entry of an incident.
func (s *Store) TimelineEntry(ctx context.Context, incidentID, entryID int64) (*TimelineEntry, error) {
	var e TimelineEntry
	if err := s.db.WithContext(ctx).Where("id = ? AND incident_id = ?", entryID, incidentID).First(&e).Error; err != nil {
		return nil, notFound(err)
	}
	list := []TimelineEntry{e}
	if err := s.attachEvents(ctx, list); err != nil {
		return nil, err
	}
	return &list[0], nil
}

// UpdateTimelineEntry applies a patch if the entry is still at version.
func (s *Store) UpdateTimelineEntry(ctx context.Context, incidentID, entryID, version int64, p EntryPatch, actor *User) (*TimelineEntry, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var e TimelineEntry
		if err := tx.Where("id = ? AND incident_id = ?", entryID, incidentID).First(&e).Error; err != nil {
			return notFound(err)
		}
		if e.Version != version {
			return ErrStale
		}
		changes := map[string]any{"version": gorm.Expr("version + 1"), "updated_at": s.Now()}
		if p.At != nil {
			if e.EventID != nil {
				return ErrNotANote
			}
			changes["at"] = p.At.UTC()
		}
		if p.Title != nil {
			t := strings.TrimSpace(*p.Title)
			if len(t) > 300 {
				return &ValidationError{Fields: map[string]string{"title": "use at most 300 characters"}}
			}
			changes["title"] = t
		}
		if p.Note != nil {
			if len(*p.Note) > MaxSummaryLength {
				return &ValidationError{Fields: map[string]string{"note": "is too long"}}
			}
			changes["note"] = *p.Note
		}
		if p.Highlight != nil {
			changes["highlight"] = *p.Highlight
		}
		if p.Hidden != nil {
			changes["hidden"] = *p.Hidden
		}
		res := tx.Model(&TimelineEntry{}).Where("id = ? AND version = ?", entryID, version).Updates(changes)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrStale
		}
		return recordChange(tx, incidentID, actor, "timeline.edit", fmt.Sprintf("edited entry %d", entryID), s.Now())
	})
	if err != nil {
		return nil, err
	}
	return s.TimelineEntry(ctx, incidentID, entryID)
}

// DeleteTimelineEntry removes an entry (the event itself stays).
func (s *Store) DeleteTimelineEntry(ctx context.Context, incidentID, entryID int64, actor *User) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("id = ? AND incident_id = ?", entryID, incidentID).Delete(&TimelineEntry{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return recordChange(tx, incidentID, actor, "timeline.delete", fmt.Sprintf("removed entry %d", entryID), s.Now())
	})
}

// SetKeyMoments stores accepted or overridden key moments after checking
// their order; the incident's version moves on.
func (s *Store) SetKeyMoments(ctx context.Context, incidentID int64, m timeline.Moments, actor *User) (*Incident, error) {
	if m.Started == nil {
		return nil, &ValidationError{Fields: map[string]string{"started": "impact start is required"}}
	}
	if problems := timeline.ValidateMoments(m); len(problems) > 0 {
		return nil, &ValidationError{Fields: problems}
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Incident{}).Where("id = ?", incidentID).Updates(map[string]any{
			"started_at": m.Started.UTC(), "detected_at": utcPtr(m.Detected), "acknowledged_at": utcPtr(m.Acknowledged),
			"mitigated_at": utcPtr(m.Mitigated), "resolved_at": utcPtr(m.Resolved),
			"version": gorm.Expr("version + 1"), "updated_at": s.Now(),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return recordChange(tx, incidentID, actor, "key_moments", "set the key moments", s.Now())
	})
	if err != nil {
		return nil, err
	}
	return s.Incident(ctx, incidentID)
}

// SetTrigger marks (or with nil clears) the event that triggered the
// incident; it also puts the event on the timeline.
func (s *Store) SetTrigger(ctx context.Context, incidentID int64, eventID *int64, actor *User) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if eventID != nil {
			var n int64
			if err := tx.Model(&Event{}).Where("id = ?", *eventID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return &ValidationError{Fields: map[string]string{"event_id": "no such event"}}
			}
		}
		res := tx.Model(&Incident{}).Where("id = ?", incidentID).Updates(map[string]any{
			"trigger_event_id": eventID, "version": gorm.Expr("version + 1"), "updated_at": s.Now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		detail := "cleared the trigger"
		if eventID != nil {
			now := s.Now()
			entry := TimelineEntry{IncidentID: incidentID, EventID: eventID, Highlight: true, Version: 1, CreatedByID: actorID(actor), CreatedAt: now, UpdatedAt: now}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "incident_id"}, {Name: "event_id"}},
				DoUpdates: clause.Assignments(map[string]any{"highlight": true})}).Create(&entry).Error; err != nil {
				return err
			}
			detail = fmt.Sprintf("marked event %d as the trigger", *eventID)
		}
		return recordChange(tx, incidentID, actor, "trigger", detail, s.Now())
	})
}

// IncidentChanges returns an incident's history, newest first.
func (s *Store) IncidentChanges(ctx context.Context, incidentID int64, limit int) ([]IncidentChange, error) {
	var out []IncidentChange
	err := s.db.WithContext(ctx).Where("incident_id = ?", incidentID).Order("id DESC").Limit(limit).Find(&out).Error
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, err
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// TimelineEvent converts a stored event and its history for the timeline logic.
func TimelineEvent(e *Event, history []EventStatusChange) timeline.Event {
	out := timeline.Event{
		ID: e.ID, Kind: e.Kind, Source: e.Source, Service: e.Service, Environment: e.Environment, Title: e.Title,
		Status: e.Status, Severity: e.Severity, StartsAt: e.StartsAt, EndsAt: e.EndsAt, Commit: e.CommitSHA,
		Ref: e.Ref, HasMigrations: e.HasMigrations, Labels: e.LabelMap(),
	}
	for _, h := range history {
		out.History = append(out.History, timeline.StatusChange{Status: h.Status, At: h.At})
	}
	return out
}

// DeploysBetween returns the deploys and changes that started in [from, to),
// of every service, optionally of one environment.
func (s *Store) DeploysBetween(ctx context.Context, from, to time.Time) ([]Event, error) {
	var out []Event
	// Only what ranking reads: the window can hold hundreds of deploys.
	err := s.db.WithContext(ctx).Select("id, kind, source, service, environment, title, status, severity, starts_at, ends_at, commit_sha, ref, has_migrations, labels").
		Where("kind IN ? AND starts_at >= ? AND starts_at < ?", []string{"deploy", "change"}, from.UTC(), to.UTC()).
		Order("starts_at, id").Limit(MaxImportCandidates).Find(&out).Error
	for i := range out {
		utcEvent(&out[i])
	}
	return out, err
}
