package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"hindsight/timeline"
)

// Severities, most severe first.
var Severities = []string{"SEV1", "SEV2", "SEV3", "SEV4"}

// Review states of a postmortem (see review.go for the workflow).
const (
	StatusDraft     = "draft"
	StatusInReview  = "in_review"
	StatusApproved  = "approved"
	StatusPublished = "published"
)

// ReviewStatuses lists the review states in workflow order.
var ReviewStatuses = []string{StatusDraft, StatusInReview, StatusApproved, StatusPublished}

// Incident is what a postmortem is written about. Services, tags and authors
// live in their own tables and are loaded alongside.
type Incident struct {
	ID             int64
	Slug           string
	Title          string
	Summary        string
	Severity       string
	Status         string
	Environment    string
	StartedAt      time.Time
	DetectedAt     *time.Time
	AcknowledgedAt *time.Time
	MitigatedAt    *time.Time
	ResolvedAt     *time.Time
	// TriggerEventID is the deploy or change the authors marked as the
	// trigger.
	TriggerEventID *int64
	// TemplateKey is the postmortem template picked at creation.
	TemplateKey string
	Version     int64
	CreatedByID *int64
	CreatedAt   time.Time
	UpdatedAt   time.Time

	Services []string `gorm:"-"`
	Tags     []string `gorm:"-"`
	Authors  []User   `gorm:"-"`
}

// Key is the human key, as in INC-42.
func (i *Incident) Key() string { return fmt.Sprintf("INC-%d", i.ID) }

// ParseIncidentKey accepts "INC-42", "inc-42" or "42".
func ParseIncidentKey(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 4 && strings.EqualFold(s[:4], "INC-") {
		s = s[4:]
	}
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil || id <= 0 || fmt.Sprint(id) != s {
		return 0, false
	}
	return id, true
}

// IncidentInput is everything a person can set on an incident.
type IncidentInput struct {
	Slug           string // only used at creation; derived from the title when empty
	TemplateKey    string // only used at creation; "full" when empty
	Title          string
	Summary        string
	Severity       string
	Status         string // only used at creation ("draft" when empty); the review workflow changes it
	Environment    string
	StartedAt      time.Time
	DetectedAt     *time.Time
	AcknowledgedAt *time.Time
	MitigatedAt    *time.Time
	ResolvedAt     *time.Time
	Services       []string
	Tags           []string
	AuthorIDs      []int64
}

// InputOf returns the editable fields of an incident, for partial updates.
func InputOf(inc *Incident) IncidentInput {
	in := IncidentInput{
		Slug: inc.Slug, Title: inc.Title, Summary: inc.Summary, Severity: inc.Severity, Status: inc.Status,
		Environment: inc.Environment, StartedAt: inc.StartedAt, DetectedAt: inc.DetectedAt,
		AcknowledgedAt: inc.AcknowledgedAt, MitigatedAt: inc.MitigatedAt, ResolvedAt: inc.ResolvedAt,
		Services: append([]string(nil), inc.Services...), Tags: append([]string(nil), inc.Tags...),
	}
	for _, a := range inc.Authors {
		in.AuthorIDs = append(in.AuthorIDs, a.ID)
	}
	return in
}

var (
	labelPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._/-]*$`)
	slugPattern  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// Limits on incident fields.
const (
	MaxTitleLength   = 200
	MaxSummaryLength = 100_000
	MaxLabels        = 20
	MaxLabelLength   = 64
)

// Normalize trims the input and validates it; the messages are per field.
func (in *IncidentInput) Normalize() error {
	fields := map[string]string{}
	in.Title = strings.TrimSpace(in.Title)
	in.Environment = strings.TrimSpace(in.Environment)
	in.Slug = strings.TrimSpace(in.Slug)
	switch {
	case in.Title == "":
		fields["title"] = "enter a title"
	case len([]rune(in.Title)) > MaxTitleLength:
		fields["title"] = fmt.Sprintf("use at most %d characters", MaxTitleLength)
	}
	if len(in.Summary) > MaxSummaryLength {
		fields["summary"] = fmt.Sprintf("use at most %d characters", MaxSummaryLength)
	}
	if !contains(Severities, in.Severity) {
		fields["severity"] = "choose SEV1, SEV2, SEV3 or SEV4"
	}
	if in.Status != "" && !contains(ReviewStatuses, in.Status) {
		fields["status"] = "choose draft, in_review, approved or published"
	}
	if len(in.Environment) > MaxLabelLength {
		fields["environment"] = fmt.Sprintf("use at most %d characters", MaxLabelLength)
	}
	if in.Slug != "" && (len(in.Slug) > 80 || !slugPattern.MatchString(in.Slug)) {
		fields["slug"] = "use lowercase letters, digits and single hyphens, at most 80 characters"
	}
	var msg string
	if in.Services, msg = normalizeLabels(in.Services); msg != "" {
		fields["services"] = msg
	}
	if in.Tags, msg = normalizeLabels(in.Tags); msg != "" {
		fields["tags"] = msg
	}
	if in.StartedAt.IsZero() {
		fields["started_at"] = "enter when the impact started"
	} else {
		in.StartedAt = in.StartedAt.UTC()
		for field, msg := range checkMomentOrder(in) {
			fields[field] = msg
		}
	}
	in.DetectedAt, in.AcknowledgedAt = utcPtr(in.DetectedAt), utcPtr(in.AcknowledgedAt)
	in.MitigatedAt, in.ResolvedAt = utcPtr(in.MitigatedAt), utcPtr(in.ResolvedAt)
	in.AuthorIDs = uniqueIDs(in.AuthorIDs)
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// checkMomentOrder enforces started ≤ detected ≤ acknowledged ≤ mitigated ≤
// resolved over the moments that are set; the messages name the moments.
func checkMomentOrder(in *IncidentInput) map[string]string {
	started := in.StartedAt
	problems := timeline.ValidateMoments(timeline.Moments{
		Started: &started, Detected: in.DetectedAt, Acknowledged: in.AcknowledgedAt,
		Mitigated: in.MitigatedAt, Resolved: in.ResolvedAt,
	})
	out := make(map[string]string, len(problems))
	for moment, msg := range problems {
		out[moment+"_at"] = msg
	}
	return out
}

func normalizeLabels(raw []string) ([]string, string) {
	seen := map[string]bool{}
	out := []string{}
	for _, r := range raw {
		l := strings.ToLower(strings.TrimSpace(r))
		if l == "" || seen[l] {
			continue
		}
		if len(l) > MaxLabelLength || !labelPattern.MatchString(l) {
			return nil, fmt.Sprintf("%q: use lowercase letters, digits, '-', '_', '.' or '/', at most %d characters", r, MaxLabelLength)
		}
		seen[l] = true
		out = append(out, l)
	}
	if len(out) > MaxLabels {
		return nil, fmt.Sprintf("use at most %d", MaxLabels)
	}
	return out, ""
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func uniqueIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Slugify turns a title into a URL slug.
func Slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 70 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "incident"
	}
	return s
}

// ErrSlugTaken is returned when an explicit slug is already in use.
var ErrSlugTaken = errors.New("another incident already uses this slug")

// CreateIncident stores a new incident, in the review state of in.Status
// (a draft when empty): seeds and imports create postmortems as they were.
func (s *Store) CreateIncident(ctx context.Context, in IncidentInput, createdBy *int64) (*Incident, error) {
	in.Status = cmp.Or(in.Status, StatusDraft)
	err := in.Normalize()
	if terr := s.checkTemplateKey(ctx, in.TemplateKey); terr != nil {
		var ve, tve *ValidationError
		if errors.As(err, &ve) && errors.As(terr, &tve) {
			ve.Fields["template"] = tve.Fields["template"] // every problem at once
		} else if err == nil {
			err = terr
		}
	}
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkAuthors(tx, in.AuthorIDs); err != nil {
			return err
		}
		slug, err := freeSlug(tx, in.Slug, in.Title)
		if err != nil {
			return err
		}
		inc := Incident{
			Slug: slug, Title: in.Title, Summary: in.Summary, Severity: in.Severity, Status: in.Status,
			Environment: in.Environment, StartedAt: in.StartedAt, DetectedAt: in.DetectedAt,
			AcknowledgedAt: in.AcknowledgedAt, MitigatedAt: in.MitigatedAt, ResolvedAt: in.ResolvedAt,
			Version: 1, CreatedByID: createdBy, TemplateKey: cmp.Or(in.TemplateKey, DefaultTemplateKey),
		}
		if err := tx.Create(&inc).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrSlugTaken
			}
			return err
		}
		id = inc.ID
		return replaceIncidentLinks(tx, id, in, s.Now())
	})
	if err != nil {
		return nil, err
	}
	return s.Incident(ctx, id)
}

// freeSlug returns the explicit slug, or the title's slug made unique.
func freeSlug(tx *gorm.DB, explicit, title string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	base := Slugify(title)
	var taken []string
	if err := tx.Model(&Incident{}).Where("slug = ? OR slug LIKE ?", base, base+"-%").Pluck("slug", &taken).Error; err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, t := range taken {
		used[t] = true
	}
	slug := base
	for n := 2; used[slug]; n++ {
		slug = fmt.Sprintf("%s-%d", base, n)
	}
	return slug, nil
}

func checkAuthors(tx *gorm.DB, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var n int64
	if err := tx.Model(&User{}).Where("id IN ?", ids).Count(&n).Error; err != nil {
		return err
	}
	if n != int64(len(ids)) {
		return &ValidationError{Fields: map[string]string{"authors": "one or more authors are not users of Hindsight"}}
	}
	return nil
}

// replaceIncidentLinks rewrites the services, tags and authors of an incident.
func replaceIncidentLinks(tx *gorm.DB, id int64, in IncidentInput, now time.Time) error {
	for _, table := range []string{"incident_services", "incident_tags", "incident_authors"} {
		if err := tx.Exec("DELETE FROM "+table+" WHERE incident_id = ?", id).Error; err != nil {
			return err
		}
	}
	if len(in.Services) > 0 {
		rows := make([]Service, len(in.Services))
		for i, name := range in.Services {
			rows[i] = Service{Name: name, CreatedAt: now}
		}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, DoNothing: true}).Create(&rows).Error; err != nil {
			return err
		}
		if err := tx.Exec("INSERT INTO incident_services (incident_id, service_id) SELECT ?, id FROM services WHERE name IN ?", id, in.Services).Error; err != nil {
			return err
		}
	}
	for _, tag := range in.Tags {
		if err := tx.Exec("INSERT INTO incident_tags (incident_id, tag) VALUES (?, ?)", id, tag).Error; err != nil {
			return err
		}
	}
	for _, uid := range in.AuthorIDs {
		if err := tx.Exec("INSERT INTO incident_authors (incident_id, user_id) VALUES (?, ?)", id, uid).Error; err != nil {
			return err
		}
	}
	return nil
}

// Incident loads one incident with its services, tags and authors.
func (s *Store) Incident(ctx context.Context, id int64) (*Incident, error) {
	var inc Incident
	if err := s.db.WithContext(ctx).First(&inc, id).Error; err != nil {
		return nil, notFound(err)
	}
	list := []Incident{inc}
	if err := s.loadIncidentLinks(ctx, list); err != nil {
		return nil, err
	}
	return &list[0], nil
}

// IncidentBySlug loads an incident by its slug.
func (s *Store) IncidentBySlug(ctx context.Context, slug string) (*Incident, error) {
	var id int64
	err := s.db.WithContext(ctx).Model(&Incident{}).Where("slug = ?", slug).Select("id").Scan(&id).Error
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, ErrNotFound
	}
	return s.Incident(ctx, id)
}

// UpdateIncident replaces the editable fields of an incident if it is still
// at version; otherwise it returns ErrStale and changes nothing. The review
// state is not one of them: in.Status is ignored (the review workflow owns
// it), and a published postmortem refuses with ErrPublished.
func (s *Store) UpdateIncident(ctx context.Context, id, version int64, in IncidentInput) (*Incident, error) {
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkAuthors(tx, in.AuthorIDs); err != nil {
			return err
		}
		res := tx.Model(&Incident{}).Where("id = ? AND version = ? AND status <> ?", id, version, StatusPublished).Updates(map[string]any{
			"title": in.Title, "summary": in.Summary, "severity": in.Severity,
			"environment": in.Environment, "started_at": in.StartedAt, "detected_at": in.DetectedAt,
			"acknowledged_at": in.AcknowledgedAt, "mitigated_at": in.MitigatedAt, "resolved_at": in.ResolvedAt,
			"version": gorm.Expr("version + 1"), "updated_at": s.Now(),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			status, err := s.incidentStatus(ctx, tx, id)
			if err != nil {
				return err
			}
			if status == StatusPublished {
				return ErrPublished
			}
			return ErrStale
		}
		return replaceIncidentLinks(tx, id, in, s.Now())
	})
	if err != nil {
		return nil, err
	}
	return s.Incident(ctx, id)
}

// DeleteIncident removes an incident and everything attached to it.
func (s *Store) DeleteIncident(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Delete(&Incident{}, id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// AfterFind reports times in UTC whatever the driver's default zone is.
func (i *Incident) AfterFind(*gorm.DB) error {
	i.StartedAt, i.CreatedAt, i.UpdatedAt = i.StartedAt.UTC(), i.CreatedAt.UTC(), i.UpdatedAt.UTC()
	i.DetectedAt, i.AcknowledgedAt = utcPtr(i.DetectedAt), utcPtr(i.AcknowledgedAt)
	i.MitigatedAt, i.ResolvedAt = utcPtr(i.MitigatedAt), utcPtr(i.ResolvedAt)
	return nil
}
