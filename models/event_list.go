package models

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// EventFilter selects events. Empty fields match all.
type EventFilter struct {
	Kind        string
	Source      string
	Service     string
	Environment string
	From, To    *time.Time // on starts_at
	Query       string
	Cursor      string // from the previous page's NextCursor
	Limit       int
}

// EventPage is one page of events, newest first.
type EventPage struct {
	Events     []Event
	NextCursor string // "" on the last page
}

// ErrBadCursor is returned for a cursor this server did not make.
var ErrBadCursor = errors.New("the cursor is not valid: use next_cursor from a previous page")

// Page sizes of event lists.
const (
	DefaultEventLimit = 50
	MaxEventLimit     = 500
)

// ListEvents returns events by starts_at, newest first, with keyset
// pagination so that deep pages cost the same as the first.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) (*EventPage, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultEventLimit
	}
	f.Limit = min(f.Limit, MaxEventLimit)
	q := s.db.WithContext(ctx).Model(&Event{})
	for col, v := range map[string]string{"kind": f.Kind, "source": f.Source, "service": f.Service, "environment": f.Environment} {
		if v != "" {
			q = q.Where("events."+col+" = ?", v)
		}
	}
	if f.From != nil {
		q = q.Where("events.starts_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("events.starts_at < ?", f.To.UTC())
	}
	if terms := SearchTerms(f.Query); len(terms) > 0 {
		clause, arg := s.search.match("events", terms)
		q = q.Where(clause, arg)
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		q = q.Where("(events.starts_at < ? OR (events.starts_at = ? AND events.id < ?))", at, at, id)
	}
	page := &EventPage{}
	if err := q.Order("events.starts_at DESC, events.id DESC").Limit(f.Limit + 1).Find(&page.Events).Error; err != nil {
		return nil, err
	}
	for i := range page.Events {
		utcEvent(&page.Events[i])
	}
	if len(page.Events) > f.Limit {
		page.Events = page.Events[:f.Limit]
		last := page.Events[f.Limit-1]
		page.NextCursor = encodeCursor(last.StartsAt, last.ID)
	}
	return page, nil
}

func encodeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (time.Time, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, ErrBadCursor
	}
	ts, idStr, ok := strings.Cut(string(raw), "|")
	at, terr := time.Parse(time.RFC3339Nano, ts)
	id, ierr := strconv.ParseInt(idStr, 10, 64)
	if !ok || terr != nil || ierr != nil {
		return time.Time{}, 0, ErrBadCursor
	}
	return at, id, nil
}

// EventByID loads one event.
func (s *Store) EventByID(ctx context.Context, id int64) (*Event, error) {
	var e Event
	if err := s.db.WithContext(ctx).First(&e, id).Error; err != nil {
		return nil, notFound(err)
	}
	utcEvent(&e)
	return &e, nil
}

// EventHistory returns an event's status changes, oldest first.
func (s *Store) EventHistory(ctx context.Context, eventID int64) ([]EventStatusChange, error) {
	var h []EventStatusChange
	err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&h).Error
	for i := range h {
		h[i].At, h[i].ReceivedAt = h[i].At.UTC(), h[i].ReceivedAt.UTC()
	}
	return h, err
}

// DeliveryByID loads one delivery with its payload.
func (s *Store) DeliveryByID(ctx context.Context, id int64) (*Delivery, error) {
	var d Delivery
	if err := s.db.WithContext(ctx).First(&d, id).Error; err != nil {
		return nil, notFound(err)
	}
	d.ReceivedAt = d.ReceivedAt.UTC()
	return &d, nil
}

// ListDeliveries returns an integration's latest deliveries, without payloads.
func (s *Store) ListDeliveries(ctx context.Context, integrationID string, limit int) ([]Delivery, error) {
	var ds []Delivery
	err := s.db.WithContext(ctx).Omit("payload").Where("integration_id = ?", integrationID).
		Order("received_at DESC, id DESC").Limit(limit).Find(&ds).Error
	return ds, err
}

// PruneDeliveryPayloads blanks the raw payloads received before cutoff,
// keeping the delivery's metadata; it returns how many it pruned.
func (s *Store) PruneDeliveryPayloads(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Model(&Delivery{}).Where("received_at < ? AND NOT payload_pruned", cutoff).
		Updates(map[string]any{"payload": "", "payload_pruned": true})
	return res.RowsAffected, res.Error
}
