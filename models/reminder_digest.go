package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Delivery states. A pending delivery with attempts and an error is being
// retried; a failed one was given up (or its channel deleted).
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// ReminderDigest is one owner's digest for one sending period, rendered
// once so that every channel and every retry sends the same words.
type ReminderDigest struct {
	ID        int64
	UserID    int64
	Period    string
	ItemCount int
	Subject   string
	BodyText  string
	BodySlack string
	BodyJSON  string
	CreatedAt time.Time
}

// ReminderDelivery is the sending of one digest through one channel.
type ReminderDelivery struct {
	ID            int64
	DigestID      int64
	ChannelID     *int64
	ChannelName   string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LeaseUntil    *time.Time
	LastError     string
	SentAt        *time.Time
	CreatedAt     time.Time
}

// DueAction is an open action with a due date, as a digest lists it.
type DueAction struct {
	ID            int64
	Title         string
	Status        string
	Priority      string
	DueDate       Date
	IncidentID    int64
	IncidentTitle string
}

// ReminderRecipient is an owner with actions due by a date.
type ReminderRecipient struct {
	UserID      int64
	Name, Email string
}

// ReminderRecipients returns the owners of open actions due on or before
// lastDue who have no digest for period yet. The incident's state does not
// matter: actions outlive the incident they came from.
func (s *Store) ReminderRecipients(ctx context.Context, period string, lastDue Date) ([]ReminderRecipient, error) {
	var out []ReminderRecipient
	err := s.db.WithContext(ctx).Table("users").Select("users.id AS user_id, users.name, users.email").
		Where(`EXISTS (SELECT 1 FROM actions WHERE actions.owner_id = users.id AND actions.status IN ?
			AND actions.due_date IS NOT NULL AND actions.due_date <= ?)`, openStatuses, lastDue).
		Where("NOT EXISTS (SELECT 1 FROM reminder_digests WHERE reminder_digests.user_id = users.id AND reminder_digests.period = ?)", period).
		Order("users.id").Scan(&out).Error
	return out, err
}

// DueActions returns an owner's open actions due on or before lastDue.
func (s *Store) DueActions(ctx context.Context, userID int64, lastDue Date) ([]DueAction, error) {
	var out []DueAction
	err := s.db.WithContext(ctx).Table("actions").
		Select("actions.id, actions.title, actions.status, actions.priority, actions.due_date, actions.incident_id, incidents.title AS incident_title").
		Joins("JOIN incidents ON incidents.id = actions.incident_id").
		Where("actions.owner_id = ? AND actions.status IN ? AND actions.due_date IS NOT NULL AND actions.due_date <= ?", userID, openStatuses, lastDue).
		Order("actions.due_date, actions.id").Scan(&out).Error
	return out, err
}

// CreateDigest stores a digest and one pending delivery per channel, unless
// the owner already has a digest for the period: then it returns false and
// stores nothing. The unique key decides between racing replicas.
func (s *Store) CreateDigest(ctx context.Context, d *ReminderDigest, channels []NotificationChannel) (bool, error) {
	created := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.Now()
		d.CreatedAt = now
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}, {Name: "period"}}, DoNothing: true}).Create(d)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		created = true
		for _, ch := range channels {
			id := ch.ID
			err := tx.Create(&ReminderDelivery{DigestID: d.ID, ChannelID: &id, ChannelName: ch.Name, Status: DeliveryPending,
				NextAttemptAt: now, CreatedAt: now}).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	return created, err
}

// DueDeliveries lists pending deliveries whose next attempt is due and
// that no sender holds.
func (s *Store) DueDeliveries(ctx context.Context, limit int) ([]ReminderDelivery, error) {
	now := s.Now()
	var out []ReminderDelivery
	err := s.db.WithContext(ctx).Where("status = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)",
		DeliveryPending, now, now).Order("next_attempt_at, id").Limit(limit).Find(&out).Error
	return out, err
}

// ClaimDelivery takes a due delivery for lease, counting the attempt. Of
// several senders trying at once exactly one gets true.
func (s *Store) ClaimDelivery(ctx context.Context, id int64, lease time.Duration) (bool, error) {
	now := s.Now()
	res := s.db.WithContext(ctx).Model(&ReminderDelivery{}).
		Where("id = ? AND status = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)", id, DeliveryPending, now, now).
		Updates(map[string]any{"lease_until": now.Add(lease), "attempts": gorm.Expr("attempts + 1")})
	return res.RowsAffected == 1, res.Error
}

// DeliveryDigest returns the digest a delivery sends and its recipient.
func (s *Store) DeliveryDigest(ctx context.Context, digestID int64) (*ReminderDigest, *User, error) {
	var d ReminderDigest
	if err := s.db.WithContext(ctx).First(&d, digestID).Error; err != nil {
		return nil, nil, notFound(err)
	}
	u, err := s.UserByID(ctx, d.UserID)
	return &d, u, err
}

// DeliverySent records a successful send.
func (s *Store) DeliverySent(ctx context.Context, id int64) error {
	now := s.Now()
	return s.db.WithContext(ctx).Model(&ReminderDelivery{}).Where("id = ?", id).
		Updates(map[string]any{"status": DeliverySent, "sent_at": now, "lease_until": nil, "last_error": ""}).Error
}

// DeliveryFailed records a failed attempt: retried at retryAt, or given up
// when retryAt is nil.
func (s *Store) DeliveryFailed(ctx context.Context, id int64, reason string, retryAt *time.Time) error {
	changes := map[string]any{"last_error": truncate(reason, 1000), "lease_until": nil}
	if retryAt == nil {
		changes["status"] = DeliveryFailed
	} else {
		changes["next_attempt_at"] = retryAt.UTC()
	}
	return s.db.WithContext(ctx).Model(&ReminderDelivery{}).Where("id = ?", id).Updates(changes).Error
}

// RetryDelivery puts a given-up delivery back in the queue now, for an
// admin who fixed the channel.
func (s *Store) RetryDelivery(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Model(&ReminderDelivery{}).Where("id = ? AND status = ? AND channel_id IS NOT NULL", id, DeliveryFailed).
		Updates(map[string]any{"status": DeliveryPending, "next_attempt_at": s.Now(), "attempts": 0})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		var n int64
		s.db.WithContext(ctx).Model(&ReminderDelivery{}).Where("id = ?", id).Count(&n)
		if n == 0 {
			return ErrNotFound
		}
		return ErrNotRetryable
	}
	return nil
}

// ErrNotRetryable is returned for a delivery that was sent, is still
// queued, or lost its channel.
var ErrNotRetryable = errors.New("only a failed delivery whose channel still exists can be retried")

// DeliveryLogEntry is a delivery with its digest, for the delivery log.
type DeliveryLogEntry struct {
	ReminderDelivery
	Period    string
	ItemCount int
	Subject   string
	UserName  string
	UserEmail string
}

// DeliveryLog returns a page of deliveries, newest first.
func (s *Store) DeliveryLog(ctx context.Context, status string, page, perPage int) ([]DeliveryLogEntry, int64, error) {
	page, perPage = max(page, 1), min(max(perPage, 1), MaxPerPage)
	q := s.db.WithContext(ctx).Table("reminder_deliveries").
		Joins("JOIN reminder_digests ON reminder_digests.id = reminder_deliveries.digest_id").
		Joins("LEFT JOIN users ON users.id = reminder_digests.user_id")
	if status != "" {
		q = q.Where("reminder_deliveries.status = ?", status)
	}
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []DeliveryLogEntry
	err := q.Select(`reminder_deliveries.*, reminder_digests.period, reminder_digests.item_count, reminder_digests.subject,
		COALESCE(users.name, '') AS user_name, COALESCE(users.email, '') AS user_email`).
		Order("reminder_deliveries.created_at DESC, reminder_deliveries.id DESC").
		Limit(perPage).Offset((page - 1) * perPage).Scan(&out).Error
	for i := range out {
		d := &out[i].ReminderDelivery
		d.NextAttemptAt, d.CreatedAt = d.NextAttemptAt.UTC(), d.CreatedAt.UTC()
		d.SentAt, d.LeaseUntil = utcPtr(d.SentAt), utcPtr(d.LeaseUntil)
	}
	return out, total, err
}
