package models

import (
	"context"
	"encoding/json"
	"time"

	"hindsight/postmortem"
)

// DefaultTemplateKey is the template of incidents that did not pick one.
const DefaultTemplateKey = "full"

// templateRow is an admin-defined template as stored: its JSON.
type templateRow struct {
	Key       string `gorm:"primaryKey"`
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (templateRow) TableName() string { return "postmortem_templates" }

// PostmortemTemplates returns the built-in templates, then the admin's.
func (s *Store) PostmortemTemplates(ctx context.Context) ([]postmortem.Template, error) {
	var rows []templateRow
	if err := s.db.WithContext(ctx).Order("key").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := postmortem.DefaultTemplates()
	for _, r := range rows {
		var t postmortem.Template
		if err := json.Unmarshal([]byte(r.Body), &t); err != nil {
			return nil, err
		}
		t.Key = r.Key
		out = append(out, t)
	}
	return out, nil
}

// IncidentTemplate returns the template an incident was created with, or
// the default one if an admin has since removed it.
func (s *Store) IncidentTemplate(ctx context.Context, inc *Incident) (postmortem.Template, error) {
	all, err := s.PostmortemTemplates(ctx)
	if err != nil {
		return postmortem.Template{}, err
	}
	if t, ok := postmortem.TemplateByKey(all, inc.TemplateKey); ok {
		return t, nil
	}
	t, _ := postmortem.TemplateByKey(all, DefaultTemplateKey)
	return t, nil
}
