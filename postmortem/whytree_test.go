package postmortem

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// outline writes Flatten as "number:id" pairs, indented by depth.
func outline(w Whys) string {
	var parts []string
	for _, f := range w.Flatten() {
		leaf := ""
		if f.Leaf {
			leaf = "*"
		}
		parts = append(parts, strings.Repeat(">", f.Depth)+f.Number+":"+f.ID+leaf)
	}
	return strings.Join(parts, " ")
}

func TestFlatten(t *testing.T) {
	w := sampleWhys()
	if got, want := outline(w), "1:w1 >1.1:w2 >>1.1.1:w3* >>1.1.2:w4* >1.2:w5* 2:w6*"; got != want {
		t.Errorf("outline\n got %s\nwant %s", got, want)
	}
	for i, f := range w.Flatten() {
		if f.Index != i || !reflect.DeepEqual(f.WhyStep, w.Steps[i]) {
			t.Errorf("flat %d: index %d, step %+v", i, f.Index, f.WhyStep)
		}
	}
	// Stored out of display order but with each family's order kept: the
	// same outline, indexes into the stored order.
	s := w.Steps
	shuffled := Whys{Steps: []WhyStep{s[2], s[0], s[5], s[1], s[3], s[4]}}
	if got, want := outline(shuffled), "1:w1 >1.1:w2 >>1.1.1:w3* >>1.1.2:w4* >1.2:w5* 2:w6*"; got != want {
		t.Errorf("shuffled outline\n got %s\nwant %s", got, want)
	}
	if got := shuffled.Flatten()[0].Index; got != 1 {
		t.Errorf("index of w1 = %d, want 1", got)
	}
}

func TestTree(t *testing.T) {
	tree := sampleWhys().Tree()
	var walk func(nodes []WhyNode) string
	walk = func(nodes []WhyNode) string {
		var parts []string
		for _, n := range nodes {
			s := n.Number + ":" + n.ID
			if len(n.Children) > 0 {
				s += "(" + walk(n.Children) + ")"
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " ")
	}
	if got, want := walk(tree), "1:w1(1.1:w2(1.1.1:w3 1.1.2:w4) 1.2:w5) 2:w6"; got != want {
		t.Errorf("tree\n got %s\nwant %s", got, want)
	}
	if d := tree[0].Children[0].Children[1].Depth; d != 2 {
		t.Errorf("depth of w4 = %d, want 2", d)
	}
	if len(tree[1].Children) != 0 {
		t.Errorf("w6 has children %+v", tree[1].Children)
	}
}

func TestDeepNumbers(t *testing.T) {
	w := Whys{Steps: chain(MaxWhyDepth + 2)}
	flat := w.Flatten()
	if got := flat[MaxWhyDepth-1].Number; got != "1.1.1.1.1.1.1.1.1.1" {
		t.Errorf("number at level %d = %q", MaxWhyDepth, got)
	}
	if a, b := flat[MaxWhyDepth].Number, flat[MaxWhyDepth+1].Number; a != "….1" || b != "….1" {
		t.Errorf("numbers below level %d = %q, %q", MaxWhyDepth, a, b)
	}
	var deepest WhyNode
	for nodes := w.Tree(); len(nodes) > 0; nodes = nodes[0].Children {
		deepest = nodes[0]
	}
	if deepest.Number != "….1" || deepest.Depth != MaxWhyDepth+1 {
		t.Errorf("deepest node %q at depth %d", deepest.Number, deepest.Depth)
	}
}

func TestTreeOfInvalidWhys(t *testing.T) {
	w := Whys{Steps: []WhyStep{
		{ID: "a", ParentID: "b"}, {ID: "b", ParentID: "a"}, // a loop
		{ID: "c", ParentID: "a"},    // below the loop
		{ID: "d", ParentID: "nope"}, // missing parent: shown at the top
		{ID: "e"},
		{ID: "e", ParentID: "e"}, // a duplicate id whose parent is the first e
		{ID: "f", ParentID: "e"},
	}}
	if got, want := outline(w), "1:d* 2:e >2.1:e* >2.2:f*"; got != want {
		t.Errorf("outline\n got %s\nwant %s", got, want)
	}
	if n := len(w.Tree()); n != 2 {
		t.Errorf("tree has %d roots, want 2", n)
	}
}

func TestFind(t *testing.T) {
	w := sampleWhys()
	if f, ok := w.Find("w4"); !ok || f.Number != "1.1.2" || f.Because != "Traffic was at its weekly peak." {
		t.Errorf("Find(w4) = %+v, %v", f, ok)
	}
	if _, ok := w.Find("w9"); ok {
		t.Error("Find(w9) found a step")
	}
}

func TestLeaves(t *testing.T) {
	w := sampleWhys()
	w.Steps[3].Because = "" // w4 is an open question
	var got []string
	for _, l := range w.Leaves() {
		got = append(got, l.Number+":"+l.ID)
	}
	if want := []string{"1.1.1:w3", "1.2:w5", "2:w6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("leaves = %q, want %q", got, want)
	}
	if l := (Whys{}).Leaves(); l != nil {
		t.Errorf("leaves of nothing = %v", l)
	}
}

func TestMove(t *testing.T) {
	tests := []struct {
		id    string
		dir   Direction
		moved bool
		want  string // ids in stored order after the move
	}{
		{"w5", Up, true, "w1 w5 w2 w3 w4 w6"},   // takes w2's subtree along
		{"w2", Down, true, "w1 w5 w2 w3 w4 w6"}, // the same swap from the other side
		{"w4", Up, true, "w1 w2 w4 w3 w5 w6"},
		{"w6", Up, true, "w6 w1 w2 w3 w4 w5"},
		{"w1", Down, true, "w6 w1 w2 w3 w4 w5"},
		{"w1", Up, false, "w1 w2 w3 w4 w5 w6"},   // first at the top
		{"w6", Down, false, "w1 w2 w3 w4 w5 w6"}, // last at the top
		{"w3", Up, false, "w1 w2 w3 w4 w5 w6"},   // first child
		{"w4", Down, false, "w1 w2 w3 w4 w5 w6"}, // last child: never into a cousin's family
		{"w5", Down, false, "w1 w2 w3 w4 w5 w6"},
		{"w9", Up, false, "w1 w2 w3 w4 w5 w6"},
		{"w2", Direction(2), false, "w1 w2 w3 w4 w5 w6"},
	}
	for _, tt := range tests {
		w := sampleWhys()
		if moved := w.Move(tt.id, tt.dir); moved != tt.moved {
			t.Errorf("Move(%s, %d) = %v, want %v", tt.id, tt.dir, moved, tt.moved)
		}
		if got := ids(w.Steps); got != tt.want {
			t.Errorf("after Move(%s, %d): %s, want %s", tt.id, tt.dir, got, tt.want)
		}
		checkPaths(t, "after Move", w.Validate())
	}

	// Moving up then down is the identity.
	w := sampleWhys()
	w.Move("w5", Up)
	w.Move("w5", Down)
	if !reflect.DeepEqual(w, sampleWhys()) {
		t.Errorf("up then down changed the whys: %s", ids(w.Steps))
	}
	if got, want := outline(func() Whys { w := sampleWhys(); w.Move("w5", Up); return w }()),
		"1:w1 >1.1:w5* >1.2:w2 >>1.2.1:w3* >>1.2.2:w4* 2:w6*"; got != want {
		t.Errorf("outline after moving w5 up\n got %s\nwant %s", got, want)
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		id      string
		removed []string
		left    string
	}{
		{"w2", []string{"w2", "w3", "w4"}, "w1 w5 w6"},
		{"w1", []string{"w1", "w2", "w3", "w4", "w5"}, "w6"},
		{"w4", []string{"w4"}, "w1 w2 w3 w5 w6"},
		{"w6", []string{"w6"}, "w1 w2 w3 w4 w5"},
		{"w9", nil, "w1 w2 w3 w4 w5 w6"},
		{"", nil, "w1 w2 w3 w4 w5 w6"},
	}
	for _, tt := range tests {
		w := sampleWhys()
		if got := w.Delete(tt.id); !reflect.DeepEqual(got, tt.removed) {
			t.Errorf("Delete(%s) = %q, want %q", tt.id, got, tt.removed)
		}
		if got := ids(w.Steps); got != tt.left {
			t.Errorf("after Delete(%s): %s, want %s", tt.id, got, tt.left)
		}
		checkPaths(t, "after Delete", w.Validate())
	}
	// Inside a loop, the loop goes and nothing runs forever.
	w := Whys{Steps: []WhyStep{{ID: "a", ParentID: "b"}, {ID: "b", ParentID: "a"}, {ID: "c", ParentID: "b"}, {ID: "d"}}}
	if got := w.Delete("a"); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("Delete in a loop = %q", got)
	}
	if got := ids(w.Steps); got != "d" {
		t.Errorf("left after deleting a loop: %s", got)
	}
}

func TestAdd(t *testing.T) {
	w := sampleWhys()
	s, err := w.Add("w2", " Why was traffic high? ", " A marketing e-mail went out. ")
	if err != nil {
		t.Fatal(err)
	}
	want := WhyStep{ID: "w7", ParentID: "w2", Why: "Why was traffic high?", Because: "A marketing e-mail went out.", Evidence: []int64{}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Add = %+v, want %+v", s, want)
	}
	if got, want := outline(w), "1:w1 >1.1:w2 >>1.1.1:w3* >>1.1.2:w4* >>1.1.3:w7* >1.2:w5* 2:w6*"; got != want {
		t.Errorf("outline after Add\n got %s\nwant %s", got, want)
	}
	if got := ids(w.Steps); got != "w1 w2 w3 w4 w7 w5 w6" {
		t.Errorf("stored order after Add: %s (display order expected)", got)
	}
	if s, _ := w.Add("", "Why?", ""); s.ID != "w8" || s.ParentID != "" {
		t.Errorf("second Add = %+v", s)
	}
	if _, err := w.Add("w99", "", "x"); !errors.Is(err, ErrNoSuchStep) {
		t.Errorf("Add below a missing parent: %v", err)
	}

	// The first step of an empty whys.
	var empty Whys
	if s, err := empty.Add("", "", "x"); err != nil || s.ID != "w1" {
		t.Errorf("first Add = %+v, %v", s, err)
	}

	// Depth and count limits.
	deep := Whys{Steps: chain(MaxWhyDepth)}
	if _, err := deep.Add(deep.Steps[MaxWhyDepth-1].ID, "", "x"); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Add below level %d: %v", MaxWhyDepth, err)
	}
	if _, err := deep.Add(deep.Steps[MaxWhyDepth-2].ID, "", "x"); err != nil {
		t.Errorf("Add at level %d: %v", MaxWhyDepth, err)
	}
	full := Whys{Steps: chain(1)}
	for len(full.Steps) < MaxWhySteps {
		if _, err := full.Add("", "", "x"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := full.Add("", "", "x"); !errors.Is(err, ErrTooManySteps) {
		t.Errorf("Add beyond %d steps: %v", MaxWhySteps, err)
	}
	loop := Whys{Steps: []WhyStep{{ID: "a", ParentID: "b"}, {ID: "b", ParentID: "a"}}}
	if _, err := loop.Add("a", "", "x"); !errors.Is(err, ErrNoSuchStep) {
		t.Errorf("Add below a loop: %v", err)
	}
}

func TestNextID(t *testing.T) {
	tests := []struct {
		ids  []string
		want string
	}{
		{nil, "w1"},
		{[]string{"w1", "w2"}, "w3"},
		{[]string{"w1", "w3"}, "w4"}, // not the gap: w2 may still be linked somewhere
		{[]string{"w10", "w9"}, "w11"},
		{[]string{"x", "A-1", "w", "w-3", "wx"}, "w1"},
		{[]string{"w01"}, "w2"},
		{[]string{"w0"}, "w1"},
		{[]string{"w999999999999999999"}, "w1000000000000000000"},
		{[]string{"w99999999999999999999", "w1"}, "w2"}, // too long to be a counter
		{[]string{"w2", "w3x", "w3"}, "w4"},
	}
	for _, tt := range tests {
		w := Whys{}
		for _, id := range tt.ids {
			w.Steps = append(w.Steps, WhyStep{ID: id})
		}
		if got := w.NextID(); got != tt.want {
			t.Errorf("NextID(%q) = %s, want %s", tt.ids, got, tt.want)
		}
		if again := w.NextID(); again != tt.want {
			t.Errorf("NextID(%q) not deterministic: %s then %s", tt.ids, tt.want, again)
		}
	}
	// A taken candidate is skipped.
	if got := nextID("w", []string{"w1", "w2"}); got != "w3" {
		t.Errorf("nextID = %s", got)
	}
	// Ids keep growing across deletes, except past the largest.
	w := sampleWhys()
	w.Delete("w3")
	if got := w.NextID(); got != "w7" {
		t.Errorf("after deleting w3: %s, want w7", got)
	}
}

func TestCitedEntries(t *testing.T) {
	w := sampleWhys()
	w.Steps[5].Evidence = []int64{102}
	got := w.CitedEntries()
	want := map[int64][]string{101: {"w3", "w5"}, 102: {"w5", "w6"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CitedEntries = %v, want %v", got, want)
	}
	if !w.Uncite(101) {
		t.Error("Uncite(101) reported no change")
	}
	if w.Uncite(999) {
		t.Error("Uncite(999) reported a change")
	}
	got = w.CitedEntries()
	want = map[int64][]string{102: {"w5", "w6"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after Uncite: %v, want %v", got, want)
	}
	// The original's evidence slices are not shared with the result.
	orig := sampleWhys()
	cp := orig
	cp.Steps = append([]WhyStep(nil), orig.Steps...)
	cp.Uncite(101)
	if fmt.Sprint(orig.Steps[4].Evidence) != "[101 102]" {
		t.Errorf("Uncite changed a shared slice: %v", orig.Steps[4].Evidence)
	}
}
