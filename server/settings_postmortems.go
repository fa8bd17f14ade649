package server

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/blameless"
	"hindsight/models"
	"hindsight/postmortem"
)

// Settings → Postmortems: the admin's custom impact fields, the taxonomy of
// contributing factors, the blameless-language rules and the templates.
// Every change is a small form of its own (add, save a row, move, remove),
// so the page works without JavaScript; a refused change comes back as the
// page with 422 and the messages next to the row it was about.

const postmortemSettingsPath = "/settings/postmortems"

// settingsRow is one custom field or factor category as the forms show it:
// text as typed, and the problems of the last attempt.
type settingsRow struct {
	Key      string
	Label    string
	Kind     string // custom fields
	Options  string // custom fields, one per line
	Internal bool   // custom fields
	Group    string // categories
	Archived bool   // categories
	First    bool
	Last     bool
	Errors   map[string]string // by field name; "row" for the rest
}

// blamelessRuleForm is the form of a new phrase.
type blamelessRuleForm struct {
	Phrase, Suggestion string
	Errors             map[string]string
}

// blamelessNotes is the "Blameless language" notes under a preview or the
// "try it" box.
type blamelessNotes struct {
	Findings []blameless.Finding
	Checked  bool // say so when nothing was found
}

// postmortemSettingsView is the whole page.
type postmortemSettingsView struct {
	Fields          []settingsRow
	NewField        settingsRow
	Kinds           []string
	Categories      []settingsRow
	NewCategory     settingsRow
	Groups          []string
	DefaultTaxonomy bool // the built-in taxonomy, as shipped
	BuiltinRules    []blameless.Rule
	AdminRules      []models.BlamelessRule
	NewRule         blamelessRuleForm
	TryText         string
	Try             *blamelessNotes
	Builtins        []postmortem.Template
	AdminTemplates  []postmortem.Template
	Usage           map[string]int64
	DefaultName     string
}

// settingsEdit is what a refused form puts back on the page.
type settingsEdit struct {
	field, category       *settingsRow // the row acted on
	newField, newCategory bool         // …which is the form of a new one
	rule                  *blamelessRuleForm
	tryText               string
	try                   *blamelessNotes
}

func (s *Server) postmortemSettings(c *gin.Context) {
	s.renderPostmortemSettings(c, http.StatusOK, settingsEdit{})
}

func (s *Server) renderPostmortemSettings(c *gin.Context, status int, e settingsEdit) {
	ctx := c.Request.Context()
	fields, err := s.store.CustomFields(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	cats, err := s.store.FactorCategories(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	rules, err := s.store.BlamelessRules(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	all, err := s.store.PostmortemTemplates(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	usage, err := s.store.TemplateUsage(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := postmortemSettingsView{Kinds: postmortem.CustomKinds, BuiltinRules: blameless.DefaultRules(), AdminRules: rules,
		TryText: e.tryText, Try: e.try, Usage: usage, Groups: []string{postmortem.GroupTrigger, postmortem.GroupGap},
		NewField: settingsRow{Kind: postmortem.CustomText}, NewCategory: settingsRow{Group: postmortem.GroupTrigger}}
	for _, t := range all {
		if models.IsBuiltinTemplate(t.Key) {
			v.Builtins = append(v.Builtins, t)
		} else {
			v.AdminTemplates = append(v.AdminTemplates, t)
		}
		if t.Key == models.DefaultTemplateKey {
			v.DefaultName = t.Name
		}
	}
	for i, f := range fields {
		row := settingsRow{Key: f.Key, Label: f.Label, Kind: f.Kind, Options: strings.Join(f.Options, "\n"), Internal: f.Internal,
			First: i == 0, Last: i == len(fields)-1}
		if e.field != nil && !e.newField && e.field.Key == f.Key {
			row.Label, row.Options, row.Internal, row.Errors = e.field.Label, e.field.Options, e.field.Internal, e.field.Errors
		}
		v.Fields = append(v.Fields, row)
	}
	if e.field != nil && e.newField {
		v.NewField = *e.field
	}
	v.DefaultTaxonomy = reflect.DeepEqual(cats, postmortem.DefaultCategories())
	for i, cat := range cats {
		row := settingsRow{Key: cat.Key, Label: cat.Label, Group: cat.Group, Archived: cat.Archived, First: i == 0, Last: i == len(cats)-1}
		if e.category != nil && !e.newCategory && e.category.Key == cat.Key {
			row.Label, row.Group, row.Archived, row.Errors = e.category.Label, e.category.Group, e.category.Archived, e.category.Errors
		}
		v.Categories = append(v.Categories, row)
		if !slices.Contains(v.Groups, cat.Group) {
			v.Groups = append(v.Groups, cat.Group)
		}
	}
	if e.category != nil && e.newCategory {
		v.NewCategory = *e.category
	}
	if e.rule != nil {
		v.NewRule = *e.rule
	}
	s.render(c, status, "postmortem_settings", "Postmortem settings", v)
}

// errorsAt picks the problems of item i of a list ("fields[2].label" →
// "label", "fields[2].options[1]" → "options", prefixed "option 2: ");
// the others go under "row".
func errorsAt(fe map[string]string, list string, i int) map[string]string {
	prefix := fmt.Sprintf("%s[%d].", list, i)
	out := map[string]string{}
	for p, msg := range fe {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			out["row"] = msg
			continue
		}
		name := rest
		if j := strings.IndexByte(rest, '['); j >= 0 {
			name = rest[:j]
			if n, err := strconv.Atoi(strings.TrimSuffix(rest[j+1:], "]")); err == nil {
				msg = fmt.Sprintf("option %d: %s", n+1, msg)
			}
		}
		if _, seen := out[name]; !seen {
			out[name] = msg
		}
	}
	return out
}

// optionLines splits a textarea into its trimmed, non-blank lines.
func optionLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// validationFields returns the problems of a ValidationError, nil for any
// other error.
func validationFields(err error) map[string]string {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return ve.Fields
	}
	return nil
}

// ---- Custom impact fields ----

func customFieldOf(r settingsRow) postmortem.CustomField {
	f := postmortem.CustomField{Key: r.Key, Label: strings.TrimSpace(r.Label), Kind: r.Kind, Internal: r.Internal}
	if r.Kind == postmortem.CustomSelect { // the box is on the form for every kind
		f.Options = optionLines(r.Options)
	}
	return f
}

func (s *Server) customFieldAdd(c *gin.Context) {
	row := settingsRow{Key: strings.TrimSpace(c.PostForm("key")), Label: c.PostForm("label"), Kind: c.PostForm("kind"),
		Options: c.PostForm("options"), Internal: c.PostForm("internal") == "on"}
	fields, err := s.store.CustomFields(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	err = s.store.SaveCustomFields(c.Request.Context(), append(fields, customFieldOf(row)))
	if fe := validationFields(err); fe != nil {
		row.Errors = errorsAt(fe, "fields", len(fields))
		s.renderPostmortemSettings(c, http.StatusUnprocessableEntity, settingsEdit{field: &row, newField: true})
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, postmortemSettingsPath+"#fields", "Field “"+strings.TrimSpace(row.Label)+"” added to the impact step.")
}

// loadCustomField returns the fields and the index of :key, answering 404
// itself when there is none (-1).
func (s *Server) loadCustomField(c *gin.Context) ([]postmortem.CustomField, int) {
	fields, err := s.store.CustomFields(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return nil, -1
	}
	i := slices.IndexFunc(fields, func(f postmortem.CustomField) bool { return f.Key == c.Param("key") })
	if i < 0 {
		s.fail(c, errNotFound("custom field "+c.Param("key")))
	}
	return fields, i
}

// customFieldUpdate saves a row: label, options and internal. The key and
// kind stay: values are stored under the key, in the kind's shape.
func (s *Server) customFieldUpdate(c *gin.Context) {
	fields, i := s.loadCustomField(c)
	if i < 0 {
		return
	}
	row := settingsRow{Key: fields[i].Key, Kind: fields[i].Kind, Label: c.PostForm("label"), Options: c.PostForm("options"),
		Internal: c.PostForm("internal") == "on"}
	fields[i] = customFieldOf(row)
	s.saveCustomFields(c, fields, i, &row, "Field “"+strings.TrimSpace(row.Label)+"” saved.")
}

func (s *Server) customFieldMove(c *gin.Context) {
	fields, i := s.loadCustomField(c)
	if i < 0 {
		return
	}
	j := moveTarget(c, i, len(fields))
	fields[i], fields[j] = fields[j], fields[i]
	row := settingsRow{Key: fields[j].Key, Label: fields[j].Label, Kind: fields[j].Kind, Options: strings.Join(fields[j].Options, "\n"), Internal: fields[j].Internal}
	s.saveCustomFields(c, fields, j, &row, "")
}

func (s *Server) customFieldDelete(c *gin.Context) {
	fields, i := s.loadCustomField(c)
	if i < 0 {
		return
	}
	gone := fields[i]
	row := settingsRow{Key: gone.Key, Label: gone.Label, Kind: gone.Kind, Options: strings.Join(gone.Options, "\n"), Internal: gone.Internal}
	s.saveCustomFields(c, slices.Delete(fields, i, i+1), -1, &row,
		"Field “"+gone.Label+"” removed. Values already entered stay in each postmortem's history.")
}

// saveCustomFields saves the list after a change to the row at index i (-1
// when it was removed) and redirects, or shows the page with the problems
// next to that row.
func (s *Server) saveCustomFields(c *gin.Context, fields []postmortem.CustomField, i int, row *settingsRow, flash string) {
	err := s.store.SaveCustomFields(c.Request.Context(), fields)
	if fe := validationFields(err); fe != nil {
		row.Errors = errorsAt(fe, "fields", i)
		s.renderPostmortemSettings(c, http.StatusUnprocessableEntity, settingsEdit{field: row})
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, postmortemSettingsPath+"#fields", flash)
}

// moveTarget is where the item at i goes: one up or down, within the list.
func moveTarget(c *gin.Context, i, n int) int {
	j := i + 1
	if c.PostForm("dir") == "up" {
		j = i - 1
	}
	return max(0, min(n-1, j))
}

// ---- Factor taxonomy ----

func (s *Server) factorCategoryAdd(c *gin.Context) {
	row := settingsRow{Key: strings.TrimSpace(c.PostForm("key")), Label: c.PostForm("label"),
		Group: strings.TrimSpace(c.PostForm("group"))}
	cats, err := s.store.FactorCategories(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	cat := postmortem.Category{Key: row.Key, Label: strings.TrimSpace(row.Label), Group: row.Group}
	s.saveCategories(c, append(cats, cat), len(cats), &row, true, "Category “"+cat.Label+"” added.")
}

// loadCategory returns the taxonomy and the index of :key, answering 404
// itself when there is none (-1).
func (s *Server) loadCategory(c *gin.Context) ([]postmortem.Category, int) {
	cats, err := s.store.FactorCategories(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return nil, -1
	}
	i := slices.IndexFunc(cats, func(cat postmortem.Category) bool { return cat.Key == c.Param("key") })
	if i < 0 {
		s.fail(c, errNotFound("factor category "+c.Param("key")))
	}
	return cats, i
}

// factorCategoryUpdate saves a row: label, group and whether it is
// archived. The key stays: factors store it.
func (s *Server) factorCategoryUpdate(c *gin.Context) {
	cats, i := s.loadCategory(c)
	if i < 0 {
		return
	}
	row := settingsRow{Key: cats[i].Key, Label: c.PostForm("label"), Group: strings.TrimSpace(c.PostForm("group")),
		Archived: c.PostForm("archived") == "on"}
	cats[i] = postmortem.Category{Key: row.Key, Label: strings.TrimSpace(row.Label), Group: row.Group, Archived: row.Archived}
	flash := "Category “" + cats[i].Label + "” saved."
	if row.Archived {
		flash = "Category “" + cats[i].Label + "” saved; archived, it is no longer offered for new factors."
	}
	s.saveCategories(c, cats, i, &row, false, flash)
}

func (s *Server) factorCategoryMove(c *gin.Context) {
	cats, i := s.loadCategory(c)
	if i < 0 {
		return
	}
	j := moveTarget(c, i, len(cats))
	cats[i], cats[j] = cats[j], cats[i]
	row := settingsRow{Key: cats[j].Key, Label: cats[j].Label, Group: cats[j].Group, Archived: cats[j].Archived}
	s.saveCategories(c, cats, j, &row, false, "")
}

func (s *Server) factorCategoryDelete(c *gin.Context) {
	cats, i := s.loadCategory(c)
	if i < 0 {
		return
	}
	gone := cats[i]
	row := settingsRow{Key: gone.Key, Label: gone.Label, Group: gone.Group, Archived: gone.Archived}
	s.saveCategories(c, slices.Delete(cats, i, i+1), -1, &row, false, "Category “"+gone.Label+"” removed.")
}

// saveCategories saves the taxonomy after a change to the row at index i
// (-1 when it was removed) and redirects, or shows the page with the
// problems next to that row: removing a category in use is refused there.
func (s *Server) saveCategories(c *gin.Context, cats []postmortem.Category, i int, row *settingsRow, isNew bool, flash string) {
	err := s.store.SaveFactorCategories(c.Request.Context(), cats)
	if fe := validationFields(err); fe != nil {
		row.Errors = errorsAt(fe, "categories", i)
		s.renderPostmortemSettings(c, http.StatusUnprocessableEntity, settingsEdit{category: row, newCategory: isNew})
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, postmortemSettingsPath+"#factors", flash)
}

// ---- Blameless language ----

func (s *Server) blamelessRuleAdd(c *gin.Context) {
	f := blamelessRuleForm{Phrase: c.PostForm("phrase"), Suggestion: c.PostForm("suggestion")}
	r, err := s.store.AddBlamelessRule(c.Request.Context(), f.Phrase, f.Suggestion, currentUser(c).Email)
	if fe := validationFields(err); fe != nil {
		f.Errors = fe
		s.renderPostmortemSettings(c, http.StatusUnprocessableEntity, settingsEdit{rule: &f})
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, postmortemSettingsPath+"#blameless", "“"+r.Phrase+"” is now flagged in postmortems.")
}

func (s *Server) blamelessRuleDelete(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, errNotFound("phrase"))
		return
	}
	if err := s.store.DeleteBlamelessRule(c.Request.Context(), id); errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("phrase"))
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, postmortemSettingsPath+"#blameless", "Phrase removed.")
}

// blamelessFindings checks a text with the built-in rules, the admin's
// phrases and the users' names.
func (s *Server) blamelessFindings(c *gin.Context, text string) ([]blameless.Finding, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	checker, err := s.store.BlamelessChecker(c.Request.Context())
	if err != nil {
		return nil, err
	}
	return checker.Check(text), nil
}

// blamelessTry shows what the checker finds in a sample text: the notes
// alone for htmx, else the page with the text and its notes.
func (s *Server) blamelessTry(c *gin.Context) {
	text := c.PostForm("text")
	findings, err := s.blamelessFindings(c, text)
	if err != nil {
		s.fail(c, err)
		return
	}
	notes := &blamelessNotes{Findings: findings, Checked: true}
	if isHTMX(c) {
		s.renderPartial(c, http.StatusOK, "blameless_notes", notes)
		return
	}
	s.renderPostmortemSettings(c, http.StatusOK, settingsEdit{tryText: text, try: notes})
}
