package seeds

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"hindsight/models"
	"hindsight/postmortem"
	"hindsight/timeline"
)

// Postmortem is one file under postmortems/, named after its incident's
// slug: the four sections of the written review (impact, Five Whys,
// contributing factors, lessons) as one of the incident's authors wrote
// them.
//
// Each section is saved through the store, and only while it has never
// been saved (version 0): a section written or edited in the app is left
// alone, and a second load saves nothing.
type Postmortem struct {
	// Author is the e-mail address of one of the incident's authors; the
	// sections are saved in their name. Empty means the first author.
	Author  string             `yaml:"author"`
	Impact  PostmortemImpact   `yaml:"impact"`
	Whys    PostmortemWhys     `yaml:"whys"`
	Factors []PostmortemFactor `yaml:"factors"`
	Lessons PostmortemLessons  `yaml:"lessons"`

	Slug string `yaml:"-"` // the incident's
	File string `yaml:"-"` // e.g. "postmortems/x.yaml"

	// The sections as the store takes them, normalised and validated by
	// Parse. The whys' evidence holds placeholders until the load resolves
	// refs against the incident's timeline.
	impact  postmortem.Impact
	whys    postmortem.Whys
	refs    [][]entryRef // by step, in the order of whys.Steps
	factors postmortem.Factors
	lessons postmortem.Lessons
}

// PostmortemImpact is the impact section. Start and end default to the
// incident's key moments: started_at, and mitigated_at (else resolved_at).
// Numbers left out are unknown, which is not the same as 0.
type PostmortemImpact struct {
	Start         *time.Time `yaml:"start"`
	End           *time.Time `yaml:"end"`
	UsersAffected struct {
		Count     *int64 `yaml:"count"`
		Qualifier string `yaml:"qualifier"` // exact, at_least or estimate
	} `yaml:"users_affected"`
	Customers struct {
		Count *int64   `yaml:"count"`
		Names []string `yaml:"names"`
	} `yaml:"customers"`
	Services     []string `yaml:"services"`
	Features     []string `yaml:"features"`
	WhatUsersSaw string   `yaml:"what_users_saw"` // Markdown
	Detection    struct {
		Method string `yaml:"method"` // alert, customer_report, employee or other
		Link   string `yaml:"link"`
	} `yaml:"detection"`
	SLOBudgetPct *float64 `yaml:"slo_budget_pct"`
	DataLoss     struct {
		Kind    string `yaml:"kind"`    // none or some
		Details string `yaml:"details"` // Markdown; only with some
	} `yaml:"data_loss"`
	SupportTickets *int64 `yaml:"support_tickets"`
}

// PostmortemWhys is the Five Whys: a problem statement and the steps of
// the tree, each naming its parent.
type PostmortemWhys struct {
	Problem string          `yaml:"problem"`
	Steps   []PostmortemWhy `yaml:"steps"`
}

// PostmortemWhy is one why → because step. Its evidence names timeline
// entries of the incident by what the loader created them from.
type PostmortemWhy struct {
	ID       string        `yaml:"id"`     // "w1": factors refer to it
	Parent   string        `yaml:"parent"` // the parent step's id; empty at the top level
	Why      string        `yaml:"why"`
	Because  string        `yaml:"because"`
	Evidence []EvidenceRef `yaml:"evidence"`
}

// EvidenceRef names a timeline entry of the incident: an event of its
// evidence file by dedup_key, or one of its notes by title. Exactly one of
// Event and Note is set; Source is only needed when events of several
// sources share the dedup_key.
type EvidenceRef struct {
	Event  string `yaml:"event"`
	Source string `yaml:"source"`
	Note   string `yaml:"note"`
}

// PostmortemFactor is a contributing factor. Its category is a key of the
// factor taxonomy (postmortem.DefaultCategories until an admin changes
// it); WhyStep is the id of the Five Whys step it came from, if any.
type PostmortemFactor struct {
	ID       string `yaml:"id"`
	Category string `yaml:"category"`
	Note     string `yaml:"note"`
	WhyStep  string `yaml:"why_step"`
}

// PostmortemLessons are the three lists of the lessons section.
type PostmortemLessons struct {
	WentWell  []string `yaml:"went_well"`
	WentWrong []string `yaml:"went_wrong"`
	Lucky     []string `yaml:"lucky"`
}

// entryRef is a resolved EvidenceRef: the event's scope and dedup key, or
// the note's title.
type entryRef struct {
	event [2]string
	note  string
}

func (r entryRef) String() string {
	if r.note != "" {
		return fmt.Sprintf("note %q", r.note)
	}
	return fmt.Sprintf("event %q of %s", r.event[1], strings.TrimPrefix(r.event[0], "api:"))
}

// parsePostmortems reads and checks every file under postmortems/ against
// the incidents and their evidence; the result follows the incidents'
// order. An incident may have no postmortem file.
func parsePostmortems(fsys fs.FS, incidents []Incident, evidence []Evidence) ([]Postmortem, error) {
	names, err := fs.Glob(fsys, postmortemsDir+"/*.yaml")
	if err != nil {
		return nil, err
	}
	bySlug := make(map[string]*Postmortem, len(names))
	for _, name := range names {
		inc, err := incidentOfFile(name, incidents)
		if err != nil {
			return nil, err
		}
		var ev *Evidence
		for i := range evidence {
			if evidence[i].Slug == inc.Slug {
				ev = &evidence[i]
			}
		}
		pm, err := parsePostmortemFile(fsys, name, inc, ev)
		if err != nil {
			return nil, err
		}
		bySlug[inc.Slug] = pm
	}
	var out []Postmortem
	for _, inc := range incidents {
		if pm := bySlug[inc.Slug]; pm != nil {
			out = append(out, *pm)
		}
	}
	return out, nil
}

func parsePostmortemFile(fsys fs.FS, name string, inc *Incident, ev *Evidence) (*Postmortem, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fileErr(name, err)
	}
	if err := checkPostmortemTimes(b); err != nil {
		return nil, fileErr(name, err)
	}
	pm := &Postmortem{}
	if err := decodeBytes(name, b, pm); err != nil {
		return nil, err
	}
	pm.Slug, pm.File = inc.Slug, name
	if err := pm.check(inc, ev); err != nil {
		return nil, fileErr(name, fmt.Errorf("incident %s: %w", inc.Slug, err))
	}
	return pm, nil
}

// checkPostmortemTimes checks that impact.start and impact.end are RFC 3339
// times with an offset.
func checkPostmortemTimes(b []byte) error {
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil // left to the strict decode
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "impact" {
			if err := checkMappingTimes(top.Content[i+1], []string{"start", "end"}); err != nil {
				return fmt.Errorf("impact: %w", err)
			}
		}
	}
	return nil
}

// check resolves the author, builds the four sections and validates them
// as the store will (the factors against the default taxonomy), so that a
// bad file fails before anything is written.
func (pm *Postmortem) check(inc *Incident, ev *Evidence) error {
	pm.Author = models.NormalizeEmail(pm.Author)
	authors := make([]string, len(inc.Authors))
	for i, a := range inc.Authors {
		authors[i] = models.NormalizeEmail(a)
	}
	switch {
	case pm.Author == "" && len(authors) == 0:
		return fmt.Errorf("author: is required (the incident has no authors in %s)", inc.File)
	case pm.Author == "":
		pm.Author = authors[0]
	case !slices.Contains(authors, pm.Author):
		return fmt.Errorf("author: %s is not an author of the incident (%s)", pm.Author, strings.Join(authors, ", "))
	}

	pm.impact = pm.Impact.section(inc)
	pm.impact.Normalize()
	if fe := pm.impact.Validate(nil); fe != nil {
		return fmt.Errorf("impact: %w", fe)
	}

	if err := pm.buildWhys(ev); err != nil {
		return err
	}

	pm.factors = postmortem.Factors{Items: make([]postmortem.Factor, len(pm.Factors))}
	for i, f := range pm.Factors {
		step := strings.TrimSpace(f.WhyStep)
		if step != "" && !slices.ContainsFunc(pm.whys.Steps, func(s postmortem.WhyStep) bool { return s.ID == step }) {
			return fmt.Errorf("factors: items[%d].why_step_id: no Five Whys step has the id %q", i, step)
		}
		pm.factors.Items[i] = postmortem.Factor{ID: f.ID, Category: f.Category, Note: f.Note, WhyStepID: step}
	}
	pm.factors.Normalize()
	if fe := pm.factors.Validate(postmortem.DefaultCategories()); fe != nil {
		return fmt.Errorf("factors: %w", fe)
	}

	pm.lessons = postmortem.Lessons{WentWell: pm.Lessons.WentWell, WentWrong: pm.Lessons.WentWrong, Lucky: pm.Lessons.Lucky}
	pm.lessons.Normalize()
	if fe := pm.lessons.Validate(); fe != nil {
		return fmt.Errorf("lessons: %w", fe)
	}
	return nil
}

// section is the impact as the store takes it, with an unset start and end
// taken from the incident's key moments.
func (im PostmortemImpact) section(inc *Incident) postmortem.Impact {
	out := postmortem.Impact{
		Start: im.Start, End: im.End,
		UsersAffected: postmortem.UsersAffected{Count: im.UsersAffected.Count, Qualifier: im.UsersAffected.Qualifier},
		Customers:     postmortem.Customers{Count: im.Customers.Count, Names: im.Customers.Names},
		Services:      im.Services, Features: im.Features, WhatUsersSaw: im.WhatUsersSaw,
		Detection:      postmortem.Detection{Method: im.Detection.Method, Link: im.Detection.Link},
		SLOBudgetPct:   im.SLOBudgetPct,
		DataLoss:       postmortem.DataLoss{Kind: im.DataLoss.Kind, Details: im.DataLoss.Details},
		SupportTickets: im.SupportTickets,
	}
	started := inc.StartedAt
	return out.WithDefaults(timeline.Moments{Started: &started, Detected: inc.DetectedAt,
		Mitigated: inc.MitigatedAt, Resolved: inc.ResolvedAt})
}

// buildWhys turns the steps into the section, resolving each evidence ref
// against the incident's evidence file. Until the load puts the real entry
// ids in, each cited entry has a placeholder id (its position in the list
// of distinct refs), so that Validate sees the same repeats it would.
func (pm *Postmortem) buildWhys(ev *Evidence) error {
	pm.whys = postmortem.Whys{Problem: pm.Whys.Problem, Steps: make([]postmortem.WhyStep, len(pm.Whys.Steps))}
	placeholder := map[entryRef]int64{}
	refs := make(map[string][]entryRef, len(pm.Whys.Steps)) // by step id, for after Normalize reorders
	for i, s := range pm.Whys.Steps {
		step := postmortem.WhyStep{ID: strings.TrimSpace(s.ID), ParentID: strings.TrimSpace(s.Parent), Why: s.Why,
			Because: s.Because, Evidence: []int64{}}
		var resolved []entryRef
		for k, r := range s.Evidence {
			ref, err := resolveRef(r, ev)
			if err != nil {
				return fmt.Errorf("whys: steps[%d].evidence[%d]: %w", i, k, err)
			}
			id, ok := placeholder[ref]
			if !ok {
				id = int64(len(placeholder) + 1)
				placeholder[ref] = id
			}
			step.Evidence = append(step.Evidence, id)
			resolved = append(resolved, ref)
		}
		pm.whys.Steps[i] = step
		if _, dup := refs[step.ID]; !dup {
			refs[step.ID] = resolved
		}
	}
	// Validate reports paths in the file's order; Normalize may reorder.
	if fe := pm.whys.Validate(); fe != nil {
		return fmt.Errorf("whys: %w", fe)
	}
	pm.whys.Normalize()
	pm.refs = make([][]entryRef, len(pm.whys.Steps))
	for i, s := range pm.whys.Steps {
		pm.refs[i] = refs[s.ID]
	}
	return nil
}

// resolveRef checks that r names exactly one event or note of the
// incident's evidence file.
func resolveRef(r EvidenceRef, ev *Evidence) (entryRef, error) {
	r.Event, r.Source, r.Note = strings.TrimSpace(r.Event), strings.TrimSpace(r.Source), strings.TrimSpace(r.Note)
	switch {
	case (r.Event == "") == (r.Note == ""):
		return entryRef{}, errors.New("name either an event (event: its dedup_key) or a note (note: its title)")
	case r.Note != "" && r.Source != "":
		return entryRef{}, errors.New("source: only an event ref has a source")
	case ev == nil:
		return entryRef{}, fmt.Errorf("the incident has no file under %s/ to cite from", evidenceDir)
	case r.Note != "":
		if !slices.ContainsFunc(ev.Notes, func(n EvidenceNote) bool { return n.Title == r.Note }) {
			return entryRef{}, fmt.Errorf("note: %s has no note titled %q", ev.File, r.Note)
		}
		return entryRef{note: r.Note}, nil
	}
	var found []entryRef
	for _, e := range ev.events {
		if e.DedupKey == r.Event && (r.Source == "" || e.Source == r.Source) {
			found = append(found, entryRef{event: eventKey(e)})
		}
	}
	switch {
	case len(found) == 0 && r.Source != "":
		return entryRef{}, fmt.Errorf("event: %s has no event of source %s with the dedup_key %q", ev.File, r.Source, r.Event)
	case len(found) == 0:
		return entryRef{}, fmt.Errorf("event: %s has no event with the dedup_key %q", ev.File, r.Event)
	case len(found) == 1:
		return found[0], nil
	default:
		return entryRef{}, fmt.Errorf("event: events of several sources have the dedup_key %q; add source:", r.Event)
	}
}

// Sections of a postmortem file, in the order they are saved.
var postmortemSections = []string{models.SectionImpact, models.SectionWhys, models.SectionFactors, models.SectionLessons}

// loadPostmortem saves the sections of pm that its incident has never
// saved. A published postmortem is read-only, so when it has such
// sections it is sent back to review for the saves and published again
// right after; one whose four sections are all saved is not touched.
func loadPostmortem(ctx context.Context, store *models.Store, pm *Postmortem, res *Result) (err error) {
	inc, err := store.IncidentBySlug(ctx, pm.Slug)
	if err != nil {
		return fmt.Errorf("look up incident %s: %w", pm.Slug, err)
	}
	versions := map[string]int64{}
	for _, section := range postmortemSections {
		sec, err := store.Section(ctx, inc.ID, section)
		if err != nil {
			return fmt.Errorf("incident %s: read the %s section: %w", pm.Slug, section, err)
		}
		versions[section] = sec.Version
	}
	if !slices.ContainsFunc(postmortemSections, func(s string) bool { return versions[s] == 0 }) {
		return nil
	}

	if inc.Status == models.StatusPublished {
		if err := setReviewState(ctx, store, inc.ID, models.StatusInReview); err != nil {
			return fmt.Errorf("incident %s: reopen the published postmortem to add its sections: %w", pm.Slug, err)
		}
		// Published again whatever happens to the saves.
		defer func() {
			if perr := setReviewState(ctx, store, inc.ID, models.StatusPublished); perr != nil {
				err = errors.Join(err, fmt.Errorf("incident %s: publish the postmortem again: %w", pm.Slug, perr))
			}
		}()
	}

	save := func(section string, f func() (*models.PostmortemSection, error)) error {
		if versions[section] != 0 {
			return nil
		}
		if _, err := f(); err != nil {
			return fmt.Errorf("incident %s: %s: %w", pm.Slug, section, err)
		}
		res.PostmortemSectionsSaved++
		return nil
	}
	if err := save(models.SectionImpact, func() (*models.PostmortemSection, error) {
		return store.SaveImpact(ctx, inc.ID, pm.impact, 0, pm.Author)
	}); err != nil {
		return err
	}
	if err := save(models.SectionWhys, func() (*models.PostmortemSection, error) {
		whys, err := pm.resolvedWhys(ctx, store, inc.ID)
		if err != nil {
			return nil, err
		}
		return store.SaveWhys(ctx, inc.ID, whys, 0, pm.Author)
	}); err != nil {
		return err
	}
	if err := save(models.SectionFactors, func() (*models.PostmortemSection, error) {
		factors, err := pm.linkedFactors(ctx, store, inc.ID, versions[models.SectionWhys] != 0)
		if err != nil {
			return nil, err
		}
		return store.SaveFactors(ctx, inc.ID, factors, 0, pm.Author)
	}); err != nil {
		return err
	}
	return save(models.SectionLessons, func() (*models.PostmortemSection, error) {
		return store.SaveLessons(ctx, inc.ID, pm.lessons, 0, pm.Author)
	})
}

// reviewStater is a store that lets a loader put a postmortem in a review
// state directly, outside the review workflow and without a log entry
// (Store.SetReviewState, which comes with that workflow).
type reviewStater interface {
	SetReviewState(ctx context.Context, incidentID int64, state string) error
}

// setReviewState puts the incident in state: through SetReviewState when
// the store has it, else as the editable status of UpdateIncident.
func setReviewState(ctx context.Context, store *models.Store, incidentID int64, state string) error {
	if rs, ok := any(store).(reviewStater); ok {
		return rs.SetReviewState(ctx, incidentID, state)
	}
	cur, err := store.Incident(ctx, incidentID)
	if err != nil {
		return err
	}
	in := models.InputOf(cur)
	in.Status = state
	_, err = store.UpdateIncident(ctx, cur.ID, cur.Version, in)
	return err
}

// resolvedWhys returns the whys with each evidence ref replaced by the id
// of its entry on the incident's timeline. The evidence has just been
// loaded, so a ref that finds no entry is a bug.
func (pm *Postmortem) resolvedWhys(ctx context.Context, store *models.Store, incidentID int64) (postmortem.Whys, error) {
	entries, err := store.Timeline(ctx, incidentID)
	if err != nil {
		return postmortem.Whys{}, fmt.Errorf("read the timeline: %w", err)
	}
	ids := map[entryRef]int64{}
	for _, e := range entries {
		var ref entryRef
		switch {
		case e.IsNote():
			ref.note = strings.TrimSpace(e.Title)
		case e.Event != nil:
			ref.event = [2]string{e.Event.Scope, e.Event.DedupKey}
		default:
			continue
		}
		if _, seen := ids[ref]; !seen {
			ids[ref] = e.ID
		}
	}
	whys := pm.whys
	whys.Steps = slices.Clone(pm.whys.Steps)
	for i := range whys.Steps {
		ev := make([]int64, len(pm.refs[i]))
		for k, ref := range pm.refs[i] {
			id, ok := ids[ref]
			if !ok {
				return postmortem.Whys{}, fmt.Errorf("steps[%d] (%s): evidence: the timeline has no entry for the %s", i, whys.Steps[i].ID, ref)
			}
			ev[k] = id
		}
		whys.Steps[i].Evidence = ev
	}
	return whys, nil
}

// linkedFactors returns the factors to save. When the whys were saved
// before this load (in the app, perhaps with other steps), a link to a
// step that the stored whys lack is dropped rather than left dangling.
func (pm *Postmortem) linkedFactors(ctx context.Context, store *models.Store, incidentID int64, whysSavedBefore bool) (postmortem.Factors, error) {
	factors := postmortem.Factors{Items: slices.Clone(pm.factors.Items)}
	if !whysSavedBefore {
		return factors, nil
	}
	stored, _, err := store.Whys(ctx, incidentID)
	if err != nil {
		return factors, fmt.Errorf("read the whys: %w", err)
	}
	for i := range factors.Items {
		id := factors.Items[i].WhyStepID
		if id != "" && !slices.ContainsFunc(stored.Steps, func(s postmortem.WhyStep) bool { return s.ID == id }) {
			factors.Items[i].WhyStepID = ""
		}
	}
	return factors, nil
}
