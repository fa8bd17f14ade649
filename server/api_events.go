package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/ingest"
	"hindsight/ingest/generic"
	"hindsight/models"
)

type eventJSON struct {
	ID            int64             `json:"id"`
	Kind          string            `json:"kind"`
	Source        string            `json:"source"`
	DedupKey      string            `json:"dedup_key"`
	Status        string            `json:"status"`
	Title         string            `json:"title"`
	Description   string            `json:"description"`
	Severity      string            `json:"severity"`
	Service       string            `json:"service"`
	Environment   string            `json:"environment"`
	StartsAt      time.Time         `json:"starts_at"`
	EndsAt        *time.Time        `json:"ends_at"`
	Commit        string            `json:"commit"`
	Ref           string            `json:"ref"`
	URL           string            `json:"url"`
	Labels        map[string]string `json:"labels"`
	HasMigrations bool              `json:"has_migrations"`
	IntegrationID *string           `json:"integration_id"`
	ReceivedAt    time.Time         `json:"received_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

func toEventJSON(e *models.Event) eventJSON {
	return eventJSON{
		ID: e.ID, Kind: e.Kind, Source: e.Source, DedupKey: e.DedupKey, Status: e.Status, Title: e.Title,
		Description: e.Description, Severity: e.Severity, Service: e.Service, Environment: e.Environment,
		StartsAt: e.StartsAt, EndsAt: e.EndsAt, Commit: e.CommitSHA, Ref: e.Ref, URL: e.URL, Labels: e.LabelMap(),
		HasMigrations: e.HasMigrations, IntegrationID: e.IntegrationID, ReceivedAt: e.ReceivedAt, UpdatedAt: e.UpdatedAt,
	}
}

// apiEventsCreate takes Hindsight's own event JSON, one object or an array.
// The batch is stored in one transaction or not at all.
func (s *Server) apiEventsCreate(c *gin.Context) {
	if err := requireJSON(c); err != nil {
		s.fail(c, err)
		return
	}
	body, err := readBody(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	events, err := generic.ParseEvents(body)
	if err != nil {
		s.fail(c, ingestError(err))
		return
	}
	if err := normalizeEvents(events, ingest.Mapping{}); err != nil {
		s.fail(c, err)
		return
	}
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		key = bodyKey(body)
	}
	res, err := s.store.Ingest(c.Request.Context(), models.IncomingDelivery{
		Scope: "api", Key: key, ContentType: c.ContentType(), Headers: keptHeaders(c.Request.Header),
		Payload: body, Events: events,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, ingestReply(res))
}

// eventFilterFromQuery reads the filters shared by the API and the page;
// times without a zone are read in zone.
func eventFilterFromQuery(c *gin.Context, zone *time.Location) (models.EventFilter, error) {
	f := models.EventFilter{
		Kind: c.Query("kind"), Source: c.Query("source"), Service: c.Query("service"),
		Environment: c.Query("environment"), Query: c.Query("q"), Cursor: c.Query("cursor"),
	}
	if f.Kind != "" && f.Kind != ingest.KindAlert && f.Kind != ingest.KindDeploy && f.Kind != ingest.KindChange && f.Kind != ingest.KindNote {
		return f, fieldError("kind", "use alert, deploy, change or note")
	}
	for name, dst := range map[string]**time.Time{"from": &f.From, "to": &f.To} {
		if raw := c.Query(name); raw != "" {
			t, err := parseQueryTime(raw, zone)
			if err != nil {
				return f, fieldError(name, "use an RFC 3339 time such as 2022-11-17T10:00:00Z")
			}
			*dst = &t
		}
	}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > models.MaxEventLimit {
			return f, fieldError("limit", "use a whole number from 1 to "+strconv.Itoa(models.MaxEventLimit))
		}
		f.Limit = n
	}
	return f, nil
}

// parseQueryTime accepts RFC 3339 and the browser's datetime-local layout.
func parseQueryTime(raw string, zone *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t, nil
	}
	return time.ParseInLocation(datetimeLocal, raw, zone)
}

func (s *Server) apiEventsList(c *gin.Context) {
	f, err := eventFilterFromQuery(c, time.UTC)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.ListEvents(c.Request.Context(), f)
	if errors.Is(err, models.ErrBadCursor) {
		s.fail(c, fieldError("cursor", err.Error()))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]eventJSON, 0, len(page.Events))
	for i := range page.Events {
		out = append(out, toEventJSON(&page.Events[i]))
	}
	c.JSON(http.StatusOK, gin.H{"events": out, "next_cursor": page.NextCursor})
}

type statusChangeJSON struct {
	Status     string    `json:"status"`
	At         time.Time `json:"at"`
	ReceivedAt time.Time `json:"received_at"`
}

func (s *Server) apiEventGet(c *gin.Context) {
	ev, hist := s.loadEvent(c)
	if ev == nil {
		return
	}
	out := struct {
		eventJSON
		History []statusChangeJSON `json:"history"`
	}{eventJSON: toEventJSON(ev), History: []statusChangeJSON{}}
	for _, h := range hist {
		out.History = append(out.History, statusChangeJSON{Status: h.Status, At: h.At, ReceivedAt: h.ReceivedAt})
	}
	c.JSON(http.StatusOK, out)
}

// loadEvent reads :id, the event and its history, answering errors itself.
func (s *Server) loadEvent(c *gin.Context) (*models.Event, []models.EventStatusChange) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, errBadRequest("%q is not an event id", c.Param("id")))
		return nil, nil
	}
	ev, err := s.store.EventByID(c.Request.Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("event "+c.Param("id")))
		return nil, nil
	}
	if err != nil {
		s.fail(c, err)
		return nil, nil
	}
	hist, err := s.store.EventHistory(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return nil, nil
	}
	return ev, hist
}
