package postmortem

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"hindsight/internal/golden"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden JSON files in testdata/")

// TestJSONGolden pins the API shape of the sections: a full value of each
// marshals to exactly its file in testdata, and the file decodes back to
// the same value. A change here changes the API: update the OpenAPI
// document and the clients, then rerun with -update.
func TestJSONGolden(t *testing.T) {
	tests := []struct {
		file  string
		value any
		into  func() any
	}{
		{"impact.json", fullImpact(), func() any { return new(Impact) }},
		{"whys.json", sampleWhys(), func() any { return new(Whys) }},
		{"factors.json", sampleFactors(), func() any { return new(Factors) }},
		{"lessons.json", sampleLessons(), func() any { return new(Lessons) }},
	}
	for _, tt := range tests {
		got, err := json.MarshalIndent(tt.value, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", tt.file)
		golden.Check(t, path, got, *updateGolden, "go test ./postmortem/ -run TestJSONGolden -update")
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		back := tt.into()
		if err := json.Unmarshal(want, back); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if v := reflect.ValueOf(back).Elem().Interface(); !reflect.DeepEqual(v, tt.value) {
			t.Errorf("%s decodes to\n%+v\nwant\n%+v", path, v, tt.value)
		}
	}
}

// TestJSONFieldNames checks the member names against the documented API,
// level by level.
func TestJSONFieldNames(t *testing.T) {
	keys := func(v any, path ...string) []string {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, p := range path {
			switch x := m.(type) {
			case map[string]any:
				m = x[p]
			case []any:
				m = x[0]
			}
		}
		return slices.Sorted(maps.Keys(m.(map[string]any)))
	}
	tests := []struct {
		got, want []string
	}{
		{keys(fullImpact()), []string{"custom", "customers", "data_loss", "detection", "end", "features", "services",
			"slo_budget_pct", "start", "support_tickets", "users_affected", "what_users_saw"}},
		{keys(fullImpact(), "users_affected"), []string{"count", "qualifier"}},
		{keys(fullImpact(), "customers"), []string{"count", "names"}},
		{keys(fullImpact(), "detection"), []string{"link", "method"}},
		{keys(fullImpact(), "data_loss"), []string{"details", "kind"}},
		{keys(fullImpact(), "custom"), []string{"account_manager", "contract_review", "region", "revenue_lost"}},
		{keys(sampleWhys()), []string{"problem", "steps"}},
		{keys(sampleWhys(), "steps", "0"), []string{"because", "evidence", "id", "parent_id", "why"}},
		{keys(sampleFactors()), []string{"items"}},
		{keys(sampleFactors(), "items", "0"), []string{"category", "id", "note", "why_step_id"}},
		{keys(sampleLessons()), []string{"lucky", "went_well", "went_wrong"}},
		{keys(CustomField{}), []string{"internal", "key", "kind", "label", "options"}},
		{keys(Category{}), []string{"archived", "group", "key", "label"}},
		{keys(DefaultTemplates()[0]), []string{"description", "impact_fields", "key", "name", "prompts", "public", "steps", "titles"}},
		{keys(StepStatus{}), []string{"complete", "hints", "missing", "number", "prompt", "step", "title"}},
		{keys(DiffOp{}), []string{"kind", "text"}},
		{keys(FieldDiff{}), []string{"label", "ops", "path"}},
		{keys(sampleWhys().Flatten()[0]), []string{"because", "depth", "evidence", "id", "index", "leaf", "number", "parent_id", "why"}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("members %q, want %q", tt.got, tt.want)
		}
	}
}

// TestJSONRoundTrip: what a GET returns, a PUT accepts unchanged: marshal,
// unmarshal, Normalize and Validate give back the same value, valid; a
// normalised empty section has [] and {} rather than null.
func TestJSONRoundTrip(t *testing.T) {
	roundTrip := func(name string, in, out any, validate func() FieldErrors) {
		t.Helper()
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v := reflect.ValueOf(out).Elem().Interface(); !reflect.DeepEqual(v, reflect.ValueOf(in).Interface()) {
			t.Errorf("%s: round trip gave\n%+v\nwant\n%+v", name, v, in)
		}
		checkPaths(t, name, validate())
	}
	var imp Impact
	roundTrip("impact", fullImpact(), &imp, func() FieldErrors { imp.Normalize(); return imp.Validate(testFields) })
	if !reflect.DeepEqual(imp, fullImpact()) {
		t.Errorf("a full impact changed in Normalize: %+v", imp)
	}
	var w Whys
	roundTrip("whys", sampleWhys(), &w, func() FieldErrors { w.Normalize(); return w.Validate() })
	if !reflect.DeepEqual(w, sampleWhys()) {
		t.Errorf("sample whys changed in Normalize: %+v", w)
	}
	var f Factors
	roundTrip("factors", sampleFactors(), &f, func() FieldErrors { return f.Validate(DefaultCategories()) })
	var l Lessons
	roundTrip("lessons", sampleLessons(), &l, l.Validate)
	var tpl Template
	roundTrip("template", DefaultTemplates()[2], &tpl, func() FieldErrors { return tpl.Validate() })

	var ei Impact
	ei.Normalize()
	var ew Whys
	ew.Normalize()
	var ef Factors
	ef.Normalize()
	var el Lessons
	el.Normalize()
	for _, tt := range []struct {
		v    any
		want string
	}{
		{ei, `{"start":null,"end":null,"users_affected":{"count":null,"qualifier":""},"customers":{"count":null,"names":[]},` +
			`"services":[],"features":[],"what_users_saw":"","detection":{"method":"","link":""},"slo_budget_pct":null,` +
			`"data_loss":{"kind":"","details":""},"support_tickets":null,"custom":{}}`},
		{ew, `{"problem":"","steps":[]}`},
		{ef, `{"items":[]}`},
		{el, `{"went_well":[],"went_wrong":[],"lucky":[]}`},
	} {
		b, _ := json.Marshal(tt.v)
		if string(b) != tt.want {
			t.Errorf("empty section\n got %s\nwant %s", b, tt.want)
		}
	}

	// Times are written in UTC, whatever zone they came in.
	b, _ := json.Marshal(Impact{Start: utcAt(11, 45)})
	if !bytes.Contains(b, []byte(`"start":"2024-03-15T11:45:00Z"`)) {
		t.Errorf("start written as %s", b)
	}
}
