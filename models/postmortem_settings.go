package models

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"hindsight/postmortem"
)

// customFieldRow is a custom impact field as stored.
type customFieldRow struct {
	ID        int64
	Key       string
	Label     string
	Kind      string
	Options   string // JSON array
	Internal  bool
	Position  int
	CreatedAt time.Time
}

func (customFieldRow) TableName() string { return "custom_fields" }

// CustomFields returns the admin's custom impact fields, in order.
func (s *Store) CustomFields(ctx context.Context) ([]postmortem.CustomField, error) {
	var rows []customFieldRow
	if err := s.db.WithContext(ctx).Order("position, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]postmortem.CustomField, len(rows))
	for i, r := range rows {
		out[i] = postmortem.CustomField{Key: r.Key, Label: r.Label, Kind: r.Kind, Internal: r.Internal}
		_ = json.Unmarshal([]byte(r.Options), &out[i].Options) // written by SaveCustomFields only
	}
	return out, nil
}

// SaveCustomFields replaces the list of custom fields. Values already
// stored under a removed key stay in old revisions and are dropped from
// the impact section at its next save.
func (s *Store) SaveCustomFields(ctx context.Context, fields []postmortem.CustomField) error {
	if problems := postmortem.ValidateCustomFields(fields); len(problems) > 0 {
		return &ValidationError{Fields: problems}
	}
	now := s.Now()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("1 = 1").Delete(&customFieldRow{}).Error; err != nil {
			return err
		}
		for i, f := range fields {
			opts, _ := json.Marshal(append([]string{}, f.Options...))
			row := customFieldRow{Key: f.Key, Label: f.Label, Kind: f.Kind, Options: string(opts), Internal: f.Internal, Position: i, CreatedAt: now}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// factorCategoryRow is a category of the admin's taxonomy.
type factorCategoryRow struct {
	Key      string `gorm:"primaryKey"`
	Label    string
	Grp      string
	Archived bool
	Position int
}

func (factorCategoryRow) TableName() string { return "factor_categories" }

// FactorCategories returns the taxonomy of contributing factors: the
// admin's, or the built-in one until an admin changes it.
func (s *Store) FactorCategories(ctx context.Context) ([]postmortem.Category, error) {
	var rows []factorCategoryRow
	if err := s.db.WithContext(ctx).Order("position").Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return postmortem.DefaultCategories(), nil
	}
	out := make([]postmortem.Category, len(rows))
	for i, r := range rows {
		out[i] = postmortem.Category{Key: r.Key, Label: r.Label, Group: r.Grp, Archived: r.Archived}
	}
	return out, nil
}

// SaveFactorCategories replaces the taxonomy. A category some factor uses
// cannot be removed, only archived, so that every stored section stays
// valid.
func (s *Store) SaveFactorCategories(ctx context.Context, cats []postmortem.Category) error {
	problems := postmortem.ValidateCategories(cats)
	if len(problems) > 0 {
		return &ValidationError{Fields: problems}
	}
	keep := map[string]bool{}
	for _, c := range cats {
		keep[c.Key] = true
	}
	used, err := s.usedFactorCategories(ctx)
	if err != nil {
		return err
	}
	for key := range used {
		if !keep[key] {
			return &ValidationError{Fields: map[string]string{"categories": "“" + key + "” is used by a postmortem: archive it instead of removing it"}}
		}
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("1 = 1").Delete(&factorCategoryRow{}).Error; err != nil {
			return err
		}
		for i, c := range cats {
			if err := tx.Create(&factorCategoryRow{Key: c.Key, Label: c.Label, Grp: c.Group, Archived: c.Archived, Position: i}).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// usedFactorCategories returns the category keys stored factors use.
func (s *Store) usedFactorCategories(ctx context.Context) (map[string]bool, error) {
	var bodies []string
	if err := s.db.WithContext(ctx).Model(&PostmortemSection{}).Where("section = ?", SectionFactors).Pluck("body", &bodies).Error; err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, b := range bodies {
		var f postmortem.Factors
		if json.Unmarshal([]byte(b), &f) == nil {
			for _, it := range f.Items {
				used[it.Category] = true
			}
		}
	}
	return used, nil
}
