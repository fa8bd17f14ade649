package models

import (
	"encoding/json"
	"time"
)

// Event is an alert over its life, a deploy with its latest status, a
// change or a note, as received from a tool.
type Event struct {
	ID              int64
	Scope           string // the integration id, or "api:<source>"
	IntegrationID   *string
	Source          string
	Kind            string
	DedupKey        string
	Status          string
	Title           string
	Description     string
	Severity        string
	Service         string
	Environment     string
	StartsAt        time.Time
	EndsAt          *time.Time
	CommitSHA       string
	Ref             string
	URL             string
	Labels          string // JSON object of strings
	HasMigrations   bool
	FirstDeliveryID *int64
	LastDeliveryID  *int64
	ReceivedAt      time.Time
	UpdatedAt       time.Time
}

// LabelMap decodes the labels.
func (e *Event) LabelMap() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(e.Labels), &m) // written by the store only
	return m
}

// Delivery is one webhook request as received.
type Delivery struct {
	ID            int64
	Scope         string
	IntegrationID *string
	DeliveryKey   string
	ReceivedAt    time.Time
	ContentType   string
	Headers       string // JSON object of the headers worth keeping
	Payload       string
	PayloadPruned bool
	Events        int
	Accepted      int
	Duplicates    int
	Redeliveries  int
}

// EventStatusChange is one step of an event's status history.
type EventStatusChange struct {
	ID         int64
	EventID    int64
	Status     string
	At         time.Time
	DeliveryID *int64
	ReceivedAt time.Time
}

func utcEvent(e *Event) {
	e.StartsAt, e.ReceivedAt, e.UpdatedAt = e.StartsAt.UTC(), e.ReceivedAt.UTC(), e.UpdatedAt.UTC()
	e.EndsAt = utcPtr(e.EndsAt)
}
