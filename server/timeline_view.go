package server

import (
	"context"
	"html/template"
	"sort"
	"strings"
	"time"

	"hindsight/markdown"
	"hindsight/models"
	"hindsight/timeline"
)

// timelineView is everything the timeline page and API show for an
// incident, built once per request from the store and the pure logic.
type timelineView struct {
	Incident    *models.Incident
	Entries     []entryView
	Moments     timeline.Moments
	Suggestions []timeline.Suggestion
	Durations   timeline.Durations
	Suspects    []timeline.Suspect
	Window      time.Duration
	Chart       template.HTML
	Services    []string // lanes present, for the list filter
	Zone        *time.Location
}

// entryView is an entry with its event's status history.
type entryView struct {
	models.TimelineEntry
	History []models.EventStatusChange
	Trigger bool
}

// gapThreshold is the quiet stretch the list collapses into one line.
const gapThreshold = 30 * time.Minute

func (s *Server) buildTimeline(ctx context.Context, inc *models.Incident, zone *time.Location, window time.Duration) (*timelineView, error) {
	entries, err := s.store.Timeline(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	var eventIDs []int64
	for _, e := range entries {
		if e.EventID != nil {
			eventIDs = append(eventIDs, *e.EventID)
		}
	}
	histories, err := s.store.EventHistories(ctx, eventIDs)
	if err != nil {
		return nil, err
	}
	v := &timelineView{Incident: inc, Window: window, Zone: zone, Moments: incidentMoments(inc)}
	scope := timeline.Scope{Services: inc.Services, Environment: inc.Environment}
	var evidence []timeline.Event
	lanes := map[string]bool{}
	for _, e := range entries {
		ev := entryView{TimelineEntry: e}
		if e.Event != nil {
			ev.History = histories[e.Event.ID]
			evidence = append(evidence, models.TimelineEvent(e.Event, ev.History))
			lanes[laneName(e.Event)] = true
			ev.Trigger = inc.TriggerEventID != nil && *inc.TriggerEventID == e.Event.ID
		}
		v.Entries = append(v.Entries, ev)
	}
	for l := range lanes {
		v.Services = append(v.Services, l)
	}
	sort.Strings(v.Services)
	v.Suggestions = timeline.SuggestMoments(evidence, scope, zone)
	v.Durations = timeline.ComputeDurations(v.Moments)
	deploys, err := s.store.DeploysBetween(ctx, inc.StartedAt.Add(-window), inc.StartedAt.Add(time.Second))
	if err != nil {
		return nil, err
	}
	candidates := make([]timeline.Event, 0, len(deploys))
	for i := range deploys {
		candidates = append(candidates, models.TimelineEvent(&deploys[i], nil))
	}
	v.Suspects = timeline.RankSuspects(candidates, scope, inc.StartedAt, window)
	v.Chart = template.HTML(timeline.RenderSVG(s.chartOf(v, evidence))) //nolint:gosec // RenderSVG escapes all text
	return v, nil
}

func laneName(e *models.Event) string {
	if e.Service != "" {
		return e.Service
	}
	return e.Source
}

func incidentMoments(inc *models.Incident) timeline.Moments {
	started := inc.StartedAt
	return timeline.Moments{Started: &started, Detected: inc.DetectedAt, Acknowledged: inc.AcknowledgedAt,
		Mitigated: inc.MitigatedAt, Resolved: inc.ResolvedAt}
}

// chartOf lays the evidence out in lanes over the incident's window.
func (s *Server) chartOf(v *timelineView, evidence []timeline.Event) timeline.Chart {
	inc := v.Incident
	from, to := inc.StartedAt.Add(-30*time.Minute), inc.StartedAt.Add(time.Hour)
	if inc.ResolvedAt != nil {
		to = inc.ResolvedAt.Add(15 * time.Minute)
	}
	for _, e := range evidence {
		if e.StartsAt.Before(from) {
			from = e.StartsAt.Add(-5 * time.Minute)
		}
		if e.EndsAt != nil && e.EndsAt.After(to) {
			to = e.EndsAt.Add(5 * time.Minute)
		}
	}
	suspect := int64(0)
	if inc.TriggerEventID != nil {
		suspect = *inc.TriggerEventID
	} else if len(v.Suspects) > 0 {
		suspect = v.Suspects[0].Event.ID
	}
	byLane := map[string]*timeline.Lane{}
	var order []string
	for _, e := range evidence {
		name := e.Service
		if name == "" {
			name = e.Source
		}
		lane, ok := byLane[name]
		if !ok {
			lane = &timeline.Lane{Name: name}
			byLane[name] = lane
			order = append(order, name)
		}
		lane.Items = append(lane.Items, timeline.ChartItem{
			EventID: e.ID, Kind: e.Kind, Label: e.Title, Start: e.StartsAt, End: e.EndsAt, Status: e.Status,
			Severity: e.Severity, HasMigrations: e.HasMigrations, Suspect: e.ID == suspect, Href: "#event-" + itoa(e.ID),
		})
	}
	sort.Strings(order)
	chart := timeline.Chart{From: from, To: to, Location: v.Zone}
	for _, name := range order {
		chart.Lanes = append(chart.Lanes, *byLane[name])
	}
	for _, m := range []struct {
		name string
		at   *time.Time
	}{{timeline.Started, v.Moments.Started}, {timeline.Detected, v.Moments.Detected}, {timeline.Acknowledged, v.Moments.Acknowledged},
		{timeline.Mitigated, v.Moments.Mitigated}, {timeline.Resolved, v.Moments.Resolved}} {
		if m.at != nil {
			chart.Moments = append(chart.Moments, timeline.ChartMoment{Name: momentLabels[m.name], At: *m.at})
		}
	}
	return chart
}

// entryRow is one line of the list, with its text prepared in Go: the list
// can hold thousands of entries, and formatting in the template costs several
// times more.
type entryRow struct {
	ID                  int64
	Anchor, Class       string
	Local, UTC, ISO     string
	Lane                string
	EventID             int64 // 0 for a note
	Kind, Title, Status string
	Ended               string
	Migrations, Trigger bool
	Hidden              bool
	Note                template.HTML
	Gap                 string // "2 h 10 min" when a long quiet stretch precedes it
}

// listRows filters the list by lane and kind and marks the quiet stretches
// between what remains.
func listRows(entries []entryView, lane, kind string, zone *time.Location) []entryRow {
	rows := make([]entryRow, 0, len(entries))
	var prev time.Time
	for _, e := range entries {
		eKind, eLane := "note", ""
		if e.Event != nil {
			eKind, eLane = e.Event.Kind, laneName(e.Event)
		}
		if (lane != "" && !strings.EqualFold(lane, eLane)) || (kind != "" && kind != eKind) {
			continue
		}
		when := e.When()
		r := entryRow{ID: e.ID, Anchor: "entry-" + itoa(e.ID), Local: when.In(zone).Format("2006-01-02 15:04 MST"),
			UTC: when.UTC().Format("2006-01-02 15:04:05 UTC"), ISO: when.UTC().Format(time.RFC3339),
			Kind: eKind, Title: e.DisplayTitle(), Hidden: e.Hidden, Trigger: e.Trigger}
		if len(rows) > 0 && when.Sub(prev) > gapThreshold {
			r.Gap = timeline.FormatDuration(when.Sub(prev))
		}
		prev = when
		if e.Event != nil {
			r.Anchor, r.EventID, r.Lane, r.Status, r.Migrations = "event-"+itoa(e.Event.ID), e.Event.ID, eLane, e.Event.Status, e.Event.HasMigrations
			if e.Event.EndsAt != nil {
				r.Ended = e.Event.EndsAt.In(zone).Format("2006-01-02 15:04 MST")
			}
		}
		if e.Note != "" {
			r.Note = markdown.ToHTML(e.Note)
		}
		var class []string
		for flag, name := range map[bool]string{e.Highlight: "highlight", e.Trigger: "trigger", e.Hidden: "hidden-entry"} {
			if flag {
				class = append(class, name)
			}
		}
		sort.Strings(class)
		r.Class = strings.Join(class, " ")
		rows = append(rows, r)
	}
	return rows
}

// momentLabels are the moments as people read them.
var momentLabels = map[string]string{
	timeline.Started: "Impact started", timeline.Detected: "Detected", timeline.Acknowledged: "Acknowledged",
	timeline.Mitigated: "Mitigated", timeline.Resolved: "Resolved",
}
