package models

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"hindsight/ingest"
)

// Integration is a webhook endpoint for one tool: /hooks/{ID}.
type Integration struct {
	ID              string
	Kind            string
	Name            string
	Secret          string
	Mapping         string // JSON of ingest.Mapping
	VerifyOptions   string // JSON of ingest.VerifyOptions
	CreatedAt       time.Time
	UpdatedAt       time.Time
	SecretRotatedAt *time.Time
	// LastDeliveryAt is read from the deliveries, not stored: updating one
	// row per request would serialise every delivery of an alert storm.
	LastDeliveryAt *time.Time `gorm:"-"`
}

// ParsedMapping decodes the stored mapping.
func (i *Integration) ParsedMapping() ingest.Mapping {
	var m ingest.Mapping
	_ = json.Unmarshal([]byte(i.Mapping), &m) // written by SetIntegrationMapping only
	return m
}

// ParsedVerifyOptions decodes the stored signature options.
func (i *Integration) ParsedVerifyOptions() ingest.VerifyOptions {
	var o ingest.VerifyOptions
	_ = json.Unmarshal([]byte(i.VerifyOptions), &o)
	return o
}

// ErrUnknownKind is returned for an integration kind Hindsight cannot parse.
var ErrUnknownKind = errors.New("unknown integration kind")

// CreateIntegration adds a webhook endpoint with a fresh id and secret.
// kinds lists the valid kinds (the registry lives outside models).
func (s *Store) CreateIntegration(ctx context.Context, kind, name string, kinds []string) (*Integration, error) {
	name = strings.TrimSpace(name)
	fields := map[string]string{}
	if !contains(kinds, kind) {
		fields["kind"] = "choose one of " + strings.Join(kinds, ", ")
	}
	if name == "" || len(name) > 100 {
		fields["name"] = "enter a name of 1 to 100 characters"
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	now := s.Now()
	in := &Integration{
		ID: NewSecret(12), Kind: kind, Name: name, Secret: NewSecret(24),
		Mapping: "{}", VerifyOptions: "{}", CreatedAt: now, UpdatedAt: now,
	}
	if err := s.db.WithContext(ctx).Create(in).Error; err != nil {
		return nil, err
	}
	return in, nil
}

// IntegrationByID finds an integration.
func (s *Store) IntegrationByID(ctx context.Context, id string) (*Integration, error) {
	var in Integration
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&in).Error; err != nil {
		return nil, notFound(err)
	}
	return &in, nil
}

// ListIntegrations returns every integration by name, with the time of
// its last delivery.
func (s *Store) ListIntegrations(ctx context.Context) ([]Integration, error) {
	var list []Integration
	if err := s.db.WithContext(ctx).Order("name, id").Find(&list).Error; err != nil {
		return nil, err
	}
	for i := range list {
		var last []time.Time
		err := s.db.WithContext(ctx).Model(&Delivery{}).Where("integration_id = ?", list[i].ID).
			Order("received_at DESC").Limit(1).Pluck("received_at", &last).Error
		if err != nil {
			return nil, err
		}
		if len(last) == 1 {
			t := last[0].UTC()
			list[i].LastDeliveryAt = &t
		}
	}
	return list, nil
}

// RotateIntegrationSecret replaces the secret; the old one stops working.
func (s *Store) RotateIntegrationSecret(ctx context.Context, id string) (*Integration, error) {
	now := s.Now()
	res := s.db.WithContext(ctx).Model(&Integration{}).Where("id = ?", id).
		Updates(map[string]any{"secret": NewSecret(24), "secret_rotated_at": now, "updated_at": now})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	return s.IntegrationByID(ctx, id)
}

// SetIntegrationSecret stores a secret the tool generated itself (Sentry's
// client secret, PagerDuty's signing secret), which Hindsight cannot choose.
func (s *Store) SetIntegrationSecret(ctx context.Context, id, secret string) (*Integration, error) {
	secret = strings.TrimSpace(secret)
	if len(secret) < 16 || len(secret) > 512 {
		return nil, &ValidationError{Fields: map[string]string{"secret": "paste the tool's secret: 16 to 512 characters"}}
	}
	now := s.Now()
	res := s.db.WithContext(ctx).Model(&Integration{}).Where("id = ?", id).
		Updates(map[string]any{"secret": secret, "secret_rotated_at": now, "updated_at": now})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	return s.IntegrationByID(ctx, id)
}

// SetIntegrationSettings stores the mapping and signature options.
func (s *Store) SetIntegrationSettings(ctx context.Context, id string, m ingest.Mapping, o ingest.VerifyOptions) error {
	for k, v := range m.Severities {
		if !contains(ingest.Severities, v) {
			return &ValidationError{Fields: map[string]string{"severities": k + " → " + v + ": map onto critical, high, warning or info"}}
		}
	}
	mj, _ := json.Marshal(m)
	oj, _ := json.Marshal(o)
	res := s.db.WithContext(ctx).Model(&Integration{}).Where("id = ?", id).
		Updates(map[string]any{"mapping": string(mj), "verify_options": string(oj), "updated_at": s.Now()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteIntegration removes an integration and its deliveries; its events stay.
func (s *Store) DeleteIntegration(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&Integration{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
