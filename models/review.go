package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The review workflow of a postmortem:
//
//	draft → in review (the author requests reviewers) → approved (every
//	requested reviewer approved) → published → (reopened, with a reason) draft
//
// The state is the incident's Status. Requesting reviewers works from a
// draft, in review or approved (a new reviewer sends it back to in review);
// only a requested reviewer approves; only an approved postmortem is
// published; only a published one is reopened, which clears the approvals
// (the reviewers stay requested and review again once it is sent back).
// Every step is written to review_log. A step the state does not allow
// returns a *ReviewError naming the state and what it needs.

// Events of the review log.
const (
	ReviewEventRequested = "requested"
	ReviewEventApproved  = "approved"
	ReviewEventPublished = "published"
	ReviewEventReopened  = "reopened"
)

// MaxReopenReason bounds the reason given for reopening.
const MaxReopenReason = 2000

// ReviewRequest is one reviewer asked to review one postmortem.
type ReviewRequest struct {
	IncidentID  int64
	ReviewerID  int64
	RequestedBy string
	RequestedAt time.Time
	ApprovedAt  *time.Time
}

// ReviewLogEntry is one step of the workflow: who did what when, with the
// reviewers requested or the reason for reopening as the note.
type ReviewLogEntry struct {
	ID         int64
	IncidentID int64
	Event      string
	Actor      string
	Note       string
	At         time.Time
}

// TableName is review_log, singular like the migration.
func (ReviewLogEntry) TableName() string { return "review_log" }

// Reviewer is a requested reviewer with where their review stands.
type Reviewer struct {
	User        User
	RequestedBy string
	RequestedAt time.Time
	ApprovedAt  *time.Time // nil: not approved (yet, or again since a reopening)
}

// Review is where a postmortem stands in the workflow.
type Review struct {
	IncidentID int64
	State      string
	Reviewers  []Reviewer       // in the order they were requested
	Log        []ReviewLogEntry // oldest first
}

// Approvals counts the reviewers who approved.
func (r *Review) Approvals() int {
	n := 0
	for _, rv := range r.Reviewers {
		if rv.ApprovedAt != nil {
			n++
		}
	}
	return n
}

// Pending lists the reviewers who have not approved.
func (r *Review) Pending() []Reviewer {
	var out []Reviewer
	for _, rv := range r.Reviewers {
		if rv.ApprovedAt == nil {
			out = append(out, rv)
		}
	}
	return out
}

// Reviewer returns the request of the user, or nil when they were not asked.
func (r *Review) Reviewer(userID int64) *Reviewer {
	for i := range r.Reviewers {
		if r.Reviewers[i].User.ID == userID {
			return &r.Reviewers[i]
		}
	}
	return nil
}

// ReviewError is a workflow step the current state does not allow. Its
// message names the state and what the step needs; it is safe to show.
type ReviewError struct {
	State string // the current review state
	Need  string // what it takes, as a sentence for people
}

func (e *ReviewError) Error() string {
	return fmt.Sprintf("the postmortem is %s (%s): %s", StateWords(e.State), e.State, e.Need)
}

// NotReviewerError is an approval by someone who was not asked to review.
type NotReviewerError struct {
	Reviewers []string // the e-mail addresses of those who were
}

func (e *NotReviewerError) Error() string {
	if len(e.Reviewers) == 0 {
		return "only a requested reviewer can approve, and nobody has been asked yet"
	}
	return "only a requested reviewer can approve; the requested reviewers are " + strings.Join(e.Reviewers, ", ")
}

// StateWords says a review state in a sentence: "a draft", "in review".
func StateWords(state string) string {
	switch state {
	case StatusDraft:
		return "a draft"
	case StatusInReview:
		return "in review"
	}
	return state
}

// Review returns the review state, reviewers and log of a postmortem.
func (s *Store) Review(ctx context.Context, incidentID int64) (*Review, error) {
	return s.review(ctx, s.db.WithContext(ctx), incidentID)
}

func (s *Store) review(ctx context.Context, tx *gorm.DB, incidentID int64) (*Review, error) {
	state, err := s.incidentStatus(ctx, tx, incidentID)
	if err != nil {
		return nil, err
	}
	r := &Review{IncidentID: incidentID, State: state, Reviewers: []Reviewer{}, Log: []ReviewLogEntry{}}
	var reqs []ReviewRequest
	if err := tx.Where("incident_id = ?", incidentID).Order("requested_at, reviewer_id").Find(&reqs).Error; err != nil {
		return nil, err
	}
	if len(reqs) > 0 {
		ids := make([]int64, len(reqs))
		for i, q := range reqs {
			ids[i] = q.ReviewerID
		}
		var users []User
		if err := tx.Where("id IN ?", ids).Find(&users).Error; err != nil {
			return nil, err
		}
		byID := map[int64]User{}
		for _, u := range users {
			byID[u.ID] = u
		}
		for _, q := range reqs {
			r.Reviewers = append(r.Reviewers, Reviewer{User: byID[q.ReviewerID], RequestedBy: q.RequestedBy,
				RequestedAt: q.RequestedAt.UTC(), ApprovedAt: utcPtr(q.ApprovedAt)})
		}
	}
	if err := tx.Where("incident_id = ?", incidentID).Order("id").Find(&r.Log).Error; err != nil {
		return nil, err
	}
	for i := range r.Log {
		r.Log[i].At = r.Log[i].At.UTC()
	}
	return r, nil
}

// ReviewCandidates lists the users who may be asked to review: editors and
// admins, by name.
func (s *Store) ReviewCandidates(ctx context.Context) ([]User, error) {
	var users []User
	err := s.db.WithContext(ctx).Where("role IN ?", []string{RoleEditor, RoleAdmin}).Order("name, email").Find(&users).Error
	return users, err
}

// lockIncident locks an incident's row until the transaction ends and
// returns its review state, so that two steps of the workflow on one
// incident run one after the other. The lock is a write that changes
// nothing: a row lock on PostgreSQL, and on SQLite the database's write
// lock taken before anything is read (a transaction that reads first
// cannot always upgrade to a writer there).
func (s *Store) lockIncident(ctx context.Context, tx *gorm.DB, incidentID int64) (string, error) {
	res := tx.WithContext(ctx).Exec("UPDATE incidents SET status = status WHERE id = ?", incidentID)
	if res.Error != nil {
		return "", res.Error
	}
	if res.RowsAffected == 0 {
		return "", ErrNotFound
	}
	return s.incidentStatus(ctx, tx, incidentID)
}

// setState moves the incident to a review state. The incident's version is
// left alone: it guards the editable fields, which the state is not one of,
// so a step of the workflow never makes an open form stale.
func setState(tx *gorm.DB, incidentID int64, state string) error {
	return tx.Model(&Incident{}).Where("id = ?", incidentID).UpdateColumn("status", state).Error
}

func (s *Store) logReview(tx *gorm.DB, incidentID int64, event, actor, note string) error {
	return tx.Create(&ReviewLogEntry{IncidentID: incidentID, Event: event, Actor: actor, Note: note,
		At: s.Now().Truncate(time.Microsecond)}).Error
}

// RequestReview asks reviewers (editors or admins) to review a postmortem
// that is not published, and puts it in review. Reviewers asked before
// stay asked, with their approval if they gave one: with no new reviewer
// (reviewerIDs empty or all asked already) it sends the postmortem back to
// the same reviewers, and it is approved at once if they all still approve.
func (s *Store) RequestReview(ctx context.Context, incidentID int64, reviewerIDs []int64, actor string) (*Review, error) {
	ids := uniqueIDs(reviewerIDs)
	var out *Review
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		state, err := s.lockIncident(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		if state == StatusPublished {
			return &ReviewError{State: state, Need: "reopen it before asking for another review"}
		}
		var users []User
		if len(ids) > 0 {
			if err := tx.Where("id IN ?", ids).Find(&users).Error; err != nil {
				return err
			}
		}
		byID := map[int64]User{}
		for _, u := range users {
			byID[u.ID] = u
		}
		var emails []string
		for _, id := range ids {
			u, ok := byID[id]
			switch {
			case !ok:
				return &ValidationError{Fields: map[string]string{"reviewers": fmt.Sprintf("user %d does not exist", id)}}
			case !RoleAtLeast(u.Role, RoleEditor):
				return &ValidationError{Fields: map[string]string{"reviewers": fmt.Sprintf(
					"%s is a %s; reviewers must be editors or admins", u.Email, u.Role)}}
			}
			emails = append(emails, u.Email)
		}
		var asked []ReviewRequest
		if err := tx.Where("incident_id = ?", incidentID).Find(&asked).Error; err != nil {
			return err
		}
		if len(ids) == 0 && len(asked) == 0 {
			return &ValidationError{Fields: map[string]string{"reviewers": "choose at least one reviewer"}}
		}
		now := s.Now().Truncate(time.Microsecond)
		for _, id := range ids {
			if slices.ContainsFunc(asked, func(q ReviewRequest) bool { return q.ReviewerID == id }) {
				continue
			}
			q := ReviewRequest{IncidentID: incidentID, ReviewerID: id, RequestedBy: actor, RequestedAt: now}
			if err := tx.Create(&q).Error; err != nil {
				return err
			}
			asked = append(asked, q)
		}
		next := StatusApproved
		for _, q := range asked {
			if q.ApprovedAt == nil {
				next = StatusInReview
			}
		}
		if err := setState(tx, incidentID, next); err != nil {
			return err
		}
		note := "review by " + strings.Join(emails, ", ")
		if len(emails) == 0 {
			note = "sent back to the same reviewers"
		}
		if err := s.logReview(tx, incidentID, ReviewEventRequested, actor, note); err != nil {
			return err
		}
		out, err = s.review(ctx, tx, incidentID)
		return err
	})
	return out, err
}

// Approve records the approval of a requested reviewer; when every
// requested reviewer has approved, the postmortem is approved.
func (s *Store) Approve(ctx context.Context, incidentID, reviewerID int64, actor string) (*Review, error) {
	var out *Review
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		state, err := s.lockIncident(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		r, err := s.review(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		switch state {
		case StatusDraft:
			return &ReviewError{State: state, Need: "it is approved once the author has asked for a review"}
		case StatusApproved:
			return &ReviewError{State: state, Need: "every reviewer has approved already; it can be published"}
		case StatusPublished:
			return &ReviewError{State: state, Need: "it is published already; an editor can reopen it"}
		}
		me := r.Reviewer(reviewerID)
		if me == nil {
			var emails []string
			for _, rv := range r.Reviewers {
				emails = append(emails, rv.User.Email)
			}
			return &NotReviewerError{Reviewers: emails}
		}
		if me.ApprovedAt != nil {
			return &ReviewError{State: state, Need: fmt.Sprintf("%s approved already; it waits for %s",
				me.User.Email, strings.Join(emailsOf(r.Pending()), ", "))}
		}
		now := s.Now().Truncate(time.Microsecond)
		if err := tx.Model(&ReviewRequest{}).Where("incident_id = ? AND reviewer_id = ?", incidentID, reviewerID).
			Update("approved_at", now).Error; err != nil {
			return err
		}
		note := fmt.Sprintf("%d of %d reviewers approved", r.Approvals()+1, len(r.Reviewers))
		if len(r.Pending()) == 1 {
			note = "every reviewer approved; it can be published"
			if err := setState(tx, incidentID, StatusApproved); err != nil {
				return err
			}
		}
		if err := s.logReview(tx, incidentID, ReviewEventApproved, actor, note); err != nil {
			return err
		}
		out, err = s.review(ctx, tx, incidentID)
		return err
	})
	return out, err
}

func emailsOf(rs []Reviewer) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.User.Email
	}
	return out
}

// Publish publishes an approved postmortem; it is read-only from then on.
func (s *Store) Publish(ctx context.Context, incidentID int64, actor string) (*Review, error) {
	var out *Review
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		state, err := s.lockIncident(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		switch state {
		case StatusDraft:
			return &ReviewError{State: state, Need: "ask for a review first; it can be published once every reviewer approves"}
		case StatusInReview:
			r, err := s.review(ctx, tx, incidentID)
			if err != nil {
				return err
			}
			return &ReviewError{State: state, Need: fmt.Sprintf("it can be published once every reviewer approves (%d of %d so far; waiting for %s)",
				r.Approvals(), len(r.Reviewers), strings.Join(emailsOf(r.Pending()), ", "))}
		case StatusPublished:
			return &ReviewError{State: state, Need: "it is published already"}
		}
		if err := setState(tx, incidentID, StatusPublished); err != nil {
			return err
		}
		if err := s.logReview(tx, incidentID, ReviewEventPublished, actor, ""); err != nil {
			return err
		}
		out, err = s.review(ctx, tx, incidentID)
		return err
	})
	return out, err
}

// Reopen makes a published postmortem a draft again, for the reason given
// (required, logged). The approvals are cleared: the reviewers stay
// requested and approve again when it is sent back for review.
func (s *Store) Reopen(ctx context.Context, incidentID int64, actor, reason string) (*Review, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, &ValidationError{Fields: map[string]string{"reason": "say why the postmortem is reopened"}}
	case len([]rune(reason)) > MaxReopenReason:
		return nil, &ValidationError{Fields: map[string]string{"reason": fmt.Sprintf("use at most %d characters", MaxReopenReason)}}
	}
	var out *Review
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		state, err := s.lockIncident(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		if state != StatusPublished {
			return &ReviewError{State: state, Need: "only a published postmortem is reopened; this one can be edited as it is"}
		}
		if err := setState(tx, incidentID, StatusDraft); err != nil {
			return err
		}
		if err := tx.Model(&ReviewRequest{}).Where("incident_id = ?", incidentID).Update("approved_at", nil).Error; err != nil {
			return err
		}
		if err := s.logReview(tx, incidentID, ReviewEventReopened, actor, reason); err != nil {
			return err
		}
		out, err = s.review(ctx, tx, incidentID)
		return err
	})
	return out, err
}

// SetReviewState puts a postmortem in a review state directly, without the
// workflow's checks and without a log entry. It is for loaders that recreate
// postmortems as they were (the seeds); people go through RequestReview,
// Approve, Publish and Reopen.
func (s *Store) SetReviewState(ctx context.Context, incidentID int64, state string) error {
	if !contains(ReviewStatuses, state) {
		return &ValidationError{Fields: map[string]string{"status": "choose draft, in_review, approved or published"}}
	}
	res := s.db.WithContext(ctx).Model(&Incident{}).Where("id = ?", incidentID).UpdateColumn("status", state)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
