package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/timeline"
)

type entryJSON struct {
	ID        int64              `json:"id"`
	Kind      string             `json:"kind"` // event or note
	At        time.Time          `json:"at"`
	Title     string             `json:"title"`
	Note      string             `json:"note"`
	Highlight bool               `json:"highlight"`
	Hidden    bool               `json:"hidden"`
	Version   int64              `json:"version"`
	Event     *eventJSON         `json:"event"`
	History   []statusChangeJSON `json:"history,omitempty"`
}

func toEntryJSON(e *models.TimelineEntry, hist []models.EventStatusChange) entryJSON {
	out := entryJSON{ID: e.ID, Kind: "note", At: e.When(), Title: e.DisplayTitle(), Note: e.Note, Highlight: e.Highlight,
		Hidden: e.Hidden, Version: e.Version}
	if e.Event != nil {
		ev := toEventJSON(e.Event)
		out.Kind, out.Event = "event", &ev
		for _, h := range hist {
			out.History = append(out.History, statusChangeJSON{Status: h.Status, At: h.At, ReceivedAt: h.ReceivedAt})
		}
	}
	return out
}

func entryETag(e *models.TimelineEntry) string { return etag("entry", e.ID, e.Version) }

type momentsJSON struct {
	Started      *time.Time `json:"started"`
	Detected     *time.Time `json:"detected"`
	Acknowledged *time.Time `json:"acknowledged"`
	Mitigated    *time.Time `json:"mitigated"`
	Resolved     *time.Time `json:"resolved"`
}

func toMomentsJSON(m timeline.Moments) momentsJSON {
	return momentsJSON{Started: m.Started, Detected: m.Detected, Acknowledged: m.Acknowledged, Mitigated: m.Mitigated, Resolved: m.Resolved}
}

type suggestionJSON struct {
	Moment  string    `json:"moment"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason"`
	EventID int64     `json:"event_id,omitempty"`
}

type durationsJSON struct {
	TimeToDetect      *int64 `json:"time_to_detect_seconds"`
	TimeToAcknowledge *int64 `json:"time_to_acknowledge_seconds"`
	TimeToMitigate    *int64 `json:"time_to_mitigate_seconds"`
	TimeToResolve     *int64 `json:"time_to_resolve_seconds"`
	Impact            *int64 `json:"impact_seconds"`
	DetectionGap      string `json:"detection_gap"`
}

func seconds(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	s := int64(d.Seconds())
	return &s
}

type suspectJSON struct {
	Event   eventJSON `json:"event"`
	Score   float64   `json:"score"`
	Reasons []string  `json:"reasons"`
	Trigger bool      `json:"trigger"`
}

func (s *Server) apiTimelineGet(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	window, err := s.suspectWindow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.buildTimeline(c.Request.Context(), inc, time.UTC, window)
	if err != nil {
		s.fail(c, err)
		return
	}
	entries := make([]entryJSON, 0, len(v.Entries))
	for i := range v.Entries {
		entries = append(entries, toEntryJSON(&v.Entries[i].TimelineEntry, v.Entries[i].History))
	}
	suggestions := make([]suggestionJSON, 0, len(v.Suggestions))
	for _, sg := range v.Suggestions {
		suggestions = append(suggestions, suggestionJSON{Moment: sg.Moment, At: sg.At, Reason: sg.Reason, EventID: sg.EventID})
	}
	suspects := make([]suspectJSON, 0, len(v.Suspects))
	for _, sp := range v.Suspects {
		ev, err := s.store.EventByID(c.Request.Context(), sp.Event.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		suspects = append(suspects, suspectJSON{Event: toEventJSON(ev), Score: sp.Score, Reasons: sp.Reasons,
			Trigger: inc.TriggerEventID != nil && *inc.TriggerEventID == ev.ID})
	}
	d := v.Durations
	c.Header("ETag", incidentETag(inc))
	c.JSON(http.StatusOK, gin.H{
		"entries": entries, "key_moments": toMomentsJSON(v.Moments), "suggestions": suggestions, "suspects": suspects,
		"durations": durationsJSON{TimeToDetect: seconds(d.TimeToDetect), TimeToAcknowledge: seconds(d.TimeToAcknowledge),
			TimeToMitigate: seconds(d.TimeToMitigate), TimeToResolve: seconds(d.TimeToResolve), Impact: seconds(d.Impact),
			DetectionGap: d.DetectionGap},
		"suspect_window_minutes": int(window.Minutes()), "trigger_event_id": inc.TriggerEventID,
	})
}

// apiTimelineImport adds the events of a filter; the default window is the
// incident's (2 h before impact to 30 min after resolution).
func (s *Server) apiTimelineImport(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	obj, err := readJSONObject(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	// Defaults as on the import page: the incident's window and services.
	f := models.ImportFilter{Services: inc.Services}
	f.From, f.To = models.DefaultImportWindow(inc, s.store.Now())
	for key, raw := range obj {
		switch key {
		case "from", "to":
			t, err := decodeTime(raw)
			if err != nil {
				s.fail(c, fieldError(key, err.Error()))
				return
			}
			if t != nil && key == "from" {
				f.From = *t
			} else if t != nil {
				f.To = *t
			}
		case "services", "environments", "kinds":
			var list []string
			if err := decodeStrings(raw, &list); err != nil {
				s.fail(c, fieldError(key, err.Error()))
				return
			}
			switch key {
			case "services":
				f.Services = list
			case "environments":
				f.Environments = list
			default:
				for _, k := range list {
					if !containsString([]string{"alert", "deploy", "change", "note"}, k) {
						s.fail(c, fieldError("kinds", "use alert, deploy, change or note"))
						return
					}
				}
				f.Kinds = list
			}
		default:
			s.fail(c, fieldError(key, "is not a field of an import: use from, to, services, environments, kinds"))
			return
		}
	}
	candidates, err := s.store.ImportCandidates(c.Request.Context(), inc.ID, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	ids := make([]int64, 0, len(candidates))
	for _, cand := range candidates {
		if !cand.AlreadyAdded {
			ids = append(ids, cand.Event.ID)
		}
	}
	added := []models.TimelineEntry{}
	if len(ids) > 0 {
		if added, err = s.store.AddTimelineEvents(c.Request.Context(), inc.ID, ids, nil); err != nil {
			s.fail(c, err)
			return
		}
	}
	out := make([]entryJSON, 0, len(added))
	for i := range added {
		out = append(out, toEntryJSON(&added[i], nil))
	}
	c.JSON(http.StatusOK, gin.H{"added": out, "already_on_timeline": len(candidates) - len(ids)})
}

func (s *Server) apiNoteCreate(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	var body struct {
		At        *time.Time `json:"at"`
		Title     string     `json:"title"`
		Note      string     `json:"note"`
		Highlight bool       `json:"highlight"`
		Hidden    bool       `json:"hidden"`
	}
	if err := decodeStrict(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	n := models.NoteInput{Title: body.Title, Note: body.Note, Highlight: body.Highlight, Hidden: body.Hidden}
	if body.At != nil {
		n.At = *body.At
	}
	entry, err := s.store.AddNote(c.Request.Context(), inc.ID, n, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", entryETag(entry))
	c.JSON(http.StatusCreated, toEntryJSON(entry, nil))
}

// decodeStrict decodes a JSON object into dst, refusing unknown fields and
// naming the field of a type error.
func decodeStrict(c *gin.Context, dst any) error {
	obj, err := readJSONObject(c)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(obj)
	dec := json.NewDecoder(bytesReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return fieldError(typ.Field, "has the wrong type: "+typ.Value+" where "+typ.Type.String()+" was expected")
		}
		var perr *time.ParseError
		if errors.As(err, &perr) {
			return errBadRequest("a time is not RFC 3339: %v", err)
		}
		return errBadRequest("%v", err)
	}
	return nil
}

func (s *Server) apiEntryPatch(c *gin.Context) {
	inc, e := s.loadEntry(c)
	if e == nil {
		return
	}
	if err := ifMatch(c, entryETag(e), true); err != nil {
		s.fail(c, err)
		return
	}
	var body struct {
		At        *time.Time `json:"at"`
		Title     *string    `json:"title"`
		Note      *string    `json:"note"`
		Highlight *bool      `json:"highlight"`
		Hidden    *bool      `json:"hidden"`
	}
	if err := decodeStrict(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.store.UpdateTimelineEntry(c.Request.Context(), inc.ID, e.ID, e.Version,
		models.EntryPatch{At: body.At, Title: body.Title, Note: body.Note, Highlight: body.Highlight, Hidden: body.Hidden}, nil)
	if errors.Is(err, models.ErrNotANote) {
		s.fail(c, &appError{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: err.Error(), Fields: map[string]string{"at": err.Error()}})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", entryETag(updated))
	c.JSON(http.StatusOK, toEntryJSON(updated, nil))
}

func (s *Server) apiEntryDelete(c *gin.Context) {
	inc, e := s.loadEntry(c)
	if e == nil {
		return
	}
	if err := ifMatch(c, entryETag(e), false); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.DeleteTimelineEntry(c.Request.Context(), inc.ID, e.ID, nil); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// apiKeyMomentsPut sets the key moments; every field is optional (absent or
// null clears it, except started), and an order violation is a 422 naming
// the moment.
func (s *Server) apiKeyMomentsPut(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	if err := ifMatch(c, incidentETag(inc), false); err != nil {
		s.fail(c, err)
		return
	}
	var body momentsJSON
	if err := decodeStrict(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	m := timeline.Moments{Started: body.Started, Detected: body.Detected, Acknowledged: body.Acknowledged,
		Mitigated: body.Mitigated, Resolved: body.Resolved}
	if m.Started == nil {
		m.Started = &inc.StartedAt
	}
	updated, err := s.store.SetKeyMoments(c.Request.Context(), inc.ID, m, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", incidentETag(updated))
	c.JSON(http.StatusOK, toMomentsJSON(incidentMoments(updated)))
}

func (s *Server) apiTriggerPut(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	var body struct {
		EventID *int64 `json:"event_id"`
	}
	if err := decodeStrict(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.SetTrigger(c.Request.Context(), inc.ID, body.EventID, nil); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"trigger_event_id": body.EventID})
}
