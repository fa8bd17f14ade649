package seeds

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"hindsight/actions"
	"hindsight/models"
)

// EvidenceAction is a corrective action in an evidence file, under
// actions:. Its title identifies it: an action is created only when its
// incident has none with that title, so actions edited in the app are left
// alone and a second load adds nothing.
type EvidenceAction struct {
	Title       string `yaml:"title"`
	Description string `yaml:"description"` // Markdown
	// Owner is the e-mail address of a user of users.yaml.
	Owner string `yaml:"owner"`
	Team  string `yaml:"team"`
	// Due is a calendar date, YYYY-MM-DD.
	Due      string `yaml:"due"`
	Priority string `yaml:"priority"` // P1–P4; P3 when empty
	Kind     string `yaml:"kind"`     // prevent when empty
	Status   string `yaml:"status"`   // open when empty
	// Reason says why a blocked or won't-do action is so; it is required
	// for those statuses and refused for the others.
	Reason       string `yaml:"reason"`
	Verification string `yaml:"verification"`
	TrackerURL   string `yaml:"tracker_url"`

	due *models.Date // Due, parsed
}

// checkActions validates the actions: list as CreateAction would, without
// a database; owners are the seed users' e-mail addresses and lines where
// the list's items begin.
func (ev *Evidence) checkActions(owners map[string]bool, lines []int) error {
	titles := map[string]int{}
	for i := range ev.Actions {
		if err := ev.Actions[i].check(owners); err != nil {
			return fmt.Errorf("actions[%d]%s: %w", i, lineOf(lines, i), err)
		}
		t := ev.Actions[i].Title
		if j, dup := titles[t]; dup {
			return fmt.Errorf("actions[%d]%s: title %q is also used by actions[%d] (the title identifies an action when the seed runs again)",
				i, lineOf(lines, i), t, j)
		}
		titles[t] = i
	}
	return nil
}

// check trims and validates a, and parses its due date.
func (a *EvidenceAction) check(owners map[string]bool) error {
	a.Title, a.Team = strings.TrimSpace(a.Title), strings.TrimSpace(a.Team)
	a.Owner, a.Due = models.NormalizeEmail(a.Owner), strings.TrimSpace(a.Due)
	a.Priority, a.Kind, a.Status = strings.TrimSpace(a.Priority), strings.TrimSpace(a.Kind), strings.TrimSpace(a.Status)
	a.Reason, a.TrackerURL = strings.TrimSpace(a.Reason), strings.TrimSpace(a.TrackerURL)
	if a.Priority == "" {
		a.Priority = actions.PriorityP3
	}
	if a.Kind == "" {
		a.Kind = actions.KindPrevent
	}
	if a.Status == "" {
		a.Status = actions.StatusOpen
	}
	switch {
	case a.Title == "":
		return errors.New("title: is required (it identifies the action when the seed runs again)")
	case len([]rune(a.Title)) > 300:
		return errors.New("title: is longer than 300 characters")
	case len(a.Team) > 100:
		return errors.New("team: is longer than 100 characters")
	case len(a.Description) > models.MaxSummaryLength:
		return errors.New("description: is too long")
	case len(a.Verification) > models.MaxSummaryLength:
		return errors.New("verification: is too long")
	case !actions.ValidPriority(a.Priority):
		return fmt.Errorf("priority: must be one of %s, not %q", strings.Join(actions.Priorities, ", "), a.Priority)
	case !actions.ValidKind(a.Kind):
		return fmt.Errorf("kind: must be one of %s, not %q", strings.Join(actions.Kinds, ", "), a.Kind)
	case !actions.ValidStatus(a.Status):
		return fmt.Errorf("status: must be one of %s, not %q", strings.Join(actions.Statuses, ", "), a.Status)
	case actions.NeedsReason(a.Status) && a.Reason == "":
		return fmt.Errorf("reason: is required for a %s action (say why)", a.Status)
	case !actions.NeedsReason(a.Status) && a.Reason != "":
		return fmt.Errorf("reason: only a blocked or wont_do action has one, not a %s one", a.Status)
	case a.Owner != "" && !owners[a.Owner]:
		return fmt.Errorf("owner: unknown e-mail %s (add it to %s)", a.Owner, usersFile)
	}
	if a.Due != "" {
		d, err := models.ParseDate(a.Due)
		if err != nil {
			return fmt.Errorf("due: %w", err)
		}
		a.due = &d
	}
	if _, err := actions.ParseTrackerURL(a.TrackerURL); err != nil {
		return fmt.Errorf("tracker_url: %w", err)
	}
	return nil
}

// input is what CreateAction takes for a; owners maps e-mails to user ids.
func (a *EvidenceAction) input(owners map[string]int64) models.ActionInput {
	in := models.ActionInput{Title: a.Title, Description: a.Description, Team: a.Team, DueDate: a.due,
		Priority: a.Priority, Kind: a.Kind, Status: a.Status, Reason: a.Reason, Verification: a.Verification,
		TrackerURL: a.TrackerURL}
	if a.Owner != "" {
		id := owners[a.Owner]
		in.OwnerID = &id
	}
	return in
}

// resolveOwners looks up the users that own the evidence's actions, by
// e-mail. Parse has checked that each is a seed user, so after the users
// are loaded a missing one is a bug or a concurrent deletion.
func resolveOwners(ctx context.Context, store *models.Store, evidence []Evidence) (map[string]int64, error) {
	seen := map[string]bool{}
	var emails []string
	for _, ev := range evidence {
		for _, a := range ev.Actions {
			if a.Owner != "" && !seen[a.Owner] {
				seen[a.Owner] = true
				emails = append(emails, a.Owner)
			}
		}
	}
	out := make(map[string]int64, len(emails))
	if len(emails) == 0 {
		return out, nil
	}
	sort.Strings(emails)
	users, missing, err := store.UsersByEmails(ctx, emails)
	if err != nil {
		return nil, fileErr(usersFile, fmt.Errorf("look up action owners: %w", err))
	}
	if len(missing) > 0 {
		return nil, fileErr(usersFile, fmt.Errorf("action owners %s are not in the database", strings.Join(missing, ", ")))
	}
	for _, u := range users {
		out[u.Email] = u.ID
	}
	return out, nil
}

// loadActions creates the evidence's actions that the incident has no
// action with the same title for.
func loadActions(ctx context.Context, store *models.Store, incidentID int64, ev *Evidence, owners map[string]int64, res *Result) error {
	if len(ev.Actions) == 0 {
		return nil
	}
	existing, err := store.IncidentActions(ctx, incidentID)
	if err != nil {
		return fmt.Errorf("read the actions: %w", err)
	}
	have := make(map[string]bool, len(existing))
	for _, a := range existing {
		have[strings.TrimSpace(a.Title)] = true
	}
	for i := range ev.Actions {
		a := &ev.Actions[i]
		if have[a.Title] {
			continue
		}
		if _, err := store.CreateAction(ctx, incidentID, a.input(owners), nil); err != nil {
			return fmt.Errorf("actions[%d]: %w", i, err)
		}
		have[a.Title] = true
		res.ActionsCreated++
	}
	return nil
}
