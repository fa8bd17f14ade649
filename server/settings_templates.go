package server

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

// The admin's postmortem templates: a form to create one (from scratch or
// as a copy of another), edit and delete it. Built-in templates live in
// the code and are only copied.

// impactFieldLabels names the impact fields (postmortem.AllImpactFields)
// on the template form.
var impactFieldLabels = map[string]string{
	postmortem.FieldStart:          "Start of user impact",
	postmortem.FieldEnd:            "End of user impact",
	postmortem.FieldUsersAffected:  "Users affected",
	postmortem.FieldCustomers:      "Customers affected",
	postmortem.FieldServices:       "Services affected",
	postmortem.FieldFeatures:       "Features affected",
	postmortem.FieldWhatUsersSaw:   "What users saw",
	postmortem.FieldDetection:      "How it was detected",
	postmortem.FieldSLOBudgetPct:   "SLO error budget spent",
	postmortem.FieldDataLoss:       "Data loss",
	postmortem.FieldSupportTickets: "Support tickets",
	postmortem.FieldCustom:         "Custom fields (every one an admin defined)",
}

// templateForm is the form of one admin template.
type templateForm struct {
	Creating     bool
	CopiedFrom   string
	Key          string
	Name         string
	Description  string
	Public       bool
	Steps        []templateStepForm
	ImpactFields []templateFieldOption
	Errors       map[string]string // "key", "name", "description", "steps", "impact_fields"
	Usage        int64
}

// templateStepForm is one step of the guide on the form, in guide order.
type templateStepForm struct {
	Step       postmortem.Step
	Number     int
	GuideTitle string
	Included   bool
	Review     bool // always included, always last
	Title      string
	Prompt     string
	Errors     map[string]string // "step", "title", "prompt"
}

type templateFieldOption struct {
	Name, Label string
	Checked     bool
}

// templateFormOf fills the form with a template.
func templateFormOf(t postmortem.Template) templateForm {
	f := templateForm{Key: t.Key, Name: t.Name, Description: t.Description, Public: t.Public, Errors: map[string]string{}}
	for _, info := range postmortem.Steps {
		st := templateStepForm{Step: info.Step, Number: info.Number, GuideTitle: info.Title, Included: t.Has(info.Step),
			Review: info.Step == postmortem.StepReview, Title: t.Titles[info.Step], Prompt: t.Prompts[info.Step]}
		st.Included = st.Included || st.Review
		f.Steps = append(f.Steps, st)
	}
	for _, name := range postmortem.AllImpactFields {
		f.ImpactFields = append(f.ImpactFields, templateFieldOption{Name: name, Label: impactFieldLabels[name],
			Checked: len(t.ImpactFields) == 0 || slices.Contains(t.ImpactFields, name)})
	}
	return f
}

// parseTemplateForm reads the posted form: steps in guide order with the
// review last, titles and prompts of the included steps (a blank title, or
// the guide's own, keeps the guide's), and the impact fields when the
// impact step is included (none ticked shows them all).
func parseTemplateForm(c *gin.Context) (templateForm, postmortem.Template) {
	f := templateForm{Key: strings.TrimSpace(c.PostForm("key")), Name: c.PostForm("name"), Description: c.PostForm("description"),
		Public: c.PostForm("public") == "on", Errors: map[string]string{}}
	t := postmortem.Template{Key: f.Key, Name: f.Name, Description: f.Description, Public: f.Public,
		Titles: map[postmortem.Step]string{}, Prompts: map[postmortem.Step]string{}}
	picked := c.PostFormArray("step")
	for _, info := range postmortem.Steps {
		st := templateStepForm{Step: info.Step, Number: info.Number, GuideTitle: info.Title,
			Review: info.Step == postmortem.StepReview, Included: slices.Contains(picked, string(info.Step)),
			Title: c.PostForm("title_" + string(info.Step)), Prompt: c.PostForm("prompt_" + string(info.Step))}
		st.Included = st.Included || st.Review
		f.Steps = append(f.Steps, st)
		if !st.Included {
			continue
		}
		t.Steps = append(t.Steps, info.Step)
		if title := strings.TrimSpace(st.Title); title != "" && title != info.Title {
			t.Titles[info.Step] = title
		}
		if prompt := strings.TrimSpace(strings.ReplaceAll(st.Prompt, "\r\n", "\n")); prompt != "" {
			t.Prompts[info.Step] = prompt
		}
	}
	ticked := c.PostFormArray("impact_field")
	for _, name := range postmortem.AllImpactFields {
		on := slices.Contains(ticked, name)
		f.ImpactFields = append(f.ImpactFields, templateFieldOption{Name: name, Label: impactFieldLabels[name], Checked: on})
		if on && t.Has(postmortem.StepImpact) && len(ticked) < len(postmortem.AllImpactFields) {
			t.ImpactFields = append(t.ImpactFields, name)
		}
	}
	if t.Has(postmortem.StepImpact) && len(t.ImpactFields) == 0 {
		t.ImpactFields = slices.Clone(postmortem.AllImpactFields) // all ticked, or none
	}
	return f, t
}

var indexedPath = regexp.MustCompile(`^(\w+)\[(\d+)\]$`)

// placeErrors puts Template.Validate's problems next to their inputs.
func (f *templateForm) placeErrors(t postmortem.Template, fe map[string]string) {
	stepRow := func(s postmortem.Step) *templateStepForm {
		for i := range f.Steps {
			if f.Steps[i].Step == s {
				return &f.Steps[i]
			}
		}
		return nil
	}
	for p, msg := range fe {
		head, rest, _ := strings.Cut(p, ".")
		if m := indexedPath.FindStringSubmatch(p); m != nil {
			head = m[1]
			if n, err := strconv.Atoi(m[2]); err == nil && head == "steps" && n < len(t.Steps) {
				if row := stepRow(t.Steps[n]); row != nil {
					setOnce(&row.Errors, "step", msg)
					continue
				}
			}
		}
		switch head {
		case "titles", "prompts":
			if row := stepRow(postmortem.Step(rest)); row != nil {
				setOnce(&row.Errors, strings.TrimSuffix(head, "s"), msg)
				continue
			}
		case "key", "name", "description", "steps", "impact_fields":
			setOnce(&f.Errors, head, msg)
			continue
		}
		setOnce(&f.Errors, "steps", msg)
	}
}

func setOnce(m *map[string]string, k, v string) {
	if *m == nil {
		*m = map[string]string{}
	}
	if _, ok := (*m)[k]; !ok {
		(*m)[k] = v
	}
}

func (s *Server) renderTemplateForm(c *gin.Context, status int, f templateForm) {
	title := "New postmortem template"
	if !f.Creating {
		title = "Template " + f.Name
	}
	s.render(c, status, "postmortem_template", title, f)
}

// templateNew shows an empty form, or a copy of ?copy= (a built-in
// template or an admin's) under a new key.
func (s *Server) templateNew(c *gin.Context) {
	base := postmortem.Template{Steps: []postmortem.Step{postmortem.StepSummary, postmortem.StepImpact, postmortem.StepTimeline,
		postmortem.StepWhys, postmortem.StepActions, postmortem.StepReview}}
	copied := ""
	if key := c.Query("copy"); key != "" {
		all, err := s.store.PostmortemTemplates(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		t, ok := postmortem.TemplateByKey(all, key)
		if !ok {
			s.fail(c, errNotFound("template "+key))
			return
		}
		base, copied = t, t.Name
		base.Key, base.Name = t.Key+"_copy", "Copy of "+t.Name
	}
	f := templateFormOf(base)
	f.Creating, f.CopiedFrom = true, copied
	s.renderTemplateForm(c, http.StatusOK, f)
}

func (s *Server) templateCreate(c *gin.Context) {
	f, t := parseTemplateForm(c)
	f.Creating = true
	err := s.store.SaveTemplate(c.Request.Context(), t, true)
	if fe := validationFields(err); fe != nil {
		f.placeErrors(t, fe)
		s.renderTemplateForm(c, http.StatusUnprocessableEntity, f)
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, postmortemSettingsPath+"#templates", "Template “"+strings.TrimSpace(t.Name)+"” created: authors can pick it for new incidents.")
}

// loadAdminTemplate reads :key, answering 404 itself (ok false) for a
// built-in or unknown key.
func (s *Server) loadAdminTemplate(c *gin.Context) (postmortem.Template, bool) {
	t, err := s.store.AdminTemplate(c.Request.Context(), c.Param("key"))
	if errors.Is(err, models.ErrNotFound) {
		what := "template " + c.Param("key")
		if models.IsBuiltinTemplate(c.Param("key")) {
			what = "editable template " + c.Param("key") + " (built-in templates can be copied, not edited)"
		}
		s.fail(c, errNotFound(what))
		return t, false
	} else if err != nil {
		s.fail(c, err)
		return t, false
	}
	return t, true
}

func (s *Server) templateUsage(c *gin.Context, key string) int64 {
	usage, err := s.store.TemplateUsage(c.Request.Context())
	if err != nil {
		return 0 // only a hint on the page
	}
	return usage[key]
}

func (s *Server) templateEdit(c *gin.Context) {
	t, ok := s.loadAdminTemplate(c)
	if !ok {
		return
	}
	f := templateFormOf(t)
	f.Usage = s.templateUsage(c, t.Key)
	s.renderTemplateForm(c, http.StatusOK, f)
}

func (s *Server) templateUpdate(c *gin.Context) {
	cur, ok := s.loadAdminTemplate(c)
	if !ok {
		return
	}
	f, t := parseTemplateForm(c)
	f.Key, t.Key = cur.Key, cur.Key // the key is set at creation only
	err := s.store.SaveTemplate(c.Request.Context(), t, false)
	if fe := validationFields(err); fe != nil {
		f.placeErrors(t, fe)
		f.Usage = s.templateUsage(c, t.Key)
		s.renderTemplateForm(c, http.StatusUnprocessableEntity, f)
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, postmortemSettingsPath+"#templates", "Template “"+strings.TrimSpace(t.Name)+"” saved.")
}

// templateDelete removes an admin template. Incidents created with it fall
// back to the default template; the page says so before the button.
func (s *Server) templateDelete(c *gin.Context) {
	t, ok := s.loadAdminTemplate(c)
	if !ok {
		return
	}
	n := s.templateUsage(c, t.Key)
	if err := s.store.DeleteTemplate(c.Request.Context(), t.Key); err != nil {
		s.fail(c, err)
		return
	}
	flash := "Template “" + t.Name + "” deleted."
	if n > 0 {
		flash += " The " + strconv.FormatInt(n, 10) + " incident(s) created with it now use the default template."
	}
	redirect(c, postmortemSettingsPath+"#templates", flash)
}
