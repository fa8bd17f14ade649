package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

type deliveryLogView struct {
	Entries  []models.DeliveryLogEntry
	Status   string
	Statuses []string
	Page     int
	Pages    int
	Total    int64
}

const deliveriesPerPage = 50

// deliveryLog lists digest deliveries, newest first, with what went wrong.
func (s *Server) deliveryLog(c *gin.Context) {
	status := c.Query("status")
	statuses := []string{models.DeliveryPending, models.DeliverySent, models.DeliveryFailed}
	if status != "" && !containsString(statuses, status) {
		s.fail(c, errBadRequest("status must be pending, sent or failed"))
		return
	}
	page, _ := strconv.Atoi(c.DefaultQuery("page", "1"))
	page = max(page, 1)
	entries, total, err := s.store.DeliveryLog(c.Request.Context(), status, page, deliveriesPerPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "deliveries", "Reminder deliveries", deliveryLogView{Entries: entries, Status: status,
		Statuses: statuses, Page: page, Total: total, Pages: int((total + deliveriesPerPage - 1) / deliveriesPerPage)})
}

// deliveryRetry queues a given-up delivery again, after the admin fixed
// its channel.
func (s *Server) deliveryRetry(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, errNotFound("delivery"))
		return
	}
	err = s.store.RetryDelivery(c.Request.Context(), id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		s.fail(c, errNotFound("delivery"))
	case errors.Is(err, models.ErrNotRetryable):
		s.fail(c, &appError{Status: http.StatusConflict, Code: "conflict", Message: err.Error()})
	case err != nil:
		s.fail(c, err)
	default:
		redirect(c, "/settings/reminders/deliveries", "Delivery queued again; it goes out within a minute.")
	}
}
