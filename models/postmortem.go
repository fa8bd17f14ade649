package models

import (
	"context"
	"encoding/json"
	"fmt"

	"hindsight/postmortem"
)

// Typed access to the JSON sections. Each Save normalises and validates the
// document (package postmortem owns the rules), then saves it as the
// section's next version.

// Impact returns the impact section and its saved state. Values of custom
// fields an admin has removed since are left out, so that what is read
// can always be saved back.
func (s *Store) Impact(ctx context.Context, incidentID int64) (postmortem.Impact, *PostmortemSection, error) {
	doc, sec, err := loadSection[postmortem.Impact](ctx, s, incidentID, SectionImpact)
	if err != nil || len(doc.Custom) == 0 {
		return doc, sec, err
	}
	fields, err := s.CustomFields(ctx)
	doc.PruneCustom(fields)
	return doc, sec, err
}

// Whys returns the Five Whys section.
func (s *Store) Whys(ctx context.Context, incidentID int64) (postmortem.Whys, *PostmortemSection, error) {
	return loadSection[postmortem.Whys](ctx, s, incidentID, SectionWhys)
}

// Factors returns the contributing factors section.
func (s *Store) Factors(ctx context.Context, incidentID int64) (postmortem.Factors, *PostmortemSection, error) {
	return loadSection[postmortem.Factors](ctx, s, incidentID, SectionFactors)
}

// Lessons returns the lessons section.
func (s *Store) Lessons(ctx context.Context, incidentID int64) (postmortem.Lessons, *PostmortemSection, error) {
	return loadSection[postmortem.Lessons](ctx, s, incidentID, SectionLessons)
}

func loadSection[T any](ctx context.Context, s *Store, incidentID int64, section string) (T, *PostmortemSection, error) {
	var doc T
	sec, err := s.Section(ctx, incidentID, section)
	if err != nil || sec.Body == "" {
		return doc, sec, err
	}
	if err := json.Unmarshal([]byte(sec.Body), &doc); err != nil {
		return doc, sec, fmt.Errorf("stored %s section of incident %d: %w", section, incidentID, err)
	}
	return doc, sec, nil
}

// SaveImpact validates and saves the impact section at version.
func (s *Store) SaveImpact(ctx context.Context, incidentID int64, doc postmortem.Impact, version int64, author string) (*PostmortemSection, error) {
	fields, err := s.CustomFields(ctx)
	if err != nil {
		return nil, err
	}
	doc.Normalize()
	return s.saveDoc(ctx, incidentID, SectionImpact, doc, doc.Validate(fields), version, author, nil)
}

// SaveWhys validates and saves the Five Whys section at version.
func (s *Store) SaveWhys(ctx context.Context, incidentID int64, doc postmortem.Whys, version int64, author string) (*PostmortemSection, error) {
	doc.Normalize()
	return s.saveDoc(ctx, incidentID, SectionWhys, doc, doc.Validate(), version, author, nil)
}

// SaveFactors validates and saves the contributing factors at version.
func (s *Store) SaveFactors(ctx context.Context, incidentID int64, doc postmortem.Factors, version int64, author string) (*PostmortemSection, error) {
	cats, err := s.FactorCategories(ctx)
	if err != nil {
		return nil, err
	}
	doc.Normalize()
	return s.saveDoc(ctx, incidentID, SectionFactors, doc, doc.Validate(cats), version, author, nil)
}

// SaveLessons validates and saves the lessons at version.
func (s *Store) SaveLessons(ctx context.Context, incidentID int64, doc postmortem.Lessons, version int64, author string) (*PostmortemSection, error) {
	doc.Normalize()
	return s.saveDoc(ctx, incidentID, SectionLessons, doc, doc.Validate(), version, author, nil)
}

func (s *Store) saveDoc(ctx context.Context, incidentID int64, section string, doc any, problems postmortem.FieldErrors, version int64, author string, restoredFrom *int64) (*PostmortemSection, error) {
	if len(problems) > 0 {
		return nil, &ValidationError{Fields: problems}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return s.saveSection(ctx, incidentID, section, string(body), version, author, restoredFrom)
}

// RestoreSection saves an earlier revision's document as the section's
// next version (the summary restores through the incident). The restored
// document is validated again: a custom field or category removed since
// then is reported rather than saved.
func (s *Store) RestoreSection(ctx context.Context, incidentID int64, section string, from, version int64, author string) (*PostmortemSection, error) {
	rev, err := s.SectionRevision(ctx, incidentID, section, from)
	if err != nil {
		return nil, err
	}
	var problems postmortem.FieldErrors
	var doc any
	switch section {
	case SectionImpact:
		var d postmortem.Impact
		err = json.Unmarshal([]byte(rev.Body), &d)
		fields, ferr := s.CustomFields(ctx)
		if ferr != nil {
			return nil, ferr
		}
		d.PruneCustom(fields)
		doc, problems = d, d.Validate(fields)
	case SectionWhys:
		var d postmortem.Whys
		err = json.Unmarshal([]byte(rev.Body), &d)
		doc, problems = d, d.Validate()
	case SectionFactors:
		var d postmortem.Factors
		err = json.Unmarshal([]byte(rev.Body), &d)
		cats, cerr := s.FactorCategories(ctx)
		if cerr != nil {
			return nil, cerr
		}
		doc, problems = d, d.Validate(cats)
	case SectionLessons:
		var d postmortem.Lessons
		err = json.Unmarshal([]byte(rev.Body), &d)
		doc, problems = d, d.Validate()
	default:
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("revision %d of %s: %w", from, section, err)
	}
	return s.saveDoc(ctx, incidentID, section, doc, problems, version, author, &from)
}

// Summary is the summary step's document: the incident's own fields.
type Summary struct {
	Title    string `json:"title"`
	Summary  string `json:"summary"`
	Severity string `json:"severity"`
}

// SaveSummary updates the incident's title, summary and severity at its
// version and records the revision like any other section's.
func (s *Store) SaveSummary(ctx context.Context, inc *Incident, doc Summary, version int64, author string) (*Incident, error) {
	if inc.Status == StatusPublished {
		return nil, ErrPublished
	}
	in := InputOf(inc)
	in.Title, in.Summary, in.Severity = doc.Title, doc.Summary, doc.Severity
	// What is stored already is no change, whatever version the form had
	// (leaving the page autosaves it), as for the other sections.
	if norm := in; norm.Normalize() == nil && norm.Title == inc.Title && norm.Summary == inc.Summary && norm.Severity == inc.Severity {
		return inc, nil
	}
	updated, err := s.UpdateIncident(ctx, inc.ID, version, in)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(Summary{Title: updated.Title, Summary: updated.Summary, Severity: updated.Severity})
	err = s.db.WithContext(ctx).Create(&PostmortemRevision{IncidentID: inc.ID, Section: SectionSummary, Version: updated.Version,
		Body: string(body), Author: author, At: s.Now()}).Error
	return updated, err
}
