package ingest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestLabelBag(t *testing.T) {
	l := LabelBag{}
	l.Set(" env ", " prod ") // name and value trimmed
	l.Set("env", "staging")  // Set replaces
	l.Set("blank", "  ")     // a blank value is dropped
	l.Add("env", "other")    // Add keeps the first value
	l.Add("task", " deploy ")
	l.Add("empty", "")
	l.Add(" ", "no name")
	l.SetTag("team:payments")
	l.SetTag("tier = 1")
	l.SetTag("bare")
	l.SetTag("team:other")
	l.AddAll(map[string]string{"b": "2", "a": "1", "task": "x"})
	want := map[string]string{"env": "staging", "task": " deploy ", "team": "payments", "tier": "1", "bare": "", "a": "1", "b": "2"}
	if !reflect.DeepEqual(l.Map(), want) {
		t.Errorf("labels = %q, want %q", l.Map(), want)
	}
	if (LabelBag{}).Map() != nil {
		t.Error("an empty bag's Map is not nil")
	}
}

func TestLabelBagBounds(t *testing.T) {
	l := LabelBag{}
	l.Add(strings.Repeat("n", 300), strings.Repeat("é", 1000))
	for k, v := range l {
		if len(k) != MaxLabelName || len(v) > MaxLabelValue || !strings.HasSuffix(v, "…") {
			t.Errorf("not cut: name %d bytes, value %d bytes", len(k), len(v))
		}
	}
	more := map[string]string{}
	for i := range 2 * MaxLabels {
		more[fmt.Sprintf("k%03d", i)] = "v"
	}
	l.AddAll(more)
	if len(l) != MaxLabels || l["k000"] != "v" || l[fmt.Sprintf("k%03d", MaxLabels-1)] != "" {
		t.Errorf("%d labels; want %d, the first in sorted order", len(l), MaxLabels)
	}
	l.Set(strings.Repeat("n", 300), "replaced") // a full bag still replaces
	l.Set("new", "dropped")
	if l[strings.Repeat("n", MaxLabelName)] != "replaced" || l["new"] != "" {
		t.Errorf("full bag: %q %q", l[strings.Repeat("n", MaxLabelName)], l["new"])
	}
}

func TestBoundLabelSet(t *testing.T) {
	if BoundLabelSet(nil, []string{"a"}) != nil || BoundLabelSet(map[string]string{" ": "x"}, nil) != nil {
		t.Error("an empty set is not nil")
	}
	labels := map[string]string{"empty": ""}
	for i := range MaxLabels + 10 {
		labels[fmt.Sprintf("l%03d", i)] = "v"
	}
	labels["zz"] = "kept first"
	got := BoundLabelSet(labels, []string{"zz", "empty", "absent"})
	if len(got) != MaxLabels || got["zz"] != "kept first" || got["l000"] != "v" {
		t.Errorf("%d labels, zz %q", len(got), got["zz"])
	}
	if v, ok := got["empty"]; !ok || v != "" {
		t.Error("an empty value is not kept")
	}
	if _, ok := got[fmt.Sprintf("l%03d", MaxLabels-2)]; ok {
		t.Error("a label past the bound is kept")
	}
}

func TestFirstLabel(t *testing.T) {
	labels := map[string]string{"env": "  ", "environment": " prod "}
	if got := FirstLabel(labels, "env", "environment"); got != "prod" {
		t.Errorf("FirstLabel = %q", got)
	}
	if got := FirstLabel(labels, "absent"); got != "" {
		t.Errorf("FirstLabel = %q", got)
	}
}
