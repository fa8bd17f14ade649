package postmortem

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func i64(n int64) *int64        { return &n }
func f64(f float64) *float64    { return &f }
func at(t time.Time) *time.Time { return &t }

// utcAt is a fixed moment on the incident day.
func utcAt(hour, min int) *time.Time {
	return at(time.Date(2024, 3, 15, hour, min, 0, 0, time.UTC))
}

// paths returns the sorted paths of fe.
func paths(fe FieldErrors) []string {
	return slices.Sorted(maps.Keys(fe))
}

// checkPaths fails unless fe has exactly the want paths, each with a
// message.
func checkPaths(t *testing.T, name string, fe FieldErrors, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := paths(fe); !slices.Equal(got, want) {
		t.Errorf("%s: paths %q, want %q\n%v", name, got, want, fe)
	}
	for p, msg := range fe {
		if strings.TrimSpace(msg) == "" {
			t.Errorf("%s: %s has no message", name, p)
		}
	}
	if len(want) == 0 && fe != nil {
		t.Errorf("%s: valid input gave a non-nil FieldErrors %#v", name, fe)
	}
}
