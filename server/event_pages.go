package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"hindsight/models"
)

type eventListView struct {
	Page      *models.EventPage
	Filter    models.EventFilter
	From, To  string // as typed, for the datetime inputs
	Query     map[string][]string
	Polling   bool
	Kinds     []string
	FirstPage bool
}

func (s *Server) eventList(c *gin.Context) {
	zone := s.viewerZone(c)
	f, err := eventFilterFromQuery(c, zone)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.ListEvents(c.Request.Context(), f)
	if errors.Is(err, models.ErrBadCursor) {
		s.fail(c, errBadRequest("%s", err.Error()))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "event_list", "Events", eventListView{
		Page: page, Filter: f, From: c.Query("from"), To: c.Query("to"), Query: c.Request.URL.Query(),
		Kinds: []string{"alert", "deploy", "change", "note"}, FirstPage: f.Cursor == "",
	})
}

type labelPair struct{ Key, Value string }

type eventView struct {
	Event    *models.Event
	Labels   []labelPair
	History  []models.EventStatusChange
	Delivery *models.Delivery
	Payload  string // indented for reading
}

func (s *Server) eventShow(c *gin.Context) {
	ev, hist := s.loadEvent(c)
	if ev == nil {
		return
	}
	v := eventView{Event: ev, History: hist}
	for k, val := range ev.LabelMap() {
		v.Labels = append(v.Labels, labelPair{k, val})
	}
	sort.Slice(v.Labels, func(i, j int) bool { return v.Labels[i].Key < v.Labels[j].Key })
	if ev.LastDeliveryID != nil {
		d, err := s.store.DeliveryByID(c.Request.Context(), *ev.LastDeliveryID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			s.fail(c, err)
			return
		}
		if d != nil {
			v.Delivery = d
			var buf bytes.Buffer
			if json.Indent(&buf, []byte(d.Payload), "", "  ") == nil {
				v.Payload = buf.String()
			} else {
				v.Payload = d.Payload
			}
		}
	}
	s.render(c, http.StatusOK, "event_show", ev.Title, v)
}
