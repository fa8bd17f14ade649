// Package actions is the pure logic of corrective actions, the follow-ups
// a postmortem commits to: their statuses, priorities and kinds, the
// status transitions, the tracker links (GitHub, GitLab, Jira, Linear or
// any web page), the non-blocking quality hints shown while one is written,
// and the dashboard figures. No HTTP, no database and no wall clock: every
// function that depends on the time takes now (and a *time.Location where
// "today" matters).
package actions

import (
	"slices"
	"strings"
)

// Statuses of an action.
const (
	StatusOpen       = "open"
	StatusInProgress = "in_progress"
	StatusBlocked    = "blocked"
	StatusDone       = "done"
	StatusWontDo     = "wont_do"
)

// Priorities, P1 the most urgent.
const (
	PriorityP1 = "P1"
	PriorityP2 = "P2"
	PriorityP3 = "P3"
	PriorityP4 = "P4"
)

// Kinds: what an action does about the next incident.
const (
	KindPrevent  = "prevent"  // stop it from happening again
	KindMitigate = "mitigate" // make it smaller or shorter
	KindDetect   = "detect"   // notice it sooner
	KindRespond  = "respond"  // handle it better once noticed
	KindProcess  = "process"  // change how people work
)

// Statuses, Priorities and Kinds list the allowed values in display order.
// Treat them as read-only.
var (
	Statuses   = []string{StatusOpen, StatusInProgress, StatusBlocked, StatusDone, StatusWontDo}
	Priorities = []string{PriorityP1, PriorityP2, PriorityP3, PriorityP4}
	Kinds      = []string{KindPrevent, KindMitigate, KindDetect, KindRespond, KindProcess}
)

// ValidStatus, ValidPriority and ValidKind report whether s is one of the
// allowed values, exactly (case-sensitive, no trimming).
func ValidStatus(s string) bool   { return slices.Contains(Statuses, s) }
func ValidPriority(s string) bool { return slices.Contains(Priorities, s) }
func ValidKind(s string) bool     { return slices.Contains(Kinds, s) }

// IsClosed reports whether an action in this status needs no more work:
// done or wont_do.
func IsClosed(status string) bool { return status == StatusDone || status == StatusWontDo }

// IsOpenLike reports whether an action in this status still needs work:
// open, in_progress or blocked. Unknown statuses are neither open-like nor
// closed.
func IsOpenLike(status string) bool {
	return status == StatusOpen || status == StatusInProgress || status == StatusBlocked
}

// NeedsReason reports whether moving an action to this status requires a
// reason: blocked (on what?) and wont_do (why not?).
func NeedsReason(status string) bool { return status == StatusBlocked || status == StatusWontDo }

// FieldError is a validation error about one form field, with a message
// that is safe to show to the user next to that field.
type FieldError struct {
	Field   string // the form field: "status", "reason", "tracker_url"
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidateTransition checks a status change. Any status may move to any
// other, but blocked and wont_do need a non-blank reason. from is not
// checked, so an action with a bad stored status can still be repaired, and
// "" stands for a new action. Staying in the same status is not a
// transition and is always allowed. Errors are *FieldError: Field "status"
// for an unknown target, "reason" for a missing reason.
func ValidateTransition(from, to, reason string) error {
	if !ValidStatus(to) {
		return &FieldError{Field: "status", Message: "Choose one of: " + strings.Join(Statuses, ", ") + "."}
	}
	if from == to {
		return nil
	}
	if NeedsReason(to) && strings.TrimSpace(reason) == "" {
		msg := "Say what this action is blocked on."
		if to == StatusWontDo {
			msg = "Say why this action won't be done."
		}
		return &FieldError{Field: "reason", Message: msg}
	}
	return nil
}
