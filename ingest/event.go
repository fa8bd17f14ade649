// Package ingest turns the webhooks that monitoring, error-tracking and
// deploy tools send into Hindsight's one normalised event model. It is pure:
// no HTTP server, no database. Each tool has a parser (its payload, byte for
// byte as the tool sends it) and, where the tool signs its requests, a
// verifier; both are table-tested and fuzzed here.
package ingest

import (
	"fmt"
	"strings"
	"time"
)

// Event kinds.
const (
	KindAlert  = "alert"
	KindDeploy = "deploy"
	KindChange = "change"
	KindNote   = "note"
)

// Statuses. Alerts fire and resolve; deploys move through the deploy states;
// changes and notes have none ("").
const (
	StatusFiring     = "firing"
	StatusResolved   = "resolved"
	StatusPending    = "pending"
	StatusInProgress = "in_progress"
	StatusSucceeded  = "succeeded"
	StatusFailed     = "failed"
	StatusCancelled  = "cancelled"
)

// Normalised severities, most severe first.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Severities lists the normalised severities, most severe first.
var Severities = []string{SeverityCritical, SeverityHigh, SeverityWarning, SeverityInfo}

// Event is one alert over its life, one deploy with its latest status, a
// change or a note, as Hindsight stores it.
type Event struct {
	Kind        string
	Source      string // the tool, e.g. "alertmanager", or the generic sender's own name
	DedupKey    string // the event's identity within its source: redeliveries and updates share it
	Status      string
	Title       string
	Description string
	Severity    string // one of Severities, or "" when the tool gives none
	Service     string
	Environment string
	StartsAt    time.Time
	EndsAt      *time.Time
	Commit      string
	Ref         string
	URL         string
	Labels      map[string]string
	// HasMigrations marks a deploy that carries database migrations.
	HasMigrations bool
}

// Delivery is what one webhook request carries.
type Delivery struct {
	// ID is the tool's own delivery id (for example GitHub's
	// X-GitHub-Delivery); empty when the tool sends none, in which case the
	// body's hash identifies redeliveries.
	ID     string
	Events []Event
}

// Error is a parse or validation problem that names where it is, so that
// the HTTP answer can say which field of which item is wrong.
type Error struct {
	Index int    // position in a batch, or -1
	Field string // JSON field or header, may be empty
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Index >= 0 {
		fmt.Fprintf(&b, "item %d: ", e.Index)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errorf builds an *Error at index (-1 outside a batch) naming field.
func Errorf(index int, field, format string, args ...any) *Error {
	return &Error{Index: index, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Setup tells an admin how to point a tool at Hindsight: the steps, and the
// exact configuration to paste, filled in with the integration's URL and
// secret.
type Setup struct {
	Steps          []string
	Config         string
	ConfigLanguage string // "yaml", "json", "text"
}

// ShellQuote quotes s for a POSIX shell, for commands in set-up steps.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
