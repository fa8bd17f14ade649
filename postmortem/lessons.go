package postmortem

import (
	"fmt"
)

// Lessons is the lessons step, saved as one section: three lists in the
// order the authors wrote them. "Where we got lucky" has its own list
// because a near miss that went fine this time is a risk that has not been
// dealt with; mixing it into "went well" hides it.
type Lessons struct {
	WentWell  []string `json:"went_well"`
	WentWrong []string `json:"went_wrong"`
	Lucky     []string `json:"lucky"`
}

// MaxLessons bounds each list.
const MaxLessons = 100

// Normalize trims every lesson and drops blank ones, in place; nil lists
// become empty (so the JSON holds []). Repeated lessons are kept: two
// authors may make the same point on purpose.
func (l *Lessons) Normalize() {
	l.WentWell = trimList(l.WentWell, false)
	l.WentWrong = trimList(l.WentWrong, false)
	l.Lucky = trimList(l.Lucky, false)
}

// Validate returns the problems by path, nil when valid: at most
// MaxLessons per list ("went_wrong"), each lesson non-blank and at most
// MaxTextLength characters ("went_wrong[3]").
func (l Lessons) Validate() FieldErrors {
	var fe FieldErrors
	for _, list := range []struct {
		path  string
		items []string
	}{{"went_well", l.WentWell}, {"went_wrong", l.WentWrong}, {"lucky", l.Lucky}} {
		if len(list.items) > MaxLessons {
			fe.add(list.path, fmt.Sprintf("list at most %d", MaxLessons))
		}
		for i, s := range list.items {
			p := indexPath(list.path, i)
			if blank(s) {
				fe.add(p, "write the lesson or remove it")
			}
			checkLength(&fe, p, s, MaxTextLength)
		}
	}
	return fe.orNil()
}
