package server

import (
	"context"

	"hindsight/blameless"
	"hindsight/postmortem"
)

// fieldFindings is what the blameless-language checker flags in one saved
// field of a step.
type fieldFindings struct {
	Label    string
	Findings []blameless.Finding
}

// labelledText is one text field of a step, named for the author.
type labelledText struct{ label, text string }

// stepTexts lists the saved free-text fields of a step.
func stepTexts(st *postmortemState, step postmortem.Step) []labelledText {
	var out []labelledText
	switch step {
	case postmortem.StepSummary:
		out = append(out, labelledText{"Title", st.Incident.Title}, labelledText{"Summary", st.Incident.Summary})
	case postmortem.StepImpact:
		out = append(out, labelledText{"What users saw", st.Impact.WhatUsersSaw}, labelledText{"Data loss", st.Impact.DataLoss.Details})
	case postmortem.StepWhys:
		out = append(out, labelledText{"Problem statement", st.Whys.Problem})
		for _, s := range st.Whys.Flatten() {
			out = append(out, labelledText{"Five Whys " + s.Number + ": why", s.Why}, labelledText{"Five Whys " + s.Number + ": because", s.Because})
		}
	case postmortem.StepFactors:
		for _, f := range st.Factors.Items {
			out = append(out, labelledText{"Factor " + f.ID, f.Note})
		}
	case postmortem.StepLessons:
		for _, l := range st.Lessons.WentWell {
			out = append(out, labelledText{"Went well", l})
		}
		for _, l := range st.Lessons.WentWrong {
			out = append(out, labelledText{"Went wrong", l})
		}
		for _, l := range st.Lessons.Lucky {
			out = append(out, labelledText{"Got lucky", l})
		}
	}
	return out
}

// stepFindings checks every saved text of the step: the live preview
// covers the field being typed, this covers the whole step, including the
// short fields (a "because" is where blame most often hides).
func (s *Server) stepFindings(ctx context.Context, st *postmortemState, step postmortem.Step) ([]fieldFindings, error) {
	texts := stepTexts(st, step)
	if len(texts) == 0 {
		return nil, nil
	}
	checker, err := s.store.BlamelessChecker(ctx)
	if err != nil {
		return nil, err
	}
	var out []fieldFindings
	for _, t := range texts {
		if found := checker.Check(t.text); len(found) > 0 {
			out = append(out, fieldFindings{Label: t.label, Findings: found})
		}
	}
	return out, nil
}
