package postmortem

import (
	"strconv"
	"strings"
)

// Snapshot is what the completeness check needs to know about an incident.
// The caller assembles it from the incident, its sections and its actions.
type Snapshot struct {
	Title    string
	Summary  string
	Severity string
	// HasKeyMoments: the key moments that bound the incident are set (the
	// caller's rule; started and resolved at least).
	HasKeyMoments   bool
	TimelineEntries int  // entries on the timeline
	HasTrigger      bool // a deploy or change is marked as the trigger
	// Impact as the impact step shows it, with the key-moment defaults
	// applied (Impact.WithDefaults): a start the page proposes counts.
	Impact                  Impact
	Whys                    Whys
	Factors                 Factors
	Lessons                 Lessons
	Actions                 int    // corrective actions, in any status
	OpenActionsWithoutOwner int    // open-like actions with neither owner nor team
	ReviewState             string // draft, in_review, approved or published (models.ReviewStatuses)
}

// StepStatus is where one step of a template stands.
type StepStatus struct {
	Step     Step   `json:"step"`
	Number   int    `json:"number"` // position in the template, from 1
	Title    string `json:"title"`  // the template's title for the step
	Prompt   string `json:"prompt"` // what good looks like, from the template
	Complete bool   `json:"complete"`
	// Missing says what keeps the step from being complete, as sentences
	// for the author ("say how many users were affected"); empty when
	// complete.
	Missing []string `json:"missing"`
	// Hints are suggestions that do not block completeness ("mark the
	// deploy or change that triggered it, if there was one").
	Hints []string `json:"hints"`
}

// reviewPublished is models.StatusPublished; this package stays free of
// the models package.
const reviewPublished = "published"

// Progress returns the status of each step of the template, in its order;
// steps the template does not know are skipped. A step is complete when
// nothing is missing:
//
//   - summary: a title, a summary and a severity.
//   - impact: of the fields the template shows, the start, the end, the
//     number of users affected and what users saw; and details when some
//     data was lost. Hints: how it was detected, whether data was lost.
//   - timeline: the key moments and at least one entry. Hint: the trigger.
//   - whys: a problem statement and at least one because. Hints: open
//     questions, and fewer than three levels.
//   - factors: at least one. Hint: Five Whys causes not listed yet.
//   - lessons: at least one thing that went wrong (there always is one,
//     or there would be no postmortem). Hints: went well, got lucky.
//   - actions: at least one, and every open one owned.
//   - review: published (a draft, in review or approved is missing the
//     rest of the workflow). Hint: other steps still incomplete.
func Progress(s Snapshot, t Template) []StepStatus {
	out := make([]StepStatus, 0, len(t.Steps))
	for _, step := range t.Steps {
		if _, ok := step.Info(); !ok {
			continue
		}
		st := StepStatus{Step: step, Number: len(out) + 1, Title: t.Title(step), Prompt: t.Prompt(step),
			Missing: []string{}, Hints: []string{}}
		need := func(cond bool, msg string) {
			if !cond {
				st.Missing = append(st.Missing, msg)
			}
		}
		hint := func(cond bool, msg string) {
			if !cond {
				st.Hints = append(st.Hints, msg)
			}
		}
		switch step {
		case StepSummary:
			need(!blank(s.Title), "give the incident a title")
			need(!blank(s.Summary), "write a short summary")
			need(!blank(s.Severity), "choose a severity")
		case StepImpact:
			im, shows := s.Impact, t.ShowsImpactField
			need(!shows(FieldStart) || im.Start != nil, "say when users were first affected")
			need(!shows(FieldEnd) || im.End != nil, "say when the impact on users ended")
			need(!shows(FieldUsersAffected) || im.UsersAffected.Count != nil, "say how many users were affected")
			need(!shows(FieldWhatUsersSaw) || !blank(im.WhatUsersSaw), "describe what users saw")
			need(!shows(FieldDataLoss) || im.DataLoss.Kind != DataLossSome || !blank(im.DataLoss.Details),
				"describe the data that was lost")
			hint(!shows(FieldDetection) || im.Detection.Method != "", "say how the incident was detected")
			hint(!shows(FieldDataLoss) || im.DataLoss.Kind != "", "say whether any data was lost")
		case StepTimeline:
			need(s.HasKeyMoments, "set the key moments: when it started and when it was resolved")
			need(s.TimelineEntries > 0, "add the events that matter to the timeline")
			hint(s.HasTrigger, "mark the deploy or change that triggered it, if there was one")
		case StepWhys:
			need(!blank(s.Whys.Problem), "state the problem the whys start from")
			need(hasCause(s.Whys), "answer at least one why with a because")
			open, levels := 0, 0
			for _, f := range s.Whys.Flatten() {
				if blank(f.Because) {
					open++
				}
				levels = max(levels, f.Depth+1)
			}
			hint(open == 0, plural(open, "one why is", "%d whys are")+" still unanswered")
			hint(levels == 0 || levels >= 3, "keep asking why: the first answers are rarely the deepest causes")
		case StepFactors:
			need(len(s.Factors.Items) > 0, "name at least one contributing factor")
			n := len(s.Factors.Suggestions(s.Whys))
			hint(n == 0, plural(n, "one cause", "%d causes")+" from the Five Whys "+plural(n, "is", "are")+" not listed as a factor yet")
		case StepLessons:
			need(len(s.Lessons.WentWrong) > 0, "say what went wrong")
			hint(len(s.Lessons.WentWell) > 0, "say what went well, so that it is kept")
			hint(len(s.Lessons.Lucky) > 0, "say where you got lucky, if anywhere")
		case StepActions:
			need(s.Actions > 0, "add at least one corrective action")
			need(s.OpenActionsWithoutOwner == 0, "give every open action an owner ("+
				plural(s.OpenActionsWithoutOwner, "one has", "%d have")+" none)")
		case StepReview:
			switch strings.TrimSpace(s.ReviewState) {
			case reviewPublished:
			case "in_review":
				need(false, "publish it once the review is done")
			case "approved":
				need(false, "publish it: every reviewer has approved")
			default:
				need(false, "send it for review, then publish it")
			}
		}
		st.Complete = len(st.Missing) == 0
		out = append(out, st)
	}
	// The review hint needs the other steps' results.
	for i := range out {
		if out[i].Step != StepReview {
			continue
		}
		open := 0
		for _, o := range out {
			if o.Step != StepReview && !o.Complete {
				open++
			}
		}
		if open > 0 && !out[i].Complete {
			out[i].Hints = append(out[i].Hints, plural(open, "one step is", "%d steps are")+" not complete yet")
		}
	}
	return out
}

// hasCause reports whether some step has a because.
func hasCause(w Whys) bool {
	for _, s := range w.Steps {
		if !blank(s.Because) {
			return true
		}
	}
	return false
}

// plural returns one when n is 1, else many with n in place of any %d.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return strings.ReplaceAll(many, "%d", strconv.Itoa(n))
}

// Tally counts the complete steps, for "5 of 8 steps complete".
func Tally(st []StepStatus) (complete, total int) {
	for _, s := range st {
		if s.Complete {
			complete++
		}
	}
	return complete, len(st)
}
