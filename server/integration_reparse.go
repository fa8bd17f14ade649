package server

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

// integrationReparse runs every stored payload of an integration through
// today's parser and mapping again, so that a mapping changed after the
// fact (a service renamed, a severity remapped) reaches the events already
// received. Payloads pruned by HINDSIGHT_PAYLOAD_RETENTION are skipped.
func (s *Server) integrationReparse(c *gin.Context) {
	in, kind := s.loadIntegration(c)
	if in == nil {
		return
	}
	ctx := c.Request.Context()
	deliveries, err := s.store.DeliveriesToReparse(ctx, in.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	mapping := in.ParsedMapping()
	var updated, unchanged, failed int
	for _, d := range deliveries {
		parsed, err := kind.Parse(d.Payload, http.Header(d.Headers), mapping)
		if err == nil {
			err = normalizeEvents(parsed.Events, mapping)
		}
		if err != nil {
			// A payload the current parser refuses keeps its old events.
			failed++
			s.log.InfoContext(ctx, "re-parse: payload refused", "integration", in.ID, "delivery", d.ID, "err", err)
			continue
		}
		res, err := s.store.Reapply(ctx, in.ID, d.ID, parsed.Events)
		if err != nil {
			s.fail(c, err)
			return
		}
		updated += res.Accepted
		unchanged += res.Duplicates
	}
	redirect(c, "/settings/integrations/"+in.ID, fmt.Sprintf("Re-parsed %d stored deliveries: %d events updated, %d unchanged, %d payloads refused by the current parser.",
		len(deliveries), updated, unchanged, failed))
}
