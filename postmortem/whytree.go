package postmortem

import (
	"slices"
	"strconv"
	"strings"
)

// WhyNode is a step in the nested tree, for templates that render it
// recursively.
type WhyNode struct {
	WhyStep
	Number   string    `json:"number"` // "1", "1.2", "1.2.1": position among siblings at each level (see childPrefix)
	Depth    int       `json:"depth"`  // 0 at the top level
	Children []WhyNode `json:"children"`
}

// FlatStep is a step in display order with what an indented list needs.
type FlatStep struct {
	WhyStep
	Number string `json:"number"` // as in WhyNode
	Depth  int    `json:"depth"`  // indentation level, 0 at the top
	Index  int    `json:"index"`  // position in Whys.Steps
	Leaf   bool   `json:"leaf"`   // no step below it
}

// childPrefix is what the numbers of a step's children start with: its
// own number and a dot. Below MaxWhyDepth levels, which only an invalid
// Whys has, it is "…." instead, so that a long chain of steps costs linear
// time and memory to number rather than quadratic.
func childPrefix(number string, childDepth int) string {
	if childDepth >= MaxWhyDepth {
		return "…."
	}
	return number + "."
}

// Tree returns the steps nested under their parents, siblings in their
// stored order. Steps whose parent is missing show at the top level; steps
// in a loop (and below one) are left out. Both are refused by Validate, so
// a valid Whys shows every step.
func (w Whys) Tree() []WhyNode {
	st := w.structure()
	var build func(idx []int, prefix string, depth int) []WhyNode
	build = func(idx []int, prefix string, depth int) []WhyNode {
		nodes := make([]WhyNode, len(idx))
		for k, i := range idx {
			num := prefix + strconv.Itoa(k+1)
			nodes[k] = WhyNode{WhyStep: w.Steps[i], Number: num, Depth: depth,
				Children: build(st.children[i], childPrefix(num, depth+1), depth+1)}
		}
		return nodes
	}
	return build(st.roots, "", 0)
}

// Flatten returns the tree in display order (each step followed by its
// subtree), with depth and number for an indented list. It shows the same
// steps as Tree.
func (w Whys) Flatten() []FlatStep {
	st := w.structure()
	out := make([]FlatStep, 0, len(w.Steps))
	type frame struct {
		idx    []int
		next   int
		prefix string
	}
	stack := []frame{{idx: st.roots}}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.next == len(f.idx) {
			stack = stack[:len(stack)-1]
			continue
		}
		i := f.idx[f.next]
		f.next++
		num := f.prefix + strconv.Itoa(f.next)
		out = append(out, FlatStep{WhyStep: w.Steps[i], Number: num, Depth: len(stack) - 1, Index: i,
			Leaf: len(st.children[i]) == 0})
		if len(st.children[i]) > 0 {
			stack = append(stack, frame{idx: st.children[i], prefix: childPrefix(num, len(stack))})
		}
	}
	return out
}

// Leaves returns the causes at the bottom of the tree, in display order:
// the steps with no step below them and a because. They are what the
// factors step offers as contributing factors (Factors.Suggestions). A
// leaf without a because is an open question, not a cause, so it is not
// offered.
func (w Whys) Leaves() []FlatStep {
	var out []FlatStep
	for _, f := range w.Flatten() {
		if f.Leaf && !blank(f.Because) {
			out = append(out, f)
		}
	}
	return out
}

// Find returns the step with this id as the indented list shows it (with
// its number), for showing where a factor or an action spawned from a
// cause came from; false when no shown step has the id.
func (w Whys) Find(id string) (FlatStep, bool) {
	for _, f := range w.Flatten() {
		if f.ID == id {
			return f, true
		}
	}
	return FlatStep{}, false
}

// reorder puts the steps in display order; steps that cannot be placed
// keep their relative order at the end.
func (w *Whys) reorder() {
	flat := w.Flatten()
	if len(flat) == len(w.Steps) && slices.IsSortedFunc(flat, func(a, b FlatStep) int { return a.Index - b.Index }) {
		return
	}
	placed := make([]bool, len(w.Steps))
	out := make([]WhyStep, 0, len(w.Steps))
	for _, f := range flat {
		out = append(out, w.Steps[f.Index])
		placed[f.Index] = true
	}
	for i, s := range w.Steps {
		if !placed[i] {
			out = append(out, s)
		}
	}
	w.Steps = out
}

// index returns the position of the first step with this id, -1 if none.
func (w Whys) index(id string) int {
	return slices.IndexFunc(w.Steps, func(s WhyStep) bool { return s.ID == id })
}

// Direction is where Move takes a step among its siblings.
type Direction int

// Directions for Move.
const (
	Up   Direction = -1
	Down Direction = 1
)

// Move swaps the step with its previous (Up) or next (Down) sibling,
// taking both subtrees along, and reports whether anything moved: false
// for an unknown id or direction, and at the edge (the first sibling
// cannot go up, the last cannot go down). Steps never change parent here.
func (w *Whys) Move(id string, dir Direction) bool {
	i := w.index(id)
	if i < 0 || dir != Up && dir != Down {
		return false
	}
	st := w.structure()
	sibs := st.roots
	if p := st.parent[i]; p >= 0 {
		sibs = st.children[p]
	}
	k := slices.Index(sibs, i) + int(dir)
	if k < 0 || k >= len(sibs) {
		return false
	}
	// Sibling order is slice order: putting the step just before (or
	// after) its neighbour swaps the two and changes no other order.
	other := sibs[k]
	step := w.Steps[i]
	steps := slices.Delete(slices.Clone(w.Steps), i, i+1)
	at := other
	if other > i {
		at-- // the neighbour moved left when the step was taken out
	}
	if dir == Down {
		at++
	}
	w.Steps = slices.Insert(steps, at, step)
	w.reorder()
	return true
}

// Delete removes the step and every step below it, and returns their ids
// in display order (nil when no step has this id). The subtree goes too
// because its causes explain a because that no longer exists; to keep one,
// re-add it elsewhere first. Callers should unlink what pointed at the
// removed steps (Factors.UnlinkWhySteps, the actions spawned from them).
func (w *Whys) Delete(id string) []string {
	i := w.index(id)
	if i < 0 {
		return nil
	}
	st := w.structure()
	gone := make([]bool, len(w.Steps))
	var removed []string
	var walk func(int)
	walk = func(j int) {
		if gone[j] { // only possible inside a loop
			return
		}
		gone[j] = true
		removed = append(removed, w.Steps[j].ID)
		for _, c := range st.children[j] {
			walk(c)
		}
	}
	walk(i)
	kept := make([]WhyStep, 0, len(w.Steps)-len(removed))
	for j, s := range w.Steps {
		if !gone[j] {
			kept = append(kept, s)
		}
	}
	w.Steps = kept
	return removed
}

// Add appends a step as the last child of parentID ("" for the top level)
// with a new id (NextID), and returns it. The texts are trimmed. Errors:
// ErrNoSuchStep for an unknown parent (or one in a loop), ErrTooManySteps,
// ErrTooDeep.
func (w *Whys) Add(parentID, why, because string) (WhyStep, error) {
	depth := 0
	if parentID != "" {
		p := w.index(parentID)
		if p < 0 {
			return WhyStep{}, ErrNoSuchStep
		}
		d := w.structure().depth[p]
		if d < 0 {
			return WhyStep{}, ErrNoSuchStep
		}
		depth = d + 1
	}
	if len(w.Steps) >= MaxWhySteps {
		return WhyStep{}, ErrTooManySteps
	}
	if depth >= MaxWhyDepth {
		return WhyStep{}, ErrTooDeep
	}
	s := WhyStep{ID: w.NextID(), ParentID: parentID, Why: strings.TrimSpace(why),
		Because: strings.TrimSpace(because), Evidence: []int64{}}
	w.Steps = append(w.Steps, s)
	w.reorder()
	return s, nil
}
