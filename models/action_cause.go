package models

import "strings"

// Kinds of cause an action can address (Action.Cause is "<kind>:<id>").
const (
	CauseWhy    = "why"    // a Five Whys step: "why:w3"
	CauseFactor = "factor" // a contributing factor: "factor:f2"
)

// ActionCause builds the Cause of an action addressing the step or factor
// with this id.
func ActionCause(kind, id string) string { return kind + ":" + id }

// ParseActionCause splits a cause into its kind (CauseWhy, CauseFactor) and
// the id of the step or factor; ok is false for "" and for anything else
// that is not a cause.
func ParseActionCause(cause string) (kind, id string, ok bool) {
	kind, id, found := strings.Cut(cause, ":")
	if !found || (kind != CauseWhy && kind != CauseFactor) || !validCauseID(id) {
		return "", "", false
	}
	return kind, id, true
}

// ValidActionCause reports whether cause may be stored: "" (no cause),
// "why:<id>" or "factor:<id>", the id being what the postmortem's steps
// and factors use (1 to 40 letters, digits, '-' or '_'). Whether that step
// or factor exists is the postmortem's business: it can be deleted later.
func ValidActionCause(cause string) bool {
	if cause == "" {
		return true
	}
	_, _, ok := ParseActionCause(cause)
	return ok
}

func validCauseID(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
