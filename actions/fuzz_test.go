package actions

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParseTrackerURL: no panic; an error is a tracker_url *FieldError
// with a message and a zero Tracker; a tracker has a System and a Key, and
// its URL is an absolute http(s) URL that parses back to the same tracker.
func FuzzParseTrackerURL(f *testing.F) {
	for _, s := range trackerSeeds {
		f.Add(s)
	}
	f.Add("https://gitlab.com/g/issues/issues/8")
	f.Add("https://x.io/a/b/c/merge_requests/1/-/issues/2")
	f.Add("https://a.atlassian.net/jira/x/projects/P/issues/PP-1?selectedIssue=QQ-2")
	f.Add("http://[fe80::1%25en0]/")
	f.Add("https://example.com/%E2%80%AE?q=%00#%FF")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseTrackerURL(in)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "tracker_url" || fe.Message == "" {
				t.Fatalf("ParseTrackerURL(%q): error %#v is not a tracker_url FieldError", in, err)
			}
			if got != (Tracker{}) {
				t.Fatalf("ParseTrackerURL(%q) = %+v with error %v", in, got, err)
			}
			return
		}
		checkTracker(t, in, got)
		switch got.System {
		case "", SystemGitHub, SystemGitLab, SystemJira, SystemLinear, SystemLink:
		default:
			t.Fatalf("ParseTrackerURL(%q): unknown system %q", in, got.System)
		}
	})
}

// FuzzQualityHints: no panic, the same hints every time, known fields with
// messages, and no owner or due date hints for closed actions.
func FuzzQualityHints(f *testing.F) {
	f.Add("Look into better alerting, etc.", "", "", "", int64(1709251200), true, "open", int64(1710496800), uint8(1))
	f.Add("Add code-review checklist item for migrations", "desc", "alice", "sre", int64(0), false, "done", int64(1710496800), uint8(0))
	f.Add("We need to - try to / be more careful (as needed)", "", "", "team", int64(-1), true, "", int64(0), uint8(2))
	f.Add("Don’t-  review’s ’s- -'x'", "", " ", "", int64(1<<40), true, "blocked", int64(-1<<40), uint8(3))
	zones := []*time.Location{time.UTC, zone(f, "America/New_York"), zone(f, "Pacific/Auckland"), zone(f, "Pacific/Kiritimati")}
	fields := []string{"title", "owner", "due"}
	f.Fuzz(func(t *testing.T, title, desc, owner, team string, due int64, hasDue bool, status string, now int64, z uint8) {
		d := Draft{Title: title, Description: desc, Owner: owner, Team: team, Status: status}
		if hasDue {
			d.Due = ptr(time.Unix(due, 0).UTC())
		}
		n := time.Unix(now, 0).In(zones[int(z)%len(zones)])
		first := QualityHints(d, n)
		if again := QualityHints(d, n); !slices.Equal(first, again) {
			t.Fatalf("not deterministic: %q then %q", first, again)
		}
		for _, h := range first {
			if !slices.Contains(fields, h.Field) || h.Message == "" {
				t.Fatalf("bad hint %+v", h)
			}
			if IsClosed(status) && h.Field != "title" {
				t.Fatalf("hint %+v for a %s action", h, status)
			}
		}
		if len(first) > 4 {
			t.Fatalf("%d hints: %q", len(first), first)
		}
		for _, p := range vaguePhrases(tokenize(title)) {
			if !slices.ContainsFunc(append(slices.Clone(vagueAnywhere), vagueVerbs...), func(w []string) bool { return strings.Join(w, " ") == p }) {
				t.Fatalf("unknown vague phrase %q in %q", p, title)
			}
		}
	})
}
