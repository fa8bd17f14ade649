package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hindsight/blameless"
)

// BlamelessRule is a phrase an admin added to the built-in rules of
// blameless language (blameless.DefaultRules). It is matched literally:
// see blameless.CustomRule.
type BlamelessRule struct {
	ID         int64
	Phrase     string // as CustomRule normalised it: trimmed, single spaces
	Suggestion string // "" for the generic suggestion
	CreatedBy  string
	CreatedAt  time.Time
}

func (BlamelessRule) TableName() string { return "blameless_rules" }

// Rule returns the checker's rule of this phrase. A stored phrase always
// builds: AddBlamelessRule checked it.
func (r BlamelessRule) Rule() (blameless.Rule, error) {
	return blameless.CustomRule(r.Phrase, r.Suggestion)
}

// Limits on admin rules.
const (
	MaxBlamelessRules        = 200
	MaxBlamelessSuggestion   = 500
	blamelessPhraseFieldName = "phrase"
)

// BlamelessRules returns the admin's rules, oldest first.
func (s *Store) BlamelessRules(ctx context.Context) ([]BlamelessRule, error) {
	var rules []BlamelessRule
	err := s.db.WithContext(ctx).Order("id").Find(&rules).Error
	return rules, err
}

// AddBlamelessRule stores a phrase to flag, with an optional suggestion of
// neutral wording. The phrase is validated by blameless.CustomRule
// (problems on "phrase", as is a phrase already listed); the suggestion is
// one line of at most MaxBlamelessSuggestion characters ("suggestion").
func (s *Store) AddBlamelessRule(ctx context.Context, phrase, suggestion, by string) (*BlamelessRule, error) {
	fields := map[string]string{}
	rule, err := blameless.CustomRule(phrase, suggestion)
	if err != nil {
		fields[blamelessPhraseFieldName] = phraseMessage(err)
	}
	suggestion = strings.TrimSpace(suggestion)
	switch {
	case !utf8.ValidString(suggestion):
		fields["suggestion"] = "use valid UTF-8 text"
	case strings.ContainsAny(suggestion, "\r\n"):
		fields["suggestion"] = "use a single line"
	case utf8.RuneCountInString(suggestion) > MaxBlamelessSuggestion:
		fields["suggestion"] = fmt.Sprintf("use at most %d characters", MaxBlamelessSuggestion)
	}
	existing, lerr := s.BlamelessRules(ctx)
	if lerr != nil {
		return nil, lerr
	}
	if err == nil {
		for _, r := range existing {
			if strings.EqualFold(r.Phrase, rule.Phrase) {
				fields[blamelessPhraseFieldName] = "this phrase is already listed"
				break
			}
		}
	}
	if len(existing) >= MaxBlamelessRules {
		fields[blamelessPhraseFieldName] = fmt.Sprintf("there are already %d phrases: remove one first", MaxBlamelessRules)
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	row := &BlamelessRule{Phrase: rule.Phrase, Suggestion: suggestion, CreatedBy: by, CreatedAt: s.Now()}
	if err := s.db.WithContext(ctx).Create(row).Error; err != nil {
		return nil, err
	}
	return row, nil
}

// phraseMessage words CustomRule's errors for the form.
func phraseMessage(err error) string {
	switch {
	case errors.Is(err, blameless.ErrEmptyPhrase):
		return "enter a word or phrase"
	case errors.Is(err, blameless.ErrLongPhrase):
		return fmt.Sprintf("use at most %d characters", blameless.MaxPhraseLen)
	case errors.Is(err, blameless.ErrPhraseNoWords):
		return "include at least one letter or digit"
	case errors.Is(err, blameless.ErrPhraseUTF8):
		return "use valid UTF-8 text"
	}
	return err.Error()
}

// DeleteBlamelessRule removes an admin rule; ErrNotFound when there is
// none with this id.
func (s *Store) DeleteBlamelessRule(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Delete(&BlamelessRule{}, id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// BlamelessChecker builds the checker the editor uses: the built-in rules,
// the admin's phrases, and the names of every user, so that "Maya forgot"
// is flagged. Build one per request: rules and users change.
func (s *Store) BlamelessChecker(ctx context.Context) (*blameless.Checker, error) {
	rules := blameless.DefaultRules()
	admin, err := s.BlamelessRules(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range admin {
		if rule, err := r.Rule(); err == nil {
			rules = append(rules, rule)
		}
	}
	var names []string
	if err := s.db.WithContext(ctx).Model(&User{}).Where("name <> ''").Order("id").Pluck("name", &names).Error; err != nil {
		return nil, err
	}
	return blameless.NewChecker(rules, names), nil
}
