package postmortem

import (
	"reflect"
	"strings"
	"testing"
)

func TestSteps(t *testing.T) {
	var got []string
	for i, s := range Steps {
		if s.Number != i+1 {
			t.Errorf("%s has number %d, want %d", s.Step, s.Number, i+1)
		}
		if p, ok := ParseStep(string(s.Step)); !ok || p != s.Step {
			t.Errorf("ParseStep(%q) = %q, %v", s.Step, p, ok)
		}
		info, ok := s.Step.Info()
		if !ok || info != s {
			t.Errorf("%s.Info() = %+v, %v", s.Step, info, ok)
		}
		got = append(got, string(s.Step)+"="+s.Title)
	}
	want := []string{"summary=Summary", "impact=Impact", "timeline=Timeline", "whys=Five Whys",
		"factors=Contributing factors", "lessons=Lessons", "actions=Corrective actions", "review=Review & publish"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps = %q, want %q", got, want)
	}
	for _, bad := range []string{"", "Summary", " summary", "five_whys", "publish"} {
		if s, ok := ParseStep(bad); ok {
			t.Errorf("ParseStep(%q) = %q, want unknown", bad, s)
		}
	}
	if _, ok := Step("x").Info(); ok {
		t.Error("unknown step has info")
	}
}

func TestDefaultTemplates(t *testing.T) {
	ts := DefaultTemplates()
	var keys []string
	for _, tpl := range ts {
		keys = append(keys, tpl.Key)
		checkPaths(t, "template "+tpl.Key, tpl.Validate())
		if tpl.Steps[len(tpl.Steps)-1] != StepReview {
			t.Errorf("%s does not end with the review", tpl.Key)
		}
		for _, s := range tpl.Steps {
			if strings.TrimSpace(tpl.Prompt(s)) == "" {
				t.Errorf("%s has no prompt for %s", tpl.Key, s)
			}
		}
	}
	if want := []string{"full", "short", "public"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys = %q, want %q", keys, want)
	}
	steps := func(tpl Template) string {
		var out []string
		for _, s := range tpl.Steps {
			out = append(out, tpl.Title(s))
		}
		return strings.Join(out, " / ")
	}
	full, short, public := ts[0], ts[1], ts[2]
	if got := steps(full); got != "Summary / Impact / Timeline / Five Whys / Contributing factors / Lessons / Corrective actions / Review & publish" {
		t.Errorf("full: %s", got)
	}
	if got := steps(short); got != "Summary / Impact / Timeline / Five Whys / Corrective actions / Review & publish" {
		t.Errorf("short: %s", got)
	}
	if got := steps(public); got != "Summary / What users saw / What happened / What we are doing / Review & publish" {
		t.Errorf("public: %s", got)
	}
	if full.Public || short.Public || !public.Public {
		t.Error("only the public template is public")
	}
	for _, f := range AllImpactFields {
		if !full.ShowsImpactField(f) {
			t.Errorf("full hides %s", f)
		}
	}
	if public.ShowsImpactField(FieldUsersAffected) || public.ShowsImpactField(FieldCustom) || !public.ShowsImpactField(FieldWhatUsersSaw) {
		t.Errorf("public impact fields: %q", public.ImpactFields)
	}
	if short.ShowsImpactField(FieldSLOBudgetPct) || !short.ShowsImpactField(FieldUsersAffected) {
		t.Errorf("short impact fields: %q", short.ImpactFields)
	}
	if (Template{Steps: []Step{StepSummary}}).ShowsImpactField(FieldStart) {
		t.Error("a template without an impact step shows an impact field")
	}
	if !(Template{Steps: []Step{StepImpact}}).ShowsImpactField(FieldSupportTickets) {
		t.Error("an empty field list must show every field")
	}
	// Fresh values each time.
	ts[0].Prompts[StepSummary] = "changed"
	ts[0].ImpactFields[0] = "changed"
	if again := DefaultTemplates(); again[0].Prompts[StepSummary] == "changed" || again[0].ImpactFields[0] == "changed" {
		t.Error("DefaultTemplates shares its maps or slices")
	}
	if AllImpactFields[0] != FieldStart {
		t.Error("DefaultTemplates shares AllImpactFields")
	}
	if got, ok := TemplateByKey(DefaultTemplates(), "short"); !ok || got.Key != "short" {
		t.Errorf("TemplateByKey(short) = %v, %v", got.Key, ok)
	}
	if _, ok := TemplateByKey(DefaultTemplates(), "nope"); ok {
		t.Error("TemplateByKey found nope")
	}
	if got := (Template{}).Title(Step("custom")); got != "custom" {
		t.Errorf("title of an unknown step = %q", got)
	}
}

func TestTemplateValidate(t *testing.T) {
	base := func() Template {
		return Template{Key: "ops_light", Name: "Ops light", Steps: []Step{StepSummary, StepImpact, StepWhys, StepReview},
			Prompts: map[Step]string{StepSummary: "Short."}, Titles: map[Step]string{StepWhys: "Why?"},
			ImpactFields: []string{FieldStart, FieldCustom}}
	}
	with := func(f func(*Template)) Template { tpl := base(); f(&tpl); return tpl }
	tests := []struct {
		name string
		in   Template
		want []string
	}{
		{"valid", base(), nil},
		{"review only", Template{Key: "r", Name: "R", Steps: []Step{StepReview}}, nil},
		{"prompt at the limit", with(func(t *Template) { t.Prompts[StepWhys] = strings.Repeat("p", MaxPromptLength) }), nil},
		{"empty prompt", with(func(t *Template) { t.Prompts[StepWhys] = "" }), nil},
		{"bad key", with(func(t *Template) { t.Key = "Ops Light" }), []string{"key"}},
		{"no name", with(func(t *Template) { t.Name = " " }), []string{"name"}},
		{"two-line name", with(func(t *Template) { t.Name = "a\nb" }), []string{"name"}},
		{"long description", with(func(t *Template) { t.Description = strings.Repeat("d", MaxDescriptionLength+1) }), []string{"description"}},
		{"no steps", with(func(t *Template) {
			t.Steps = nil
			t.Prompts = nil
			t.Titles = nil
			t.ImpactFields = nil
		}), []string{"steps"}},
		{"unknown step", with(func(t *Template) {
			t.Steps = []Step{StepSummary, "root_cause", StepReview}
			t.Titles = nil
			t.ImpactFields = nil
		}), []string{"steps[1]"}},
		{"repeated step", with(func(t *Template) { t.Steps = []Step{StepSummary, StepImpact, StepWhys, StepSummary, StepReview} }), []string{"steps[3]"}},
		{"review not last", with(func(t *Template) { t.Steps = []Step{StepSummary, StepReview, StepImpact, StepWhys} }), []string{"steps[1]"}},
		{"no review", with(func(t *Template) { t.Steps = []Step{StepSummary, StepImpact, StepWhys} }), []string{"steps"}},
		{"prompt for a missing step", with(func(t *Template) { t.Prompts[StepLessons] = "x" }), []string{"prompts.lessons"}},
		{"prompt for an unknown step", with(func(t *Template) { t.Prompts["x"] = "x" }), []string{"prompts.x"}},
		{"long prompt", with(func(t *Template) { t.Prompts[StepWhys] = strings.Repeat("p", MaxPromptLength+1) }), []string{"prompts.whys"}},
		{"title for a missing step", with(func(t *Template) { t.Titles[StepTimeline] = "What happened" }), []string{"titles.timeline"}},
		{"blank title", with(func(t *Template) { t.Titles[StepWhys] = "" }), []string{"titles.whys"}},
		{"long title", with(func(t *Template) { t.Titles[StepWhys] = strings.Repeat("t", MaxTitleLength+1) }), []string{"titles.whys"}},
		{"two-line title", with(func(t *Template) { t.Titles[StepWhys] = "a\nb" }), []string{"titles.whys"}},
		{"unknown impact field", with(func(t *Template) { t.ImpactFields = []string{FieldStart, "mood"} }), []string{"impact_fields[1]"}},
		{"repeated impact field", with(func(t *Template) { t.ImpactFields = []string{FieldStart, FieldStart} }), []string{"impact_fields[1]"}},
		{"impact fields without impact", with(func(t *Template) { t.Steps = []Step{StepSummary, StepWhys, StepReview} }), []string{"impact_fields"}},
	}
	for _, tt := range tests {
		checkPaths(t, tt.name, tt.in.Validate(), tt.want...)
	}
}
