package server

import (
	"context"
	"strconv"

	"hindsight/models"
	"hindsight/postmortem"
)

// causeView is what an action's cause points at, as the action form shows
// it: "Addresses: Five Whys 1.2 — The payments pool was exhausted."
type causeView struct {
	Label string // "Five Whys 1.2", "Contributing factor 2 (Config change)"
	Text  string // the why's because (else its question), the factor's note
	Href  string // where it is written; "" when it no longer exists
}

// describeCause looks up the Five Whys step or factor an action's cause
// names; nil for no cause.
func (s *Server) describeCause(ctx context.Context, incidentID int64, cause string) (*causeView, error) {
	if cause == "" {
		return nil, nil
	}
	kind, id, ok := models.ParseActionCause(cause)
	if !ok {
		return &causeView{Label: "“" + cause + "”, which is not a cause"}, nil
	}
	base := "/incidents/" + itoa(incidentID) + "/write/"
	switch kind {
	case models.CauseWhy:
		whys, _, err := s.store.Whys(ctx, incidentID)
		if err != nil {
			return nil, err
		}
		step, found := whys.Find(id)
		if !found {
			return &causeView{Label: "a Five Whys step that no longer exists"}, nil
		}
		return &causeView{Label: "Five Whys " + step.Number, Text: whyText(step.WhyStep), Href: base + "whys#why-" + id}, nil
	default:
		factors, _, err := s.store.Factors(ctx, incidentID)
		if err != nil {
			return nil, err
		}
		cats, err := s.store.FactorCategories(ctx)
		if err != nil {
			return nil, err
		}
		for i, f := range factors.Items {
			if f.ID == id {
				return &causeView{Label: "Contributing factor " + strconv.Itoa(i+1) + " (" + categoryLabel(cats, f.Category) + ")",
					Text: f.Note, Href: base + "factors#factor-" + id}, nil
			}
		}
		return &causeView{Label: "a contributing factor that no longer exists"}, nil
	}
}

// whyText is a step as one line: its because, else its open question.
func whyText(s postmortem.WhyStep) string {
	if s.Because != "" {
		return s.Because
	}
	return s.Why
}

// causeReturn is where to go after adding an action for a cause: back to
// the step or factor it was added from; else fallback.
func causeReturn(incidentID int64, cause, fallback string) string {
	kind, id, ok := models.ParseActionCause(cause)
	switch {
	case !ok:
		return fallback
	case kind == models.CauseWhy:
		return "/incidents/" + itoa(incidentID) + "/write/whys#why-" + id
	default:
		return "/incidents/" + itoa(incidentID) + "/write/factors#factor-" + id
	}
}

// categoryLabel names a factor category; an unknown key is shown as is.
func categoryLabel(cats []postmortem.Category, key string) string {
	for _, c := range cats {
		if c.Key == key {
			return c.Label
		}
	}
	return key
}
