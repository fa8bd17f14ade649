package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/ingest"
	"hindsight/ingest/kinds"
	"hindsight/models"
)

// deliveryIDHeaders are the headers in which tools name a delivery, so a
// redelivered request is recognised even when its body changed (GitHub's
// redeliver button resends the same id).
var deliveryIDHeaders = []string{"X-GitHub-Delivery", "X-Gitlab-Event-UUID", "Request-ID", "X-Webhook-Id", "Idempotency-Key"}

// hook receives a tool's webhook: authenticate with the tool's own scheme,
// parse, map, validate, then store the delivery and its events in one
// transaction. A bad request stores nothing.
func (s *Server) hook(c *gin.Context) {
	integ, err := s.store.IntegrationByID(c.Request.Context(), c.Param("id"))
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("integration "+c.Param("id")))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	kind, ok := kinds.Lookup(integ.Kind)
	if !ok {
		s.fail(c, errBadRequest("this integration's kind %q is not supported by this release", integ.Kind))
		return
	}
	if err := requireJSON(c); err != nil {
		s.fail(c, err)
		return
	}
	body, err := readBody(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := kind.Authenticate(integ.Secret, integ.ParsedVerifyOptions(), c.Request.Header, body); err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="hindsight-hooks"`)
		s.fail(c, &appError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: err.Error()})
		return
	}
	mapping := integ.ParsedMapping()
	parsed, err := kind.Parse(body, c.Request.Header, mapping)
	if err != nil {
		s.fail(c, ingestError(err))
		return
	}
	if err := normalizeEvents(parsed.Events, mapping); err != nil {
		s.fail(c, err)
		return
	}
	key := parsed.ID
	if key == "" {
		key = bodyKey(body)
	}
	id := integ.ID
	res, err := s.store.Ingest(c.Request.Context(), models.IncomingDelivery{
		Scope: integ.ID, IntegrationID: &id, Key: key, ContentType: c.ContentType(),
		Headers: keptHeaders(c.Request.Header), Payload: body, Events: parsed.Events,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, ingestReply(res))
}

func ingestReply(res models.IngestResult) gin.H {
	return gin.H{"accepted": res.Accepted, "duplicates": res.Duplicates}
}

// normalizeEvents applies the mapping and validates each event; the first
// problem is answered with 400 naming the item and field.
func normalizeEvents(events []ingest.Event, m ingest.Mapping) error {
	for i := range events {
		m.Apply(&events[i])
		if err := ingest.Validate(&events[i], i); err != nil {
			return ingestError(err)
		}
	}
	return nil
}

func ingestError(err error) error {
	var ie *ingest.Error
	if errors.As(err, &ie) {
		ae := errBadRequest("%s", ie.Error())
		if ie.Field != "" {
			ae.Fields = map[string]string{ie.Field: ie.Msg}
		}
		return ae
	}
	return errBadRequest("the payload could not be read: %v", err)
}

func readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, errBadRequest("the request body could not be read: %v", err)
	}
	if len(body) == 0 {
		return nil, errBadRequest("the request body is empty")
	}
	return body, nil
}

// bodyKey identifies a delivery by its body for tools that send no id.
func bodyKey(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// keptHeaders are the request headers stored with a delivery for audit:
// everything but credentials and signatures.
func keptHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for name, vals := range h {
		lower := strings.ToLower(name)
		if lower == "authorization" || lower == "cookie" || strings.Contains(lower, "signature") ||
			strings.Contains(lower, "token") || len(out) >= 40 {
			continue
		}
		out[name] = ingest.Truncate(strings.Join(vals, ", "), 500)
	}
	return out
}
