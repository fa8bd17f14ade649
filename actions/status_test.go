package actions

import (
	"errors"
	"slices"
	"testing"
)

func TestEnums(t *testing.T) {
	if want := []string{"open", "in_progress", "blocked", "done", "wont_do"}; !slices.Equal(Statuses, want) {
		t.Errorf("Statuses = %v", Statuses)
	}
	if want := []string{"P1", "P2", "P3", "P4"}; !slices.Equal(Priorities, want) {
		t.Errorf("Priorities = %v", Priorities)
	}
	if want := []string{"prevent", "mitigate", "detect", "respond", "process"}; !slices.Equal(Kinds, want) {
		t.Errorf("Kinds = %v", Kinds)
	}
	for _, s := range []string{"", "Open", " open", "closed", "won't do"} {
		if ValidStatus(s) {
			t.Errorf("ValidStatus(%q) = true", s)
		}
	}
	if ValidPriority("p1") || ValidPriority("P5") || !ValidPriority("P4") {
		t.Error("ValidPriority")
	}
	if ValidKind("Prevent") || !ValidKind("detect") {
		t.Error("ValidKind")
	}
}

func TestStatusPredicates(t *testing.T) {
	tests := []struct {
		status                        string
		closed, openLike, needsReason bool
	}{
		{"open", false, true, false},
		{"in_progress", false, true, false},
		{"blocked", false, true, true},
		{"done", true, false, false},
		{"wont_do", true, false, true},
		{"", false, false, false},
		{"Done", false, false, false},
		{"cancelled", false, false, false},
	}
	for _, tt := range tests {
		if got := IsClosed(tt.status); got != tt.closed {
			t.Errorf("IsClosed(%q) = %v", tt.status, got)
		}
		if got := IsOpenLike(tt.status); got != tt.openLike {
			t.Errorf("IsOpenLike(%q) = %v", tt.status, got)
		}
		if got := NeedsReason(tt.status); got != tt.needsReason {
			t.Errorf("NeedsReason(%q) = %v", tt.status, got)
		}
	}
}

func TestValidateTransition(t *testing.T) {
	tests := []struct {
		from, to, reason string
		field            string // "" means no error
	}{
		{"open", "in_progress", "", ""},
		{"open", "done", "", ""},
		{"done", "open", "", ""}, // reopening is allowed
		{"wont_do", "in_progress", "", ""},
		{"blocked", "open", "", ""},
		{"", "open", "", ""}, // a new action
		{"open", "blocked", "waiting for the vendor's fix", ""},
		{"open", "blocked", "", "reason"},
		{"open", "blocked", " \t\n", "reason"},
		{"", "blocked", "", "reason"},
		{"done", "wont_do", "superseded by OPS-9", ""},
		{"open", "wont_do", "", "reason"},
		{"blocked", "blocked", "", ""}, // not a transition
		{"wont_do", "wont_do", "", ""},
		{"garbage", "open", "", ""}, // a bad stored status can be repaired
		{"open", "closed", "x", "status"},
		{"open", "", "", "status"},
		{"open", "Done", "", "status"},
		{"garbage", "garbage", "", "status"},
	}
	for _, tt := range tests {
		err := ValidateTransition(tt.from, tt.to, tt.reason)
		if tt.field == "" {
			if err != nil {
				t.Errorf("ValidateTransition(%q, %q, %q) = %v", tt.from, tt.to, tt.reason, err)
			}
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || fe.Message == "" {
			t.Errorf("ValidateTransition(%q, %q, %q) = %v; want a %q FieldError", tt.from, tt.to, tt.reason, err, tt.field)
		}
	}
	err := ValidateTransition("open", "wont_do", "")
	if got, want := err.Error(), "reason: Say why this action won't be done."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	err = ValidateTransition("open", "blocked", "")
	if got, want := err.Error(), "reason: Say what this action is blocked on."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
