package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"hindsight/blameless"
	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/postmortem"
)

func ruleIDs(fs []blameless.Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.RuleID+"="+f.Match)
	}
	return ids
}

func TestBlamelessRules(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.CreateUser(ctx, models.NewUser{Email: "maya@example.com", Name: "Maya Patel", Role: models.RoleEditor}); err != nil {
			t.Fatal(err)
		}
		rules, err := s.BlamelessRules(ctx)
		if err != nil || len(rules) != 0 {
			t.Fatalf("a new installation has no admin rules: %v %v", rules, err)
		}
		c, err := s.BlamelessChecker(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := ruleIDs(c.Check("It was human error: Maya forgot to run the migration. A cowboy deploy."))
		if strings.Join(got, ",") != "human-error=human error,person-subject=Maya forgot" {
			t.Errorf("built-in rules and people: %v", got)
		}

		// Invalid phrases and suggestions are refused by field.
		var ve *models.ValidationError
		for phrase, want := range map[string]string{
			"   ":                     "enter a word or phrase",
			"!!!":                     "include at least one letter or digit",
			strings.Repeat("a ", 120): "use at most 100 characters",
			"bad \xff":                "use valid UTF-8 text",
		} {
			if _, err := s.AddBlamelessRule(ctx, phrase, "", "ana@example.com"); !errors.As(err, &ve) || ve.Fields["phrase"] != want {
				t.Errorf("phrase %q: %v", phrase, err)
			}
		}
		if _, err := s.AddBlamelessRule(ctx, "rockstar", strings.Repeat("x", 501), "ana@example.com"); !errors.As(err, &ve) || ve.Fields["suggestion"] == "" {
			t.Errorf("long suggestion: %v", err)
		}
		if _, err := s.AddBlamelessRule(ctx, "rockstar", "one\ntwo", "ana@example.com"); !errors.As(err, &ve) || ve.Fields["suggestion"] != "use a single line" {
			t.Errorf("two-line suggestion: %v", err)
		}

		r, err := s.AddBlamelessRule(ctx, "  cowboy \t deploy ", " an unreviewed deploy ", "ana@example.com")
		if err != nil || r.ID == 0 || r.Phrase != "cowboy deploy" || r.Suggestion != "an unreviewed deploy" || r.CreatedBy != "ana@example.com" {
			t.Fatalf("add: %+v %v", r, err)
		}
		if _, err := s.AddBlamelessRule(ctx, "Cowboy Deploy", "", "bo@example.com"); !errors.As(err, &ve) || ve.Fields["phrase"] != "this phrase is already listed" {
			t.Errorf("the same phrase again: %v", err)
		}
		if _, err := s.AddBlamelessRule(ctx, "hero", "", "bo@example.com"); err != nil {
			t.Fatal(err)
		}
		rules, _ = s.BlamelessRules(ctx)
		if len(rules) != 2 || rules[0].Phrase != "cowboy deploy" || rules[1].Phrase != "hero" {
			t.Errorf("rules, oldest first: %+v", rules)
		}
		c, _ = s.BlamelessChecker(ctx)
		fs := c.Check("A Cowboy\ndeploy, then a hero fixed it.")
		if len(fs) != 2 || fs[0].RuleID != "custom:cowboy deploy" || fs[0].Suggestion != "an unreviewed deploy" || fs[1].Match != "hero" || fs[1].Suggestion == "" {
			t.Errorf("admin phrases: %+v", fs)
		}

		if err := s.DeleteBlamelessRule(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBlamelessRule(ctx, r.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleted twice: %v", err)
		}
		c, _ = s.BlamelessChecker(ctx)
		if got := ruleIDs(c.Check("a cowboy deploy by a hero")); strings.Join(got, ",") != "custom:hero=hero" {
			t.Errorf("after delete: %v", got)
		}
	})
}

func securityTemplate() postmortem.Template {
	return postmortem.Template{Key: "security", Name: "  Security review ", Description: "For security incidents.",
		Steps:        []postmortem.Step{postmortem.StepSummary, postmortem.StepImpact, postmortem.StepWhys, postmortem.StepReview},
		Titles:       map[postmortem.Step]string{postmortem.StepImpact: "Exposure"},
		Prompts:      map[postmortem.Step]string{postmortem.StepWhys: "Which control failed, and why?"},
		ImpactFields: []string{postmortem.FieldStart, postmortem.FieldEnd, postmortem.FieldDataLoss}}
}

func TestAdminTemplates(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var ve *models.ValidationError
		sec := securityTemplate()
		if err := s.SaveTemplate(ctx, sec, true); err != nil {
			t.Fatal(err)
		}
		all, err := s.PostmortemTemplates(ctx)
		if err != nil || len(all) != 4 || all[0].Key != "full" || all[3].Key != "security" || all[3].Name != "Security review" ||
			all[3].Title(postmortem.StepImpact) != "Exposure" || all[3].Prompt(postmortem.StepWhys) == "" || all[3].ShowsImpactField(postmortem.FieldUsersAffected) {
			t.Fatalf("templates: %+v %v", all, err)
		}
		got, err := s.AdminTemplate(ctx, "security")
		if err != nil || got.Description != "For security incidents." || len(got.Steps) != 4 {
			t.Errorf("admin template: %+v %v", got, err)
		}
		if _, err := s.AdminTemplate(ctx, "full"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a built-in is not an admin template: %v", err)
		}
		if _, err := s.AdminTemplate(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown: %v", err)
		}

		// Keys: free on create, never a built-in's.
		if err := s.SaveTemplate(ctx, sec, true); !errors.As(err, &ve) || ve.Fields["key"] != "another template already uses this key" {
			t.Errorf("same key twice: %v", err)
		}
		short := securityTemplate()
		short.Key = "short"
		if err := s.SaveTemplate(ctx, short, true); !errors.As(err, &ve) || !strings.Contains(ve.Fields["key"], "built-in") {
			t.Errorf("a built-in key: %v", err)
		}
		if err := s.SaveTemplate(ctx, short, false); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a built-in cannot be updated: %v", err)
		}
		// Template.Validate's problems come back by path.
		bad := securityTemplate()
		bad.Key, bad.Name = "Bad Key", ""
		bad.Steps = []postmortem.Step{postmortem.StepReview, postmortem.StepSummary}
		bad.ImpactFields = []string{"mood"}
		if err := s.SaveTemplate(ctx, bad, true); !errors.As(err, &ve) || ve.Fields["key"] == "" || ve.Fields["name"] != "enter a name" ||
			ve.Fields["steps[0]"] != "the review step comes last" || ve.Fields["titles.impact"] == "" || ve.Fields["impact_fields"] == "" {
			t.Errorf("invalid template: %v", err)
		}
		missing := securityTemplate()
		missing.Key = "missing"
		if err := s.SaveTemplate(ctx, missing, false); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("update of an unknown template: %v", err)
		}

		// An incident picks the template at creation; an unknown key is refused.
		in := newIncident("Leaked token")
		in.TemplateKey = "security"
		inc, err := s.CreateIncident(ctx, in, nil)
		if err != nil || inc.TemplateKey != "security" {
			t.Fatalf("create with security: %+v %v", inc, err)
		}
		if tpl, err := s.IncidentTemplate(ctx, inc); err != nil || tpl.Key != "security" {
			t.Errorf("incident template: %+v %v", tpl, err)
		}
		in.TemplateKey = "nope"
		if _, err := s.CreateIncident(ctx, in, nil); !errors.As(err, &ve) || ve.Fields["template"] == "" {
			t.Errorf("unknown template: %v", err)
		}
		in.Title = ""
		if _, err := s.CreateIncident(ctx, in, nil); !errors.As(err, &ve) || ve.Fields["template"] == "" || ve.Fields["title"] == "" {
			t.Errorf("every problem at once: %v", err)
		}
		plain, err := s.CreateIncident(ctx, newIncident("Slow search"), nil)
		if err != nil || plain.TemplateKey != models.DefaultTemplateKey {
			t.Errorf("default template: %+v %v", plain, err)
		}

		// Updates keep the key; usage counts incidents per template.
		sec.Name = "Security incident review"
		sec.Steps = []postmortem.Step{postmortem.StepSummary, postmortem.StepReview}
		sec.Titles, sec.Prompts, sec.ImpactFields = nil, nil, nil
		if err := s.SaveTemplate(ctx, sec, false); err != nil {
			t.Fatal(err)
		}
		if tpl, _ := s.IncidentTemplate(ctx, inc); tpl.Name != "Security incident review" || len(tpl.Steps) != 2 {
			t.Errorf("after update: %+v", tpl)
		}
		usage, err := s.TemplateUsage(ctx)
		if err != nil || usage["security"] != 1 || usage["full"] != 1 {
			t.Errorf("usage: %v %v", usage, err)
		}

		// Deleting a template in use is allowed: its incidents fall back to the default.
		if err := s.DeleteTemplate(ctx, "full"); !errors.As(err, &ve) || ve.Fields["key"] == "" {
			t.Errorf("delete a built-in: %v", err)
		}
		if err := s.DeleteTemplate(ctx, "security"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTemplate(ctx, "security"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleted twice: %v", err)
		}
		again, _ := s.Incident(ctx, inc.ID)
		if tpl, err := s.IncidentTemplate(ctx, again); err != nil || tpl.Key != models.DefaultTemplateKey || again.TemplateKey != "security" {
			t.Errorf("fallback: %+v %v (%s)", tpl.Key, err, again.TemplateKey)
		}
		if all, _ := s.PostmortemTemplates(ctx); len(all) != 3 {
			t.Errorf("after delete: %d templates", len(all))
		}
	})
}
