package postmortem

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzWhysValidate decodes arbitrary JSON into a Whys. Validate, Tree,
// Flatten, Leaves, Normalize, the tree operations and DiffWhys never
// panic; Tree and Flatten agree; Normalize keeps every step; and a valid
// Whys shows every step exactly once, stays valid through Normalize, Move,
// Add and Delete, and is in display order after Normalize.
func FuzzWhysValidate(f *testing.F) {
	seed, _ := json.Marshal(sampleWhys())
	f.Add(seed)
	f.Add([]byte(`{"problem":"p","steps":[{"id":"a","parent_id":"b"},{"id":"b","parent_id":"a"},{"id":"c","parent_id":"a","because":"x"}]}`))
	f.Add([]byte(`{"steps":[{"id":"w1","because":"x"},{"id":"w1","parent_id":"w1","because":"y"},{"id":"w2","parent_id":"nope","why":"z"}]}`))
	f.Add([]byte(`{"steps":[{"id":"w3","parent_id":"w2","because":"x","evidence":[1,1,-1,0]},{"id":"w2","parent_id":"w1","because":"x"},{"id":"w1","because":"x"}]}`))
	f.Add([]byte(`{"steps":null}`))
	f.Add([]byte(`{"steps":[{"id":" w1 ","because":" x "}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var w Whys
		if json.Unmarshal(data, &w) != nil {
			return
		}
		n := len(w.Steps)
		fe := w.Validate()
		tree, flat := w.Tree(), w.Flatten()
		if c := countNodes(tree); c != len(flat) {
			t.Fatalf("Tree has %d nodes, Flatten %d", c, len(flat))
		}
		for _, fs := range flat {
			if fs.Index < 0 || fs.Index >= n || fs.Depth < 0 || fs.Number == "" ||
				fs.Depth < MaxWhyDepth && strings.Count(fs.Number, ".") != fs.Depth {
				t.Fatalf("bad flat step %+v", fs)
			}
		}
		for _, l := range w.Leaves() {
			if !l.Leaf || blank(l.Because) {
				t.Fatalf("bad leaf %+v", l)
			}
		}
		w.CitedEntries()
		DiffWhys(Whys{}, w)
		if fe == nil {
			if len(flat) != n {
				t.Fatalf("a valid whys with %d steps flattens to %d", n, len(flat))
			}
			seen := map[int]bool{}
			for _, fs := range flat {
				if seen[fs.Index] {
					t.Fatalf("step %d shown twice", fs.Index)
				}
				seen[fs.Index] = true
			}
		}

		norm := w
		norm.Steps = append([]WhyStep(nil), w.Steps...)
		norm.Normalize()
		if len(norm.Steps) != n {
			t.Fatalf("Normalize turned %d steps into %d", n, len(norm.Steps))
		}
		if fe != nil {
			// Invalid input: the operations must only not panic.
			cp := clone(norm)
			if n > 0 {
				cp.Move(cp.Steps[0].ID, Down)
				cp.Add(cp.Steps[0].ID, "why", "because")
				cp.Delete(cp.Steps[len(cp.Steps)-1].ID)
			}
			return
		}
		if nfe := norm.Validate(); nfe != nil {
			t.Fatalf("valid whys invalid after Normalize: %v", nfe)
		}
		for i, fs := range norm.Flatten() {
			if fs.Index != i {
				t.Fatalf("after Normalize, step %d shows at %d", fs.Index, i)
			}
		}
		again := clone(norm)
		again.Normalize()
		if !reflect.DeepEqual(again, norm) {
			t.Fatal("Normalize is not idempotent")
		}
		if n == 0 {
			return
		}
		id := norm.Steps[n/2].ID
		for _, dir := range []Direction{Up, Down} {
			cp := clone(norm)
			moved := cp.Move(id, dir)
			if fe := cp.Validate(); fe != nil || len(cp.Steps) != n {
				t.Fatalf("Move(%s, %d) broke the whys: %v", id, dir, fe)
			}
			if moved && cp.Move(id, -dir) && !reflect.DeepEqual(cp, norm) {
				t.Fatalf("Move(%s, %d) and back changed the whys", id, dir)
			}
		}
		cp := clone(norm)
		if s, err := cp.Add(id, "why", "because"); err == nil {
			if fe := cp.Validate(); fe != nil || len(cp.Steps) != n+1 || s.ID == "" {
				t.Fatalf("Add below %s broke the whys: %v", id, fe)
			}
		}
		cp = clone(norm)
		removed := cp.Delete(id)
		if len(removed) == 0 || len(cp.Steps) != n-len(removed) {
			t.Fatalf("Delete(%s) removed %q, %d steps left of %d", id, removed, len(cp.Steps), n)
		}
		if fe := cp.Validate(); fe != nil {
			t.Fatalf("Delete(%s) broke the whys: %v", id, fe)
		}
	})
}

func countNodes(nodes []WhyNode) int {
	c := len(nodes)
	for _, n := range nodes {
		c += countNodes(n.Children)
	}
	return c
}

func clone(w Whys) Whys {
	c := w
	c.Steps = make([]WhyStep, len(w.Steps))
	for i, s := range w.Steps {
		s.Evidence = append([]int64(nil), s.Evidence...)
		if w.Steps[i].Evidence != nil && s.Evidence == nil {
			s.Evidence = []int64{}
		}
		c.Steps[i] = s
	}
	return c
}

// FuzzDiff: concatenating the equal and delete texts gives old, the equal
// and insert texts gives new, for any bytes; the ops alternate properly;
// the diff is the same every time.
func FuzzDiff(f *testing.F) {
	f.Add("the quick brown fox", "the slow brown fox")
	f.Add("", "x")
	f.Add("a, b", "c; d")
	f.Add("日本語のテキスト", "日本のテキスト")
	f.Add("a \xff b", "a \xfe\xfe b")
	f.Add("line one\n\nline two", "line two\nline one")
	f.Add("a b a b a b", "b a b a b a")
	f.Fuzz(func(t *testing.T, old, new string) {
		ops := Diff(old, new)
		checkDiff(t, old, new, ops)
		if again := Diff(old, new); !reflect.DeepEqual(ops, again) {
			t.Fatalf("Diff(%q, %q) is not deterministic", old, new)
		}
	})
}

// FuzzImpactJSON decodes arbitrary JSON into an Impact: Normalize,
// Validate, Public, PruneCustom and DiffImpact never panic, Normalize is
// idempotent, and after PruneCustom no custom value is refused.
func FuzzImpactJSON(f *testing.F) {
	seed, _ := json.Marshal(fullImpact())
	f.Add(seed)
	f.Add([]byte(`{"custom":{"region":"mars","revenue_lost":"x","contract_review":"2024-02-30","zzz":null,"account_manager":" "}}`))
	f.Add([]byte(`{"start":"2024-03-15T12:00:00+05:00","end":"2024-03-15T06:00:00Z","users_affected":{"count":-1}}`))
	f.Add([]byte(`{"detection":{"link":"https://[::1]:80/x"},"services":[" a","A","",null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var i Impact
		if json.Unmarshal(data, &i) != nil {
			return
		}
		i.Normalize()
		i.Validate(testFields)
		again := i
		again.Custom = map[string]any{}
		for k, v := range i.Custom {
			again.Custom[k] = v
		}
		again.Normalize()
		if !reflect.DeepEqual(again, i) {
			t.Fatalf("Normalize is not idempotent:\n%+v\n%+v", i, again)
		}
		i.Public(testFields)
		DiffImpact(Impact{}, i, testFields)
		i.PruneCustom(testFields)
		for k := range i.Validate(testFields) {
			if strings.HasPrefix(k, "custom.") {
				t.Fatalf("%s refused after PruneCustom", k)
			}
		}
	})
}
