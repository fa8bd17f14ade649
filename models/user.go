package models

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Roles, from most to least powerful.
const (
	RoleAdmin  = "admin"
	RoleEditor = "editor"
	RoleViewer = "viewer"
)

// Roles lists the valid roles in the order forms show them.
var Roles = []string{RoleAdmin, RoleEditor, RoleViewer}

// ValidRole reports whether r is one of Roles.
func ValidRole(r string) bool {
	for _, v := range Roles {
		if v == r {
			return true
		}
	}
	return false
}

// RoleAtLeast reports whether role grants everything min grants.
func RoleAtLeast(role, min string) bool {
	rank := map[string]int{RoleViewer: 1, RoleEditor: 2, RoleAdmin: 3}
	return rank[role] >= rank[min] && rank[min] > 0
}

// User is a person who signs in, or a named author without a password.
type User struct {
	ID           int64
	Email        string
	Name         string
	Role         string
	PasswordHash string
	TimeZone     string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CanSignIn is false for demo authors and others created without a password.
func (u *User) CanSignIn() bool { return u.PasswordHash != "" }

// NewUser holds what it takes to create a user.
type NewUser struct {
	Email    string
	Name     string
	Role     string
	Password string // empty: the user cannot sign in
}

// ValidationError carries per-field messages that are safe to show.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for k, v := range e.Fields {
		parts = append(parts, k+": "+v)
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// ErrEmailTaken is returned when another user has the e-mail address.
var ErrEmailTaken = errors.New("a user with this e-mail address already exists")

// ErrAlreadySetUp is returned by CreateFirstAdmin once an admin exists.
var ErrAlreadySetUp = errors.New("Hindsight is already set up; sign in instead")

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// NormalizeEmail lowercases and trims an address so that lookups match.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func (n *NewUser) validate() error {
	fields := map[string]string{}
	n.Email = NormalizeEmail(n.Email)
	n.Name = strings.TrimSpace(n.Name)
	if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email {
		fields["email"] = "enter an e-mail address such as ana@example.com"
	}
	if n.Name == "" {
		fields["name"] = "enter a name"
	} else if len(n.Name) > 200 {
		fields["name"] = "use at most 200 characters"
	}
	if !ValidRole(n.Role) {
		fields["role"] = "choose admin, editor or viewer"
	}
	if n.Password != "" {
		if msg := PasswordProblem(n.Password); msg != "" {
			fields["password"] = msg
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// PasswordProblem explains why a password is refused, or returns "".
func PasswordProblem(pw string) string {
	switch {
	case len(pw) < MinPasswordLength:
		return fmt.Sprintf("use at least %d characters", MinPasswordLength)
	case len(pw) > 72:
		return "use at most 72 bytes" // bcrypt's limit
	}
	return ""
}

func (s *Store) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.passwordCost)
	return string(h), err
}

// CreateUser adds a user.
func (s *Store) CreateUser(ctx context.Context, n NewUser) (*User, error) {
	return s.createUser(s.db.WithContext(ctx), n)
}

func (s *Store) createUser(tx *gorm.DB, n NewUser) (*User, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	u := &User{Email: n.Email, Name: n.Name, Role: n.Role}
	if n.Password != "" {
		h, err := s.hashPassword(n.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
	}
	if err := tx.Create(u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, ErrEmailTaken
		}
		return nil, err
	}
	if u.Role == RoleAdmin {
		// An admin made outside the setup page (CLI, seed) also ends first-run setup.
		if err := tx.Model(&Instance{}).Where("id = 1 AND setup_at IS NULL").Update("setup_at", s.Now()).Error; err != nil {
			return nil, err
		}
	}
	return u, nil
}

// NeedsSetup is true until the first admin exists.
func (s *Store) NeedsSetup(ctx context.Context) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&User{}).Where("role = ?", RoleAdmin).Count(&n).Error
	return n == 0, err
}

// CreateFirstAdmin creates the first admin. Of two racing set-up requests
// only one can claim the instance row, so at most one admin is created.
func (s *Store) CreateFirstAdmin(ctx context.Context, n NewUser) (*User, error) {
	n.Role = RoleAdmin
	if n.Password == "" {
		return nil, &ValidationError{Fields: map[string]string{"password": fmt.Sprintf("use at least %d characters", MinPasswordLength)}}
	}
	var u *User
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Instance{}).Where("id = 1 AND setup_at IS NULL").Update("setup_at", s.Now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrAlreadySetUp
		}
		var admins int64
		if err := tx.Model(&User{}).Where("role = ?", RoleAdmin).Count(&admins).Error; err != nil {
			return err
		}
		if admins > 0 {
			return ErrAlreadySetUp
		}
		var err error
		u, err = s.createUser(tx, n)
		return err
	})
	return u, err
}

// UserByID finds a user.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).First(&u, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// UserByEmail finds a user by address, in any letter case.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).First(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// ListUsers returns every user by name.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	var users []User
	err := s.db.WithContext(ctx).Order("name, id").Find(&users).Error
	return users, err
}

// UsersByEmails returns the users with these addresses, and the addresses
// that matched nobody.
func (s *Store) UsersByEmails(ctx context.Context, emails []string) ([]User, []string, error) {
	norm := make([]string, 0, len(emails))
	for _, e := range emails {
		if e = NormalizeEmail(e); e != "" {
			norm = append(norm, e)
		}
	}
	if len(norm) == 0 {
		return nil, nil, nil
	}
	var users []User
	if err := s.db.WithContext(ctx).Where("email IN ?", norm).Order("name, id").Find(&users).Error; err != nil {
		return nil, nil, err
	}
	found := map[string]bool{}
	for _, u := range users {
		found[u.Email] = true
	}
	var missing []string
	for _, e := range norm {
		if !found[e] {
			missing = append(missing, e)
		}
	}
	return users, missing, nil
}

// ErrLastAdmin protects the instance from losing its only administrator.
var ErrLastAdmin = errors.New("this is the last admin; make another user admin first")

// SetUserRole changes a user's role, never demoting the last admin.
func (s *Store) SetUserRole(ctx context.Context, id int64, role string) error {
	if !ValidRole(role) {
		return &ValidationError{Fields: map[string]string{"role": "choose admin, editor or viewer"}}
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u User
		if err := tx.First(&u, id).Error; err != nil {
			return notFound(err)
		}
		if u.Role == RoleAdmin && role != RoleAdmin {
			if err := ensureAnotherAdmin(tx, id); err != nil {
				return err
			}
		}
		return tx.Model(&u).Updates(map[string]any{"role": role, "updated_at": s.Now()}).Error
	})
}

// DeleteUser removes a user and their sessions, never the last admin.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u User
		if err := tx.First(&u, id).Error; err != nil {
			return notFound(err)
		}
		if u.Role == RoleAdmin {
			if err := ensureAnotherAdmin(tx, id); err != nil {
				return err
			}
		}
		return tx.Delete(&u).Error
	})
}

func ensureAnotherAdmin(tx *gorm.DB, except int64) error {
	var n int64
	if err := tx.Model(&User{}).Where("role = ? AND id <> ? AND password_hash <> ''", RoleAdmin, except).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrLastAdmin
	}
	return nil
}

// SetUserTimeZone stores the zone a user reads times in ("" = the browser's).
func (s *Store) SetUserTimeZone(ctx context.Context, id int64, zone string) error {
	if zone != "" {
		if _, err := time.LoadLocation(zone); err != nil {
			return &ValidationError{Fields: map[string]string{"time_zone": "choose a time zone such as Europe/Berlin or UTC"}}
		}
	}
	return s.db.WithContext(ctx).Model(&User{ID: id}).Updates(map[string]any{"time_zone": zone, "updated_at": s.Now()}).Error
}

// ErrBadCredentials hides whether the e-mail or the password was wrong.
var ErrBadCredentials = errors.New("the e-mail address or password is wrong")

// Authenticate checks an e-mail and password.
func (s *Store) Authenticate(ctx context.Context, email, password string) (*User, error) {
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		// Spend the same time as a real check so timing does not reveal accounts.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if !u.CanSignIn() || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, ErrBadCredentials
	}
	return u, nil
}

// dummyHash is a bcrypt hash of a random string, compared against when the
// account does not exist.
var dummyHash = []byte("$2a$12$Qe4PpS0pU9E1e3k0bC3lUe7v8yFQkq0x4b0mQWcV7Z2m8Zb3n0pK2")
