package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"hindsight/ingest"
)

// IncomingDelivery is a parsed webhook request on its way to storage.
type IncomingDelivery struct {
	Scope         string  // integration id, or "api" for POST /api/v1/events
	IntegrationID *string // nil for the API
	Key           string  // the tool's delivery id, or a hash of the body
	ContentType   string
	Headers       map[string]string
	Payload       []byte
	Events        []ingest.Event // mapped and validated
}

// IngestResult counts what a delivery changed.
type IngestResult struct {
	Accepted   int  // events created or changed
	Duplicates int  // events that changed nothing, or all of a redelivered request
	Redelivery bool // the same delivery was stored before
	DeliveryID int64
}

// insertChunk bounds the rows of one multi-row INSERT (and so its bind
// parameters) well below both databases' limits; inListChunk bounds the ids
// of one IN list, which bind one parameter each.
const (
	insertChunk = 400
	inListChunk = 5000
)

// Ingest stores a delivery and its events in one transaction: all of it or,
// on any error, none of it. A redelivered request (same scope and key)
// changes nothing and is counted. Alerts are one event over their life:
// re-notifications that change nothing are duplicates, a resolve updates
// the same event. Status changes are kept as history.
func (s *Store) Ingest(ctx context.Context, in IncomingDelivery) (IngestResult, error) {
	var res IngestResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = IngestResult{}
		if s.dialect == Postgres {
			// Plan the dedup lookups with their actual keys: a cached generic
			// plan made while the events table was small keeps scanning it
			// sequentially as it grows (measured: a 100-alert webhook's p50
			// rose from 30 ms to 130 ms over 20,000 events). Scoped to this
			// transaction: elsewhere cached plans are the better choice.
			if err := tx.Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
				return err
			}
		}
		now := s.Now()
		headers, _ := json.Marshal(in.Headers)
		d := Delivery{Scope: in.Scope, IntegrationID: in.IntegrationID, DeliveryKey: in.Key, ReceivedAt: now,
			ContentType: in.ContentType, Headers: string(headers), Payload: string(in.Payload), Events: len(in.Events)}
		created := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "scope"}, {Name: "delivery_key"}}, DoNothing: true}).Create(&d)
		if created.Error != nil {
			return created.Error
		}
		if created.RowsAffected == 0 {
			res.Redelivery, res.Duplicates = true, len(in.Events)
			return tx.Model(&Delivery{}).Where("scope = ? AND delivery_key = ?", in.Scope, in.Key).
				Update("redeliveries", gorm.Expr("redeliveries + 1")).Error
		}
		res.DeliveryID = d.ID
		if err := s.applyEvents(tx, in, d.ID, now, &res); err != nil {
			return err
		}
		return tx.Model(&Delivery{}).Where("id = ?", d.ID).
			Updates(map[string]any{"accepted": res.Accepted, "duplicates": res.Duplicates}).Error
	})
	return res, err
}

// eventScope is where an event's dedup key is unique: its integration, or
// for the API its sender's source name, so that two senders' keys never
// collide.
func (in IncomingDelivery) eventScope(ev ingest.Event) string {
	if in.IntegrationID == nil {
		return "api:" + ev.Source
	}
	return in.Scope
}

type scopedKey struct{ scope, key string }

// eventState is one dedup key's event while a delivery is applied to it.
type eventState struct {
	row     Event
	isNew   bool
	changed bool
	history []EventStatusChange
}

func (s *Store) applyEvents(tx *gorm.DB, in IncomingDelivery, deliveryID int64, now time.Time, res *IngestResult) error {
	if len(in.Events) == 0 {
		return nil
	}
	keys := make([]scopedKey, 0, len(in.Events))
	seen := map[scopedKey]bool{}
	for _, ev := range in.Events {
		k := scopedKey{in.eventScope(ev), ev.DedupKey}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	states := make(map[scopedKey]*eventState, len(keys))
	if err := s.loadEventStates(tx, keys, states); err != nil {
		return err
	}
	for _, ev := range in.Events {
		k := scopedKey{in.eventScope(ev), ev.DedupKey}
		st := states[k]
		if st == nil {
			st = &eventState{row: newEventRow(in, k.scope, ev, deliveryID, now), isNew: true, changed: true}
			st.history = append(st.history, statusChange(ev, ev.Status, deliveryID, now))
			states[k] = st
			res.Accepted++
			continue
		}
		if mergeEvent(st, ev, deliveryID, now) {
			res.Accepted++
		} else {
			res.Duplicates++
		}
	}
	var fresh []*eventState
	for _, k := range keys {
		if st := states[k]; st.isNew {
			fresh = append(fresh, st)
		}
	}
	lost, err := s.insertEvents(tx, fresh)
	if err != nil {
		return err
	}
	if len(lost) > 0 {
		// A concurrent delivery created some of these keys after we looked:
		// merge into the stored rows instead.
		stored := map[scopedKey]*eventState{}
		lostKeys := make([]scopedKey, 0, len(lost))
		for _, st := range lost {
			lostKeys = append(lostKeys, scopedKey{st.row.Scope, st.row.DedupKey})
		}
		if err := s.loadEventStates(tx, lostKeys, stored); err != nil {
			return err
		}
		for _, st := range lost {
			k := scopedKey{st.row.Scope, st.row.DedupKey}
			cur := stored[k]
			if cur == nil {
				return fmt.Errorf("event %q vanished during ingest", k.key)
			}
			*st = *cur
			for _, ev := range in.Events {
				if (scopedKey{in.eventScope(ev), ev.DedupKey}) == k {
					mergeEvent(st, ev, deliveryID, now)
				}
			}
		}
	}
	var history []EventStatusChange
	for _, k := range keys {
		st := states[k]
		if !st.isNew && st.changed {
			if err := tx.Model(&Event{}).Where("id = ?", st.row.ID).Updates(eventUpdates(&st.row)).Error; err != nil {
				return err
			}
		}
		for _, h := range st.history {
			h.EventID = st.row.ID
			history = append(history, h)
		}
	}
	if len(history) > 0 {
		return tx.CreateInBatches(history, insertChunk).Error
	}
	return nil
}

// loadEventStates reads the stored events of the keys, locking them on
// PostgreSQL so that concurrent deliveries to one event apply in turn.
func (s *Store) loadEventStates(tx *gorm.DB, keys []scopedKey, into map[scopedKey]*eventState) error {
	byScope := map[string][]string{}
	var scopes []string
	for _, k := range keys {
		if _, ok := byScope[k.scope]; !ok {
			scopes = append(scopes, k.scope)
		}
		byScope[k.scope] = append(byScope[k.scope], k.key)
	}
	for _, scope := range scopes {
		scopeKeys := byScope[scope]
		for start := 0; start < len(scopeKeys); start += insertChunk {
			q := tx.Where("scope = ? AND dedup_key IN ?", scope, scopeKeys[start:min(start+insertChunk, len(scopeKeys))])
			if s.dialect == Postgres {
				q = q.Clauses(clause.Locking{Strength: "UPDATE"})
			}
			var rows []Event
			if err := q.Find(&rows).Error; err != nil {
				return err
			}
			for _, r := range rows {
				utcEvent(&r)
				into[scopedKey{r.Scope, r.DedupKey}] = &eventState{row: r}
			}
		}
	}
	return nil
}

func newEventRow(in IncomingDelivery, scope string, ev ingest.Event, deliveryID int64, now time.Time) Event {
	labels, _ := json.Marshal(nonNilLabels(ev.Labels))
	id := deliveryID
	return Event{
		Scope: scope, IntegrationID: in.IntegrationID, Source: ev.Source, Kind: ev.Kind, DedupKey: ev.DedupKey,
		Status: ev.Status, Title: ev.Title, Description: ev.Description, Severity: ev.Severity, Service: ev.Service,
		Environment: ev.Environment, StartsAt: ev.StartsAt.UTC(), EndsAt: utcPtr(ev.EndsAt), CommitSHA: ev.Commit,
		Ref: ev.Ref, URL: ev.URL, Labels: string(labels), HasMigrations: ev.HasMigrations,
		FirstDeliveryID: &id, LastDeliveryID: &id, ReceivedAt: now, UpdatedAt: now,
	}
}

func nonNilLabels(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// terminal statuses are not undone by a late, out-of-order notification.
var terminal = map[string]bool{
	ingest.StatusResolved: true, ingest.StatusSucceeded: true, ingest.StatusFailed: true, ingest.StatusCancelled: true,
}

// mergeEvent folds a notification into the stored event and reports whether
// anything changed.
func mergeEvent(st *eventState, ev ingest.Event, deliveryID int64, now time.Time) bool {
	r := &st.row
	before := *r
	status := ev.Status
	if terminal[r.Status] && !terminal[status] {
		status = r.Status // e.g. a re-sent "firing" after the resolve
	}
	if status != r.Status {
		st.history = append(st.history, statusChange(ev, status, deliveryID, now))
		r.Status = status
	}
	if ev.EndsAt != nil && terminal[status] {
		r.EndsAt = utcPtr(ev.EndsAt)
	}
	if ev.StartsAt.Before(r.StartsAt) {
		r.StartsAt = ev.StartsAt.UTC()
	}
	setIf := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setIf(&r.Title, ev.Title)
	setIf(&r.Description, ev.Description)
	setIf(&r.Severity, ev.Severity)
	setIf(&r.Service, ev.Service)
	setIf(&r.Environment, ev.Environment)
	setIf(&r.CommitSHA, ev.Commit)
	setIf(&r.Ref, ev.Ref)
	setIf(&r.URL, ev.URL)
	r.HasMigrations = r.HasMigrations || ev.HasMigrations
	if len(ev.Labels) > 0 {
		merged := r.LabelMap()
		for k, v := range ev.Labels {
			merged[k] = v
		}
		b, _ := json.Marshal(merged)
		r.Labels = string(b)
	}
	if sameEvent(&before, r) {
		return false
	}
	id := deliveryID
	r.LastDeliveryID, r.UpdatedAt = &id, now
	st.changed = true
	return true
}

func sameEvent(a, b *Event) bool {
	return a.Status == b.Status && timePtrEqual(a.EndsAt, b.EndsAt) && a.StartsAt.Equal(b.StartsAt) &&
		a.Title == b.Title && a.Description == b.Description && a.Severity == b.Severity &&
		a.Service == b.Service && a.Environment == b.Environment && a.CommitSHA == b.CommitSHA &&
		a.Ref == b.Ref && a.URL == b.URL && a.HasMigrations == b.HasMigrations && sameJSON(a.Labels, b.Labels)
}

func sameJSON(a, b string) bool {
	if a == b {
		return true
	}
	var ma, mb map[string]string
	if json.Unmarshal([]byte(a), &ma) != nil || json.Unmarshal([]byte(b), &mb) != nil || len(ma) != len(mb) {
		return false
	}
	for k, v := range ma {
		if w, ok := mb[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func timePtrEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// statusChange dates a status: firing at the alert's start, terminal states
// at their end, anything else when we heard of it.
func statusChange(ev ingest.Event, status string, deliveryID int64, now time.Time) EventStatusChange {
	at := now
	switch {
	case terminal[status] && ev.EndsAt != nil:
		at = ev.EndsAt.UTC()
	case status == ingest.StatusFiring || status == ingest.StatusPending || status == "":
		at = ev.StartsAt.UTC()
	}
	id := deliveryID
	return EventStatusChange{Status: status, At: at, DeliveryID: &id, ReceivedAt: now}
}

func eventUpdates(r *Event) map[string]any {
	return map[string]any{
		"status": r.Status, "title": r.Title, "description": r.Description, "severity": r.Severity,
		"service": r.Service, "environment": r.Environment, "starts_at": r.StartsAt, "ends_at": r.EndsAt,
		"commit_sha": r.CommitSHA, "ref": r.Ref, "url": r.URL, "labels": r.Labels, "has_migrations": r.HasMigrations,
		"last_delivery_id": r.LastDeliveryID, "updated_at": r.UpdatedAt,
	}
}

var eventColumns = []string{"scope", "integration_id", "source", "kind", "dedup_key", "status", "title", "description",
	"severity", "service", "environment", "starts_at", "ends_at", "commit_sha", "ref", "url", "labels",
	"has_migrations", "first_delivery_id", "last_delivery_id", "received_at", "updated_at"}

// insertEvents writes new events with multi-row INSERTs. Rows whose key a
// concurrent delivery took first come back as lost.
func (s *Store) insertEvents(tx *gorm.DB, fresh []*eventState) (lost []*eventState, err error) {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(eventColumns)), ", ") + ")"
	for start := 0; start < len(fresh); start += insertChunk {
		chunk := fresh[start:min(start+insertChunk, len(fresh))]
		var sql strings.Builder
		sql.WriteString("INSERT INTO events (" + strings.Join(eventColumns, ", ") + ") VALUES ")
		args := make([]any, 0, len(chunk)*len(eventColumns))
		byKey := make(map[scopedKey]*eventState, len(chunk))
		for i, st := range chunk {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString(row)
			r := &st.row
			args = append(args, r.Scope, r.IntegrationID, r.Source, r.Kind, r.DedupKey, r.Status, r.Title, r.Description,
				r.Severity, r.Service, r.Environment, r.StartsAt, r.EndsAt, r.CommitSHA, r.Ref, r.URL, r.Labels,
				r.HasMigrations, r.FirstDeliveryID, r.LastDeliveryID, r.ReceivedAt, r.UpdatedAt)
			byKey[scopedKey{r.Scope, r.DedupKey}] = st
		}
		sql.WriteString(" ON CONFLICT (scope, dedup_key) DO NOTHING RETURNING id, scope, dedup_key")
		// Rows, not Scan: gorm's Scan renders the statement with its 9,000
		// arguments inlined for a logger that discards it.
		rows, err := tx.Raw(sql.String(), args...).Rows()
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k scopedKey
			var id int64
			if err := rows.Scan(&id, &k.scope, &k.key); err != nil {
				rows.Close()
				return nil, err
			}
			byKey[k].row.ID = id
			delete(byKey, k)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		for _, st := range byKey {
			lost = append(lost, st)
		}
	}
	return lost, nil
}
