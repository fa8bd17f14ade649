package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Session is a signed-in browser. Only the SHA-256 of the cookie value is
// stored, so a leaked database does not leak usable sessions.
type Session struct {
	ID         string // hex SHA-256 of the cookie token
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	UserAgent  string
	ClientIP   string
}

// sessionTouchInterval limits how often a session's expiry slides forward,
// so that reading pages does not write to the database on every request.
const sessionTouchInterval = time.Minute

// NewSecret returns a random URL-safe token with n bytes of entropy.
func NewSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a session and returns the token to put in the cookie.
func (s *Store) CreateSession(ctx context.Context, userID int64, lifetime time.Duration, userAgent, clientIP string) (string, error) {
	token := NewSecret(32)
	now := s.Now()
	if len(userAgent) > 500 {
		userAgent = userAgent[:500]
	}
	err := s.db.WithContext(ctx).Create(&Session{
		ID: hashToken(token), UserID: userID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(lifetime), UserAgent: userAgent, ClientIP: clientIP,
	}).Error
	return token, err
}

// SessionUser returns the user of a live session and slides its expiry.
func (s *Store) SessionUser(ctx context.Context, token string, lifetime time.Duration) (*User, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	var sess Session
	now := s.Now()
	if err := s.db.WithContext(ctx).Where("id = ? AND expires_at > ?", hashToken(token), now).First(&sess).Error; err != nil {
		return nil, notFound(err)
	}
	if now.Sub(sess.LastSeenAt) > sessionTouchInterval {
		s.db.WithContext(ctx).Model(&Session{}).Where("id = ?", sess.ID).
			Updates(map[string]any{"last_seen_at": now, "expires_at": now.Add(lifetime)})
	}
	return s.UserByID(ctx, sess.UserID)
}

// DeleteSession revokes one session (sign-out).
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.db.WithContext(ctx).Where("id = ?", hashToken(token)).Delete(&Session{}).Error
}

// DeleteUserSessions revokes every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	return s.db.WithContext(ctx).Where("user_id = ?", userID).Delete(&Session{}).Error
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at <= ?", s.Now()).Delete(&Session{})
	return res.RowsAffected, res.Error
}
