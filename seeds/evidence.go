package seeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"hindsight/ingest"
	"hindsight/models"
	"hindsight/timeline"
)

// Evidence is one file under evidence/, named after its incident's slug:
// the alerts, deploys and changes as the tools would have reported them,
// the authors' notes on the timeline, the event they marked as the trigger
// and when the incident was acknowledged. Times are RFC 3339 with an offset.
type Evidence struct {
	Events []EvidenceEvent `yaml:"events"`
	Notes  []EvidenceNote  `yaml:"notes"`
	// Trigger is the dedup_key of the deploy or change that triggered the
	// incident.
	Trigger        string     `yaml:"trigger"`
	AcknowledgedAt *time.Time `yaml:"acknowledged_at"`
	// Actions are the corrective actions that came out of the incident
	// (see actions.go).
	Actions []EvidenceAction `yaml:"actions"`

	Slug    string `yaml:"-"` // the incident's
	File    string `yaml:"-"` // e.g. "evidence/x.yaml"
	Payload []byte `yaml:"-"` // the file's bytes, stored as the delivery's payload

	events []ingest.Event // Events, mapped and validated like the event API's
}

// EvidenceEvent is an alert, deploy or change in an evidence file; the
// fields are those of the event API.
type EvidenceEvent struct {
	Kind          string            `yaml:"kind"`
	Source        string            `yaml:"source"`
	DedupKey      string            `yaml:"dedup_key"`
	Status        string            `yaml:"status"`
	Title         string            `yaml:"title"`
	Description   string            `yaml:"description"`
	Severity      string            `yaml:"severity"`
	Service       string            `yaml:"service"`
	Environment   string            `yaml:"environment"`
	StartsAt      time.Time         `yaml:"starts_at"`
	EndsAt        *time.Time        `yaml:"ends_at"`
	Commit        string            `yaml:"commit"`
	Ref           string            `yaml:"ref"`
	URL           string            `yaml:"url"`
	Labels        map[string]string `yaml:"labels"`
	HasMigrations bool              `yaml:"has_migrations"`
}

// EvidenceNote is an author's note on the timeline. Its title identifies
// it: a note is added only when the timeline has none with that title.
type EvidenceNote struct {
	At    time.Time `yaml:"at"`
	Title string    `yaml:"title"`
	Note  string    `yaml:"note"`
}

// evidenceKinds are the event kinds an evidence file holds; notes have
// their own list.
var evidenceKinds = []string{ingest.KindAlert, ingest.KindDeploy, ingest.KindChange}

// endedStatuses need an ends_at, so that the status history dates them
// from the file rather than from the moment the seed ran.
var endedStatuses = map[string]bool{
	ingest.StatusResolved: true, ingest.StatusSucceeded: true, ingest.StatusFailed: true, ingest.StatusCancelled: true,
}

var commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Import window of an incident's timeline, as models.DefaultImportWindow
// proposes it: evidence outside it would not show in the import view.
const (
	windowBefore = 2 * time.Hour
	windowAfter  = 30 * time.Minute
)

// incidentOfFile is the incident a per-incident file (evidence/<slug>.yaml,
// postmortems/<slug>.yaml) belongs to: the one its name names.
func incidentOfFile(name string, incidents []Incident) (*Incident, error) {
	slug := strings.TrimSuffix(path.Base(name), ".yaml")
	for i := range incidents {
		if incidents[i].Slug == slug {
			return &incidents[i], nil
		}
	}
	return nil, fileErr(name, fmt.Errorf("unknown incident slug %q: the file must be named after an incident (no %s/%s.yaml)", slug, incidentsDir, slug))
}

// parseEvidence reads and checks every file under evidence/ against the
// incidents; the result follows the incidents' order.
// owners are the e-mail addresses of the seed users, which actions may
// name as their owner.
func parseEvidence(fsys fs.FS, incidents []Incident, owners map[string]bool) ([]Evidence, error) {
	names, err := fs.Glob(fsys, evidenceDir+"/*.yaml")
	if err != nil {
		return nil, err
	}
	bySlug := make(map[string]*Evidence, len(names))
	for _, name := range names {
		inc, err := incidentOfFile(name, incidents)
		if err != nil {
			return nil, err
		}
		ev, err := parseEvidenceFile(fsys, name, inc, owners)
		if err != nil {
			return nil, err
		}
		bySlug[inc.Slug] = ev
	}
	var out []Evidence
	for _, inc := range incidents {
		if ev := bySlug[inc.Slug]; ev != nil {
			out = append(out, *ev)
		}
	}
	return out, nil
}

func parseEvidenceFile(fsys fs.FS, name string, inc *Incident, owners map[string]bool) (*Evidence, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fileErr(name, err)
	}
	lines, err := checkEvidenceTimes(b)
	if err != nil {
		return nil, fileErr(name, err)
	}
	ev := &Evidence{}
	if err := decodeBytes(name, b, ev); err != nil {
		return nil, err
	}
	ev.Slug, ev.File, ev.Payload = inc.Slug, name, b
	if err := ev.check(inc, lines); err != nil {
		return nil, fileErr(name, err)
	}
	if err := ev.checkActions(owners, lines.actions); err != nil {
		return nil, fileErr(name, err)
	}
	return ev, nil
}

// itemLines are the line numbers of the items of events:, notes: and
// actions:.
type itemLines struct{ events, notes, actions []int }

// lineOf writes where item i of a list begins, "" when unknown.
func lineOf(list []int, i int) string {
	if i < len(list) {
		return fmt.Sprintf(" (line %d)", list[i])
	}
	return ""
}

// checkEvidenceTimes checks that acknowledged_at, each event's starts_at
// and ends_at and each note's at are RFC 3339 times with an offset, and
// returns where the items of events: and notes: begin.
func checkEvidenceTimes(b []byte) (itemLines, error) {
	var lines itemLines
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return lines, nil // left to the strict decode
	}
	top := doc.Content[0]
	if err := checkMappingTimes(top, []string{"acknowledged_at"}); err != nil {
		return lines, err
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		var keys []string
		var into *[]int
		switch k.Value {
		case "events":
			keys, into = []string{"starts_at", "ends_at"}, &lines.events
		case "notes":
			keys, into = []string{"at"}, &lines.notes
		case "actions":
			into = &lines.actions // due is a date, checked by checkActions
		default:
			continue
		}
		if v.Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range v.Content {
			*into = append(*into, item.Line)
			if err := checkMappingTimes(item, keys); err != nil {
				return lines, err
			}
		}
	}
	return lines, nil
}

// check validates the file against its incident and fills ev.events.
func (ev *Evidence) check(inc *Incident, lines itemLines) error {
	from := inc.StartedAt.Add(-windowBefore)
	var to *time.Time
	if inc.ResolvedAt != nil {
		t := inc.ResolvedAt.Add(windowAfter)
		to = &t
	}
	inWindow := func(t time.Time) error {
		if t.Before(from) {
			return fmt.Errorf("%s is more than 2 hours before the incident's started_at (%s), outside the timeline import window",
				t.Format(time.RFC3339), inc.StartedAt.Format(time.RFC3339))
		}
		if to != nil && !t.Before(*to) {
			return fmt.Errorf("%s is 30 minutes or more after the incident's resolved_at (%s), outside the timeline import window",
				t.Format(time.RFC3339), inc.ResolvedAt.Format(time.RFC3339))
		}
		return nil
	}

	if len(ev.Events) == 0 {
		return errors.New("events: list at least one alert, deploy or change")
	}
	type key struct{ source, dedup string }
	seen := map[key]int{}
	ev.events = make([]ingest.Event, len(ev.Events))
	for i, e := range ev.Events {
		where := fmt.Sprintf("events[%d]%s", i, lineOf(lines.events, i))
		out, err := e.toIngest(inWindow)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		k := key{out.Source, out.DedupKey}
		if j, dup := seen[k]; dup {
			return fmt.Errorf("%s: dedup_key %q of source %s is also used by events[%d]", where, out.DedupKey, out.Source, j)
		}
		seen[k] = i
		ev.events[i] = out
	}

	titles := map[string]bool{}
	for i := range ev.Notes {
		n := &ev.Notes[i]
		where := fmt.Sprintf("notes[%d]%s", i, lineOf(lines.notes, i))
		n.Title = strings.TrimSpace(n.Title)
		switch {
		case n.At.IsZero():
			return fmt.Errorf("%s: at is required", where)
		case n.Title == "":
			return fmt.Errorf("%s: title is required (it identifies the note when the seed runs again)", where)
		case len(n.Title) > 300:
			return fmt.Errorf("%s: title is longer than 300 characters", where)
		case titles[n.Title]:
			return fmt.Errorf("%s: another note has the title %q", where, n.Title)
		}
		if err := inWindow(n.At); err != nil {
			return fmt.Errorf("%s: at: %w", where, err)
		}
		titles[n.Title] = true
	}

	if ev.Trigger = strings.TrimSpace(ev.Trigger); ev.Trigger != "" {
		var matches []int
		for i, e := range ev.events {
			if e.DedupKey == ev.Trigger {
				matches = append(matches, i)
			}
		}
		switch {
		case len(matches) == 0:
			return fmt.Errorf("trigger: no event has the dedup_key %q", ev.Trigger)
		case len(matches) > 1:
			return fmt.Errorf("trigger: the dedup_key %q is used by events of several sources", ev.Trigger)
		case ev.events[matches[0]].Kind == ingest.KindAlert:
			return fmt.Errorf("trigger: events[%d] is an alert; the trigger is a deploy or a change", matches[0])
		}
	}

	if ev.AcknowledgedAt != nil {
		started := inc.StartedAt
		m := timeline.Moments{Started: &started, Detected: inc.DetectedAt, Acknowledged: ev.AcknowledgedAt,
			Mitigated: inc.MitigatedAt, Resolved: inc.ResolvedAt}
		if p := timeline.ValidateMoments(m)[timeline.Acknowledged]; p != "" {
			return fmt.Errorf("acknowledged_at: %s", p)
		}
	}
	return nil
}

// toIngest maps the event as the event API would and checks it.
func (e EvidenceEvent) toIngest(inWindow func(time.Time) error) (ingest.Event, error) {
	out := ingest.Event{
		Kind: strings.TrimSpace(e.Kind), Source: strings.TrimSpace(e.Source), DedupKey: strings.TrimSpace(e.DedupKey),
		Status: strings.TrimSpace(e.Status), Title: strings.TrimSpace(e.Title), Description: strings.TrimSpace(e.Description),
		Severity: e.Severity, Service: e.Service, Environment: strings.TrimSpace(e.Environment), StartsAt: e.StartsAt,
		EndsAt: e.EndsAt, Commit: strings.TrimSpace(e.Commit), Ref: strings.TrimSpace(e.Ref), URL: strings.TrimSpace(e.URL),
		Labels: e.Labels, HasMigrations: e.HasMigrations,
	}
	if !slices.Contains(evidenceKinds, out.Kind) {
		return out, fmt.Errorf("kind: must be alert, deploy or change, not %q (author notes go under notes:)", out.Kind)
	}
	raw := strings.TrimSpace(out.Severity)
	ingest.Mapping{}.Apply(&out)
	if raw != "" && out.Severity == "" {
		// The event API drops a severity it cannot map; a seed should not.
		return out, fmt.Errorf("severity: %q is neither critical, high, warning or info nor a tool's word for one", raw)
	}
	if err := ingest.Validate(&out, -1); err != nil {
		return out, err
	}
	switch {
	case out.Service == "":
		return out, errors.New("service: is required (it names the event's timeline lane)")
	case out.Environment == "":
		return out, errors.New("environment: is required")
	case endedStatuses[out.Status] && out.EndsAt == nil:
		return out, fmt.Errorf("ends_at: is required for a %s %s", out.Status, out.Kind)
	case out.EndsAt != nil && !endedStatuses[out.Status] && out.Kind != ingest.KindChange:
		return out, fmt.Errorf("ends_at: a %s %s has not ended", out.Status, out.Kind)
	case out.Commit != "" && !commitPattern.MatchString(out.Commit):
		return out, fmt.Errorf("commit: must be a full 40-character lowercase hex SHA, not %q", out.Commit)
	case out.HasMigrations && out.Kind != ingest.KindDeploy:
		return out, errors.New("has_migrations: only a deploy carries migrations")
	}
	if err := inWindow(e.StartsAt); err != nil { // e's times keep the file's offset for the message
		return out, fmt.Errorf("starts_at: %w", err)
	}
	if e.EndsAt != nil {
		if err := inWindow(*e.EndsAt); err != nil {
			return out, fmt.Errorf("ends_at: %w", err)
		}
	}
	return out, nil
}

// notifications are what the tools would have sent for the events: an
// alert that resolved fired first, and a deploy was pending before it
// finished, so each event's status history starts at its starts_at and
// ends at its ends_at, as it does for webhooks.
func notifications(events []ingest.Event) []ingest.Event {
	out := make([]ingest.Event, 0, 2*len(events))
	for _, e := range events {
		first := e
		first.EndsAt = nil
		switch {
		case e.Kind == ingest.KindAlert && e.Status == ingest.StatusResolved:
			first.Status = ingest.StatusFiring
			out = append(out, first)
		case e.Kind == ingest.KindDeploy && e.Status != ingest.StatusPending:
			first.Status = ingest.StatusPending
			out = append(out, first)
		}
		out = append(out, e)
	}
	return out
}

// evidenceKey is the delivery key of an incident's evidence. The payload's
// hash is appended for the follow-up delivery of events added to the file
// after it was first loaded.
func evidenceKey(slug string) string { return "seed:evidence:" + slug }

// loadEvidence ingests an incident's events, puts them and the notes on
// its timeline, adds the corrective actions it lacks and sets its trigger
// and acknowledgement where unset. owners maps the actions' owner e-mails
// to user ids.
func loadEvidence(ctx context.Context, store *models.Store, ev *Evidence, owners map[string]int64, res *Result) error {
	inc, err := store.IncidentBySlug(ctx, ev.Slug)
	if err != nil {
		return fileErr(ev.File, fmt.Errorf("look up incident %s: %w", ev.Slug, err))
	}
	ids, created, err := ingestEvidence(ctx, store, ev)
	if err != nil {
		return fileErr(ev.File, err)
	}
	res.EventsCreated += created

	added, err := store.AddTimelineEvents(ctx, inc.ID, ids, nil)
	if err != nil {
		return fileErr(ev.File, fmt.Errorf("add events to the timeline: %w", err))
	}
	res.TimelineEntriesAdded += len(added)

	if len(ev.Notes) > 0 {
		entries, err := store.Timeline(ctx, inc.ID)
		if err != nil {
			return fileErr(ev.File, fmt.Errorf("read the timeline: %w", err))
		}
		have := map[string]bool{}
		for _, e := range entries {
			if e.IsNote() {
				have[strings.TrimSpace(e.Title)] = true
			}
		}
		for i, n := range ev.Notes {
			if have[n.Title] {
				continue
			}
			if _, err := store.AddNote(ctx, inc.ID, models.NoteInput{At: n.At, Title: n.Title, Note: n.Note}, nil); err != nil {
				return fileErr(ev.File, fmt.Errorf("notes[%d]: %w", i, err))
			}
			res.TimelineEntriesAdded++
		}
	}

	if err := loadActions(ctx, store, inc.ID, ev, owners, res); err != nil {
		return fileErr(ev.File, err)
	}

	// The authors' own choices win: a trigger or acknowledgement set in the
	// app is left alone.
	if ev.Trigger != "" && inc.TriggerEventID == nil {
		for i, e := range ev.events {
			if e.DedupKey == ev.Trigger {
				if err := store.SetTrigger(ctx, inc.ID, &ids[i], nil); err != nil {
					return fileErr(ev.File, fmt.Errorf("set the trigger: %w", err))
				}
			}
		}
	}
	if ev.AcknowledgedAt != nil && inc.AcknowledgedAt == nil {
		started := inc.StartedAt
		m := timeline.Moments{Started: &started, Detected: inc.DetectedAt, Acknowledged: ev.AcknowledgedAt,
			Mitigated: inc.MitigatedAt, Resolved: inc.ResolvedAt}
		// Moments edited in the app may no longer admit the seed's time.
		if len(timeline.ValidateMoments(m)) == 0 {
			if _, err := store.SetKeyMoments(ctx, inc.ID, m, nil); err != nil {
				return fileErr(ev.File, fmt.Errorf("set acknowledged_at: %w", err))
			}
		}
	}
	return nil
}

// ingestEvidence stores the file's events in one API delivery and returns
// their ids (in the file's order) and how many of them are new. Loading
// again is a redelivery that changes nothing; events added to the file
// since go in with a second delivery keyed by the file's hash.
func ingestEvidence(ctx context.Context, store *models.Store, ev *Evidence) ([]int64, int, error) {
	key := evidenceKey(ev.Slug)
	r, err := store.Ingest(ctx, models.IncomingDelivery{Scope: "api", Key: key, ContentType: "application/yaml",
		Payload: ev.Payload, Events: notifications(ev.events)})
	if err != nil {
		return nil, 0, fmt.Errorf("ingest the events: %w", err)
	}
	deliveries := map[int64]bool{}
	if !r.Redelivery {
		deliveries[r.DeliveryID] = true
	}
	found, err := findEvents(ctx, store, ev.events)
	if err != nil {
		return nil, 0, err
	}
	var missing []ingest.Event
	for _, e := range ev.events {
		if _, ok := found[eventKey(e)]; !ok {
			missing = append(missing, e)
		}
	}
	if len(missing) > 0 && r.Redelivery {
		sum := sha256.Sum256(ev.Payload)
		r, err := store.Ingest(ctx, models.IncomingDelivery{Scope: "api", Key: key + ":" + hex.EncodeToString(sum[:8]),
			ContentType: "application/yaml", Payload: ev.Payload, Events: notifications(missing)})
		if err != nil {
			return nil, 0, fmt.Errorf("ingest the events added to the file: %w", err)
		}
		if !r.Redelivery {
			deliveries[r.DeliveryID] = true
		}
		more, err := findEvents(ctx, store, missing)
		if err != nil {
			return nil, 0, err
		}
		for k, v := range more {
			found[k] = v
		}
	}
	ids := make([]int64, len(ev.events))
	created := 0
	for i, e := range ev.events {
		stored, ok := found[eventKey(e)]
		if !ok {
			return nil, 0, fmt.Errorf("events[%d]: %s event %q is not in the database after ingest", i, e.Source, e.DedupKey)
		}
		ids[i] = stored.ID
		if stored.FirstDeliveryID != nil && deliveries[*stored.FirstDeliveryID] {
			created++
		}
	}
	return ids, created, nil
}

// eventKey is where the event API keeps an event's dedup key unique: the
// scope "api:<source>" of a delivery without an integration.
func eventKey(e ingest.Event) [2]string { return [2]string{"api:" + e.Source, e.DedupKey} }

// findEvents looks the events up by source and dedup key, newest first
// from the latest start among them, until all are found or the source's
// events run out.
func findEvents(ctx context.Context, store *models.Store, events []ingest.Event) (map[[2]string]models.Event, error) {
	want := map[string]map[[2]string]bool{} // source → keys
	latest := map[string]time.Time{}
	var sources []string
	for _, e := range events {
		if want[e.Source] == nil {
			want[e.Source] = map[[2]string]bool{}
			sources = append(sources, e.Source)
		}
		want[e.Source][eventKey(e)] = true
		if e.StartsAt.After(latest[e.Source]) {
			latest[e.Source] = e.StartsAt
		}
	}
	found := map[[2]string]models.Event{}
	for _, src := range sources {
		to := latest[src].Add(time.Second)
		f := models.EventFilter{Source: src, To: &to, Limit: models.MaxEventLimit}
		left := len(want[src])
		for left > 0 {
			page, err := store.ListEvents(ctx, f)
			if err != nil {
				return nil, fmt.Errorf("look up the %s events: %w", src, err)
			}
			for _, e := range page.Events {
				k := [2]string{e.Scope, e.DedupKey}
				if _, dup := found[k]; want[src][k] && !dup {
					found[k] = e
					left--
				}
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
	}
	return found, nil
}
