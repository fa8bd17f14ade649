package models

import (
	"context"
	"strings"
	"time"
)

// APIToken authenticates a script or tool with a role. The token itself is
// shown once at creation; only its SHA-256 is stored.
type APIToken struct {
	ID          int64
	Name        string
	Role        string
	TokenHash   string
	Prefix      string // the first characters, to recognise a token in lists
	CreatedByID *int64
	CreatedAt   time.Time
	LastUsedAt  *time.Time
	RevokedAt   *time.Time
}

// tokenPrefix marks Hindsight tokens so that secret scanners can find them.
const tokenPrefix = "hs_"

// CreateAPIToken makes a token and returns it with its plain value.
func (s *Store) CreateAPIToken(ctx context.Context, name, role string, createdBy *int64) (*APIToken, string, error) {
	name = strings.TrimSpace(name)
	fields := map[string]string{}
	if name == "" || len(name) > 100 {
		fields["name"] = "enter a name of 1 to 100 characters"
	}
	if !ValidRole(role) {
		fields["role"] = "choose admin, editor or viewer"
	}
	if len(fields) > 0 {
		return nil, "", &ValidationError{Fields: fields}
	}
	plain := tokenPrefix + NewSecret(24)
	t := &APIToken{Name: name, Role: role, TokenHash: hashToken(plain), Prefix: plain[:len(tokenPrefix)+6], CreatedByID: createdBy}
	if err := s.db.WithContext(ctx).Create(t).Error; err != nil {
		return nil, "", err
	}
	return t, plain, nil
}

// APITokenByValue finds the live token with this value and records its use.
func (s *Store) APITokenByValue(ctx context.Context, plain string) (*APIToken, error) {
	var t APIToken
	if err := s.db.WithContext(ctx).Where("token_hash = ? AND revoked_at IS NULL", hashToken(plain)).First(&t).Error; err != nil {
		return nil, notFound(err)
	}
	now := s.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		s.db.WithContext(ctx).Model(&APIToken{}).Where("id = ?", t.ID).Update("last_used_at", now)
	}
	return &t, nil
}

// ListAPITokens returns every token, newest first, revoked ones included.
func (s *Store) ListAPITokens(ctx context.Context) ([]APIToken, error) {
	var ts []APIToken
	err := s.db.WithContext(ctx).Order("created_at DESC, id DESC").Find(&ts).Error
	return ts, err
}

// RevokeAPIToken stops a token from working. Revoking twice is not an error.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Model(&APIToken{}).Where("id = ?", id).
		Where("revoked_at IS NULL").Update("revoked_at", s.Now())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		var n int64
		s.db.WithContext(ctx).Model(&APIToken{}).Where("id = ?", id).Count(&n)
		if n == 0 {
			return ErrNotFound
		}
	}
	return nil
}
