package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

// The sections of a postmortem in the API: GET and PUT of one document per
// section (impact, whys, factors, lessons), each with its own version and
// ETag, so that a write to one never makes another stale; their history,
// one revision, and restoring a revision as the next version.
//
// A section reads as its document's JSON members (package postmortem's
// shape) plus the read-only version, updated_at and updated_by. A PUT takes
// that same object back: the read-only members are ignored, any other
// unknown member is a 400 naming it.

// sectionKind is what the API needs to know about one section.
type sectionKind struct {
	name string       // models.SectionImpact, …
	doc  reflect.Type // postmortem.Impact, …
	save func(s *Server, ctx context.Context, incidentID int64, doc any, version int64, author string) (*models.PostmortemSection, error)
}

var sectionKinds = map[string]sectionKind{
	models.SectionImpact: {models.SectionImpact, reflect.TypeFor[postmortem.Impact](),
		func(s *Server, ctx context.Context, id int64, doc any, v int64, author string) (*models.PostmortemSection, error) {
			return s.store.SaveImpact(ctx, id, doc.(postmortem.Impact), v, author)
		}},
	models.SectionWhys: {models.SectionWhys, reflect.TypeFor[postmortem.Whys](),
		func(s *Server, ctx context.Context, id int64, doc any, v int64, author string) (*models.PostmortemSection, error) {
			return s.store.SaveWhys(ctx, id, doc.(postmortem.Whys), v, author)
		}},
	models.SectionFactors: {models.SectionFactors, reflect.TypeFor[postmortem.Factors](),
		func(s *Server, ctx context.Context, id int64, doc any, v int64, author string) (*models.PostmortemSection, error) {
			return s.store.SaveFactors(ctx, id, doc.(postmortem.Factors), v, author)
		}},
	models.SectionLessons: {models.SectionLessons, reflect.TypeFor[postmortem.Lessons](),
		func(s *Server, ctx context.Context, id int64, doc any, v int64, author string) (*models.PostmortemSection, error) {
			return s.store.SaveLessons(ctx, id, doc.(postmortem.Lessons), v, author)
		}},
}

// readOnlySectionFields come back from a GET and are ignored by a PUT.
var readOnlySectionFields = []string{"version", "updated_at", "updated_by"}

// sectionETag is the strong validator of one section of one incident:
// "impact-42-v3". Each section has its own, distinct from the incident's.
func sectionETag(section string, incidentID, version int64) string {
	return etag(section, incidentID, version)
}

// apiAuthor is who a save through the API is recorded as: the token's name.
func apiAuthor(c *gin.Context) string {
	if t := currentToken(c); t != nil {
		return "API token " + t.Name
	}
	return "API"
}

// sectionDoc decodes a stored body (empty: never saved) into the section's
// document, normalised so that lists are [] rather than null. For a stored
// current impact, prune drops the custom values that no longer fit the
// admin's fields, so that a GET never returns what a PUT would refuse.
func (s *Server) sectionDoc(ctx context.Context, k sectionKind, body string, prune bool) (any, error) {
	ptr := reflect.New(k.doc)
	if body != "" {
		if err := json.Unmarshal([]byte(body), ptr.Interface()); err != nil {
			return nil, fmt.Errorf("stored %s section: %w", k.name, err)
		}
	}
	if n, ok := ptr.Interface().(interface{ Normalize() }); ok {
		n.Normalize()
	}
	if imp, ok := ptr.Interface().(*postmortem.Impact); ok && prune {
		fields, err := s.store.CustomFields(ctx)
		if err != nil {
			return nil, err
		}
		imp.PruneCustom(fields)
	}
	return ptr.Elem().Interface(), nil
}

// docWithMeta returns the document's JSON object with meta members
// appended after its own, in order.
func docWithMeta(doc any, meta ...any) ([]byte, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, fmt.Errorf("a section document marshals to %q, not an object", b)
	}
	var out bytes.Buffer
	out.Write(b[:len(b)-1])
	empty := len(bytes.TrimSpace(b[1:len(b)-1])) == 0
	for i := 0; i+1 < len(meta); i += 2 {
		v, err := json.Marshal(meta[i+1])
		if err != nil {
			return nil, err
		}
		if !empty {
			out.WriteByte(',')
		}
		empty = false
		fmt.Fprintf(&out, "%q:%s", meta[i], v)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// writeSection answers with a section as saved and its ETag.
func (s *Server) writeSection(c *gin.Context, k sectionKind, sec *models.PostmortemSection) {
	doc, err := s.sectionDoc(c.Request.Context(), k, sec.Body, true)
	if err != nil {
		s.fail(c, err)
		return
	}
	var updatedAt *time.Time
	if sec.Version > 0 && !sec.UpdatedAt.IsZero() {
		t := apiTime(sec.UpdatedAt)
		updatedAt = &t
	}
	body, err := docWithMeta(doc, "version", sec.Version, "updated_at", updatedAt, "updated_by", sec.UpdatedBy)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", sectionETag(k.name, sec.IncidentID, sec.Version))
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// loadSection loads the incident of the path (404 when unknown) and the
// current state of one of its sections.
func (s *Server) loadSection(c *gin.Context, k sectionKind) (*models.Incident, *models.PostmortemSection) {
	inc := s.loadIncident(c)
	if inc == nil {
		return nil, nil
	}
	sec, err := s.store.Section(c.Request.Context(), inc.ID, k.name)
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("incident "+inc.Key()))
		return nil, nil
	}
	if err != nil {
		s.fail(c, err)
		return nil, nil
	}
	return inc, sec
}

// apiSectionGet answers GET /api/v1/incidents/:id/{section}.
func (s *Server) apiSectionGet(section string) gin.HandlerFunc {
	k := sectionKinds[section]
	return func(c *gin.Context) {
		if _, sec := s.loadSection(c, k); sec != nil {
			s.writeSection(c, k, sec)
		}
	}
}

// apiSectionPut answers PUT /api/v1/incidents/:id/{section}: the whole
// document, at the version of If-Match.
func (s *Server) apiSectionPut(section string) gin.HandlerFunc {
	k := sectionKinds[section]
	return func(c *gin.Context) {
		inc, sec := s.loadSection(c, k)
		if sec == nil {
			return
		}
		if err := ifMatch(c, sectionETag(k.name, inc.ID, sec.Version), true); err != nil {
			s.fail(c, err)
			return
		}
		obj, err := readJSONObject(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		doc, err := decodeSection(k, obj)
		if err != nil {
			s.fail(c, err)
			return
		}
		saved, err := k.save(s, c.Request.Context(), inc.ID, doc, sec.Version, apiAuthor(c))
		if err != nil {
			s.fail(c, err)
			return
		}
		s.writeSection(c, k, saved)
	}
}

// decodeSection turns a JSON object into the section's document. The
// read-only members are dropped; every other member must be one of the
// document's, at every level, and of the right type: errors name the
// member by its path ("users_affected.count", "steps[2].evidence[0]").
func decodeSection(k sectionKind, obj map[string]json.RawMessage) (any, error) {
	for _, key := range readOnlySectionFields {
		delete(obj, key)
	}
	if err := checkObject(obj, k.doc, "", "the "+k.name+" section"); err != nil {
		return nil, err
	}
	clean, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	ptr := reflect.New(k.doc)
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ptr.Interface()); err != nil {
		// checkObject has seen every member: this is a safety net.
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			return nil, fieldError(typ.Field, "must be "+jsonKind(typ.Type))
		}
		return nil, errBadRequest("the %s section could not be read: %v", k.name, err)
	}
	return ptr.Elem().Interface(), nil
}

var timeType = reflect.TypeFor[time.Time]()

// apiTime is a stored time as the API shows it: UTC, to the microsecond,
// which is what PostgreSQL keeps. A save answers with the same time as the
// GET after it, on both databases.
func apiTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// checkObject checks the members of a JSON object against the struct t.
func checkObject(obj map[string]json.RawMessage, t reflect.Type, path, what string) error {
	members := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		members[name] = f.Type
	}
	keys := make([]string, 0, len(obj))
	for key := range obj {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		p := joinPath(path, key)
		ft, ok := members[key]
		if !ok {
			known := make([]string, 0, len(members))
			for m := range members {
				known = append(known, m)
			}
			slices.Sort(known)
			return fieldError(p, fmt.Sprintf("is not a member of %s (use %s)", what, strings.Join(known, ", ")))
		}
		if err := checkValue(obj[key], ft, p); err != nil {
			return err
		}
	}
	return nil
}

// checkValue checks one JSON value against the Go type it decodes into.
// null is accepted everywhere, as encoding/json does: it leaves the zero
// value, which Normalize and Validate then judge.
func checkValue(raw json.RawMessage, t reflect.Type, path string) error {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	if t == timeType {
		var tm time.Time
		if json.Unmarshal(raw, &tm) != nil {
			return fieldError(path, "must be an RFC 3339 time such as 2024-03-15T11:45:00Z, or null")
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return checkValue(raw, t.Elem(), path)
	case reflect.Interface:
		return nil
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return fieldError(path, "must be an object")
		}
		return checkObject(obj, t, path, path)
	case reflect.Map:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return fieldError(path, "must be an object")
		}
		if t.Elem().Kind() == reflect.Interface {
			return nil
		}
		for key, v := range obj {
			if err := checkValue(v, t.Elem(), joinPath(path, key)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return fieldError(path, "must be "+jsonKind(t))
		}
		for i, it := range items {
			if err := checkValue(it, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if json.Unmarshal(raw, reflect.New(t).Interface()) != nil {
		return fieldError(path, "must be "+jsonKind(t))
	}
	return nil
}

// jsonKind names the JSON a Go type takes, for error messages.
func jsonKind(t reflect.Type) string {
	switch {
	case t == timeType:
		return "an RFC 3339 time such as 2024-03-15T11:45:00Z, or null"
	case t.Kind() == reflect.Pointer:
		return jsonKind(t.Elem()) + " or null"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		switch e := t.Elem(); e.Kind() {
		case reflect.Struct:
			return "an array of objects"
		case reflect.String:
			return "an array of strings"
		default:
			if k := jsonKind(e); k == "a whole number" {
				return "an array of whole numbers"
			}
			return "an array"
		}
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a JSON value of another type"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// --- history ---

type revisionJSON struct {
	Section      string    `json:"section"`
	Version      int64     `json:"version"`
	Author       string    `json:"author"`
	At           time.Time `json:"at"`
	RestoredFrom *int64    `json:"restored_from"`
}

// apiPostmortemHistory answers GET /api/v1/incidents/:id/history: the
// latest revisions of every section, newest first, or of one (?section=).
func (s *Server) apiPostmortemHistory(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	section := c.Query("section")
	if section != "" && !containsString(models.Sections, section) {
		s.fail(c, fieldError("section", "use one of "+strings.Join(models.Sections, ", ")))
		return
	}
	limit, err := queryInt(c, "limit", 50, 500)
	if err != nil {
		s.fail(c, err)
		return
	}
	var revs []models.PostmortemRevision
	if section != "" {
		revs, err = s.store.SectionRevisions(c.Request.Context(), inc.ID, section)
		if len(revs) > limit {
			revs = revs[:limit]
		}
	} else {
		revs, err = s.store.PostmortemHistory(c.Request.Context(), inc.ID, limit)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]revisionJSON, 0, len(revs))
	for _, r := range revs {
		out = append(out, revisionJSON{Section: r.Section, Version: r.Version, Author: r.Author, At: apiTime(r.At), RestoredFrom: r.RestoredFrom})
	}
	c.JSON(http.StatusOK, gin.H{"revisions": out})
}

// revisionParam reads the :version of the path.
func revisionParam(c *gin.Context) (int64, error) {
	v, err := strconv.ParseInt(c.Param("version"), 10, 64)
	if err != nil || v <= 0 {
		return 0, fieldError("version", fmt.Sprintf("%q is not a version: use a whole number from 1", c.Param("version")))
	}
	return v, nil
}

// apiSectionRevision answers GET /api/v1/incidents/:id/{section}/versions/:version:
// that revision's document with its version, updated_at (when it was
// saved), updated_by and restored_from.
func (s *Server) apiSectionRevision(section string) gin.HandlerFunc {
	k := sectionKinds[section]
	return func(c *gin.Context) {
		inc := s.loadIncident(c)
		if inc == nil {
			return
		}
		v, err := revisionParam(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		rev, err := s.store.SectionRevision(c.Request.Context(), inc.ID, k.name, v)
		if errors.Is(err, models.ErrNotFound) {
			s.fail(c, errNotFound(fmt.Sprintf("version %d of the %s section of %s", v, k.name, inc.Key())))
			return
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		doc, err := s.sectionDoc(c.Request.Context(), k, rev.Body, false)
		if err != nil {
			s.fail(c, err)
			return
		}
		body, err := docWithMeta(doc, "version", rev.Version, "updated_at", apiTime(rev.At), "updated_by", rev.Author,
			"restored_from", rev.RestoredFrom)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", body)
	}
}

// apiSectionRestore answers POST /api/v1/incidents/:id/{section}/versions/:version/restore:
// the revision's document becomes the section's next version. If-Match
// must carry the section's current ETag.
func (s *Server) apiSectionRestore(section string) gin.HandlerFunc {
	k := sectionKinds[section]
	return func(c *gin.Context) {
		inc, sec := s.loadSection(c, k)
		if sec == nil {
			return
		}
		v, err := revisionParam(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		if err := ifMatch(c, sectionETag(k.name, inc.ID, sec.Version), true); err != nil {
			s.fail(c, err)
			return
		}
		restored, err := s.store.RestoreSection(c.Request.Context(), inc.ID, k.name, v, sec.Version, apiAuthor(c))
		if errors.Is(err, models.ErrNotFound) {
			s.fail(c, errNotFound(fmt.Sprintf("version %d of the %s section of %s", v, k.name, inc.Key())))
			return
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		s.writeSection(c, k, restored)
	}
}
