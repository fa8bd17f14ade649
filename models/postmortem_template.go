package models

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

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

// IsBuiltinTemplate reports whether key names one of the templates that
// live in the code (postmortem.DefaultTemplates), which admins cannot
// change or delete.
func IsBuiltinTemplate(key string) bool {
	_, ok := postmortem.TemplateByKey(postmortem.DefaultTemplates(), key)
	return ok
}

// AdminTemplate returns one admin-defined template; ErrNotFound for a
// built-in key or one that does not exist.
func (s *Store) AdminTemplate(ctx context.Context, key string) (postmortem.Template, error) {
	var row templateRow
	err := s.db.WithContext(ctx).Where("key = ?", key).Limit(1).Find(&row).Error
	if err != nil {
		return postmortem.Template{}, err
	}
	if row.Key == "" || IsBuiltinTemplate(key) {
		return postmortem.Template{}, ErrNotFound
	}
	var t postmortem.Template
	if err := json.Unmarshal([]byte(row.Body), &t); err != nil {
		return postmortem.Template{}, err
	}
	t.Key = row.Key
	return t, nil
}

// SaveTemplate stores an admin-defined template: a new one when create is
// set (its key must be free, built-in keys included), else an existing
// one under the same key (ErrNotFound when there is none). The name and
// description are trimmed; the template is then checked by
// Template.Validate, problems coming back as a ValidationError by path
// ("key", "steps[2]", "prompts.whys").
func (s *Store) SaveTemplate(ctx context.Context, t postmortem.Template, create bool) error {
	t.Name = strings.TrimSpace(t.Name)
	t.Description = strings.TrimSpace(t.Description)
	fields := map[string]string{}
	for p, msg := range t.Validate() {
		fields[p] = msg
	}
	if IsBuiltinTemplate(t.Key) {
		if !create {
			return ErrNotFound
		}
		fields["key"] = "“" + t.Key + "” is a built-in template: choose another key"
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&templateRow{}).Where("key = ?", t.Key).Count(&n).Error; err != nil {
		return err
	}
	switch {
	case create && n > 0:
		fields["key"] = "another template already uses this key"
	case !create && n == 0:
		return ErrNotFound
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	now := s.Now()
	if create {
		err := s.db.WithContext(ctx).Create(&templateRow{Key: t.Key, Body: string(body), CreatedAt: now, UpdatedAt: now}).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return &ValidationError{Fields: map[string]string{"key": "another template already uses this key"}}
		}
		return err
	}
	res := s.db.WithContext(ctx).Model(&templateRow{}).Where("key = ?", t.Key).
		Updates(map[string]any{"body": string(body), "updated_at": now})
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return res.Error
}

// DeleteTemplate removes an admin-defined template. Incidents created with
// it keep its key and fall back to the default template (IncidentTemplate).
// A built-in key is a ValidationError on "key"; an unknown one ErrNotFound.
func (s *Store) DeleteTemplate(ctx context.Context, key string) error {
	if IsBuiltinTemplate(key) {
		return &ValidationError{Fields: map[string]string{"key": "built-in templates cannot be deleted"}}
	}
	res := s.db.WithContext(ctx).Where("key = ?", key).Delete(&templateRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// TemplateUsage counts the incidents by the template key they were
// created with.
func (s *Store) TemplateUsage(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		TemplateKey string
		N           int64
	}
	if err := s.db.WithContext(ctx).Model(&Incident{}).Select("template_key, COUNT(*) AS n").
		Group("template_key").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.TemplateKey] = r.N
	}
	return out, nil
}

// checkTemplateKey answers a ValidationError on "template" unless key is
// empty (the default) or names a template.
func (s *Store) checkTemplateKey(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	all, err := s.PostmortemTemplates(ctx)
	if err != nil {
		return err
	}
	if _, ok := postmortem.TemplateByKey(all, key); !ok {
		return &ValidationError{Fields: map[string]string{"template": "choose one of the postmortem templates"}}
	}
	return nil
}
