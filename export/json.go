package export

import (
	"encoding/json"
	"slices"
	"time"

	"hindsight/actions"
	"hindsight/postmortem"
	"hindsight/timeline"
)

// JSON renders the whole postmortem machine-readable, indented, in a
// stable snake_case shape (Document): every member is always present,
// lists are [] rather than null, unknown times and numbers are null. A
// public export is Redact's copy, like Markdown's, without hidden
// timeline entries; an internal one keeps them, marked "hidden". Only
// Options.Audience and Options.Byline matter here (and Zone for nothing:
// times are UTC, RFC 3339). The only errors are invalid Options.
func JSON(p Postmortem, o Options) ([]byte, error) {
	opts, err := o.resolve(p.Template)
	if err != nil {
		return nil, err
	}
	q := prepare(p)
	if opts.public {
		r := newRedactor(&q, opts.Redaction, false, false)
		r.apply(&q)
	}
	b, err := json.MarshalIndent(document(&q, opts), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Document is the shape of JSON's output.
type Document struct {
	Audience     string             `json:"audience"`
	Key          string             `json:"key"` // "" in public
	Title        string             `json:"title"`
	Slug         string             `json:"slug"`
	Description  string             `json:"description"`
	Summary      string             `json:"summary"` // Markdown
	Severity     string             `json:"severity"`
	Status       string             `json:"status"`
	Template     string             `json:"template"`
	Draft        bool               `json:"draft"`
	PublishedAt  *time.Time         `json:"published_at"`
	Byline       string             `json:"byline"` // public only
	Tags         []string           `json:"tags"`
	Services     []string           `json:"services"`
	Authors      []DocPerson        `json:"authors"`
	Reviewers    []DocPerson        `json:"reviewers"`
	Moments      DocMoments         `json:"moments"`
	Durations    DocDurations       `json:"durations"`
	Impact       postmortem.Impact  `json:"impact"`
	CustomFields []DocCustomField   `json:"custom_fields"`
	Whys         DocWhys            `json:"whys"`
	Factors      []DocFactor        `json:"factors"`
	Lessons      postmortem.Lessons `json:"lessons"`
	Trigger      *DocEntry          `json:"trigger"`
	Timeline     []DocEntry         `json:"timeline"`
	Actions      []DocAction        `json:"actions"`
}

// DocPerson is a person; publicly the name is the role phrase and the
// e-mail "".
type DocPerson struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

// DocMoments are the key moments, UTC.
type DocMoments struct {
	Started      *time.Time `json:"started"`
	Detected     *time.Time `json:"detected"`
	Acknowledged *time.Time `json:"acknowledged"`
	Mitigated    *time.Time `json:"mitigated"`
	Resolved     *time.Time `json:"resolved"`
}

// DocDurations are timeline.ComputeDurations in whole seconds.
type DocDurations struct {
	TimeToDetect      *int64 `json:"time_to_detect_seconds"`
	TimeToAcknowledge *int64 `json:"time_to_acknowledge_seconds"`
	TimeToMitigate    *int64 `json:"time_to_mitigate_seconds"`
	TimeToResolve     *int64 `json:"time_to_resolve_seconds"`
	Impact            *int64 `json:"impact_seconds"`
	DetectionGap      string `json:"detection_gap"`
}

// DocCustomField is a custom field with its value (null when unset).
type DocCustomField struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Kind     string `json:"kind"`
	Internal bool   `json:"internal"`
	Value    any    `json:"value"`
}

// DocWhys is the Five Whys with each step's number in the tree.
type DocWhys struct {
	Problem string       `json:"problem"`
	Steps   []DocWhyStep `json:"steps"`
}

// DocWhyStep is a step; Number and Depth are "" and -1 for a step the
// tree cannot place (in a loop).
type DocWhyStep struct {
	ID       string  `json:"id"`
	ParentID string  `json:"parent_id"`
	Number   string  `json:"number"`
	Depth    int     `json:"depth"`
	Why      string  `json:"why"`
	Because  string  `json:"because"`
	Evidence []int64 `json:"evidence"`
}

// DocFactor is a contributing factor with its category's label.
type DocFactor struct {
	ID            string `json:"id"`
	Category      string `json:"category"`
	CategoryLabel string `json:"category_label"`
	Note          string `json:"note"`
	WhyStepID     string `json:"why_step_id"`
}

// DocEntry is a timeline entry.
type DocEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	Service   string    `json:"service"`
	Title     string    `json:"title"`
	Note      string    `json:"note"`
	Hidden    bool      `json:"hidden"`
	Highlight bool      `json:"highlight"`
	Trigger   bool      `json:"trigger"`
}

// DocAction is a corrective action.
type DocAction struct {
	Title      string    `json:"title"`
	Status     string    `json:"status"`
	Priority   string    `json:"priority"`
	Owner      DocPerson `json:"owner"`
	Team       string    `json:"team"`
	Due        string    `json:"due"`
	TrackerURL string    `json:"tracker_url"`
	TrackerKey string    `json:"tracker_key"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func seconds(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	s := int64(*d / time.Second)
	return &s
}

func docPeople(in []Person) []DocPerson {
	out := make([]DocPerson, len(in))
	for i, p := range in {
		out[i] = DocPerson(p)
	}
	return out
}

func docEntry(e Entry) DocEntry {
	return DocEntry{ID: e.ID, At: e.At.UTC(), Kind: e.Kind, Service: e.Service, Title: e.Title, Note: e.Note,
		Hidden: e.Hidden, Highlight: e.Highlight, Trigger: e.IsTrigger}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func document(p *Postmortem, o options) Document {
	r := &renderer{p: p, o: o}
	m := r.moments()
	d := timeline.ComputeDurations(m)
	doc := Document{
		Audience:    o.Audience,
		Key:         p.Key,
		Title:       p.Title,
		Slug:        slugOf(p),
		Description: description(p.Summary),
		Summary:     p.Summary,
		Severity:    p.Severity,
		Status:      p.Status,
		Template:    p.Template.Key,
		Draft:       p.PublishedAt == nil,
		PublishedAt: utcPtr(p.PublishedAt),
		Tags:        orEmpty(p.Tags),
		Services:    orEmpty(p.Services),
		Authors:     docPeople(p.Authors),
		Reviewers:   docPeople(p.Reviewers),
		Moments: DocMoments{Started: utcPtr(m.Started), Detected: utcPtr(m.Detected), Acknowledged: utcPtr(m.Acknowledged),
			Mitigated: utcPtr(m.Mitigated), Resolved: utcPtr(m.Resolved)},
		Durations: DocDurations{TimeToDetect: seconds(d.TimeToDetect), TimeToAcknowledge: seconds(d.TimeToAcknowledge),
			TimeToMitigate: seconds(d.TimeToMitigate), TimeToResolve: seconds(d.TimeToResolve), Impact: seconds(d.Impact),
			DetectionGap: d.DetectionGap},
		Lessons: postmortem.Lessons{WentWell: orEmpty(p.Lessons.WentWell), WentWrong: orEmpty(p.Lessons.WentWrong),
			Lucky: orEmpty(p.Lessons.Lucky)},
	}
	if o.public {
		doc.Byline = cleanLine(o.Byline)
	}

	im := p.Impact
	im.Start, im.End = utcPtr(im.Start), utcPtr(im.End)
	im.Customers.Names = orEmpty(im.Customers.Names)
	im.Services = orEmpty(im.Services)
	im.Features = orEmpty(im.Features)
	if im.Custom == nil {
		im.Custom = map[string]any{}
	}
	doc.Impact = im

	doc.CustomFields = make([]DocCustomField, 0, len(p.CustomFields))
	for _, f := range p.CustomFields {
		if o.public && f.Internal {
			continue
		}
		doc.CustomFields = append(doc.CustomFields, DocCustomField{Key: f.Key, Label: f.Label, Kind: f.Kind,
			Internal: f.Internal, Value: im.Custom[f.Key]})
	}

	numbers := map[int]postmortem.FlatStep{}
	for _, f := range p.Whys.Flatten() {
		numbers[f.Index] = f
	}
	doc.Whys = DocWhys{Problem: p.Whys.Problem, Steps: make([]DocWhyStep, len(p.Whys.Steps))}
	for i, s := range p.Whys.Steps {
		st := DocWhyStep{ID: s.ID, ParentID: s.ParentID, Depth: -1, Why: s.Why, Because: s.Because, Evidence: orEmpty(s.Evidence)}
		if f, ok := numbers[i]; ok {
			st.Number, st.Depth = f.Number, f.Depth
		}
		doc.Whys.Steps[i] = st
	}

	cats := p.Categories
	if len(cats) == 0 {
		cats = postmortem.DefaultCategories()
	}
	doc.Factors = make([]DocFactor, len(p.Factors.Items))
	for i, f := range p.Factors.Items {
		label := ""
		if k := slices.IndexFunc(cats, func(c postmortem.Category) bool { return c.Key == f.Category }); k >= 0 {
			label = cats[k].Label
		}
		doc.Factors[i] = DocFactor{ID: f.ID, Category: f.Category, CategoryLabel: label, Note: f.Note, WhyStepID: f.WhyStepID}
	}

	entries := slices.Clone(p.Timeline)
	slices.SortStableFunc(entries, func(a, b Entry) int { return a.At.Compare(b.At) })
	doc.Timeline = make([]DocEntry, len(entries))
	for i, e := range entries {
		doc.Timeline[i] = docEntry(e)
	}
	if t := r.trigger(); t != nil {
		e := docEntry(*t)
		doc.Trigger = &e
	}

	doc.Actions = make([]DocAction, len(p.Actions))
	for i, a := range p.Actions {
		key := a.TrackerKey
		if key == "" && a.TrackerURL != "" {
			if t, err := actions.ParseTrackerURL(a.TrackerURL); err == nil {
				key = t.Key
			}
		}
		doc.Actions[i] = DocAction{Title: a.Title, Status: a.Status, Priority: a.Priority, Owner: DocPerson(a.Owner),
			Team: a.Team, Due: a.Due, TrackerURL: a.TrackerURL, TrackerKey: key}
	}
	return doc
}
