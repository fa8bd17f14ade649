package postmortem

import (
	"reflect"
	"strings"
	"testing"
)

func sampleFactors() Factors {
	return Factors{Items: []Factor{
		{ID: "f1", Category: "deploy", Note: "The pool size change shipped without a load test.", WhyStepID: "w3"},
		{ID: "f2", Category: "detection_gap", Note: "Alerts fired only on a full outage.", WhyStepID: "w6"},
		{ID: "f3", Category: "capacity", Note: "Weekly peak."},
	}}
}

func TestDefaultCategories(t *testing.T) {
	cats := DefaultCategories()
	checkPaths(t, "default categories", ValidateCategories(cats))
	var got []string
	for _, c := range cats {
		got = append(got, c.Group+"/"+c.Key)
	}
	want := []string{"trigger/deploy", "trigger/config_change", "trigger/migration", "trigger/infrastructure",
		"trigger/dependency", "trigger/capacity", "gap/detection_gap", "gap/response_gap", "gap/process_gap"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("taxonomy = %q, want %q", got, want)
	}
	cats[0].Label = "changed"
	if DefaultCategories()[0].Label != "Deploy" {
		t.Error("DefaultCategories shares its slice")
	}
}

func TestValidateCategories(t *testing.T) {
	with := func(f func([]Category)) []Category { c := DefaultCategories(); f(c); return c }
	tests := []struct {
		name string
		in   []Category
		want []string
	}{
		{"empty", nil, nil},
		{"custom group", []Category{{Key: "vendor", Label: "Vendor", Group: "external"}}, nil},
		{"archived", with(func(c []Category) { c[2].Archived = true }), nil},
		{"bad key", with(func(c []Category) { c[1].Key = "Config Change" }), []string{"categories[1].key"}},
		{"duplicate key", with(func(c []Category) { c[8].Key = "deploy" }), []string{"categories[8].key"}},
		{"blank label", with(func(c []Category) { c[0].Label = "" }), []string{"categories[0].label"}},
		{"two-line label", with(func(c []Category) { c[0].Label = "a\r\nb" }), []string{"categories[0].label"}},
		{"long label", with(func(c []Category) { c[0].Label = strings.Repeat("l", 101) }), []string{"categories[0].label"}},
		{"no group", with(func(c []Category) { c[3].Group = "" }), []string{"categories[3].group"}},
		{"too many", func() []Category {
			var c []Category
			for i := range MaxCategories + 1 {
				c = append(c, Category{Key: "k" + strings.Repeat("x", i%39) + string(rune('a'+i/39)), Label: "L", Group: "g"})
			}
			return c
		}(), []string{"categories"}},
	}
	for _, tt := range tests {
		checkPaths(t, tt.name, ValidateCategories(tt.in), tt.want...)
	}
}

func TestFactorsValidate(t *testing.T) {
	cats := DefaultCategories()
	cats = append(cats, Category{Key: "old_thing", Label: "Old", Group: "gap", Archived: true})
	with := func(f func(*Factors)) Factors {
		x := sampleFactors()
		f(&x)
		return x
	}
	tests := []struct {
		name string
		in   Factors
		want []string
	}{
		{"sample", sampleFactors(), nil},
		{"none", Factors{}, nil},
		{"same category twice", with(func(f *Factors) { f.Items[2].Category = "deploy" }), nil},
		{"archived category", with(func(f *Factors) { f.Items[2].Category = "old_thing" }), nil},
		{"empty note", with(func(f *Factors) { f.Items[2].Note = "" }), nil},
		{"empty id", with(func(f *Factors) { f.Items[1].ID = "" }), []string{"items[1].id"}},
		{"duplicate id", with(func(f *Factors) { f.Items[2].ID = "f1" }), []string{"items[2].id"}},
		{"no category", with(func(f *Factors) { f.Items[0].Category = "" }), []string{"items[0].category"}},
		{"unknown category", with(func(f *Factors) { f.Items[0].Category = "cosmic_rays" }), []string{"items[0].category"}},
		{"long note", with(func(f *Factors) { f.Items[0].Note = strings.Repeat("n", MaxTextLength+1) }), []string{"items[0].note"}},
		{"bad why step id", with(func(f *Factors) { f.Items[0].WhyStepID = "w 3" }), []string{"items[0].why_step_id"}},
		{"too many", Factors{Items: func() []Factor {
			var items []Factor
			for range MaxFactors + 1 {
				f := Factors{Items: items}
				f.Add("deploy", "", "")
				items = f.Items
			}
			return items
		}()}, []string{"items"}},
	}
	for _, tt := range tests {
		checkPaths(t, tt.name, tt.in.Validate(cats), tt.want...)
	}
}

func TestFactorsNormalizeAdd(t *testing.T) {
	var f Factors
	f.Normalize()
	if f.Items == nil {
		t.Error("Normalize left items nil")
	}
	f.Items = append(f.Items, Factor{ID: " f1 ", Category: " deploy", Note: " x ", WhyStepID: "w3 "})
	f.Normalize()
	if want := (Factor{ID: "f1", Category: "deploy", Note: "x", WhyStepID: "w3"}); f.Items[0] != want {
		t.Errorf("normalised %+v", f.Items[0])
	}
	if got := f.Add(" capacity ", " peak ", ""); got != (Factor{ID: "f2", Category: "capacity", Note: "peak"}) {
		t.Errorf("Add = %+v", got)
	}
	if len(f.Items) != 2 {
		t.Errorf("items = %+v", f.Items)
	}
}

func TestFactorSuggestionsAndUnlink(t *testing.T) {
	w := sampleWhys()
	f := sampleFactors() // from w3 and w6
	var got []string
	for _, s := range f.Suggestions(w) {
		got = append(got, s.ID)
	}
	if want := []string{"w4", "w5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("suggestions = %q, want %q", got, want)
	}
	removed := w.Delete("w2") // w2, w3, w4
	if !f.UnlinkWhySteps(removed) {
		t.Error("UnlinkWhySteps reported no change")
	}
	if f.Items[0].WhyStepID != "" || f.Items[1].WhyStepID != "w6" || len(f.Items) != 3 {
		t.Errorf("after unlinking: %+v", f.Items)
	}
	if f.UnlinkWhySteps(removed) {
		t.Error("unlinking twice reported a change")
	}
}
