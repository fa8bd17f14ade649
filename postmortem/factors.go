package postmortem

import (
	"fmt"
	"slices"
	"strings"
)

// Category is a kind of contributing factor in the admin-editable
// taxonomy.
type Category struct {
	Key   string `json:"key"`   // a slug stored on each factor: "config_change"
	Label string `json:"label"` // "Config change"
	Group string `json:"group"` // a slug grouping categories in the picker: GroupTrigger, GroupGap
	// Archived categories are no longer offered for new factors but stay
	// valid on the factors that use them. Admins archive rather than
	// delete, so that a stored section always validates and a client can
	// PUT back what it got.
	Archived bool `json:"archived"`
}

// Groups of the default taxonomy.
const (
	GroupTrigger = "trigger" // what set the incident off
	GroupGap     = "gap"     // what let it grow or last
)

// DefaultCategories returns the taxonomy a new installation starts with: a
// trigger (deploy, config change, migration, infrastructure, dependency,
// capacity) and the gaps that let it hurt (detection, response, process).
// A fresh slice each time, for the caller to edit.
func DefaultCategories() []Category {
	return []Category{
		{Key: "deploy", Label: "Deploy", Group: GroupTrigger},
		{Key: "config_change", Label: "Config change", Group: GroupTrigger},
		{Key: "migration", Label: "Migration", Group: GroupTrigger},
		{Key: "infrastructure", Label: "Infrastructure", Group: GroupTrigger},
		{Key: "dependency", Label: "Dependency", Group: GroupTrigger},
		{Key: "capacity", Label: "Capacity", Group: GroupTrigger},
		{Key: "detection_gap", Label: "Detection gap", Group: GroupGap},
		{Key: "response_gap", Label: "Response gap", Group: GroupGap},
		{Key: "process_gap", Label: "Process gap", Group: GroupGap},
	}
}

// MaxCategories bounds the taxonomy.
const MaxCategories = 100

// ValidateCategories checks the admin's taxonomy: at most MaxCategories,
// keys and groups slugs (validKey), keys unique, labels present, one line,
// at most MaxLabelLength characters. Paths: "categories",
// "categories[2].key".
func ValidateCategories(cats []Category) FieldErrors {
	var fe FieldErrors
	if len(cats) > MaxCategories {
		fe.add("categories", fmt.Sprintf("use at most %d categories", MaxCategories))
	}
	keys := map[string]bool{}
	for i, c := range cats {
		p := indexPath("categories", i)
		switch {
		case !validKey(c.Key):
			fe.add(p+".key", keyRule)
		case repeated(keys, c.Key):
			fe.add(p+".key", "another category already uses this key")
		}
		switch {
		case blank(c.Label):
			fe.add(p+".label", "enter a label")
		case hasControl(c.Label) || strings.ContainsAny(c.Label, "\r\n"):
			fe.add(p+".label", "use a single line")
		}
		checkLength(&fe, p+".label", c.Label, MaxLabelLength)
		if !validKey(c.Group) {
			fe.add(p+".group", keyRule)
		}
	}
	return fe.orNil()
}

// Factors is the contributing factors step, saved as one section.
type Factors struct {
	Items []Factor `json:"items"`
}

// Factor is one thing that made the incident possible, worse or longer.
type Factor struct {
	ID       string `json:"id"`       // stable within the incident: "f1", "f2"
	Category string `json:"category"` // a Category key
	Note     string `json:"note"`     // how it contributed
	// WhyStepID is the Five Whys leaf the factor came from, "" when it was
	// added directly.
	WhyStepID string `json:"why_step_id"`
}

// MaxFactors bounds the factors of one incident.
const MaxFactors = 50

// Normalize trims the factors in place and makes a nil list empty. Order
// is kept: it is the authors'.
func (f *Factors) Normalize() {
	if f.Items == nil {
		f.Items = []Factor{}
	}
	for i := range f.Items {
		it := &f.Items[i]
		it.ID = strings.TrimSpace(it.ID)
		it.Category = strings.TrimSpace(it.Category)
		it.Note = strings.TrimSpace(it.Note)
		it.WhyStepID = strings.TrimSpace(it.WhyStepID)
	}
}

// Validate checks the factors against the taxonomy (archived categories
// included) and returns the problems by path, nil when valid: at most
// MaxFactors ("items"); ids of the validID shape and unique
// ("items[1].id"); a known category ("items[1].category"); a note of at
// most MaxTextLength characters ("items[1].note"); a why step id of the
// validID shape when set ("items[1].why_step_id"). Several factors may
// share a category. Whether the why step still exists is another
// section's business: see UnlinkWhySteps.
func (f Factors) Validate(cats []Category) FieldErrors {
	var fe FieldErrors
	if len(f.Items) > MaxFactors {
		fe.add("items", fmt.Sprintf("list at most %d factors", MaxFactors))
	}
	known := make(map[string]bool, len(cats))
	for _, c := range cats {
		known[c.Key] = true
	}
	ids := map[string]bool{}
	for i, it := range f.Items {
		p := indexPath("items", i)
		switch {
		case !validID(it.ID):
			fe.add(p+".id", "use 1 to 40 letters, digits, '-' or '_'")
		case repeated(ids, it.ID):
			fe.add(p+".id", "another factor already uses this id")
		}
		switch {
		case it.Category == "":
			fe.add(p+".category", "choose a category")
		case !known[it.Category]:
			fe.add(p+".category", "this category does not exist; choose another")
		}
		checkLength(&fe, p+".note", it.Note, MaxTextLength)
		if it.WhyStepID != "" && !validID(it.WhyStepID) {
			fe.add(p+".why_step_id", "not a Five Whys step")
		}
	}
	return fe.orNil()
}

// NextID returns the id for a new factor: "f" and one more than the
// largest number in an existing "fN" id, for the reason given at
// Whys.NextID.
func (f Factors) NextID() string {
	ids := make([]string, len(f.Items))
	for i, it := range f.Items {
		ids[i] = it.ID
	}
	return nextID("f", ids)
}

// Add appends a factor with a new id and returns it. It does not validate:
// call Validate before saving.
func (f *Factors) Add(category, note, whyStepID string) Factor {
	it := Factor{ID: f.NextID(), Category: strings.TrimSpace(category), Note: strings.TrimSpace(note),
		WhyStepID: strings.TrimSpace(whyStepID)}
	f.Items = append(f.Items, it)
	return it
}

// Suggestions returns the Five Whys leaves (Whys.Leaves) that no factor
// comes from yet, in display order: the causes the factors step offers to
// add.
func (f Factors) Suggestions(w Whys) []FlatStep {
	used := make(map[string]bool, len(f.Items))
	for _, it := range f.Items {
		used[it.WhyStepID] = true
	}
	var out []FlatStep
	for _, l := range w.Leaves() {
		if !used[l.ID] {
			out = append(out, l)
		}
	}
	return out
}

// UnlinkWhySteps clears WhyStepID on the factors that came from one of
// these steps (the ids Whys.Delete returns), keeping the factors
// themselves, and reports whether any changed. The link is cleared rather
// than left dangling because step ids can be handed out again.
func (f *Factors) UnlinkWhySteps(ids []string) bool {
	changed := false
	for i := range f.Items {
		if f.Items[i].WhyStepID != "" && slices.Contains(ids, f.Items[i].WhyStepID) {
			f.Items[i].WhyStepID = ""
			changed = true
		}
	}
	return changed
}
