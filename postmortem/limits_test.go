package postmortem

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// TestHostileSizes: a body far beyond the limits (what a 1 MB request can
// hold) is refused in linear time, not quadratic. The bound is generous;
// a quadratic check would take minutes here.
func TestHostileSizes(t *testing.T) {
	const n = 30_000
	start := time.Now()

	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	imp := Impact{Services: names, Features: names, Customers: Customers{Names: names}}
	imp.Normalize()
	checkPaths(t, "huge impact", imp.Validate(nil), "services", "features", "customers.names")

	ev := make([]int64, n)
	for i := range ev {
		ev[i] = int64(i%1000 + 1)
	}
	steps := make([]WhyStep, n)
	for i := range steps {
		steps[i] = WhyStep{ID: fmt.Sprint("w", i), Because: "x", Evidence: ev[:20]}
		if i > 0 {
			steps[i].ParentID = steps[i-1].ID // one long chain
		}
	}
	steps[0].Evidence = ev
	w := Whys{Steps: steps}
	if fe := w.Validate(); fe["steps"] == "" || fe["steps[0].evidence"] == "" || fe["steps[29999].parent_id"] == "" {
		t.Errorf("huge whys: %d problems, missing the expected ones", len(fe))
	}
	w.Tree()
	w.Flatten()
	w.CitedEntries()
	w.Normalize()

	items := make([]Factor, n)
	for i := range items {
		items[i] = Factor{ID: "f1", Category: "deploy"}
	}
	if fe := (Factors{Items: items}).Validate(DefaultCategories()); fe["items"] == "" || fe["items[29999].id"] == "" {
		t.Error("huge factors not refused")
	}

	opts := make([]string, n)
	for i := range opts {
		opts[i] = "o"
	}
	if fe := (CustomField{Key: "k", Label: "K", Kind: CustomSelect, Options: opts}).Validate(); fe["options"] == "" {
		t.Error("huge options not refused")
	}
	many := make([]Step, n)
	for i := range many {
		many[i] = StepSummary
	}
	if fe := (Template{Key: "k", Name: "K", Steps: many}).Validate(); fe["steps[1]"] == "" {
		t.Error("repeated steps not refused")
	}
	body, _ := json.Marshal(w)
	if got := time.Since(start); got > 5*time.Second {
		t.Errorf("hostile sizes took %v (%d-byte whys)", got, len(body))
	}
}
