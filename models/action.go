package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"hindsight/actions"
)

// Action is a corrective action coming out of an incident.
type Action struct {
	ID           int64
	IncidentID   int64
	Title        string
	Description  string // Markdown
	OwnerID      *int64
	Team         string
	DueDate      *Date
	Priority     string
	Kind         string
	Status       string
	Reason       string // why it is blocked or won't be done
	Verification string // how we will know it worked
	TrackerURL   string
	Cause        string // what it addresses: "why:<step id>" (a Five Whys cause), "factor:<factor id>" or ""
	Version      int64
	CreatedByID  *int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ClosedAt     *time.Time

	Owner *User `gorm:"-"`
}

// Tracker is the recognised issue tracker link, if any.
func (a *Action) Tracker() actions.Tracker {
	t, _ := actions.ParseTrackerURL(a.TrackerURL) // validated when stored
	return t
}

// ActionStatusChange is one step of an action's status history.
type ActionStatusChange struct {
	ID         int64
	ActionID   int64
	FromStatus string
	ToStatus   string
	Reason     string
	Actor      string
	At         time.Time
}

// ActionInput is everything a person sets on an action.
type ActionInput struct {
	Title        string
	Description  string
	OwnerID      *int64
	Team         string
	DueDate      *Date
	Priority     string
	Kind         string
	Status       string
	Reason       string
	Verification string
	TrackerURL   string
	Cause        string // "", "why:<step id>" or "factor:<factor id>"
}

// ActionInputOf returns an action's editable fields, for partial updates.
func ActionInputOf(a *Action) ActionInput {
	return ActionInput{Title: a.Title, Description: a.Description, OwnerID: a.OwnerID, Team: a.Team, DueDate: a.DueDate,
		Priority: a.Priority, Kind: a.Kind, Status: a.Status, Reason: a.Reason, Verification: a.Verification, TrackerURL: a.TrackerURL,
		Cause: a.Cause}
}

func (in *ActionInput) normalize(tx *gorm.DB) error {
	fields := map[string]string{}
	in.Title, in.Team = strings.TrimSpace(in.Title), strings.TrimSpace(in.Team)
	in.Reason, in.TrackerURL = strings.TrimSpace(in.Reason), strings.TrimSpace(in.TrackerURL)
	in.Cause = strings.TrimSpace(in.Cause)
	if !ValidActionCause(in.Cause) {
		fields["cause"] = `link a Five Whys step ("why:w1") or a factor ("factor:f1"), or nothing`
	}
	switch {
	case in.Title == "":
		fields["title"] = "say what will be done"
	case len([]rune(in.Title)) > 300:
		fields["title"] = "use at most 300 characters"
	}
	if in.Priority == "" {
		in.Priority = "P3"
	}
	if in.Kind == "" {
		in.Kind = "prevent"
	}
	if in.Status == "" {
		in.Status = "open"
	}
	if !contains(actions.Priorities, in.Priority) {
		fields["priority"] = "choose P1, P2, P3 or P4"
	}
	if !contains(actions.Kinds, in.Kind) {
		fields["kind"] = "choose " + strings.Join(actions.Kinds, ", ")
	}
	if !contains(actions.Statuses, in.Status) {
		fields["status"] = "choose " + strings.Join(actions.Statuses, ", ")
	} else if actions.NeedsReason(in.Status) && in.Reason == "" {
		fields["reason"] = map[string]string{"blocked": "say what it is waiting for", "wont_do": "say why it won't be done"}[in.Status]
	}
	if len(in.Team) > 100 {
		fields["team"] = "use at most 100 characters"
	}
	if len(in.Description) > MaxSummaryLength || len(in.Verification) > MaxSummaryLength {
		fields["description"] = "is too long"
	}
	if tr, err := actions.ParseTrackerURL(in.TrackerURL); err != nil {
		var fe *actions.FieldError
		if errors.As(err, &fe) {
			fields["tracker_url"] = fe.Message
		} else {
			fields["tracker_url"] = err.Error()
		}
	} else {
		in.TrackerURL = tr.URL // the cleaned-up link
	}
	if in.OwnerID != nil {
		var n int64
		if err := tx.Model(&User{}).Where("id = ?", *in.OwnerID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			fields["owner"] = "is not a user of Hindsight"
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// CreateAction adds an action to an incident.
func (s *Store) CreateAction(ctx context.Context, incidentID int64, in ActionInput, actor *User) (*Action, error) {
	var a Action
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := requireIncident(tx, incidentID); err != nil {
			return err
		}
		if err := in.normalize(tx); err != nil {
			return err
		}
		now := s.Now()
		a = Action{IncidentID: incidentID, Title: in.Title, Description: in.Description, OwnerID: in.OwnerID, Team: in.Team,
			DueDate: in.DueDate, Priority: in.Priority, Kind: in.Kind, Status: in.Status, Reason: in.Reason,
			Verification: in.Verification, TrackerURL: in.TrackerURL, Cause: in.Cause, Version: 1, CreatedByID: actorID(actor)}
		if actions.IsClosed(a.Status) {
			a.ClosedAt = &now
		}
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		return tx.Create(&ActionStatusChange{ActionID: a.ID, ToStatus: a.Status, Reason: a.Reason, Actor: actorName(actor), At: now}).Error
	})
	if err != nil {
		return nil, err
	}
	return s.Action(ctx, a.ID)
}

// Action loads one action with its owner.
func (s *Store) Action(ctx context.Context, id int64) (*Action, error) {
	var a Action
	if err := s.db.WithContext(ctx).First(&a, id).Error; err != nil {
		return nil, notFound(err)
	}
	list := []Action{a}
	if err := s.loadOwners(ctx, list); err != nil {
		return nil, err
	}
	return &list[0], nil
}

// UpdateAction replaces the editable fields if the action is still at
// version; a status change is recorded with who and when.
func (s *Store) UpdateAction(ctx context.Context, id, version int64, in ActionInput, actor *User) (*Action, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur Action
		if err := tx.First(&cur, id).Error; err != nil {
			return notFound(err)
		}
		if cur.Version != version {
			return ErrStale
		}
		if err := in.normalize(tx); err != nil {
			return err
		}
		if in.Status != cur.Status {
			if err := actions.ValidateTransition(cur.Status, in.Status, in.Reason); err != nil {
				return &ValidationError{Fields: map[string]string{"reason": err.Error()}}
			}
		}
		now := s.Now()
		if !actions.NeedsReason(in.Status) && in.Status != cur.Status {
			in.Reason = "" // a reason belongs to the blocked or won't-do state it explained
		}
		changes := map[string]any{
			"title": in.Title, "description": in.Description, "owner_id": in.OwnerID, "team": in.Team, "due_date": in.DueDate,
			"priority": in.Priority, "kind": in.Kind, "status": in.Status, "reason": in.Reason, "verification": in.Verification,
			"tracker_url": in.TrackerURL, "cause": in.Cause, "version": gorm.Expr("version + 1"), "updated_at": now,
		}
		switch {
		case actions.IsClosed(in.Status) && !actions.IsClosed(cur.Status):
			changes["closed_at"] = now
		case !actions.IsClosed(in.Status):
			changes["closed_at"] = nil
		}
		res := tx.Model(&Action{}).Where("id = ? AND version = ?", id, version).Updates(changes)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrStale
		}
		if in.Status == cur.Status {
			return nil
		}
		return tx.Create(&ActionStatusChange{ActionID: id, FromStatus: cur.Status, ToStatus: in.Status, Reason: in.Reason,
			Actor: actorName(actor), At: now}).Error
	})
	if err != nil {
		return nil, err
	}
	return s.Action(ctx, id)
}

// DeleteAction removes an action and its history.
func (s *Store) DeleteAction(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Delete(&Action{}, id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// ActionHistory returns an action's status changes, oldest first.
func (s *Store) ActionHistory(ctx context.Context, id int64) ([]ActionStatusChange, error) {
	var out []ActionStatusChange
	err := s.db.WithContext(ctx).Where("action_id = ?", id).Order("id").Find(&out).Error
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, err
}

// IncidentActions lists an incident's actions, open ones first.
func (s *Store) IncidentActions(ctx context.Context, incidentID int64) ([]Action, error) {
	var list []Action
	err := s.db.WithContext(ctx).Where("incident_id = ?", incidentID).Order("closed_at IS NOT NULL, priority, id").Find(&list).Error
	if err != nil {
		return nil, err
	}
	return list, s.loadOwners(ctx, list)
}

func (s *Store) loadOwners(ctx context.Context, list []Action) error {
	var ids []int64
	for i := range list {
		list[i].CreatedAt, list[i].UpdatedAt = list[i].CreatedAt.UTC(), list[i].UpdatedAt.UTC()
		list[i].ClosedAt = utcPtr(list[i].ClosedAt)
		if list[i].OwnerID != nil {
			ids = append(ids, *list[i].OwnerID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var users []User
	if err := s.db.WithContext(ctx).Select("id, email, name, role, time_zone").Where("id IN ?", uniqueIDs(ids)).Find(&users).Error; err != nil {
		return fmt.Errorf("load action owners: %w", err)
	}
	byID := map[int64]*User{}
	for i := range users {
		byID[users[i].ID] = &users[i]
	}
	for i := range list {
		if list[i].OwnerID != nil {
			list[i].Owner = byID[*list[i].OwnerID]
		}
	}
	return nil
}
