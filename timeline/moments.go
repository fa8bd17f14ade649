package timeline

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// SuggestMoments proposes the key moments from the evidence, each with a
// human reason whose times are written in loc (UTC when nil) with the zone
// abbreviation, e.g. "first alert on `bookbot-api` at 11:45 CET".
//
// Only events in the scope's environment are considered (an event that names
// no environment counts as in it). The alerts considered are those on the
// scope's services; when the scope names no services, or no alert is on
// them, every alert is, and the reasons say so.
//
//   - started: the earliest start of an alert.
//   - detected: the first alert's firing time, its StartsAt.
//   - acknowledged: the earliest acknowledged_at label (RFC 3339, as the
//     PagerDuty and Opsgenie mappings write it) or "acknowledged" status
//     change on an alert, not before that alert's own start.
//   - mitigated: when every alert has ended, the last end: user impact
//     stopped then, and the reason names the last deploy on the scope's
//     services that succeeded after detection before it (a hotfix, or a
//     rollback when its title, ref or labels say "rollback" or "revert").
//     While an alert still fires: the first such deploy, else the first time
//     an alert resolved.
//   - resolved: the last end of the alerts, only when all of them resolved.
//
// A deploy succeeded at its first "succeeded" status change, else at its
// EndsAt, else at its start. An alert ended at its EndsAt, else at its last
// "resolved" status change, unless it is still firing. Zero times are no
// evidence. A time on another day than the impact start is written with
// its date ("18 Nov 00:15 CET").
//
// The result never breaks the order started ≤ detected ≤ acknowledged ≤
// mitigated ≤ resolved: a suggestion earlier than one before it is dropped.
// Without alerts there is nothing to suggest. The suggestions come in
// MomentNames order; the result is never nil.
func SuggestMoments(events []Event, scope Scope, loc *time.Location) []Suggestion {
	if loc == nil {
		loc = time.UTC
	}
	sc := newScopeMatch(scope)
	var inEnv, inScope []*Event
	for i := range events {
		e := &events[i]
		if !isKind(e, kindAlert) || e.StartsAt.IsZero() || !sc.environmentOK(e) {
			continue
		}
		inEnv = append(inEnv, e)
		if !sc.namesServices() || sc.inScope(e) {
			inScope = append(inScope, e)
		}
	}
	out := make([]Suggestion, 0, len(MomentNames))
	alerts, fallback := inScope, false
	if len(alerts) == 0 {
		alerts, fallback = inEnv, true
	}
	if len(alerts) == 0 {
		return out
	}
	sort.SliceStable(alerts, func(i, j int) bool { return eventBefore(alerts[i], alerts[j]) })
	first := alerts[0]
	started := first.StartsAt
	detected := first.StartsAt
	clock := func(t time.Time) string { return clockText(t, started, loc) }

	var sugg []Suggestion
	var where string
	switch {
	case !sc.namesServices():
		where = " (the incident names no services)"
	case fallback:
		where = " (no alert on the incident's services " + sc.list() + ")"
	}
	sugg = append(sugg, Suggestion{Moment: Started, At: started, EventID: first.ID,
		Reason: "first alert" + onService(first) + " at " + clock(started) + where})
	sugg = append(sugg, Suggestion{Moment: Detected, At: detected, EventID: first.ID,
		Reason: "first alert" + onService(first) + " fired at " + clock(detected)})

	// Acknowledged.
	var ack *Event
	var ackAt time.Time
	for _, a := range alerts {
		if t, ok := acknowledgedAt(a); ok && (ack == nil || t.Before(ackAt) || (t.Equal(ackAt) && a.ID < ack.ID)) {
			ack, ackAt = a, t
		}
	}
	if ack != nil {
		sugg = append(sugg, Suggestion{Moment: Acknowledged, At: ackAt, EventID: ack.ID,
			Reason: "alert" + onService(ack) + " acknowledged at " + clock(ackAt)})
	}

	// Resolution: known only when every alert ended.
	var firstEnd, lastEnd *Event
	var firstEndAt, lastEndAt time.Time
	allEnded := true
	for _, a := range alerts {
		t, ok := alertEndedAt(a)
		if !ok {
			allEnded = false
			continue
		}
		if firstEnd == nil || t.Before(firstEndAt) || (t.Equal(firstEndAt) && a.ID < firstEnd.ID) {
			firstEnd, firstEndAt = a, t
		}
		if lastEnd == nil || t.After(lastEndAt) || (t.Equal(lastEndAt) && a.ID < lastEnd.ID) {
			lastEnd, lastEndAt = a, t
		}
	}

	// Mitigated: user impact ended when the last alert resolved; the deploy
	// that preceded it (a hotfix or rollback) is named as the likely fix.
	// While alerts still fire, the first successful deploy after detection
	// is the best evidence of mitigation, else the first alert that resolved.
	var firstFix, lastFix *Event
	var firstFixAt, lastFixAt time.Time
	for i := range events {
		d := &events[i]
		if !isKind(d, kindDeploy) || d.StartsAt.IsZero() || !sc.environmentOK(d) ||
			(sc.namesServices() && !sc.inScope(d)) || d.StartsAt.Before(started) {
			continue
		}
		t, ok := deploySucceededAt(d)
		if !ok || !t.After(detected) || (allEnded && t.After(lastEndAt)) {
			continue
		}
		if firstFix == nil || t.Before(firstFixAt) || (t.Equal(firstFixAt) && d.ID < firstFix.ID) {
			firstFix, firstFixAt = d, t
		}
		if lastFix == nil || t.After(lastFixAt) || (t.Equal(lastFixAt) && d.ID < lastFix.ID) {
			lastFix, lastFixAt = d, t
		}
	}
	switch {
	case allEnded && lastEnd != nil:
		reason := "last alert" + onService(lastEnd) + " resolved at " + clock(lastEndAt)
		if lastFix != nil {
			verb := "deploy " + deployName(lastFix) + ofService(lastFix) + " succeeded at " + clock(lastFixAt)
			if looksLikeRollback(lastFix) {
				verb = serviceOrThe(lastFix) + " rolled back (deploy " + deployName(lastFix) + ") at " + clock(lastFixAt)
			}
			reason += ", after " + verb
		}
		sugg = append(sugg, Suggestion{Moment: Mitigated, At: lastEndAt, EventID: lastEnd.ID, Reason: reason})
	case firstFix != nil && looksLikeRollback(firstFix):
		sugg = append(sugg, Suggestion{Moment: Mitigated, At: firstFixAt, EventID: firstFix.ID,
			Reason: serviceOrThe(firstFix) + " rolled back: deploy " + deployName(firstFix) + " succeeded at " + clock(firstFixAt)})
	case firstFix != nil:
		sugg = append(sugg, Suggestion{Moment: Mitigated, At: firstFixAt, EventID: firstFix.ID,
			Reason: "deploy " + deployName(firstFix) + ofService(firstFix) + " succeeded at " + clock(firstFixAt) + ", the first after detection; alerts still fire"})
	case firstEnd != nil:
		sugg = append(sugg, Suggestion{Moment: Mitigated, At: firstEndAt, EventID: firstEnd.ID,
			Reason: "first alert" + onService(firstEnd) + " resolved at " + clock(firstEndAt) + " (no successful deploy after detection)"})
	}

	if allEnded && lastEnd != nil {
		n := "the only alert resolved"
		switch {
		case len(alerts) == 2:
			n = "both alerts resolved"
		case len(alerts) > 2:
			n = fmt.Sprintf("all %d alerts resolved", len(alerts))
		}
		sugg = append(sugg, Suggestion{Moment: Resolved, At: lastEndAt, EventID: lastEnd.ID,
			Reason: "last alert" + onService(lastEnd) + " resolved at " + clock(lastEndAt) + " (" + n + ")"})
	}

	// Keep the order: drop any suggestion earlier than the one kept before it.
	for _, s := range sugg {
		if len(out) > 0 && s.At.Before(out[len(out)-1].At) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// ValidateMoments checks the order of the moments that are set: started ≤
// detected ≤ mitigated ≤ resolved, and acknowledged between detected (else
// started) and mitigated (else resolved). It returns a message per moment
// name in the wrong place, e.g. detected: "must not be before the impact
// start (11:45 UTC)", each time written in its own location; an empty map
// when the order holds.
func ValidateMoments(m Moments) map[string]string {
	problems := map[string]string{}
	at := map[string]*time.Time{Started: m.Started, Detected: m.Detected, Acknowledged: m.Acknowledged,
		Mitigated: m.Mitigated, Resolved: m.Resolved}
	// The main chain: each moment against the last one in order that is set
	// and not itself misplaced.
	prev := ""
	for _, name := range []string{Started, Detected, Mitigated, Resolved} {
		t := at[name]
		if t == nil {
			continue
		}
		if prev != "" && t.Before(*at[prev]) {
			problems[name] = "must not be before " + momentLabel[prev] + " (" + clockText(*at[prev], *t, at[prev].Location()) + ")"
			continue
		}
		prev = name
	}
	// Acknowledged sits between detection and mitigation.
	if a := m.Acknowledged; a != nil {
		var msgs []string
		for _, name := range []string{Detected, Started} {
			if t := at[name]; t != nil && a.Before(*t) {
				msgs = append(msgs, "before "+momentLabel[name]+" ("+clockText(*t, *a, t.Location())+")")
				break
			}
		}
		for _, name := range []string{Mitigated, Resolved} {
			if t := at[name]; t != nil && a.After(*t) {
				msgs = append(msgs, "after "+momentLabel[name]+" ("+clockText(*t, *a, t.Location())+")")
				break
			}
		}
		if len(msgs) > 0 {
			problems[Acknowledged] = "must not be " + strings.Join(msgs, " nor ")
		}
	}
	return problems
}

// momentLabel names a moment in a sentence.
var momentLabel = map[string]string{
	Started:      "the impact start",
	Detected:     "detection",
	Acknowledged: "the acknowledgement",
	Mitigated:    "mitigation",
	Resolved:     "resolution",
}

// Event kinds as the timeline logic reads them.
const (
	kindAlert  = "alert"
	kindDeploy = "deploy"
	kindChange = "change"
)

func isKind(e *Event, kind string) bool {
	return strings.EqualFold(strings.TrimSpace(e.Kind), kind)
}

func hasStatus(status, want string) bool {
	return strings.EqualFold(strings.TrimSpace(status), want)
}

// scopeMatch decides which events an incident's scope covers.
type scopeMatch struct {
	services    map[string]bool
	names       []string // as the scope writes them, in its order
	environment string
}

func newScopeMatch(s Scope) scopeMatch {
	m := scopeMatch{services: map[string]bool{}, environment: strings.TrimSpace(s.Environment)}
	for _, name := range s.Services {
		key := serviceKey(name)
		if key == "" || m.services[key] {
			continue
		}
		m.services[key] = true
		m.names = append(m.names, strings.TrimSpace(name))
	}
	return m
}

func (m scopeMatch) namesServices() bool { return len(m.services) > 0 }

func (m scopeMatch) inScope(e *Event) bool { return m.services[serviceKey(e.Service)] }

// environmentOK: an event that names no environment, or a scope that names
// none, is not held against the event.
func (m scopeMatch) environmentOK(e *Event) bool {
	env := strings.TrimSpace(e.Environment)
	return m.environment == "" || env == "" || strings.EqualFold(env, m.environment)
}

func (m scopeMatch) list() string {
	quoted := make([]string, len(m.names))
	for i, n := range m.names {
		quoted[i] = backticked(n)
	}
	return strings.Join(quoted, ", ")
}

// serviceKey writes a service name the way the ingest does (lowercase,
// words joined by hyphens), so that "Bookbot API" and bookbot-api match.
func serviceKey(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), "-")
}

// eventBefore orders events by start, then ID.
func eventBefore(a, b *Event) bool {
	if !a.StartsAt.Equal(b.StartsAt) {
		return a.StartsAt.Before(b.StartsAt)
	}
	return a.ID < b.ID
}

// acknowledgedAt is the earliest acknowledgement of an alert: its
// acknowledged_at label or an "acknowledged" status change, ignoring any
// before the alert's own start.
func acknowledgedAt(e *Event) (time.Time, bool) {
	var best time.Time
	consider := func(t time.Time) {
		if t.IsZero() || t.Before(e.StartsAt) {
			return
		}
		if best.IsZero() || t.Before(best) {
			best = t
		}
	}
	if v, ok := e.Labels["acknowledged_at"]; ok {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(v)); err == nil {
			consider(t)
		}
	}
	for _, h := range e.History {
		if hasStatus(h.Status, "acknowledged") {
			consider(h.At)
		}
	}
	return best, !best.IsZero()
}

// alertEndedAt is when an alert resolved: its EndsAt, else its last
// "resolved" status change. A firing alert has not ended, whatever its EndsAt
// says (Alertmanager sends a future endsAt with firing alerts).
func alertEndedAt(e *Event) (time.Time, bool) {
	if hasStatus(e.Status, "firing") {
		return time.Time{}, false
	}
	if e.EndsAt != nil && !e.EndsAt.IsZero() {
		return *e.EndsAt, true
	}
	for i := len(e.History) - 1; i >= 0; i-- {
		if h := e.History[i]; hasStatus(h.Status, "resolved") && !h.At.IsZero() {
			return h.At, true
		}
	}
	return time.Time{}, false
}

// deploySucceededAt is when a succeeded deploy finished: its first
// "succeeded" status change, else its EndsAt, else its start.
func deploySucceededAt(e *Event) (time.Time, bool) {
	if !hasStatus(e.Status, "succeeded") {
		return time.Time{}, false
	}
	var t time.Time
	for _, h := range e.History {
		if hasStatus(h.Status, "succeeded") && !h.At.IsZero() {
			t = h.At
			break
		}
	}
	if t.IsZero() && e.EndsAt != nil {
		t = *e.EndsAt
	}
	if t.IsZero() || t.Before(e.StartsAt) {
		t = e.StartsAt
	}
	return t, !t.IsZero()
}

// looksLikeRollback: the title, ref or a label says rollback or revert.
func looksLikeRollback(e *Event) bool {
	if mentionsRollback(e.Title) || mentionsRollback(e.Ref) {
		return true
	}
	for k, v := range e.Labels {
		if mentionsRollback(v) {
			return true
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "false", "0", "no", "off":
		default:
			if mentionsRollback(k) {
				return true
			}
		}
	}
	return false
}

// mentionsRollback: s says rollback, rolled back or revert, in any case and
// with any spaces, hyphens or underscores ("roll-back", "rolled_back").
func mentionsRollback(s string) bool {
	if s == "" {
		return false
	}
	s = rollbackNoise.Replace(strings.ToLower(s))
	return strings.Contains(s, "rollback") || strings.Contains(s, "rolledback") || strings.Contains(s, "revert")
}

var rollbackNoise = strings.NewReplacer(" ", "", "-", "", "_", "")

// clockText writes t in loc as "15:04 MST", with the date when t falls on
// another day than ref (and the year when in another year); a zero ref gives
// the time alone.
func clockText(t, ref time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if !ref.IsZero() {
		r := ref.In(loc)
		switch {
		case t.Year() != r.Year():
			return t.Format("2 Jan 2006 15:04 MST")
		case t.YearDay() != r.YearDay():
			return t.Format("2 Jan 15:04 MST")
		}
	}
	return t.Format("15:04 MST")
}

// backticked quotes a name (service, commit) in backticks.
func backticked(s string) string {
	return "`" + strings.ReplaceAll(strings.TrimSpace(s), "`", "'") + "`"
}

// onService is " on `svc`", or "" when the event names no service.
func onService(e *Event) string {
	if strings.TrimSpace(e.Service) == "" {
		return ""
	}
	return " on " + backticked(e.Service)
}

// ofService is " of `svc`", or "" when the event names no service.
func ofService(e *Event) string {
	if strings.TrimSpace(e.Service) == "" {
		return ""
	}
	return " of " + backticked(e.Service)
}

func serviceOrThe(e *Event) string {
	if strings.TrimSpace(e.Service) == "" {
		return "the service"
	}
	return backticked(e.Service)
}

// deployName names a deploy or change: its short commit, else its ref, else
// its ID.
func deployName(e *Event) string {
	if c := strings.TrimSpace(e.Commit); c != "" {
		return backticked(shortCommit(c))
	}
	if r := strings.TrimSpace(e.Ref); r != "" {
		return backticked(r)
	}
	return fmt.Sprintf("#%d", e.ID)
}

// shortCommit shortens a full hexadecimal commit hash to 7 characters.
func shortCommit(c string) string {
	if len(c) < 12 {
		return c
	}
	for _, r := range c {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return c
		}
	}
	return c[:7]
}
