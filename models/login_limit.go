package models

import (
	"context"
	"time"
)

// LoginFailure records one failed sign-in. The limit is counted in the
// database, not in memory, so that it holds across replicas and restarts.
type LoginFailure struct {
	ID       int64
	Email    string
	ClientIP string
	FailedAt time.Time
}

// RecordLoginFailure notes a failed sign-in for the rate limit.
func (s *Store) RecordLoginFailure(ctx context.Context, email, clientIP string) error {
	return s.db.WithContext(ctx).Create(&LoginFailure{Email: NormalizeEmail(email), ClientIP: clientIP, FailedAt: s.Now()}).Error
}

// LoginBlocked reports whether the e-mail or the client address has failed
// max times within window.
func (s *Store) LoginBlocked(ctx context.Context, email, clientIP string, max int, window time.Duration) (bool, error) {
	since := s.Now().Add(-window)
	var byEmail, byIP int64
	db := s.db.WithContext(ctx).Model(&LoginFailure{})
	if err := db.Where("email = ? AND failed_at > ?", NormalizeEmail(email), since).Count(&byEmail).Error; err != nil {
		return false, err
	}
	if err := s.db.WithContext(ctx).Model(&LoginFailure{}).Where("client_ip = ? AND failed_at > ?", clientIP, since).Count(&byIP).Error; err != nil {
		return false, err
	}
	return byEmail >= int64(max) || byIP >= int64(max), nil
}

// ClearLoginFailures forgets the failures of an e-mail after a good sign-in.
func (s *Store) ClearLoginFailures(ctx context.Context, email string) error {
	return s.db.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).Delete(&LoginFailure{}).Error
}

// DeleteOldLoginFailures prunes failures older than window.
func (s *Store) DeleteOldLoginFailures(ctx context.Context, window time.Duration) error {
	return s.db.WithContext(ctx).Where("failed_at <= ?", s.Now().Add(-window)).Delete(&LoginFailure{}).Error
}
