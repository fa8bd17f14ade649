// Package timeline is the pure logic of an incident's timeline: it
// suggests the key moments from the evidence and says why, validates their
// order, computes the durations, ranks the deploys that may have caused the
// incident, and draws the timeline as SVG. No HTTP, no database.
package timeline

import "time"

// Event is a piece of evidence as the timeline logic sees it.
type Event struct {
	ID            int64
	Kind          string // alert, deploy, change, note
	Source        string
	Service       string
	Environment   string
	Title         string
	Status        string // alert: firing/resolved; deploy: pending/in_progress/succeeded/failed/cancelled
	Severity      string // critical, high, warning, info or ""
	StartsAt      time.Time
	EndsAt        *time.Time
	Commit        string
	Ref           string
	HasMigrations bool
	Labels        map[string]string
	History       []StatusChange // oldest first
}

// StatusChange is one step of an event's status history.
type StatusChange struct {
	Status string
	At     time.Time
}

// Moment names.
const (
	Started      = "started"
	Detected     = "detected"
	Acknowledged = "acknowledged"
	Mitigated    = "mitigated"
	Resolved     = "resolved"
)

// MomentNames lists the key moments in their required order.
var MomentNames = []string{Started, Detected, Acknowledged, Mitigated, Resolved}

// Moments are an incident's key moments; nil means not set.
type Moments struct {
	Started, Detected, Acknowledged, Mitigated, Resolved *time.Time
}

// Suggestion proposes a time for one key moment and explains it.
type Suggestion struct {
	Moment  string
	At      time.Time
	Reason  string // e.g. "first alert on bookbot-api at 11:45 UTC"
	EventID int64  // the evidence, 0 when none
}

// Durations are computed from the key moments; nil when an end is missing.
type Durations struct {
	TimeToDetect      *time.Duration // started → detected
	TimeToAcknowledge *time.Duration // detected → acknowledged
	TimeToMitigate    *time.Duration // started → mitigated
	TimeToResolve     *time.Duration // started → resolved
	Impact            *time.Duration // started → mitigated, else → resolved
	// DetectionGap explains a late detection ("impact began 40 minutes
	// before the first alert"), "" when detection was prompt.
	DetectionGap string
}

// Suspect is a deploy or change that may have triggered the incident, with
// its score and the reasons for it.
type Suspect struct {
	Event   Event
	Score   float64
	Reasons []string
}

// Scope is what the incident is about: the services and environment that
// make evidence relevant.
type Scope struct {
	Services    []string
	Environment string
}
