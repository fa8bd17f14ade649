package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/postmortem"
)

type historyView struct {
	Incident  *models.Incident
	Revisions []models.PostmortemRevision
}

// postmortemHistory lists who changed which section when.
func (s *Server) postmortemHistory(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	revs, err := s.store.PostmortemHistory(c.Request.Context(), inc.ID, 200)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "postmortem_history", "History · "+inc.Key(), historyView{Incident: inc, Revisions: revs})
}

type revisionView struct {
	Incident       *models.Incident
	Revision       *models.PostmortemRevision
	Previous       *models.PostmortemRevision
	Diffs          []postmortem.FieldDiff
	CurrentVersion int64
	NextVersion    int64
	IsLatest       bool
	CanRestore     bool
}

// loadRevision reads the revision named in the path, or answers 404.
func (s *Server) loadRevision(c *gin.Context, inc *models.Incident) *models.PostmortemRevision {
	section := c.Param("section")
	version, err := strconv.ParseInt(c.Param("version"), 10, 64)
	if err != nil || !slices.Contains(models.Sections, section) {
		s.fail(c, errNotFound("revision"))
		return nil
	}
	rev, err := s.store.SectionRevision(c.Request.Context(), inc.ID, section, version)
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("version "+c.Param("version")+" of the "+section))
		return nil
	} else if err != nil {
		s.fail(c, err)
		return nil
	}
	return rev
}

// postmortemRevision shows one saved version and what it changed.
func (s *Server) postmortemRevision(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	rev := s.loadRevision(c, inc)
	if rev == nil {
		return
	}
	ctx := c.Request.Context()
	revs, err := s.store.SectionRevisions(ctx, inc.ID, rev.Section)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := revisionView{Incident: inc, Revision: rev, CurrentVersion: revs[0].Version, NextVersion: revs[0].Version + 1}
	latest := revs[0].Version
	if rev.Section == models.SectionSummary {
		// The summary is versioned with the incident, which other edits
		// (key moments, the trigger) move on too.
		v.CurrentVersion, v.NextVersion = inc.Version, inc.Version+1
	}
	for i := range revs {
		if revs[i].Version < rev.Version {
			v.Previous = &revs[i]
			break
		}
	}
	before := ""
	if v.Previous != nil {
		before = v.Previous.Body
	}
	fields, _ := s.store.CustomFields(ctx)
	v.Diffs = diffBodies(rev.Section, before, rev.Body, fields)
	v.IsLatest = rev.Version == latest
	v.CanRestore = !v.IsLatest &&
		inc.Status != models.StatusPublished && models.RoleAtLeast(currentUser(c).Role, models.RoleEditor)
	s.render(c, http.StatusOK, "postmortem_revision", "Version "+itoa(rev.Version)+" · "+inc.Key(), v)
}

// diffBodies compares two stored JSON documents of a section.
func diffBodies(section, before, after string, fields []postmortem.CustomField) []postmortem.FieldDiff {
	switch section {
	case models.SectionImpact:
		return diffDocs(before, after, func(a, b postmortem.Impact) []postmortem.FieldDiff { return postmortem.DiffImpact(a, b, fields) })
	case models.SectionWhys:
		return diffDocs(before, after, postmortem.DiffWhys)
	case models.SectionFactors:
		return diffDocs(before, after, postmortem.DiffFactors)
	case models.SectionLessons:
		return diffDocs(before, after, postmortem.DiffLessons)
	case models.SectionSummary:
		return diffDocs(before, after, summaryDiff)
	}
	return nil
}

// diffDocs decodes two stored documents of one type and compares them.
func diffDocs[T any](before, after string, diff func(a, b T) []postmortem.FieldDiff) []postmortem.FieldDiff {
	var a, b T
	decodeBody(before, &a)
	decodeBody(after, &b)
	return diff(a, b)
}

// decodeBody reads a stored document; revisions are written by the store
// only, so an empty or unreadable one shows as empty.
func decodeBody(body string, v any) {
	if body != "" {
		_ = json.Unmarshal([]byte(body), v)
	}
}

// postmortemRestore saves an earlier version as the newest one, if the
// section is still at the version the page showed.
func (s *Server) postmortemRestore(c *gin.Context) {
	inc := s.loadIncident(c)
	if inc == nil {
		return
	}
	rev := s.loadRevision(c, inc)
	if rev == nil {
		return
	}
	current, err := strconv.ParseInt(c.PostForm("version"), 10, 64)
	if err != nil {
		s.fail(c, errBadRequest("the form lacks the version it was based on; reload the page"))
		return
	}
	if rev.Section == models.SectionSummary {
		var doc models.Summary
		decodeBody(rev.Body, &doc)
		_, err = s.store.SaveSummary(c.Request.Context(), inc, doc, current, authorName(c))
	} else {
		_, err = s.store.RestoreSection(c.Request.Context(), inc.ID, rev.Section, rev.Version, current, authorName(c))
	}
	switch {
	case errors.Is(err, models.ErrStale):
		s.fail(c, &appError{Status: http.StatusConflict, Code: "stale", Message: "someone saved this section since you opened this page; look at the history again before restoring"})
	case err != nil:
		s.fail(c, err)
	default:
		redirect(c, "/incidents/"+itoa(inc.ID)+"/write/"+rev.Section, "Version "+itoa(rev.Version)+" restored as the newest version.")
	}
}
