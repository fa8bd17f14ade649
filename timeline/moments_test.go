package timeline

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fixtures shared by the moments, durations and suspects tests (the fx
// prefix keeps them apart from other test files of the package).

var fxCET = time.FixedZone("CET", 3600)

// fxAt is 17 November 2022 (the bookbot incident's day) at h:m CET.
func fxAt(h, m int) time.Time { return time.Date(2022, 11, 17, h, m, 0, 0, fxCET) }

func fxPtr(t time.Time) *time.Time { return &t }

var fxBookbotScope = Scope{Services: []string{"bookbot-api", "bookbot-chat"}, Environment: "production"}

// fxBookbot is the evidence of the bookbot incident
// (/work/shared/incidents/bookbot-migration.md), as the tools would have
// sent it: the 11:30 feature deploy with its migration, an unrelated billing
// deploy at 11:05, alerts from 11:45, the manual migration run, two hotfixes
// and the alerts resolved by 12:45.
func fxBookbot() []Event {
	return []Event{
		{ID: 1, Kind: "deploy", Source: "github", Service: "bookbot-api", Environment: "production",
			Title: "Merge feature/recommendations (1,337 lines)", Status: "succeeded",
			StartsAt: fxAt(11, 30), EndsAt: fxPtr(fxAt(11, 32)), Commit: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
			Ref: "main", HasMigrations: true},
		{ID: 2, Kind: "deploy", Source: "github", Service: "billing", Environment: "production",
			Title: "Invoice PDF footer", Status: "succeeded", StartsAt: fxAt(11, 5), EndsAt: fxPtr(fxAt(11, 7)),
			Commit: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"},
		{ID: 3, Kind: "alert", Source: "sentry", Service: "bookbot-api", Environment: "production",
			Title: "Errors on /recommendations", Status: "resolved", Severity: "critical",
			StartsAt: fxAt(11, 45), EndsAt: fxPtr(fxAt(12, 45))},
		{ID: 4, Kind: "alert", Source: "sentry", Service: "bookbot-chat", Environment: "production",
			Title: "Chatbot users get error replies", Status: "resolved", Severity: "high",
			StartsAt: fxAt(11, 48), EndsAt: fxPtr(fxAt(12, 41))},
		{ID: 5, Kind: "change", Source: "generic", Service: "bookbot-api", Environment: "production",
			Title: "Run the pending migration by hand", StartsAt: fxAt(11, 55)},
		{ID: 6, Kind: "deploy", Source: "github", Service: "bookbot-api", Environment: "production",
			Title: "hotfix: recommendation query", Status: "succeeded", StartsAt: fxAt(12, 20),
			Commit: "b2c3d4e5f60718293a4b5c6d7e8f901234567890"},
		{ID: 7, Kind: "deploy", Source: "github", Service: "bookbot-api", Environment: "production",
			Title: "hotfix: empty shelf", Status: "succeeded", StartsAt: fxAt(12, 38),
			Commit: "c3d4e5f60718293a4b5c6d7e8f90123456789012"},
	}
}

func fxAlert(id int64, svc string, start time.Time, end *time.Time) Event {
	status := "firing"
	if end != nil {
		status = "resolved"
	}
	return Event{ID: id, Kind: "alert", Source: "alertmanager", Service: svc, Environment: "production",
		Title: "alert " + svc, Status: status, StartsAt: start, EndsAt: end}
}

func fxDeploy(id int64, svc string, start time.Time, status string) Event {
	return Event{ID: id, Kind: "deploy", Source: "github", Service: svc, Environment: "production",
		Title: "deploy " + svc, Status: status, StartsAt: start, Commit: strings.Repeat(string(rune('a'+id%6)), 40)}
}

func fxWith(e Event, f func(*Event)) Event { f(&e); return e }

// fxWant is an expected suggestion: the reason must contain every phrase.
type fxWant struct {
	moment  string
	at      time.Time
	eventID int64
	phrases []string
}

func TestSuggestMoments(t *testing.T) {
	api := []string{"bookbot-api"}
	prod := Scope{Services: api, Environment: "production"}
	cases := []struct {
		name   string
		events []Event
		scope  Scope
		loc    *time.Location
		want   []fxWant
		lacks  []string // phrases no reason may contain
	}{
		{
			// Impact ended when the last alert resolved (12:45), after the
			// second hotfix; the first hotfix (12:20) did not end it.
			name: "bookbot: the last alert resolved mitigates, after the last hotfix", events: fxBookbot(), scope: fxBookbotScope, loc: fxCET,
			want: []fxWant{
				{Started, fxAt(11, 45), 3, []string{"first alert on `bookbot-api` at 11:45 CET"}},
				{Detected, fxAt(11, 45), 3, []string{"first alert on `bookbot-api` fired at 11:45 CET"}},
				{Mitigated, fxAt(12, 45), 3, []string{"last alert on `bookbot-api` resolved at 12:45 CET", "after deploy `c3d4e5f` of `bookbot-api` succeeded at 12:38 CET"}},
				{Resolved, fxAt(12, 45), 3, []string{"last alert on `bookbot-api` resolved at 12:45 CET", "both alerts resolved"}},
			},
			lacks: []string{"`b2c3d4e`", "first after detection", "alerts still fire"},
		},
		{name: "no events", events: nil, scope: prod, want: nil},
		{
			name: "no alerts: deploys alone suggest nothing",
			events: []Event{fxDeploy(1, "bookbot-api", fxAt(11, 30), "succeeded"),
				fxDeploy(2, "bookbot-api", fxAt(12, 20), "succeeded")},
			scope: prod, want: nil,
		},
		{
			name: "alerts never resolved: no resolution, the deploy still mitigates",
			events: []Event{fxAlert(1, "bookbot-api", fxAt(11, 45), nil), fxAlert(2, "bookbot-api", fxAt(11, 50), nil),
				fxDeploy(3, "bookbot-api", fxAt(12, 20), "succeeded")},
			scope: prod, loc: fxCET,
			want: []fxWant{
				{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Mitigated, fxAt(12, 20), 3, []string{"deploy `ddddddd` of `bookbot-api` succeeded at 12:20 CET, the first after detection; alerts still fire"}},
			},
		},
		{
			name: "one of two alerts still firing: first resolved alert mitigates, no resolution",
			events: []Event{fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 10))),
				fxAlert(2, "bookbot-api", fxAt(11, 50), nil)},
			scope: prod, loc: fxCET,
			want: []fxWant{
				{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Mitigated, fxAt(12, 10), 1, []string{"first alert on `bookbot-api` resolved at 12:10 CET", "no successful deploy after detection"}},
			},
			lacks: []string{"last alert"},
		},
		{
			name:   "a firing alert with a (future) EndsAt has not ended",
			events: []Event{fxWith(fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(13, 0))), func(e *Event) { e.Status = "firing" })},
			scope:  prod,
			want:   []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil}},
		},
		{
			name: "deploys after the impact started: a failed one and one before detection-time success do not mitigate",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				// Started before the impact, finished after detection: the cause, not a fix.
				fxWith(fxDeploy(2, "bookbot-api", fxAt(11, 30), "succeeded"), func(e *Event) { e.EndsAt = fxPtr(fxAt(12, 5)) }),
				fxDeploy(3, "bookbot-api", fxAt(12, 0), "failed"),
				fxDeploy(4, "bookbot-api", fxAt(12, 10), "in_progress"),
				fxWith(fxDeploy(5, "bookbot-api", fxAt(12, 15), "succeeded"), func(e *Event) { e.EndsAt = fxPtr(fxAt(12, 22)) }),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{
				{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Mitigated, fxAt(12, 45), 1, []string{"last alert on `bookbot-api` resolved at 12:45 CET, after deploy `fffffff` of `bookbot-api` succeeded at 12:22 CET"}},
				{Resolved, fxAt(12, 45), 1, []string{"the only alert resolved"}},
			},
			lacks: []string{"`ccccccc`", "`ddddddd`", "`eeeeeee`"},
		},
		{
			name: "the same deploys while the alert still fires: the first successful one after detection mitigates",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), nil),
				fxWith(fxDeploy(2, "bookbot-api", fxAt(11, 30), "succeeded"), func(e *Event) { e.EndsAt = fxPtr(fxAt(12, 5)) }),
				fxDeploy(3, "bookbot-api", fxAt(12, 0), "failed"),
				fxDeploy(4, "bookbot-api", fxAt(12, 10), "in_progress"),
				fxWith(fxDeploy(5, "bookbot-api", fxAt(12, 15), "succeeded"), func(e *Event) { e.EndsAt = fxPtr(fxAt(12, 22)) }),
				fxDeploy(6, "bookbot-api", fxAt(12, 30), "succeeded"),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{
				{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Mitigated, fxAt(12, 22), 5, []string{"deploy `fffffff` of `bookbot-api` succeeded at 12:22 CET, the first after detection; alerts still fire"}},
			},
			lacks: []string{"`aaaaaaa`", "`ccccccc`", "`ddddddd`", "`eeeeeee`", "last alert"},
		},
		{
			name: "all alerts resolved: only a successful in-scope deploy after detection is named, however late the others",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				fxWith(fxDeploy(5, "bookbot-api", fxAt(12, 15), "succeeded"), func(e *Event) { e.EndsAt = fxPtr(fxAt(12, 22)) }),
				// Each of these comes later than 12:22 and before 12:45, and none counts.
				fxWith(fxDeploy(2, "bookbot-api", fxAt(11, 30), "succeeded"), func(e *Event) { e.EndsAt = fxPtr(fxAt(12, 40)) }), // started before the impact
				fxDeploy(3, "bookbot-api", fxAt(12, 30), "failed"),
				fxDeploy(4, "bookbot-api", fxAt(12, 32), "in_progress"),
				fxWith(fxDeploy(6, "bookbot-api", fxAt(12, 34), "succeeded"), func(e *Event) { e.Environment = "staging" }),
				fxDeploy(7, "payments", fxAt(12, 36), "succeeded"),
				{ID: 8, Kind: "change", Service: "bookbot-api", Environment: "production", Status: "succeeded", StartsAt: fxAt(12, 38), Ref: "feature-flag"},
			},
			scope: prod, loc: fxCET,
			want: []fxWant{
				{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Mitigated, fxAt(12, 45), 1, []string{"last alert on `bookbot-api` resolved at 12:45 CET, after deploy `fffffff` of `bookbot-api` succeeded at 12:22 CET"}},
				{Resolved, fxAt(12, 45), 1, nil},
			},
			lacks: []string{"`ccccccc`", "`ddddddd`", "`eeeeeee`", "`aaaaaaa`", "`bbbbbbb`", "`feature-flag`", "12:40", "12:34", "12:36", "12:38"},
		},
		{
			name: "the success time comes from the status history first",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), nil),
				fxWith(fxDeploy(2, "bookbot-api", fxAt(12, 15), "succeeded"), func(e *Event) {
					e.EndsAt = fxPtr(fxAt(12, 30))
					e.History = []StatusChange{{"in_progress", fxAt(12, 15)}, {"succeeded", fxAt(12, 19)}}
				}),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Mitigated, fxAt(12, 19), 2, []string{"at 12:19 CET"}}},
		},
		{
			name: "a deploy that succeeded after the last alert resolved is not the mitigation",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 30))),
				fxDeploy(2, "bookbot-api", fxAt(14, 0), "succeeded"),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Mitigated, fxAt(12, 30), 1, []string{"last alert on `bookbot-api` resolved at 12:30 CET"}},
				{Resolved, fxAt(12, 30), 1, []string{"last alert on `bookbot-api` resolved at 12:30 CET"}}},
			lacks: []string{"after deploy", "`ccccccc`", "14:00"},
		},
		{
			name: "rollback said so",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 10))),
				fxWith(fxDeploy(2, "bookbot-api", fxAt(11, 58), "succeeded"), func(e *Event) {
					e.Title, e.Commit, e.Ref = "Revert \"Merge feature/recommendations\"", "", "v1.4.2"
				}),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Mitigated, fxAt(12, 10), 1, []string{"last alert on `bookbot-api` resolved at 12:10 CET, after `bookbot-api` rolled back (deploy `v1.4.2`) at 11:58 CET"}},
				{Resolved, fxAt(12, 10), 1, nil}},
		},
		{
			name: "rollback said by a label",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), nil),
				fxWith(fxDeploy(2, "bookbot-api", fxAt(11, 58), "succeeded"), func(e *Event) { e.Labels = map[string]string{"rollback": "true"} }),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Mitigated, fxAt(11, 58), 2, []string{"`bookbot-api` rolled back: deploy `ccccccc` succeeded at 11:58 CET"}}},
		},
		{
			name: "acknowledged: earliest label or status change, none before the alert's start, bad ones ignored",
			events: []Event{
				fxWith(fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))), func(e *Event) {
					e.Labels = map[string]string{"acknowledged_at": "2022-11-17T10:53:30.5Z"} // 11:53 CET
				}),
				fxWith(fxAlert(2, "bookbot-chat", fxAt(11, 48), fxPtr(fxAt(12, 40))), func(e *Event) {
					e.History = []StatusChange{{"firing", fxAt(11, 48)}, {"Acknowledged", fxAt(11, 51)}, {"resolved", fxAt(12, 40)}}
				}),
				fxWith(fxAlert(3, "bookbot-api", fxAt(12, 0), fxPtr(fxAt(12, 30))), func(e *Event) {
					e.Labels = map[string]string{"acknowledged_at": "2022-11-17T10:40:00Z"} // before its own start
				}),
				fxWith(fxAlert(4, "bookbot-api", fxAt(12, 1), fxPtr(fxAt(12, 30))), func(e *Event) {
					e.Labels = map[string]string{"acknowledged_at": "yesterday"}
				}),
				fxWith(fxAlert(5, "bookbot-api", fxAt(12, 2), fxPtr(fxAt(12, 30))), func(e *Event) {
					e.History = []StatusChange{{"acknowledged", time.Time{}}}
				}),
			},
			scope: fxBookbotScope, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Acknowledged, fxAt(11, 51), 2, []string{"alert on `bookbot-chat` acknowledged at 11:51 CET"}},
				{Mitigated, fxAt(12, 45), 1, []string{"last alert on `bookbot-api` resolved at 12:45 CET"}},
				{Resolved, fxAt(12, 45), 1, []string{"all 5 alerts resolved"}}},
		},
		{
			name: "several services: only the scope's alerts and deploys count",
			events: []Event{
				fxAlert(1, "payments", fxAt(11, 30), fxPtr(fxAt(11, 40))),
				fxAlert(2, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				fxAlert(3, "payments", fxAt(11, 50), nil),
				fxDeploy(4, "payments", fxAt(12, 0), "succeeded"),
				fxDeploy(5, "bookbot-chat", fxAt(12, 5), "succeeded"),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 2, []string{"first alert on `bookbot-api` at 11:45 CET"}},
				{Detected, fxAt(11, 45), 2, nil},
				{Mitigated, fxAt(12, 45), 2, []string{"last alert on `bookbot-api` resolved at 12:45 CET"}},
				{Resolved, fxAt(12, 45), 2, []string{"the only alert resolved"}}},
			lacks: []string{"after deploy", "`payments`", "`bookbot-chat`"},
		},
		{
			name:   "service names match the way the ingest writes them",
			events: []Event{fxAlert(1, "bookbot-api", fxAt(11, 45), nil), fxAlert(2, "payments", fxAt(11, 40), nil)},
			scope:  Scope{Services: []string{"  Bookbot API "}, Environment: "Production"},
			loc:    fxCET,
			want:   []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil}},
		},
		{
			name: "empty scope: any alert and any deploy, and the reason says so",
			events: []Event{
				fxAlert(1, "payments", fxAt(11, 40), fxPtr(fxAt(12, 0))),
				fxWith(fxAlert(2, "", fxAt(11, 45), fxPtr(fxAt(12, 10))), func(e *Event) { e.Environment = "staging" }),
				fxDeploy(3, "payments", fxAt(11, 50), "succeeded"),
			},
			scope: Scope{}, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 40), 1, []string{"first alert on `payments` at 11:40 CET (the incident names no services)"}},
				{Detected, fxAt(11, 40), 1, nil},
				{Mitigated, fxAt(12, 10), 2, []string{"last alert resolved at 12:10 CET, after deploy `ddddddd` of `payments` succeeded at 11:50 CET"}},
				{Resolved, fxAt(12, 10), 2, []string{"last alert resolved at 12:10 CET (both alerts resolved)"}}},
		},
		{
			name:   "no alert on the scope's services: any alert, and the reason says so",
			events: []Event{fxAlert(1, "payments", fxAt(11, 40), fxPtr(fxAt(12, 0)))},
			scope:  fxBookbotScope, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 40), 1, []string{"first alert on `payments` at 11:40 CET (no alert on the incident's services `bookbot-api`, `bookbot-chat`)"}},
				{Detected, fxAt(11, 40), 1, nil},
				{Mitigated, fxAt(12, 0), 1, nil}, {Resolved, fxAt(12, 0), 1, nil}},
		},
		{
			name: "events in other environments are ignored; none named counts as in scope",
			events: []Event{
				fxWith(fxAlert(1, "bookbot-api", fxAt(11, 0), fxPtr(fxAt(11, 10))), func(e *Event) { e.Environment = "staging" }),
				fxWith(fxAlert(2, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))), func(e *Event) { e.Environment = "" }),
				fxWith(fxDeploy(3, "bookbot-api", fxAt(12, 0), "succeeded"), func(e *Event) { e.Environment = "staging" }),
				fxWith(fxDeploy(4, "bookbot-api", fxAt(12, 10), "succeeded"), func(e *Event) { e.Environment = "PRODUCTION" }),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 2, nil}, {Detected, fxAt(11, 45), 2, nil},
				{Mitigated, fxAt(12, 45), 2, []string{"after deploy `eeeeeee` of `bookbot-api` succeeded at 12:10 CET"}}, {Resolved, fxAt(12, 45), 2, nil}},
			lacks: []string{"`ddddddd`", "11:10"},
		},
		{
			name:   "only other environments: nothing",
			events: []Event{fxWith(fxAlert(1, "bookbot-api", fxAt(11, 0), nil), func(e *Event) { e.Environment = "staging" })},
			scope:  prod, want: nil,
		},
		{
			name: "nil EndsAt: the resolved status change dates the end; without one the alert has not ended",
			events: []Event{
				fxWith(fxAlert(1, "bookbot-api", fxAt(11, 45), nil), func(e *Event) {
					e.Status = "resolved"
					e.History = []StatusChange{{"firing", fxAt(11, 45)}, {"resolved", fxAt(12, 0)}, {"firing", fxAt(12, 5)}, {"resolved", fxAt(12, 40)}}
				}),
				fxWith(fxAlert(2, "bookbot-api", fxAt(11, 50), nil), func(e *Event) { e.Status = "resolved" }),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Mitigated, fxAt(12, 40), 1, []string{"resolved at 12:40 CET"}}},
		},
		{
			name: "zero times are no evidence",
			events: []Event{
				fxAlert(1, "bookbot-api", time.Time{}, fxPtr(fxAt(12, 0))),
				fxWith(fxAlert(2, "bookbot-api", fxAt(11, 45), nil), func(e *Event) { e.Status = "resolved"; e.EndsAt = &time.Time{} }),
				fxDeploy(3, "bookbot-api", time.Time{}, "succeeded"),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 2, nil}, {Detected, fxAt(11, 45), 2, nil}},
		},
		{
			name: "an end before the start drops mitigated and resolved rather than break the order",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(11, 40))),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil}},
		},
		{
			// Once every alert resolved, mitigated is the last resolve, and so
			// never before the acknowledgement of a resolved alert...
			name: "all resolved: the deploy before the acknowledgement is named, mitigation not dropped",
			events: []Event{
				fxWith(fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))), func(e *Event) {
					e.Labels = map[string]string{"acknowledged_at": "2022-11-17T11:30:00Z"} // 12:30 CET
				}),
				fxDeploy(2, "bookbot-api", fxAt(12, 20), "succeeded"),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Acknowledged, fxAt(12, 30), 1, nil},
				{Mitigated, fxAt(12, 45), 1, []string{"last alert on `bookbot-api` resolved at 12:45 CET, after deploy `ccccccc` of `bookbot-api` succeeded at 12:20 CET"}},
				{Resolved, fxAt(12, 45), 1, nil}},
		},
		{
			// ...but while an alert still fires, a deploy before the
			// acknowledgement is.
			name: "still firing: a mitigation earlier than the acknowledgement is dropped",
			events: []Event{
				fxWith(fxAlert(1, "bookbot-api", fxAt(11, 45), nil), func(e *Event) {
					e.Labels = map[string]string{"acknowledged_at": "2022-11-17T11:30:00Z"} // 12:30 CET
				}),
				fxDeploy(2, "bookbot-api", fxAt(12, 20), "succeeded"),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Acknowledged, fxAt(12, 30), 1, nil}},
		},
		{
			// Mitigated and resolved are the same time once every alert
			// resolved: an acknowledgement after it drops both.
			name: "an acknowledgement after the last alert resolved drops mitigated and resolved together",
			events: []Event{
				fxWith(fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))), func(e *Event) {
					e.Labels = map[string]string{"acknowledged_at": "2022-11-17T11:50:00Z"} // 12:50 CET
				}),
				fxDeploy(2, "bookbot-api", fxAt(12, 20), "succeeded"),
			},
			scope: prod, loc: fxCET,
			want: []fxWant{{Started, fxAt(11, 45), 1, nil}, {Detected, fxAt(11, 45), 1, nil},
				{Acknowledged, fxAt(12, 50), 1, nil}},
		},
		{
			name:   "nil location writes UTC; another day shows the date",
			events: []Event{fxAlert(1, "bookbot-api", fxAt(23, 50), fxPtr(fxAt(23, 50).Add(2*time.Hour)))},
			scope:  prod, loc: nil,
			want: []fxWant{{Started, fxAt(23, 50), 1, []string{"at 22:50 UTC"}}, {Detected, fxAt(23, 50), 1, nil},
				{Mitigated, fxAt(23, 50).Add(2 * time.Hour), 1, []string{"resolved at 18 Nov 00:50 UTC"}},
				{Resolved, fxAt(23, 50).Add(2 * time.Hour), 1, []string{"resolved at 18 Nov 00:50 UTC"}}},
		},
		{
			name:   "another location's abbreviation",
			events: []Event{fxAlert(1, "bookbot-api", fxAt(11, 45), nil)},
			scope:  prod, loc: time.FixedZone("EST", -5*3600),
			want: []fxWant{{Started, fxAt(11, 45), 1, []string{"at 05:45 EST"}}, {Detected, fxAt(11, 45), 1, []string{"fired at 05:45 EST"}}},
		},
		{
			name: "notes and changes are no alerts",
			events: []Event{{ID: 1, Kind: "note", Service: "bookbot-api", StartsAt: fxAt(11, 0)},
				{ID: 2, Kind: "change", Service: "bookbot-api", StartsAt: fxAt(11, 10)}, fxAlert(3, "bookbot-api", fxAt(11, 45), nil)},
			scope: prod,
			want:  []fxWant{{Started, fxAt(11, 45), 3, nil}, {Detected, fxAt(11, 45), 3, nil}},
		},
		{
			name:   "same start: the lower ID is the evidence",
			events: []Event{fxAlert(9, "bookbot-api", fxAt(11, 45), nil), fxAlert(4, "bookbot-api", fxAt(11, 45), nil)},
			scope:  prod,
			want:   []fxWant{{Started, fxAt(11, 45), 4, nil}, {Detected, fxAt(11, 45), 4, nil}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := SuggestMoments(c.events, c.scope, c.loc)
			if got == nil {
				t.Fatal("nil result, want an empty slice")
			}
			fxCheckSuggestions(t, got)
			if len(got) != len(c.want) {
				t.Fatalf("got %d suggestions, want %d:\n%s", len(got), len(c.want), fxSuggestionsText(got))
			}
			for i, w := range c.want {
				g := got[i]
				if g.Moment != w.moment || !g.At.Equal(w.at) || g.EventID != w.eventID {
					t.Errorf("suggestion %d = %s %s #%d, want %s %s #%d", i, g.Moment, g.At, g.EventID, w.moment, w.at, w.eventID)
				}
				for _, p := range w.phrases {
					if !strings.Contains(g.Reason, p) {
						t.Errorf("%s reason %q lacks %q", g.Moment, g.Reason, p)
					}
				}
			}
			for _, g := range got {
				for _, p := range c.lacks {
					if strings.Contains(g.Reason, p) {
						t.Errorf("%s reason %q contains %q", g.Moment, g.Reason, p)
					}
				}
			}
			// The input order does not matter.
			rev := slices.Clone(c.events)
			slices.Reverse(rev)
			if again := SuggestMoments(rev, c.scope, c.loc); !reflect.DeepEqual(got, again) {
				t.Errorf("reversed input gives another answer:\n%s\nvs\n%s", fxSuggestionsText(got), fxSuggestionsText(again))
			}
		})
	}
}

// The bookbot reasons, word for word.
func TestSuggestMomentsBookbotReasons(t *testing.T) {
	got := SuggestMoments(fxBookbot(), fxBookbotScope, fxCET)
	want := []string{
		"started: first alert on `bookbot-api` at 11:45 CET",
		"detected: first alert on `bookbot-api` fired at 11:45 CET",
		"mitigated: last alert on `bookbot-api` resolved at 12:45 CET, after deploy `c3d4e5f` of `bookbot-api` succeeded at 12:38 CET",
		"resolved: last alert on `bookbot-api` resolved at 12:45 CET (both alerts resolved)",
	}
	var lines []string
	for _, s := range got {
		lines = append(lines, s.Moment+": "+s.Reason)
	}
	if !slices.Equal(lines, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// The mitigated suggestion, word for word. Once every in-scope alert has
// ended, user impact ended when the last of them resolved, and the reason
// names the last successful in-scope deploy after detection that preceded
// it. Only while some alert still fires does the first successful deploy
// after detection stand for the mitigation, else the first alert that
// resolved.
func TestSuggestMomentsMitigated(t *testing.T) {
	prod := Scope{Services: []string{"bookbot-api"}, Environment: "production"}
	rollback := func(e *Event) { e.Title = "Rollback to v1.4.1" }
	cases := []struct {
		name    string
		events  []Event
		scope   Scope
		at      time.Time // zero: no mitigated suggestion
		eventID int64
		reason  string
	}{
		{
			name: "(a) all resolved, hotfixes in between: the last resolve, after the last hotfix before it",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				fxAlert(2, "bookbot-api", fxAt(11, 48), fxPtr(fxAt(12, 41))),
				fxDeploy(3, "bookbot-api", fxAt(12, 20), "succeeded"),
				fxDeploy(4, "bookbot-api", fxAt(12, 38), "succeeded"),
				fxDeploy(5, "bookbot-api", fxAt(13, 0), "succeeded"), // after the impact ended
			},
			scope: prod, at: fxAt(12, 45), eventID: 1,
			reason: "last alert on `bookbot-api` resolved at 12:45 CET, after deploy `eeeeeee` of `bookbot-api` succeeded at 12:38 CET",
		},
		{
			name: "(a) the last hotfix by its success time, not its start",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				fxWith(fxDeploy(2, "bookbot-api", fxAt(12, 10), "succeeded"), func(e *Event) {
					e.History = []StatusChange{{"in_progress", fxAt(12, 10)}, {"succeeded", fxAt(12, 40)}}
				}),
				fxWith(fxDeploy(3, "bookbot-api", fxAt(12, 20), "succeeded"), func(e *Event) { e.EndsAt = fxPtr(fxAt(12, 25)) }),
			},
			scope: prod, at: fxAt(12, 45), eventID: 1,
			reason: "last alert on `bookbot-api` resolved at 12:45 CET, after deploy `ccccccc` of `bookbot-api` succeeded at 12:40 CET",
		},
		{
			name: "(a) a hotfix that succeeded as the last alert resolved preceded it",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				fxDeploy(2, "bookbot-api", fxAt(12, 20), "succeeded"),
				fxDeploy(3, "bookbot-api", fxAt(12, 45), "succeeded"),
			},
			scope: prod, at: fxAt(12, 45), eventID: 1,
			reason: "last alert on `bookbot-api` resolved at 12:45 CET, after deploy `ddddddd` of `bookbot-api` succeeded at 12:45 CET",
		},
		{
			name: "(a) two hotfixes succeeded at the same time: the lower ID is named",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				fxDeploy(9, "bookbot-api", fxAt(12, 30), "succeeded"),
				fxDeploy(4, "bookbot-api", fxAt(12, 30), "succeeded"),
			},
			scope: prod, at: fxAt(12, 45), eventID: 1,
			reason: "last alert on `bookbot-api` resolved at 12:45 CET, after deploy `eeeeeee` of `bookbot-api` succeeded at 12:30 CET",
		},
		{
			name: "(a) all resolved, the last fix a rollback: said so",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				fxDeploy(2, "bookbot-api", fxAt(12, 20), "succeeded"),
				fxWith(fxDeploy(3, "bookbot-api", fxAt(12, 38), "succeeded"), rollback),
			},
			scope: prod, at: fxAt(12, 45), eventID: 1,
			reason: "last alert on `bookbot-api` resolved at 12:45 CET, after `bookbot-api` rolled back (deploy `ddddddd`) at 12:38 CET",
		},
		{
			name: "(a) all resolved, an earlier rollback then a hotfix: the hotfix, no rollback wording",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				fxWith(fxDeploy(2, "bookbot-api", fxAt(12, 0), "succeeded"), rollback),
				fxDeploy(3, "bookbot-api", fxAt(12, 30), "succeeded"),
			},
			scope: prod, at: fxAt(12, 45), eventID: 1,
			reason: "last alert on `bookbot-api` resolved at 12:45 CET, after deploy `ddddddd` of `bookbot-api` succeeded at 12:30 CET",
		},
		{
			name: "(a) a deploy that names no service: any-service scope, named by its ID",
			events: []Event{
				fxAlert(1, "", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				{ID: 7, Kind: "deploy", Status: "succeeded", StartsAt: fxAt(12, 30)},
			},
			scope: Scope{}, at: fxAt(12, 45), eventID: 1,
			reason: "last alert resolved at 12:45 CET, after deploy #7 succeeded at 12:30 CET",
		},
		{
			name: "(b) all resolved, no deploy: the last resolve, no after clause",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 10))),
				fxAlert(2, "bookbot-api", fxAt(11, 50), fxPtr(fxAt(12, 45))),
			},
			scope: prod, at: fxAt(12, 45), eventID: 2,
			reason: "last alert on `bookbot-api` resolved at 12:45 CET",
		},
		{
			name: "(b) all resolved, deploys only before detection, failed or later: no after clause",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 45))),
				fxDeploy(2, "bookbot-api", fxAt(11, 30), "succeeded"),
				fxDeploy(3, "bookbot-api", fxAt(11, 45), "succeeded"), // at detection, not after it
				fxDeploy(4, "bookbot-api", fxAt(12, 20), "failed"),
				fxDeploy(5, "bookbot-api", fxAt(12, 50), "succeeded"),
			},
			scope: prod, at: fxAt(12, 45), eventID: 1,
			reason: "last alert on `bookbot-api` resolved at 12:45 CET",
		},
		{
			name: "(c) one alert still firing, a successful deploy after detection: that deploy",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 10))),
				fxAlert(2, "bookbot-api", fxAt(11, 50), nil),
				fxDeploy(3, "bookbot-api", fxAt(12, 20), "succeeded"),
				fxDeploy(4, "bookbot-api", fxAt(12, 38), "succeeded"),
			},
			scope: prod, at: fxAt(12, 20), eventID: 3,
			reason: "deploy `ddddddd` of `bookbot-api` succeeded at 12:20 CET, the first after detection; alerts still fire",
		},
		{
			name: "(c) still firing: a deploy after the first resolve still counts",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 0))),
				fxAlert(2, "bookbot-api", fxAt(11, 50), nil),
				fxDeploy(3, "bookbot-api", fxAt(12, 20), "succeeded"),
			},
			scope: prod, at: fxAt(12, 20), eventID: 3,
			reason: "deploy `ddddddd` of `bookbot-api` succeeded at 12:20 CET, the first after detection; alerts still fire",
		},
		{
			name: "(d) still firing, the first deploy a rollback: the rollback wording",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 10))),
				fxAlert(2, "bookbot-api", fxAt(11, 50), nil),
				fxWith(fxDeploy(3, "bookbot-api", fxAt(11, 58), "succeeded"), rollback),
				fxDeploy(4, "bookbot-api", fxAt(12, 20), "succeeded"),
			},
			scope: prod, at: fxAt(11, 58), eventID: 3,
			reason: "`bookbot-api` rolled back: deploy `ddddddd` succeeded at 11:58 CET",
		},
		{
			name: "(e) still firing, no deploy, one alert resolved: the first resolve",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 30))),
				fxAlert(2, "bookbot-api", fxAt(11, 50), fxPtr(fxAt(12, 10))),
				fxAlert(3, "bookbot-api", fxAt(11, 55), nil),
			},
			scope: prod, at: fxAt(12, 10), eventID: 2,
			reason: "first alert on `bookbot-api` resolved at 12:10 CET (no successful deploy after detection)",
		},
		{
			name: "(e) still firing, only a failed deploy: the first resolve",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), fxPtr(fxAt(12, 10))),
				fxAlert(2, "bookbot-api", fxAt(11, 50), nil),
				fxDeploy(3, "bookbot-api", fxAt(12, 0), "failed"),
			},
			scope: prod, at: fxAt(12, 10), eventID: 1,
			reason: "first alert on `bookbot-api` resolved at 12:10 CET (no successful deploy after detection)",
		},
		{
			name: "still firing, nothing resolved, no deploy: no mitigation",
			events: []Event{
				fxAlert(1, "bookbot-api", fxAt(11, 45), nil),
				fxDeploy(2, "bookbot-api", fxAt(11, 30), "succeeded"),
			},
			scope: prod,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := SuggestMoments(c.events, c.scope, fxCET)
			fxCheckSuggestions(t, got)
			i := slices.IndexFunc(got, func(s Suggestion) bool { return s.Moment == Mitigated })
			if c.at.IsZero() {
				if i >= 0 {
					t.Fatalf("want no mitigated suggestion:\n%s", fxSuggestionsText(got))
				}
				return
			}
			if i < 0 {
				t.Fatalf("no mitigated suggestion:\n%s", fxSuggestionsText(got))
			}
			g := got[i]
			if !g.At.Equal(c.at) || g.EventID != c.eventID || g.Reason != c.reason {
				t.Errorf("mitigated = %s #%d %q\nwant        %s #%d %q", g.At, g.EventID, g.Reason, c.at, c.eventID, c.reason)
			}
			// Once every alert resolved, mitigated and resolved agree.
			if j := slices.IndexFunc(got, func(s Suggestion) bool { return s.Moment == Resolved }); j >= 0 &&
				(!got[j].At.Equal(g.At) || got[j].EventID != g.EventID) {
				t.Errorf("resolved %s #%d, mitigated %s #%d: want the same last resolve", got[j].At, got[j].EventID, g.At, g.EventID)
			}
			rev := slices.Clone(c.events)
			slices.Reverse(rev)
			if again := SuggestMoments(rev, c.scope, fxCET); !reflect.DeepEqual(got, again) {
				t.Errorf("reversed input gives another answer:\n%s\nvs\n%s", fxSuggestionsText(got), fxSuggestionsText(again))
			}
		})
	}
}

func TestSuggestMomentsDoesNotChangeItsInput(t *testing.T) {
	events := fxBookbot()
	before := fxBookbot()
	SuggestMoments(events, fxBookbotScope, fxCET)
	RankSuspects(events, fxBookbotScope, fxAt(11, 45), time.Hour)
	LateDeploys(events, fxAt(11, 45))
	if !reflect.DeepEqual(events, before) {
		t.Error("the events were changed")
	}
}

// fxCheckSuggestions checks what must hold of any answer: moments known,
// once each, in MomentNames order, times in order and not zero, reasons
// written, and the moments they set pass ValidateMoments.
func fxCheckSuggestions(t testing.TB, got []Suggestion) {
	t.Helper()
	last := -1
	var m Moments
	for i, s := range got {
		idx := slices.Index(MomentNames, s.Moment)
		if idx < 0 || idx <= last {
			t.Fatalf("suggestion %d: moment %q out of order:\n%s", i, s.Moment, fxSuggestionsText(got))
		}
		last = idx
		if s.At.IsZero() || s.Reason == "" {
			t.Fatalf("suggestion %d: zero time or no reason: %+v", i, s)
		}
		if i > 0 && s.At.Before(got[i-1].At) {
			t.Fatalf("suggestion %d: %s at %s is before %s at %s", i, s.Moment, s.At, got[i-1].Moment, got[i-1].At)
		}
		at := s.At
		switch s.Moment {
		case Started:
			m.Started = &at
		case Detected:
			m.Detected = &at
		case Acknowledged:
			m.Acknowledged = &at
		case Mitigated:
			m.Mitigated = &at
		case Resolved:
			m.Resolved = &at
		}
	}
	if problems := ValidateMoments(m); len(problems) > 0 {
		t.Fatalf("suggested moments do not validate: %v", problems)
	}
	d := ComputeDurations(m)
	for _, p := range []*time.Duration{d.TimeToDetect, d.TimeToAcknowledge, d.TimeToMitigate, d.TimeToResolve, d.Impact} {
		if p != nil && *p < 0 {
			t.Fatalf("negative duration from suggested moments: %+v", d)
		}
	}
}

func fxSuggestionsText(s []Suggestion) string {
	var b strings.Builder
	for _, x := range s {
		b.WriteString("  " + x.Moment + " " + x.At.String() + " #" + strconv.FormatInt(x.EventID, 10) + ": " + x.Reason + "\n")
	}
	return b.String()
}

func TestValidateMoments(t *testing.T) {
	utc := func(h, m int) *time.Time { return fxPtr(time.Date(2022, 11, 17, h, m, 0, 0, time.UTC)) }
	cases := []struct {
		name string
		m    Moments
		want map[string]string
	}{
		{"nothing set", Moments{}, map[string]string{}},
		{"started only", Moments{Started: utc(11, 45)}, map[string]string{}},
		{"all in order", Moments{Started: utc(11, 45), Detected: utc(11, 47), Acknowledged: utc(11, 50),
			Mitigated: utc(12, 20), Resolved: utc(12, 45)}, map[string]string{}},
		{"all equal", Moments{Started: utc(11, 45), Detected: utc(11, 45), Acknowledged: utc(11, 45),
			Mitigated: utc(11, 45), Resolved: utc(11, 45)}, map[string]string{}},
		{"gaps are fine", Moments{Started: utc(11, 45), Resolved: utc(12, 45)}, map[string]string{}},
		{"detected before started", Moments{Started: utc(11, 45), Detected: utc(11, 0)},
			map[string]string{Detected: "must not be before the impact start (11:45 UTC)"}},
		{"mitigated before detected", Moments{Started: utc(11, 45), Detected: utc(11, 47), Mitigated: utc(11, 46)},
			map[string]string{Mitigated: "must not be before detection (11:47 UTC)"}},
		{"mitigated before started, detection unset", Moments{Started: utc(11, 45), Mitigated: utc(11, 0)},
			map[string]string{Mitigated: "must not be before the impact start (11:45 UTC)"}},
		{"a misplaced moment is not the yardstick", Moments{Started: utc(12, 0), Detected: utc(11, 0), Mitigated: utc(11, 30)},
			map[string]string{Detected: "must not be before the impact start (12:00 UTC)", Mitigated: "must not be before the impact start (12:00 UTC)"}},
		{"resolved before mitigated", Moments{Started: utc(11, 45), Mitigated: utc(12, 20), Resolved: utc(12, 0)},
			map[string]string{Resolved: "must not be before mitigation (12:20 UTC)"}},
		{"acknowledged before detected", Moments{Started: utc(11, 45), Detected: utc(11, 47), Acknowledged: utc(11, 46)},
			map[string]string{Acknowledged: "must not be before detection (11:47 UTC)"}},
		{"acknowledged before started, detection unset", Moments{Started: utc(11, 45), Acknowledged: utc(11, 40)},
			map[string]string{Acknowledged: "must not be before the impact start (11:45 UTC)"}},
		{"acknowledged after mitigated", Moments{Started: utc(11, 45), Acknowledged: utc(12, 30), Mitigated: utc(12, 20)},
			map[string]string{Acknowledged: "must not be after mitigation (12:20 UTC)"}},
		{"acknowledged after resolved, mitigation unset", Moments{Acknowledged: utc(13, 0), Resolved: utc(12, 45)},
			map[string]string{Acknowledged: "must not be after resolution (12:45 UTC)"}},
		{"acknowledged on both wrong sides", Moments{Detected: utc(12, 0), Acknowledged: utc(11, 30), Mitigated: utc(11, 0)},
			map[string]string{
				Mitigated:    "must not be before detection (12:00 UTC)",
				Acknowledged: "must not be before detection (12:00 UTC) nor after mitigation (11:00 UTC)"}},
		{"times in their own zone", Moments{Started: fxPtr(fxAt(11, 45)), Detected: fxPtr(fxAt(11, 40))},
			map[string]string{Detected: "must not be before the impact start (11:45 CET)"}},
		{"another day shows the date", Moments{Started: fxPtr(fxAt(11, 45).AddDate(0, 0, 1)), Detected: fxPtr(fxAt(11, 50))},
			map[string]string{Detected: "must not be before the impact start (18 Nov 11:45 CET)"}},
		{"another year shows it", Moments{Started: utc(11, 45), Resolved: fxPtr(time.Date(2021, 12, 31, 23, 0, 0, 0, time.UTC))},
			map[string]string{Resolved: "must not be before the impact start (17 Nov 2022 11:45 UTC)"}},
		{"zero times compare like any other", Moments{Started: &time.Time{}, Detected: utc(11, 0)}, map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ValidateMoments(c.m)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
			for name := range got {
				if !slices.Contains(MomentNames, name) {
					t.Errorf("field %q is no moment name", name)
				}
			}
		})
	}
}

// The message the incident form shows (server/incident_pages_test.go).
func TestValidateMomentsFormWording(t *testing.T) {
	got := ValidateMoments(Moments{Started: fxPtr(fxAt(11, 45)), Detected: fxPtr(fxAt(11, 0))})
	if !strings.Contains(got[Detected], "must not be before the impact start") {
		t.Errorf("got %q", got)
	}
}

// fxDecodeEvents turns fuzz bytes into events: 8 bytes an event, times
// within a few hours of the bookbot incident, with the odd zero time, nil or
// zero EndsAt, bad label, history and rollback.
func fxDecodeEvents(data []byte) []Event {
	kinds := []string{"alert", "deploy", "change", "note", "alert", "deploy", "ALERT", ""}
	services := []string{"bookbot-api", "bookbot-chat", "billing", "", "Bookbot API", "payments"}
	envs := []string{"production", "staging", "", "Production"}
	statuses := []string{"firing", "resolved", "succeeded", "failed", "cancelled", "in_progress", "", "rolled_back"}
	titles := []string{"deploy", "Rollback to v1", "revert #12", "hotfix"}
	base := fxAt(11, 0)
	var events []Event
	for i := 0; i+8 <= len(data) && len(events) < 40; i += 8 {
		b := data[i : i+8]
		e := Event{
			ID:            int64(len(events) + 1),
			Kind:          kinds[b[0]%8],
			Service:       services[b[1]%6],
			Environment:   envs[(b[1]/8)%4],
			Status:        statuses[b[2]%8],
			Title:         titles[(b[2]/8)%4],
			StartsAt:      base.Add(time.Duration(int8(b[3])) * 2 * time.Minute),
			HasMigrations: b[0]&0x80 != 0,
			Commit:        strings.Repeat(string(rune('a'+b[7]%6)), 40),
		}
		if b[3] == 0x80 {
			e.StartsAt = time.Time{}
		}
		switch b[4] % 4 {
		case 1:
			end := e.StartsAt.Add(time.Duration(b[5]) * time.Minute)
			e.EndsAt = &end
		case 2:
			e.EndsAt = &time.Time{}
		case 3:
			end := e.StartsAt.Add(-time.Duration(b[5]) * time.Minute)
			e.EndsAt = &end
		}
		switch b[6] % 5 {
		case 1:
			e.Labels = map[string]string{"acknowledged_at": e.StartsAt.Add(time.Duration(b[5]) * time.Minute).UTC().Format(time.RFC3339Nano)}
		case 2:
			e.Labels = map[string]string{"acknowledged_at": "soon", "rollback": "true"}
		case 3:
			e.History = []StatusChange{{"firing", e.StartsAt}, {"acknowledged", e.StartsAt.Add(time.Duration(b[5]%30) * time.Minute)},
				{"resolved", e.StartsAt.Add(time.Duration(b[5]) * time.Minute)}}
		case 4:
			e.History = []StatusChange{{"in_progress", e.StartsAt}, {"succeeded", e.StartsAt.Add(time.Duration(int(b[5]%20)-5) * time.Minute)}}
		}
		events = append(events, e)
	}
	return events
}

func fxDecodeScope(sel byte) Scope {
	scopes := []Scope{fxBookbotScope, {}, {Services: []string{"billing"}}, {Environment: "staging"},
		{Services: []string{"", "  "}, Environment: "production"}, {Services: []string{"nothing-here"}, Environment: "production"}}
	return scopes[int(sel)%len(scopes)]
}

func FuzzSuggestMoments(f *testing.F) {
	f.Add([]byte{}, byte(0), byte(0))
	f.Add([]byte{0, 0, 1, 10, 1, 60, 1, 0, 1, 0, 2, 0, 0, 0, 4, 1, 0, 1, 0, 20, 1, 30, 3, 2}, byte(0), byte(1))
	f.Add([]byte{0, 0, 1, 0x80, 1, 60, 0, 0, 5, 1, 1, 250, 3, 10, 2, 5, 0, 2, 0, 255, 2, 9, 4, 3}, byte(1), byte(2))
	f.Add([]byte("some arbitrary bytes to start the corpus with a few events"), byte(5), byte(3))
	// Both alerts resolved (12:46, 12:40) after hotfixes at 12:20 and 12:38
	// and a rollback at 12:30: mitigated at the last resolve.
	f.Add([]byte{0, 0, 1, 23, 1, 60, 0, 0, 0, 0, 1, 25, 1, 50, 0, 0, 1, 0, 2, 40, 0, 0, 0, 1,
		1, 0, 2, 49, 0, 0, 0, 2, 1, 0, 10, 45, 0, 0, 0, 3}, byte(0), byte(2))
	// The same with the second alert still firing: the first deploy after detection.
	f.Add([]byte{0, 0, 1, 23, 1, 60, 0, 0, 0, 0, 0, 25, 0, 0, 0, 0, 1, 0, 2, 40, 0, 0, 0, 1,
		1, 0, 2, 49, 0, 0, 0, 2, 1, 0, 10, 45, 0, 0, 0, 3}, byte(0), byte(2))
	locs := []*time.Location{nil, time.UTC, fxCET, time.FixedZone("", 5*3600+1800)}
	f.Fuzz(func(t *testing.T, data []byte, scopeSel, locSel byte) {
		events := fxDecodeEvents(data)
		scope := fxDecodeScope(scopeSel)
		loc := locs[int(locSel)%len(locs)]
		got := SuggestMoments(events, scope, loc)
		fxCheckSuggestions(t, got)
		if again := SuggestMoments(events, scope, loc); !reflect.DeepEqual(got, again) {
			t.Fatal("not deterministic")
		}
		rev := slices.Clone(events)
		slices.Reverse(rev)
		if again := SuggestMoments(rev, scope, loc); !reflect.DeepEqual(got, again) {
			t.Fatalf("input order changes the answer:\n%s\nvs\n%s", fxSuggestionsText(got), fxSuggestionsText(again))
		}
		// Once every alert resolved, user impact ended with the last of them:
		// mitigated is there, at the resolution's time and event.
		if j := slices.IndexFunc(got, func(s Suggestion) bool { return s.Moment == Resolved }); j >= 0 {
			i := slices.IndexFunc(got, func(s Suggestion) bool { return s.Moment == Mitigated })
			if i < 0 || !got[i].At.Equal(got[j].At) || got[i].EventID != got[j].EventID {
				t.Fatalf("resolved without a mitigation at the same last resolve:\n%s", fxSuggestionsText(got))
			}
		}
		hasAlert := false
		for i := range events {
			if isKind(&events[i], kindAlert) && !events[i].StartsAt.IsZero() {
				hasAlert = true
			}
		}
		if !hasAlert && len(got) > 0 {
			t.Fatalf("suggestions without alerts: %s", fxSuggestionsText(got))
		}
	})
}
