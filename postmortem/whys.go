package postmortem

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Whys is the Five Whys step: a problem statement and a tree of why →
// because pairs, saved as one section. The steps are stored flat, each
// naming its parent, in display order (a parent before its children,
// siblings in their order); Normalize restores that order, and the tree
// operations keep it.
//
// The top-level steps ask why the problem happened; a child asks why its
// parent's because is true. A step with several children has several
// causes, which is why this is a tree and not a chain: real incidents
// rarely have a single root cause, and forcing one hides the others.
type Whys struct {
	Problem string    `json:"problem"` // what went wrong, as users or the business saw it
	Steps   []WhyStep `json:"steps"`
}

// WhyStep is one why → because pair.
type WhyStep struct {
	ID       string `json:"id"`        // stable within the incident: "w1", "w2" (NextID)
	ParentID string `json:"parent_id"` // "" for a top-level step
	Why      string `json:"why"`       // the question: "Why did checkout fail?"
	Because  string `json:"because"`   // the cause: "The payments pool was exhausted."
	// Evidence lists the ids of the timeline entries that support the
	// cause (CitedEntries gives the reverse link).
	Evidence []int64 `json:"evidence"`
}

// Limits on the Five Whys.
const (
	MaxWhySteps = 200 // steps in all
	MaxWhyDepth = 10  // levels of nesting, the top level being the first
	MaxEvidence = 50  // timeline entries cited by one step
)

// Errors of the tree operations, safe to show.
var (
	ErrNoSuchStep   = errors.New("that step no longer exists; reload the page")
	ErrTooManySteps = fmt.Errorf("a Five Whys can have at most %d steps", MaxWhySteps)
	ErrTooDeep      = fmt.Errorf("steps can be nested at most %d levels deep", MaxWhyDepth)
)

// Normalize tidies the whys in place: text and ids trimmed, repeated
// evidence dropped, nil lists made empty (so the JSON holds []), and the
// steps put in display order. Steps that cannot be placed (in a loop,
// which Validate refuses) keep their relative order at the end: Normalize
// never drops a step.
func (w *Whys) Normalize() {
	w.Problem = strings.TrimSpace(w.Problem)
	if w.Steps == nil {
		w.Steps = []WhyStep{}
	}
	for i := range w.Steps {
		s := &w.Steps[i]
		s.ID = strings.TrimSpace(s.ID)
		s.ParentID = strings.TrimSpace(s.ParentID)
		s.Why = strings.TrimSpace(s.Why)
		s.Because = strings.TrimSpace(s.Because)
		ev := make([]int64, 0, len(s.Evidence))
		cited := map[int64]bool{}
		for _, id := range s.Evidence {
			if !repeated(cited, id) {
				ev = append(ev, id)
			}
		}
		s.Evidence = ev
	}
	w.reorder()
}

// Validate returns the problems of the whys by JSON path, nil when valid:
// at most MaxWhySteps steps ("steps"); ids non-empty, of the validID shape
// and unique ("steps[3].id"); every parent an existing step, no step its
// own ancestor, at most MaxWhyDepth levels ("steps[3].parent_id"); each
// step with a why or a because, texts of at most MaxTextLength characters
// ("steps[3].because", "problem"); evidence of at most MaxEvidence
// positive, distinct entry ids ("steps[3].evidence[1]"). A problem
// statement is not required to save: the completeness check asks for it.
func (w Whys) Validate() FieldErrors {
	var fe FieldErrors
	checkLength(&fe, "problem", w.Problem, MaxTextLength)
	if len(w.Steps) > MaxWhySteps {
		fe.add("steps", fmt.Sprintf("use at most %d steps", MaxWhySteps))
	}
	first := make(map[string]int, len(w.Steps))
	for i, s := range w.Steps {
		p := indexPath("steps", i)
		switch j, seen := first[s.ID]; {
		case !validID(s.ID):
			fe.add(p+".id", "use 1 to 40 letters, digits, '-' or '_'")
		case seen && j != i:
			fe.add(p+".id", "another step already uses this id")
		default:
			first[s.ID] = i
		}
		if blank(s.Why) && blank(s.Because) {
			fe.add(p+".because", "write the why or the because")
		}
		checkLength(&fe, p+".why", s.Why, MaxTextLength)
		checkLength(&fe, p+".because", s.Because, MaxTextLength)
		if len(s.Evidence) > MaxEvidence {
			fe.add(p+".evidence", fmt.Sprintf("cite at most %d timeline entries", MaxEvidence))
		}
		cited := map[int64]bool{}
		for k, id := range s.Evidence {
			switch {
			case id <= 0:
				fe.add(indexPath(p+".evidence", k), "not a timeline entry")
			case repeated(cited, id):
				fe.add(indexPath(p+".evidence", k), "this entry is already cited")
			}
		}
	}
	st := w.structure()
	loop := st.loops()
	for i, s := range w.Steps {
		p := indexPath("steps", i) + ".parent_id"
		switch {
		case s.ParentID == "":
		case st.missing[i]:
			fe.add(p, "no step has this id")
		case loop[i]:
			fe.add(p, "a step cannot be a cause of itself (the steps form a loop)")
		case st.depth[i] < 0:
			fe.add(p, "this step is below a loop of steps; fix the loop first")
		case st.depth[i] >= MaxWhyDepth:
			fe.add(p, fmt.Sprintf("nest at most %d levels deep", MaxWhyDepth))
		}
	}
	return fe.orNil()
}

// structure is the tree behind the flat steps, by index into Steps.
type structure struct {
	parent   []int   // index of the parent; -1 at the top level (and for a missing parent)
	missing  []bool  // ParentID names no step
	children [][]int // by parent index, in slice order
	roots    []int   // top-level steps and steps with a missing parent, in slice order
	// depth is 0 at the top level, 1 below it, …; -1 for a step in a loop
	// or below one (never reached from the top level).
	depth []int
}

// structure resolves the parents. A ParentID that several steps share as
// their id means the first of them. A step whose parent is missing is
// placed at the top level so that it stays visible; Validate refuses it.
func (w Whys) structure() structure {
	n := len(w.Steps)
	st := structure{parent: make([]int, n), missing: make([]bool, n), children: make([][]int, n), depth: make([]int, n)}
	first := make(map[string]int, n)
	for i, s := range w.Steps {
		if _, ok := first[s.ID]; !ok {
			first[s.ID] = i
		}
	}
	for i, s := range w.Steps {
		st.parent[i] = -1
		if s.ParentID == "" {
			st.roots = append(st.roots, i)
			continue
		}
		j, ok := first[s.ParentID]
		if !ok {
			st.missing[i] = true
			st.roots = append(st.roots, i)
			continue
		}
		st.parent[i] = j
		st.children[j] = append(st.children[j], i)
	}
	for i := range st.depth {
		st.depth[i] = -1
	}
	// Breadth-first from the roots: each step has one parent, so each is
	// reached at most once, and steps in or below a loop never are.
	queue := slices.Clone(st.roots)
	for _, r := range st.roots {
		st.depth[r] = 0
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, c := range st.children[i] {
			st.depth[c] = st.depth[i] + 1
			queue = append(queue, c)
		}
	}
	return st
}

// loops marks the steps that are their own ancestor, in linear time: each
// unplaced step's chain of parents is walked once, stamped with the walk
// that first reached it; meeting a step stamped by the same walk closes a
// loop.
func (st structure) loops() []bool {
	n := len(st.parent)
	loop := make([]bool, n)
	walk := make([]int, n) // 0: not walked yet; else the walk number
	for start := range n {
		if st.depth[start] >= 0 || walk[start] != 0 {
			continue
		}
		id := start + 1
		i := start
		for i >= 0 && walk[i] == 0 && st.depth[i] < 0 {
			walk[i] = id
			i = st.parent[i]
		}
		if i >= 0 && walk[i] == id { // back on this walk's path: i is in a loop
			for j := i; !loop[j]; j = st.parent[j] {
				loop[j] = true
			}
		}
	}
	return loop
}

// NextID returns the id for a new step: "w" and one more than the largest
// number in an existing "wN" id ("w1" for the first step). Not the
// smallest unused number: a deleted step's id would come back and a
// factor or action still linked to the old step would silently point at
// the new one. It is deterministic, so that two replicas adding to the
// same version agree (and the version check refuses the second).
func (w Whys) NextID() string {
	ids := make([]string, len(w.Steps))
	for i, s := range w.Steps {
		ids[i] = s.ID
	}
	return nextID("w", ids)
}

// nextID returns prefix+N for N one more than the largest number after
// prefix among ids, skipping any id that is taken.
func nextID(prefix string, ids []string) string {
	var max int64
	taken := make(map[string]bool, len(ids))
	for _, id := range ids {
		taken[id] = true
		digits, ok := strings.CutPrefix(id, prefix)
		if !ok || len(digits) > 18 {
			continue
		}
		if n, err := strconv.ParseInt(digits, 10, 64); err == nil && n > max {
			max = n
		}
	}
	for n := max + 1; ; n++ {
		if id := prefix + strconv.FormatInt(n, 10); !taken[id] {
			return id
		}
	}
}

// CitedEntries maps each cited timeline entry id to the ids of the steps
// that cite it, in step order: the other direction of WhyStep.Evidence, for
// the timeline to show which causes an entry supports.
func (w Whys) CitedEntries() map[int64][]string {
	out := map[int64][]string{}
	for _, s := range w.Steps {
		for _, e := range s.Evidence {
			// A step cites an entry once; when its evidence repeats the
			// entry, the id it added last time is still the last one.
			if ids := out[e]; len(ids) == 0 || ids[len(ids)-1] != s.ID {
				out[e] = append(ids, s.ID)
			}
		}
	}
	return out
}

// Uncite removes a timeline entry from every step's evidence, for when the
// entry is deleted; it reports whether any step cited it.
func (w *Whys) Uncite(entryID int64) bool {
	changed := false
	for i := range w.Steps {
		s := &w.Steps[i]
		if slices.Contains(s.Evidence, entryID) {
			s.Evidence = slices.DeleteFunc(slices.Clone(s.Evidence), func(e int64) bool { return e == entryID })
			changed = true
		}
	}
	return changed
}
