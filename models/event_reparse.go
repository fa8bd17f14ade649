package models

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"

	"hindsight/ingest"
)

// StoredDelivery is a delivery whose raw payload can be parsed again.
type StoredDelivery struct {
	ID      int64
	Key     string
	Headers map[string][]string
	Payload []byte
}

// DeliveriesToReparse returns an integration's deliveries that still have
// their raw payload, oldest first, so that re-applying them replays history
// in the order it happened.
func (s *Store) DeliveriesToReparse(ctx context.Context, integrationID string) ([]StoredDelivery, error) {
	var rows []Delivery
	err := s.db.WithContext(ctx).Where("integration_id = ? AND NOT payload_pruned AND payload <> ''", integrationID).
		Order("received_at, id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]StoredDelivery, 0, len(rows))
	for _, d := range rows {
		flat := map[string]string{}
		_ = json.Unmarshal([]byte(d.Headers), &flat) // written by Ingest
		h := make(map[string][]string, len(flat))
		for k, v := range flat {
			h[k] = []string{v}
		}
		out = append(out, StoredDelivery{ID: d.ID, Key: d.DeliveryKey, Headers: h, Payload: []byte(d.Payload)})
	}
	return out, nil
}

// Reapply folds the events parsed again from a stored delivery into the
// event store, as if the delivery had just arrived: a changed mapping or a
// fixed parser updates the events it produced; unchanged ones count as
// duplicates. The delivery itself is not stored again.
func (s *Store) Reapply(ctx context.Context, integrationID string, deliveryID int64, events []ingest.Event) (IngestResult, error) {
	var res IngestResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = IngestResult{DeliveryID: deliveryID}
		id := integrationID
		in := IncomingDelivery{Scope: integrationID, IntegrationID: &id, Events: events}
		return s.applyEvents(tx, in, deliveryID, s.Now(), &res)
	})
	return res, err
}
