package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Sections of a postmortem saved on their own, each with its own version.
// The summary is the incident's own title, summary and severity, versioned
// with the incident, but it has revisions like the others.
const (
	SectionSummary = "summary"
	SectionImpact  = "impact"
	SectionWhys    = "whys"
	SectionFactors = "factors"
	SectionLessons = "lessons"
	// SectionRedaction holds the author's choices for the public export
	// (export_settings.go); it has revisions but is not a guided step.
	SectionRedaction = "redaction"
)

// Sections lists the sections with revisions, in guide order.
var Sections = []string{SectionSummary, SectionImpact, SectionWhys, SectionFactors, SectionLessons}

// PostmortemSection is one saved section: a JSON document. Version 0 means
// never saved (Body is then empty).
type PostmortemSection struct {
	IncidentID int64
	Section    string
	Body       string
	Version    int64
	UpdatedAt  time.Time
	UpdatedBy  string
}

// PostmortemRevision is one saved version of a section.
type PostmortemRevision struct {
	ID           int64
	IncidentID   int64
	Section      string
	Version      int64
	Body         string
	Author       string
	At           time.Time
	RestoredFrom *int64
}

// ErrPublished is returned for a change to a published postmortem: it is
// read-only until an editor reopens it.
var ErrPublished = errors.New("the postmortem is published and read-only; reopen it to edit")

// Section returns a section as saved; a never-saved one has version 0.
func (s *Store) Section(ctx context.Context, incidentID int64, section string) (*PostmortemSection, error) {
	var sec PostmortemSection
	err := s.db.WithContext(ctx).Where("incident_id = ? AND section = ?", incidentID, section).Take(&sec).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		if _, err := s.incidentStatus(ctx, s.db, incidentID); err != nil {
			return nil, err
		}
		return &PostmortemSection{IncidentID: incidentID, Section: section}, nil
	}
	sec.UpdatedAt = sec.UpdatedAt.UTC()
	return &sec, err
}

// incidentStatus returns the incident's review state, or ErrNotFound.
func (s *Store) incidentStatus(ctx context.Context, tx *gorm.DB, incidentID int64) (string, error) {
	var status string
	err := tx.WithContext(ctx).Model(&Incident{}).Where("id = ?", incidentID).Pluck("status", &status).Error
	if err != nil {
		return "", err
	}
	if status == "" {
		return "", ErrNotFound
	}
	return status, nil
}

// saveSection writes body as the section's next version if it is still at
// version (0: never saved), and records the revision. A published
// postmortem refuses with ErrPublished, a moved-on section with ErrStale;
// the very document already stored is no change and no new version.
func (s *Store) saveSection(ctx context.Context, incidentID int64, section, body string, version int64, author string, restoredFrom *int64) (*PostmortemSection, error) {
	now := s.Now().Truncate(time.Microsecond) // what PostgreSQL keeps
	sec := &PostmortemSection{IncidentID: incidentID, Section: section, Body: body, Version: version + 1, UpdatedAt: now, UpdatedBy: author}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		status, err := s.incidentStatus(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		if status == StatusPublished && !editableWhenPublished[section] {
			return ErrPublished
		}
		// Saving exactly what is stored changes nothing, from any version:
		// leaving a page autosaves it even when nothing was typed, and a
		// Save can race its own autosave.
		var cur PostmortemSection
		if err := tx.Where("incident_id = ? AND section = ?", incidentID, section).Take(&cur).Error; err == nil && cur.Body == body {
			*sec = cur
			sec.UpdatedAt = sec.UpdatedAt.UTC()
			return errUnchanged
		}
		var res *gorm.DB
		if version == 0 {
			res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(sec)
		} else {
			res = tx.Model(&PostmortemSection{}).Where("incident_id = ? AND section = ? AND version = ?", incidentID, section, version).
				Updates(map[string]any{"body": body, "version": version + 1, "updated_at": now, "updated_by": author})
		}
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrStale
		}
		return tx.Create(&PostmortemRevision{IncidentID: incidentID, Section: section, Version: version + 1, Body: body,
			Author: author, At: now, RestoredFrom: restoredFrom}).Error
	})
	if errors.Is(err, errUnchanged) {
		return sec, nil
	}
	if err != nil {
		return nil, err
	}
	return sec, nil
}

// errUnchanged ends a save's transaction without writing: what was sent is
// what is stored already.
var errUnchanged = errors.New("unchanged")

// SectionRevisions lists a section's revisions, newest first.
func (s *Store) SectionRevisions(ctx context.Context, incidentID int64, section string) ([]PostmortemRevision, error) {
	var out []PostmortemRevision
	err := s.db.WithContext(ctx).Where("incident_id = ? AND section = ?", incidentID, section).Order("version DESC").Find(&out).Error
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, err
}

// PostmortemHistory lists the latest revisions of every section of an
// incident (the guided ones, Sections), newest first: who changed which
// section when.
func (s *Store) PostmortemHistory(ctx context.Context, incidentID int64, limit int) ([]PostmortemRevision, error) {
	var out []PostmortemRevision
	err := s.db.WithContext(ctx).Where("incident_id = ? AND section IN ?", incidentID, Sections).Order("at DESC, id DESC").Limit(limit).Find(&out).Error
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, err
}

// SectionRevision returns one revision.
func (s *Store) SectionRevision(ctx context.Context, incidentID int64, section string, version int64) (*PostmortemRevision, error) {
	var r PostmortemRevision
	err := s.db.WithContext(ctx).Where("incident_id = ? AND section = ? AND version = ?", incidentID, section, version).Take(&r).Error
	if err != nil {
		return nil, notFound(err)
	}
	r.At = r.At.UTC()
	return &r, nil
}
