package postmortem

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// sampleWhys is a valid tree, in display order:
//
//	1     w1 checkout failed ← payments returned 502s
//	1.1   w2   ← its database pool was exhausted
//	1.1.1 w3     ← a deploy halved the pool size      (evidence 101)
//	1.1.2 w4     ← traffic was at its weekly peak
//	1.2   w5   ← retries amplified the load          (evidence 101, 102)
//	2     w6 detection took 40 minutes ← the alert only fired on a full outage
func sampleWhys() Whys {
	return Whys{
		Problem: "Checkout failed for 67 minutes.",
		Steps: []WhyStep{
			{ID: "w1", Why: "Why did checkout fail?", Because: "The payments service returned 502s.", Evidence: []int64{}},
			{ID: "w2", ParentID: "w1", Why: "Why did it return 502s?", Because: "Its database pool was exhausted.", Evidence: []int64{}},
			{ID: "w3", ParentID: "w2", Why: "Why was the pool exhausted?", Because: "A deploy halved the pool size.", Evidence: []int64{101}},
			{ID: "w4", ParentID: "w2", Because: "Traffic was at its weekly peak.", Evidence: []int64{}},
			{ID: "w5", ParentID: "w1", Because: "Retries amplified the load.", Evidence: []int64{101, 102}},
			{ID: "w6", Why: "Why did detection take 40 minutes?", Because: "The alert only fired on a full outage.", Evidence: []int64{}},
		},
	}
}

// chain returns n steps, each below the previous one.
func chain(n int) []WhyStep {
	steps := make([]WhyStep, n)
	for i := range steps {
		steps[i] = WhyStep{ID: fmt.Sprintf("w%d", i+1), Because: "because"}
		if i > 0 {
			steps[i].ParentID = steps[i-1].ID
		}
	}
	return steps
}

func TestWhysValidate(t *testing.T) {
	with := func(f func(*Whys)) Whys { w := sampleWhys(); f(&w); return w }
	tests := []struct {
		name string
		in   Whys
		want []string
	}{
		{"sample", sampleWhys(), nil},
		{"empty", Whys{}, nil},
		{"problem only", Whys{Problem: "x"}, nil},
		{"why without because", with(func(w *Whys) { w.Steps[3].Because = ""; w.Steps[3].Why = "Why?" }), nil},
		{"because without why", with(func(w *Whys) { w.Steps[0].Why = "" }), nil},
		{"ten levels", Whys{Steps: chain(MaxWhyDepth)}, nil},
		{"200 steps", Whys{Steps: func() []WhyStep {
			s := chain(200)
			for i := range s {
				s[i].ParentID = ""
			}
			return s
		}()}, nil},
		{"parent listed after child", with(func(w *Whys) { w.Steps[0], w.Steps[2] = w.Steps[2], w.Steps[0] }), nil},
		{"client ids", Whys{Steps: []WhyStep{{ID: "A-1_b", Because: "x"}, {ID: "7", ParentID: "A-1_b", Because: "y"}}}, nil},

		{"long problem", with(func(w *Whys) { w.Problem = strings.Repeat("p", MaxTextLength+1) }), []string{"problem"}},
		{"201 steps", Whys{Steps: func() []WhyStep {
			s := chain(201)
			for i := range s {
				s[i].ParentID = ""
			}
			return s
		}()}, []string{"steps"}},
		{"empty id", with(func(w *Whys) { w.Steps[3].ID = "" }), []string{"steps[3].id"}},
		{"id with space", with(func(w *Whys) { w.Steps[3].ID = "w 4" }), []string{"steps[3].id"}},
		{"long id", with(func(w *Whys) { w.Steps[3].ID = strings.Repeat("w", 41) }), []string{"steps[3].id"}},
		{"duplicate id", with(func(w *Whys) { w.Steps[4].ID = "w4" }), []string{"steps[4].id"}},
		{"missing parent", with(func(w *Whys) { w.Steps[3].ParentID = "w9" }), []string{"steps[3].parent_id"}},
		{"own parent", with(func(w *Whys) { w.Steps[0].ParentID = "w1" }), []string{"steps[0].parent_id",
			// w2…w5 hang below the loop.
			"steps[1].parent_id", "steps[2].parent_id", "steps[3].parent_id", "steps[4].parent_id"}},
		{"loop of two", Whys{Steps: []WhyStep{
			{ID: "a", ParentID: "b", Because: "x"}, {ID: "b", ParentID: "a", Because: "y"}, {ID: "c", ParentID: "b", Because: "z"},
		}}, []string{"steps[0].parent_id", "steps[1].parent_id", "steps[2].parent_id"}},
		{"eleven levels", Whys{Steps: chain(MaxWhyDepth + 1)}, []string{"steps[10].parent_id"}},
		{"twelve levels", Whys{Steps: chain(MaxWhyDepth + 2)}, []string{"steps[10].parent_id", "steps[11].parent_id"}},
		{"blank step", with(func(w *Whys) { w.Steps[2].Why = " "; w.Steps[2].Because = "\n" }), []string{"steps[2].because"}},
		{"long why", with(func(w *Whys) { w.Steps[2].Why = strings.Repeat("é", MaxTextLength+1) }), []string{"steps[2].why"}},
		{"long because", with(func(w *Whys) { w.Steps[2].Because = strings.Repeat("é", MaxTextLength+1) }), []string{"steps[2].because"}},
		{"zero evidence", with(func(w *Whys) { w.Steps[4].Evidence = []int64{101, 0} }), []string{"steps[4].evidence[1]"}},
		{"negative evidence", with(func(w *Whys) { w.Steps[4].Evidence = []int64{-5} }), []string{"steps[4].evidence[0]"}},
		{"repeated evidence", with(func(w *Whys) { w.Steps[4].Evidence = []int64{101, 102, 101} }), []string{"steps[4].evidence[2]"}},
		{"too much evidence", with(func(w *Whys) {
			w.Steps[4].Evidence = nil
			for i := range MaxEvidence + 1 {
				w.Steps[4].Evidence = append(w.Steps[4].Evidence, int64(i+1))
			}
		}), []string{"steps[4].evidence"}},
	}
	for _, tt := range tests {
		checkPaths(t, tt.name, tt.in.Validate(), tt.want...)
	}
}

func TestWhysNormalize(t *testing.T) {
	w := sampleWhys()
	// Shuffle while keeping each family's order, pad the text, repeat
	// evidence.
	s := w.Steps
	w.Steps = []WhyStep{s[2], s[0], s[1], s[3], s[4], s[5]}
	w.Steps[0].Because = "  " + w.Steps[0].Because + "\n"
	w.Steps[0].Evidence = []int64{101, 101}
	w.Steps[1].ID = " w1 "
	w.Steps[3].Evidence = nil
	w.Problem = " " + w.Problem
	w.Normalize()
	if want := sampleWhys(); !reflect.DeepEqual(w, want) {
		t.Errorf("Normalize:\n got %+v\nwant %+v", w, want)
	}

	var empty Whys
	empty.Normalize()
	if empty.Steps == nil {
		t.Error("Normalize left steps nil; the JSON would say null")
	}

	// A loop cannot be placed, but nothing is dropped.
	loop := Whys{Steps: []WhyStep{
		{ID: "b", ParentID: "a", Because: "1"}, {ID: "top", Because: "2"}, {ID: "a", ParentID: "b", Because: "3"},
	}}
	loop.Normalize()
	if got := ids(loop.Steps); got != "top b a" {
		t.Errorf("loop after Normalize: %s, want top b a", got)
	}
}

func ids(steps []WhyStep) string {
	var out []string
	for _, s := range steps {
		out = append(out, s.ID)
	}
	return strings.Join(out, " ")
}
