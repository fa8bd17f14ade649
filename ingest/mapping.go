package ingest

import "strings"

// Mapping is an integration's overrides of the tool's conventions.
type Mapping struct {
	// ServiceLabels are the label or tag keys that name the service, tried
	// in order before the tool's own conventions.
	ServiceLabels []string `json:"service_labels,omitempty"`
	// Services renames: a label value, repository or project → service.
	Services map[string]string `json:"services,omitempty"`
	// Severities maps the tool's severity or priority values → one of
	// critical, high, warning, info.
	Severities map[string]string `json:"severities,omitempty"`
	// Environment is used when an event names none.
	Environment string `json:"environment,omitempty"`
}

// defaultSeverities maps common words for severity onto Hindsight's four
// levels. A mapping's own entries win.
var defaultSeverities = map[string]string{
	"critical": SeverityCritical, "crit": SeverityCritical, "fatal": SeverityCritical, "emergency": SeverityCritical,
	"page": SeverityCritical, "p1": SeverityCritical, "sev1": SeverityCritical, "disaster": SeverityCritical,
	"high": SeverityHigh, "error": SeverityHigh, "err": SeverityHigh, "major": SeverityHigh, "p2": SeverityHigh, "sev2": SeverityHigh,
	"warning": SeverityWarning, "warn": SeverityWarning, "medium": SeverityWarning, "moderate": SeverityWarning,
	"minor": SeverityWarning, "p3": SeverityWarning, "sev3": SeverityWarning, "average": SeverityWarning,
	"info": SeverityInfo, "informational": SeverityInfo, "low": SeverityInfo, "notice": SeverityInfo, "debug": SeverityInfo,
	"none": SeverityInfo, "ok": SeverityInfo, "p4": SeverityInfo, "p5": SeverityInfo, "sev4": SeverityInfo, "sev5": SeverityInfo,
}

// NormalizeSeverity maps a tool's severity or priority onto the four levels,
// "" when it cannot tell.
func (m Mapping) NormalizeSeverity(raw string) string {
	key := strings.ToLower(strings.TrimSpace(raw))
	if key == "" {
		return ""
	}
	for k, v := range m.Severities {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return defaultSeverities[key]
}

// ServiceFrom picks the service: the mapping's labels first, then the
// tool's conventional keys, then the fallback. Apply renames it afterwards.
func (m Mapping) ServiceFrom(labels map[string]string, conventional []string, fallback string) string {
	svc := ""
	for _, keys := range [][]string{m.ServiceLabels, conventional} {
		for _, k := range keys {
			if v := strings.TrimSpace(labels[k]); v != "" && svc == "" {
				svc = v
			}
		}
	}
	if svc == "" {
		svc = strings.TrimSpace(fallback)
	}
	return svc
}

// Apply fills what a parser left to the mapping and normalises the event:
// severity onto the four levels, times to UTC, the default environment.
func (m Mapping) Apply(ev *Event) {
	cleanStrings(ev)
	if sev := m.NormalizeSeverity(ev.Severity); sev != "" || ev.Severity != "" {
		ev.Severity = sev
	}
	if renamed, ok := m.Services[ev.Service]; ok {
		ev.Service = renamed
	}
	ev.Service = NormalizeService(ev.Service)
	if ev.Environment == "" {
		ev.Environment = m.Environment
	}
	ev.StartsAt = ev.StartsAt.UTC()
	if ev.EndsAt != nil {
		if ev.EndsAt.IsZero() {
			ev.EndsAt = nil
		} else {
			t := ev.EndsAt.UTC()
			ev.EndsAt = &t
		}
	}
}

var statusesByKind = map[string][]string{
	KindAlert:  {StatusFiring, StatusResolved},
	KindDeploy: {StatusPending, StatusInProgress, StatusSucceeded, StatusFailed, StatusCancelled},
	KindChange: {""},
	KindNote:   {""},
}

// Limits on event fields.
const (
	MaxTitle       = 500
	MaxDescription = 20_000
	MaxDedupKey    = 300
	MaxLabels      = 64
)

// Validate checks an event after Apply; index is its place in a batch.
func Validate(ev *Event, index int) error {
	statuses, ok := statusesByKind[ev.Kind]
	switch {
	case !ok:
		return Errorf(index, "kind", "must be alert, deploy, change or note, not %q", ev.Kind)
	case strings.TrimSpace(ev.Source) == "":
		return Errorf(index, "source", "is required")
	case strings.TrimSpace(ev.DedupKey) == "":
		return Errorf(index, "dedup_key", "is required: the event's stable identity in its source")
	case len(ev.DedupKey) > MaxDedupKey:
		return Errorf(index, "dedup_key", "is longer than %d characters", MaxDedupKey)
	case strings.TrimSpace(ev.Title) == "":
		return Errorf(index, "title", "is required")
	case len(ev.Title) > MaxTitle:
		return Errorf(index, "title", "is longer than %d characters", MaxTitle)
	case len(ev.Description) > MaxDescription:
		return Errorf(index, "description", "is longer than %d characters", MaxDescription)
	case ev.StartsAt.IsZero():
		return Errorf(index, "starts_at", "is required")
	case ev.EndsAt != nil && ev.EndsAt.Before(ev.StartsAt):
		return Errorf(index, "ends_at", "is before starts_at")
	case len(ev.Labels) > MaxLabels:
		return Errorf(index, "labels", "has more than %d entries", MaxLabels)
	}
	if ev.Severity != "" && !contains(Severities, ev.Severity) {
		return Errorf(index, "severity", "must be critical, high, warning or info, not %q", ev.Severity)
	}
	if ev.Kind == KindAlert && ev.Status == "" {
		ev.Status = StatusFiring
		if ev.EndsAt != nil {
			ev.Status = StatusResolved
		}
	}
	if !contains(statuses, ev.Status) {
		return Errorf(index, "status", "%q is not a status of a %s (use %s)", ev.Status, ev.Kind, strings.Join(statuses, ", "))
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// cleanStrings makes every text valid UTF-8 without NUL bytes, which
// PostgreSQL refuses in text columns: one odd byte must not lose an alert.
func cleanStrings(ev *Event) {
	for _, p := range []*string{&ev.Source, &ev.DedupKey, &ev.Status, &ev.Title, &ev.Description, &ev.Severity,
		&ev.Service, &ev.Environment, &ev.Commit, &ev.Ref, &ev.URL} {
		*p = cleanString(*p)
	}
	if len(ev.Labels) == 0 {
		return
	}
	clean := make(map[string]string, len(ev.Labels))
	for k, v := range ev.Labels {
		clean[cleanString(k)] = cleanString(v)
	}
	ev.Labels = clean
}

func cleanString(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// NormalizeService writes a service name the way incidents do (lowercase,
// words joined by hyphens), so that "Bookbot API" from PagerDuty and
// bookbot-api from Prometheus meet on one timeline lane.
func NormalizeService(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), "-")
}
