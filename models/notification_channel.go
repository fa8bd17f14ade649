package models

import (
	"context"
	"encoding/json"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Channel kinds digests can be sent through.
const (
	ChannelSMTP    = "smtp"
	ChannelSlack   = "slack"
	ChannelWebhook = "webhook"
)

// ChannelKinds lists the kinds in the order forms show them.
var ChannelKinds = []string{ChannelSMTP, ChannelSlack, ChannelWebhook}

// SMTP security modes.
var SMTPSecurities = []string{"starttls", "tls", "none"}

// NotificationChannel is somewhere digests are sent: a mail server, a
// Slack-compatible incoming webhook or a generic signed webhook.
type NotificationChannel struct {
	ID        int64
	Kind      string
	Name      string
	Enabled   bool
	Settings  string // JSON of ChannelSettings
	Secret    string // SMTP password, Slack webhook URL or HMAC key: never shown back, except the HMAC key to admins
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ChannelSettings are a channel's settings that are safe to show.
type ChannelSettings struct {
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"`
	Username string `json:"username,omitempty"`
	From     string `json:"from,omitempty"`
	Security string `json:"security,omitempty"`
	URL      string `json:"url,omitempty"` // the generic webhook's address
}

// ParsedSettings decodes the stored settings.
func (c *NotificationChannel) ParsedSettings() ChannelSettings {
	var cs ChannelSettings
	_ = json.Unmarshal([]byte(c.Settings), &cs) // written by SaveChannel only
	return cs
}

// ChannelInput is what an admin sets on a channel. An empty Secret on an
// update keeps the stored one.
type ChannelInput struct {
	Kind     string
	Name     string
	Enabled  bool
	Settings ChannelSettings
	Secret   string
}

func (in *ChannelInput) validate(creating bool) map[string]string {
	fields := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		fields["name"] = "enter a name of 1 to 100 characters"
	}
	st := &in.Settings
	st.Host, st.Username, st.From, st.URL = strings.TrimSpace(st.Host), strings.TrimSpace(st.Username), strings.TrimSpace(st.From), strings.TrimSpace(st.URL)
	in.Secret = strings.TrimSpace(in.Secret)
	switch in.Kind {
	case ChannelSMTP:
		if st.Host == "" || strings.ContainsAny(st.Host, " /:") {
			fields["host"] = "enter the mail server's host name, without port"
		}
		if st.Port < 1 || st.Port > 65535 {
			fields["port"] = "enter a port from 1 to 65535 (587 for STARTTLS, 465 for TLS)"
		}
		if st.Security == "" {
			st.Security = "starttls"
		}
		if !contains(SMTPSecurities, st.Security) {
			fields["security"] = "choose starttls, tls or none"
		} else if st.Security == "none" && !isLoopback(st.Host) {
			fields["security"] = "sending without TLS is only allowed to a server on this machine (localhost)"
		}
		if a, err := mail.ParseAddress(st.From); err != nil || a.Name != "" && strings.ContainsAny(a.Name, "\r\n") {
			fields["from"] = "enter the sender address, such as hindsight@example.com"
		}
		if st.Username != "" && in.Secret == "" && creating {
			fields["secret"] = "enter the password for this user name"
		}
		st.URL = ""
	case ChannelSlack:
		// The Slack URL is the secret: anyone holding it can post.
		if creating || in.Secret != "" {
			if msg := checkURL(in.Secret); msg != "" {
				fields["secret"] = msg
			}
		}
		*st = ChannelSettings{}
	case ChannelWebhook:
		if msg := checkURL(st.URL); msg != "" {
			fields["url"] = msg
		}
		*st = ChannelSettings{URL: st.URL}
		if creating && in.Secret == "" {
			in.Secret = NewSecret(24)
		}
	default:
		fields["kind"] = "choose smtp, slack or webhook"
	}
	return fields
}

// checkURL accepts https addresses, and plain http to this machine.
func checkURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case raw == "" || err != nil || u.Host == "":
		return "enter the full address, starting with https://"
	case u.Scheme == "https", u.Scheme == "http" && isLoopback(u.Hostname()):
		return ""
	default:
		return "use https:// (plain http only to localhost)"
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CreateChannel adds a notification channel.
func (s *Store) CreateChannel(ctx context.Context, in ChannelInput) (*NotificationChannel, error) {
	if fields := in.validate(true); len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	settings, _ := json.Marshal(in.Settings)
	now := s.Now()
	ch := &NotificationChannel{Kind: in.Kind, Name: in.Name, Enabled: in.Enabled, Settings: string(settings),
		Secret: in.Secret, CreatedAt: now, UpdatedAt: now}
	if err := s.db.WithContext(ctx).Create(ch).Error; err != nil {
		return nil, err
	}
	return ch, nil
}

// UpdateChannel changes a channel's name, state and settings; its kind is
// fixed, and an empty secret keeps the stored one.
func (s *Store) UpdateChannel(ctx context.Context, id int64, in ChannelInput) (*NotificationChannel, error) {
	cur, err := s.Channel(ctx, id)
	if err != nil {
		return nil, err
	}
	in.Kind = cur.Kind
	if fields := in.validate(false); len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	settings, _ := json.Marshal(in.Settings)
	changes := map[string]any{"name": in.Name, "enabled": in.Enabled, "settings": string(settings), "updated_at": s.Now()}
	if in.Secret != "" {
		changes["secret"] = in.Secret
	}
	if err := s.db.WithContext(ctx).Model(&NotificationChannel{}).Where("id = ?", id).Updates(changes).Error; err != nil {
		return nil, err
	}
	return s.Channel(ctx, id)
}

// RotateChannelSecret gives a generic webhook a new signing key.
func (s *Store) RotateChannelSecret(ctx context.Context, id int64) (*NotificationChannel, error) {
	res := s.db.WithContext(ctx).Model(&NotificationChannel{}).Where("id = ? AND kind = ?", id, ChannelWebhook).
		Updates(map[string]any{"secret": NewSecret(24), "updated_at": s.Now()})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	return s.Channel(ctx, id)
}

// Channel returns one channel.
func (s *Store) Channel(ctx context.Context, id int64) (*NotificationChannel, error) {
	var ch NotificationChannel
	if err := s.db.WithContext(ctx).First(&ch, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &ch, nil
}

// Channels lists every channel, oldest first.
func (s *Store) Channels(ctx context.Context) ([]NotificationChannel, error) {
	var list []NotificationChannel
	err := s.db.WithContext(ctx).Order("id").Find(&list).Error
	return list, err
}

// DeleteChannel removes a channel; its past deliveries stay in the log
// under its name.
func (s *Store) DeleteChannel(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Delete(&NotificationChannel{}, id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
