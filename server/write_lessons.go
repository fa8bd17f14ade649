package server

import (
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/postmortem"
)

func init() {
	stepDefs[postmortem.StepLessons] = stepDef{form: lessonsFormOf, save: saveLessons, diff: diffLessons}
}

// lessonsForm holds the three lists, one lesson per line.
type lessonsForm struct{ WentWell, WentWrong, Lucky string }

func lessonsFormOf(_ *Server, _ *gin.Context, v *writeView) any {
	l := v.Lessons
	return lessonsForm{WentWell: strings.Join(l.WentWell, "\n"), WentWrong: strings.Join(l.WentWrong, "\n"), Lucky: strings.Join(l.Lucky, "\n")}
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- ")); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func saveLessons(s *Server, c *gin.Context, v *writeView, version int64) (any, any, error) {
	f := lessonsForm{WentWell: c.PostForm("went_well"), WentWrong: c.PostForm("went_wrong"), Lucky: c.PostForm("lucky")}
	doc := postmortem.Lessons{WentWell: lines(f.WentWell), WentWrong: lines(f.WentWrong), Lucky: lines(f.Lucky)}
	_, err := s.store.SaveLessons(c.Request.Context(), v.Incident.ID, doc, version, authorName(c))
	return f, doc, err
}

func diffLessons(_ *Server, _ *gin.Context, v *writeView, yours any) []postmortem.FieldDiff {
	return postmortem.DiffLessons(v.Lessons, yours.(postmortem.Lessons))
}
