package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/timeline"
)

type timelinePage struct {
	*timelineView
	List         []entryRow
	TopSuspects  []timeline.Suspect // the page shows the best-ranked; the API returns all
	MoreSuspects int
	ListTotal    int
	ListPage     int
	ListPages    int
	Query        map[string][]string
	Lane, Kind   string
	Errors       map[string]string
	MomentsForm  map[string]string // typed key-moment values, on a 422
	NoteForm     map[string]string // typed note, on a 422
	NoteAt       string
	CanEdit      bool
	WindowMins   int
	MomentNames  []string
	Cited        map[int64][]whyCite // Five Whys steps citing each entry
}

// suspectsShown is how many ranked suspects the page lists; the rest score
// lower still and are counted.
const suspectsShown = 15

// listPageSize bounds the rows of the evidence list on one page; the chart
// always shows everything.
const listPageSize = 500

// suspectWindow reads ?window= (minutes) or uses the configured default.
func (s *Server) suspectWindow(c *gin.Context) (time.Duration, error) {
	raw := c.Query("window")
	if raw == "" {
		return s.cfg.SuspectWindow, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 7*24*60 {
		return 0, fieldError("window", "minutes before impact, from 1 to 10080")
	}
	return time.Duration(n) * time.Minute, nil
}

func (s *Server) timelineShow(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	s.renderTimeline(c, http.StatusOK, inc, nil, nil, nil)
}

func (s *Server) renderTimeline(c *gin.Context, status int, inc *models.Incident, errs, momentsForm, noteForm map[string]string) {
	window, err := s.suspectWindow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	zone := s.viewerZone(c)
	v, err := s.buildTimeline(c.Request.Context(), inc, zone, window)
	if err != nil {
		s.fail(c, err)
		return
	}
	lane, kind := c.Query("lane"), c.Query("kind")
	rows := listRows(v.Entries, lane, kind, zone)
	pageNo, _ := strconv.Atoi(c.Query("page"))
	pages := max(1, (len(rows)+listPageSize-1)/listPageSize)
	pageNo = min(max(pageNo, 1), pages)
	shown := rows[(pageNo-1)*listPageSize : min(pageNo*listPageSize, len(rows))]
	top := v.Suspects[:min(len(v.Suspects), suspectsShown)]
	whys, _, err := s.store.Whys(c.Request.Context(), inc.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := timelinePage{timelineView: v, TopSuspects: top, MoreSuspects: len(v.Suspects) - len(top), List: shown, ListTotal: len(rows), ListPage: pageNo, ListPages: pages,
		Query: c.Request.URL.Query(), Lane: lane, Kind: kind,
		Errors: errs, MomentsForm: momentsForm, NoteForm: noteForm, NoteAt: s.store.Now().In(zone).Format(datetimeLocal),
		CanEdit: models.RoleAtLeast(currentUser(c).Role, models.RoleEditor), WindowMins: int(window.Minutes()),
		MomentNames: timeline.MomentNames, Cited: whyCitations(whys)}
	s.render(c, status, "timeline", inc.Key()+" timeline", page)
}

// keyMomentsSubmit accepts one suggestion (accept=<moment> or all) or takes
// the typed values; an order violation re-renders with 422 and nothing is
// saved.
func (s *Server) keyMomentsSubmit(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	zone := s.viewerZone(c)
	m := incidentMoments(inc)
	form := map[string]string{}
	errs := map[string]string{}
	if accept := c.PostForm("accept"); accept != "" {
		v, err := s.buildTimeline(c.Request.Context(), inc, zone, s.cfg.SuspectWindow)
		if err != nil {
			s.fail(c, err)
			return
		}
		found := false
		for _, sug := range v.Suggestions {
			if accept == "all" || accept == sug.Moment {
				at := sug.At
				*momentField(&m, sug.Moment) = &at
				found = true
			}
		}
		if !found {
			s.fail(c, errBadRequest("there is no suggestion for %q to accept", accept))
			return
		}
	} else {
		for _, name := range timeline.MomentNames {
			raw := c.PostForm(name)
			form[name] = raw
			t, ok := parseLocal(raw, zone, name, errs)
			if ok {
				*momentField(&m, name) = t
			}
		}
	}
	if len(errs) == 0 {
		_, err := s.store.SetKeyMoments(c.Request.Context(), inc.ID, m, currentUser(c))
		if ae := classify(err); err != nil && ae.Fields != nil {
			errs = ae.Fields
		} else if err != nil {
			s.fail(c, err)
			return
		}
	}
	if len(errs) > 0 {
		s.renderTimeline(c, http.StatusUnprocessableEntity, inc, errs, form, nil)
		return
	}
	redirect(c, timelinePath(inc.ID), "Key moments saved.")
}

func momentField(m *timeline.Moments, name string) **time.Time {
	switch name {
	case timeline.Started:
		return &m.Started
	case timeline.Detected:
		return &m.Detected
	case timeline.Acknowledged:
		return &m.Acknowledged
	case timeline.Mitigated:
		return &m.Mitigated
	}
	return &m.Resolved
}

func timelinePath(id int64) string { return "/incidents/" + itoa(id) + "/timeline" }

func (s *Server) triggerSubmit(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	var eventID *int64
	if raw := c.PostForm("event_id"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			s.fail(c, errBadRequest("%q is not an event id", raw))
			return
		}
		eventID = &id
	}
	if err := s.store.SetTrigger(c.Request.Context(), inc.ID, eventID, currentUser(c)); err != nil {
		s.fail(c, err)
		return
	}
	msg := "Trigger cleared."
	if eventID != nil {
		msg = "Marked as the trigger; the timeline highlights it."
	}
	redirect(c, timelinePath(inc.ID), msg)
}

func (s *Server) noteCreate(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	errs := map[string]string{}
	n := models.NoteInput{Title: c.PostForm("title"), Note: c.PostForm("note"), Highlight: c.PostForm("highlight") != "", Hidden: c.PostForm("hidden") != ""}
	if t, ok := parseLocal(c.PostForm("at"), s.viewerZone(c), "at", errs); ok && t != nil {
		n.At = *t
	}
	var err error
	if len(errs) == 0 {
		_, err = s.store.AddNote(c.Request.Context(), inc.ID, n, currentUser(c))
	}
	if ae := classify(err); err != nil && ae.Fields != nil {
		errs = ae.Fields
	} else if err != nil {
		s.fail(c, err)
		return
	}
	if len(errs) > 0 {
		prefixed := map[string]string{}
		for k, v := range errs {
			prefixed["note_"+k] = v
		}
		s.renderTimeline(c, http.StatusUnprocessableEntity, inc, prefixed, nil, map[string]string{"title": n.Title, "note": n.Note, "at": c.PostForm("at")})
		return
	}
	redirect(c, timelinePath(inc.ID)+"#entries", "Note added.")
}

type entryForm struct {
	Incident *models.Incident
	Entry    *models.TimelineEntry
	At       string
	Errors   map[string]string
	Conflict bool
}

func (s *Server) loadEntry(c *gin.Context) (*models.Incident, *models.TimelineEntry) {
	inc := s.loadIncident(c)
	if inc == nil {
		return nil, nil
	}
	id, err := strconv.ParseInt(c.Param("entry"), 10, 64)
	if err != nil {
		s.fail(c, errBadRequest("%q is not an entry id", c.Param("entry")))
		return nil, nil
	}
	e, err := s.store.TimelineEntry(c.Request.Context(), inc.ID, id)
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("timeline entry "+c.Param("entry")))
		return nil, nil
	}
	if err != nil {
		s.fail(c, err)
		return nil, nil
	}
	return inc, e
}

func (s *Server) entryEdit(c *gin.Context) {
	inc, e := s.loadEntry(c)
	if e == nil {
		return
	}
	s.render(c, http.StatusOK, "timeline_entry", "Edit timeline entry", entryForm{Incident: inc, Entry: e, At: localInput(e.At, s.viewerZone(c))})
}

func (s *Server) entryUpdate(c *gin.Context) {
	inc, e := s.loadEntry(c)
	if e == nil {
		return
	}
	version, _ := strconv.ParseInt(c.PostForm("version"), 10, 64)
	title, note := c.PostForm("title"), c.PostForm("note")
	highlight, hidden := c.PostForm("highlight") != "", c.PostForm("hidden") != ""
	p := models.EntryPatch{Title: &title, Note: &note, Highlight: &highlight, Hidden: &hidden}
	errs := map[string]string{}
	if e.IsNote() {
		if t, ok := parseLocal(c.PostForm("at"), s.viewerZone(c), "at", errs); ok && t != nil {
			p.At = t
		}
	}
	var err error
	if len(errs) == 0 {
		_, err = s.store.UpdateTimelineEntry(c.Request.Context(), inc.ID, e.ID, version, p, currentUser(c))
	}
	form := entryForm{Incident: inc, Entry: e, At: c.PostForm("at"), Errors: errs}
	form.Entry.Title, form.Entry.Note, form.Entry.Highlight, form.Entry.Hidden = title, note, highlight, hidden
	switch ae := classify(err); {
	case errors.Is(err, models.ErrStale):
		form.Conflict = true
		latest, lerr := s.store.TimelineEntry(c.Request.Context(), inc.ID, e.ID)
		if lerr != nil {
			s.fail(c, lerr)
			return
		}
		form.Entry.Version = latest.Version
		s.render(c, http.StatusConflict, "timeline_entry", "Edit timeline entry", form)
		return
	case err != nil && ae.Fields != nil:
		form.Errors = ae.Fields
	case err != nil:
		s.fail(c, err)
		return
	}
	if len(form.Errors) > 0 {
		s.render(c, http.StatusUnprocessableEntity, "timeline_entry", "Edit timeline entry", form)
		return
	}
	redirect(c, timelinePath(inc.ID)+"#entry-"+itoa(e.ID), "Entry saved.")
}

func (s *Server) entryDelete(c *gin.Context) {
	inc, e := s.loadEntry(c)
	if e == nil {
		return
	}
	if err := s.store.DeleteTimelineEntry(c.Request.Context(), inc.ID, e.ID, currentUser(c)); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, timelinePath(inc.ID)+"#entries", "Entry removed from the timeline; the event itself is kept.")
}

// importView is the import form and its preview.
type importView struct {
	Incident     *models.Incident
	From, To     string
	Services     string
	Environments string
	Kinds        []string
	AllKinds     []string
	Previewed    bool
	Groups       []importGroup
	Total, New   int
	Errors       map[string]string
	Zone         string
}

type importGroup struct {
	Service    string
	Candidates []models.ImportCandidate
}

// importFilter reads the import form (query or post) in the viewer's zone.
func (s *Server) importFilter(c *gin.Context, inc *models.Incident, get func(string) string, getAll func(string) []string) (models.ImportFilter, importView, map[string]string) {
	zone := s.viewerZone(c)
	defFrom, defTo := models.DefaultImportWindow(inc, s.store.Now())
	v := importView{Incident: inc, AllKinds: []string{"alert", "deploy", "change", "note"}, Zone: zone.String(),
		From: get("from"), To: get("to"), Services: get("services"), Environments: get("environments"), Kinds: getAll("kinds")}
	if v.From == "" {
		v.From = defFrom.In(zone).Format(datetimeLocal)
	}
	if v.To == "" {
		v.To = defTo.In(zone).Format(datetimeLocal)
	}
	if get("services") == "" && get("preview") == "" && len(getAll("event_ids")) == 0 {
		v.Services = strings.Join(inc.Services, ", ")
	}
	errs := map[string]string{}
	f := models.ImportFilter{Services: splitList(strings.ToLower(v.Services)), Environments: splitList(v.Environments), Kinds: v.Kinds}
	if t, ok := parseLocal(v.From, zone, "from", errs); ok && t != nil {
		f.From = *t
	}
	if t, ok := parseLocal(v.To, zone, "to", errs); ok && t != nil {
		f.To = *t
	}
	for _, k := range f.Kinds {
		if !containsString(v.AllKinds, k) {
			errs["kinds"] = "choose among alert, deploy, change and note"
		}
	}
	return f, v, errs
}

func (s *Server) importForm(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	f, v, errs := s.importFilter(c, inc, c.Query, c.QueryArray)
	if len(errs) == 0 && c.Query("preview") != "" {
		candidates, err := s.store.ImportCandidates(c.Request.Context(), inc.ID, f)
		if ae := classify(err); err != nil && ae.Fields != nil {
			errs = ae.Fields
		} else if err != nil {
			s.fail(c, err)
			return
		}
		v.Previewed = true
		byService := map[string]*importGroup{}
		var order []string
		for _, cand := range candidates {
			name := laneName(&cand.Event)
			g, ok := byService[name]
			if !ok {
				g = &importGroup{Service: name}
				byService[name] = g
				order = append(order, name)
			}
			g.Candidates = append(g.Candidates, cand)
			v.Total++
			if !cand.AlreadyAdded {
				v.New++
			}
		}
		for _, name := range order {
			v.Groups = append(v.Groups, *byService[name])
		}
	}
	v.Errors = errs
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(c, status, "timeline_import", "Import events into "+inc.Key(), v)
}

// importSubmit adds the chosen events (event_ids), or with all=1 every
// event of the filter.
func (s *Server) importSubmit(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	var ids []int64
	if c.PostForm("all") != "" {
		f, _, errs := s.importFilter(c, inc, c.PostForm, c.PostFormArray)
		if len(errs) > 0 {
			s.fail(c, &appError{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: "the import filter is not valid", Fields: errs})
			return
		}
		candidates, err := s.store.ImportCandidates(c.Request.Context(), inc.ID, f)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, cand := range candidates {
			ids = append(ids, cand.Event.ID)
		}
	} else {
		for _, raw := range c.PostFormArray("event_ids") {
			id, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				s.fail(c, errBadRequest("%q is not an event id", raw))
				return
			}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		s.fail(c, &appError{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: "choose at least one event to add"})
		return
	}
	added, err := s.store.AddTimelineEvents(c.Request.Context(), inc.ID, ids, currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, timelinePath(inc.ID), plural(len(added), "event", "events")+" added to the timeline.")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return itoa(int64(n)) + " " + many
}
