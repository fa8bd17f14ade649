package postmortem

import (
	"slices"
	"strings"
)

// Template decides which steps a postmortem walks through, what each is
// called, the prompt that says what good looks like, and which impact
// fields appear. Admins may define their own next to DefaultTemplates.
type Template struct {
	Key         string `json:"key"`  // a slug: "full"
	Name        string `json:"name"` // "Full review"
	Description string `json:"description"`
	Steps       []Step `json:"steps"` // in order; the review step last
	// Titles renames steps for this template ("What happened" for the
	// timeline of a public postmortem); a step not listed keeps its guide
	// title (Step.Info).
	Titles map[Step]string `json:"titles"`
	// Prompts says, per step, what a good answer looks like. Plain text.
	Prompts map[Step]string `json:"prompts"`
	// ImpactFields are the impact fields the impact step shows, by JSON
	// name (AllImpactFields); empty shows them all. FieldCustom stands for
	// every admin-defined field.
	ImpactFields []string `json:"impact_fields"`
	// Public templates are written for readers outside the company:
	// exports leave out internal data (Impact.Public, hidden timeline
	// entries) and the prompts speak to that audience.
	Public bool `json:"public"`
}

// Limits on templates.
const (
	MaxPromptLength      = 1000
	MaxTitleLength       = 60
	MaxDescriptionLength = 1000
)

// Has reports whether the template includes the step.
func (t Template) Has(s Step) bool { return slices.Contains(t.Steps, s) }

// Title returns the step's title in this template: its own, else the
// guide's, else the step name.
func (t Template) Title(s Step) string {
	if title := t.Titles[s]; title != "" {
		return title
	}
	if info, ok := s.Info(); ok {
		return info.Title
	}
	return string(s)
}

// Prompt returns the step's prompt, "" when there is none.
func (t Template) Prompt(s Step) string { return t.Prompts[s] }

// ShowsImpactField reports whether the impact step shows this field
// (a JSON name such as "users_affected"); false when the template has no
// impact step.
func (t Template) ShowsImpactField(name string) bool {
	if !t.Has(StepImpact) {
		return false
	}
	if len(t.ImpactFields) == 0 {
		return slices.Contains(AllImpactFields, name)
	}
	return slices.Contains(t.ImpactFields, name)
}

// Validate checks an admin-defined template and returns the problems by
// path, nil when valid: key a slug ("key"); name present, one line, at
// most MaxLabelLength characters ("name"); description at most
// MaxDescriptionLength ("description"); steps known, each once, with the
// review step present and last ("steps", "steps[2]"); titles and prompts
// only for the template's steps, titles one line of at most MaxTitleLength,
// prompts at most MaxPromptLength ("titles.timeline", "prompts.whys");
// impact fields known, each once, and only with an impact step
// ("impact_fields", "impact_fields[1]").
func (t Template) Validate() FieldErrors {
	var fe FieldErrors
	if !validKey(t.Key) {
		fe.add("key", keyRule)
	}
	switch {
	case blank(t.Name):
		fe.add("name", "enter a name")
	case hasControl(t.Name) || strings.ContainsAny(t.Name, "\r\n"):
		fe.add("name", "use a single line")
	}
	checkLength(&fe, "name", t.Name, MaxLabelLength)
	checkLength(&fe, "description", t.Description, MaxDescriptionLength)

	if len(t.Steps) == 0 {
		fe.add("steps", "choose the steps, ending with the review")
	}
	inTemplate := map[Step]bool{}
	for i, s := range t.Steps {
		p := indexPath("steps", i)
		switch _, known := ParseStep(string(s)); {
		case !known:
			fe.add(p, "unknown step")
		case repeated(inTemplate, s):
			fe.add(p, "this step is already listed")
		case s == StepReview && i != len(t.Steps)-1:
			fe.add(p, "the review step comes last")
		}
	}
	if len(t.Steps) > 0 && !inTemplate[StepReview] {
		fe.add("steps", "end with the review step: it is where the postmortem is published")
	}

	for s, title := range t.Titles {
		p := "titles." + string(s)
		switch {
		case !inTemplate[s]:
			fe.add(p, "this step is not in the template")
		case blank(title):
			fe.add(p, "enter a title, or remove it to use the standard one")
		case hasControl(title) || strings.ContainsAny(title, "\r\n"):
			fe.add(p, "use a single line")
		}
		checkLength(&fe, p, title, MaxTitleLength)
	}
	for s, prompt := range t.Prompts {
		p := "prompts." + string(s)
		if !inTemplate[s] {
			fe.add(p, "this step is not in the template")
		}
		checkLength(&fe, p, prompt, MaxPromptLength)
	}

	if len(t.ImpactFields) > 0 && !inTemplate[StepImpact] {
		fe.add("impact_fields", "the template has no impact step")
	}
	listed := map[string]bool{}
	for i, f := range t.ImpactFields {
		p := indexPath("impact_fields", i)
		switch {
		case !slices.Contains(AllImpactFields, f):
			fe.add(p, "unknown field")
		case repeated(listed, f):
			fe.add(p, "this field is already listed")
		}
	}
	return fe.orNil()
}

// TemplateByKey returns the template with this key.
func TemplateByKey(ts []Template, key string) (Template, bool) {
	i := slices.IndexFunc(ts, func(t Template) bool { return t.Key == key })
	if i < 0 {
		return Template{}, false
	}
	return ts[i], true
}

// DefaultTemplates returns the three templates every installation has, in
// the order to offer them: "full", "short" and "public". Fresh values each
// time, for the caller to edit.
func DefaultTemplates() []Template {
	return []Template{fullTemplate(), shortTemplate(), publicTemplate()}
}

// fullTemplate walks every step. Its prompts follow the spirit of the
// example postmortem in Google's SRE book: blameless, quantified, evidence
// first, several causes rather than one, and actions that are owned and
// checkable.
func fullTemplate() Template {
	return Template{
		Key:  "full",
		Name: "Full review",
		Description: "Every step, for significant incidents and anything worth learning from in depth: " +
			"impact in numbers, a timeline from evidence, causes as a tree, lessons and owned actions.",
		Steps: []Step{StepSummary, StepImpact, StepTimeline, StepWhys, StepFactors, StepLessons, StepActions, StepReview},
		Prompts: map[Step]string{
			StepSummary: "In three or four sentences, tell a colleague from another team what broke, for how long, " +
				"who was affected, how it was noticed and how it was brought back. Name the service, not the people. " +
				"Leave the analysis to the later steps; this is what someone reads when they have one minute.",
			StepImpact: "Measure the damage as users lived it: when it started and ended for them, how many users and " +
				"which customers, what they saw (errors, slowness, wrong or missing data), and what it cost: error " +
				"budget, support tickets, data. Say how sure each number is; an honest estimate beats a precise guess. " +
				"Note how the incident was detected and link to the alert or report.",
			StepTimeline: "Rebuild what happened from evidence (alerts, deploys, chat, dashboards) with times in UTC. " +
				"Mark the key moments (started, detected, acknowledged, mitigated, resolved) and the change that " +
				"triggered it, if any. Record what responders believed at each point and why, including the dead ends: " +
				"the gap between belief and reality is usually where the lessons are.",
			StepWhys: "Start from the problem as users saw it and keep asking why until you reach causes the team can " +
				"change. When something had more than one cause, branch instead of picking one. Stop at systems and " +
				"processes, never at a person: \"the deploy pipeline let an untested config through\" leads to a fix, " +
				"\"someone made a mistake\" does not. Cite timeline entries as evidence for each because.",
			StepFactors: "List everything that made the incident possible, bigger or longer: the trigger, and the gaps " +
				"in detection, response and process that let it grow. Several factors are normal; complex systems " +
				"rarely fail for a single reason. Say in a sentence how each one contributed.",
			StepLessons: "What went well, so it is kept; what went wrong, so it is fixed; and where you got lucky, " +
				"because luck that helped this time is a risk next time. Be concrete: \"the rollback took four minutes " +
				"because the runbook had the exact command\" teaches more than \"good teamwork\".",
			StepActions: "Each action should prevent a recurrence, shrink the impact, or speed up detection or " +
				"response. Make it specific enough that anyone can tell when it is done, give it an owner and a due " +
				"date, and link it to the cause it addresses. A few actions that will be done beat a long wish list.",
			StepReview: "Ask the responders and someone outside the team to review it. Check the facts against the " +
				"evidence and the tone against the blameless standard: systems and decisions, not people; no " +
				"speculation presented as fact. Then publish it so that other teams can learn from it too.",
		},
		ImpactFields: slices.Clone(AllImpactFields),
	}
}

// shortTemplate keeps the steps that matter for a small incident.
func shortTemplate() Template {
	return Template{
		Key:  "short",
		Name: "Short review",
		Description: "For smaller incidents: what happened and to whom, why, and what will change. " +
			"Fifteen minutes for the author, two for the reader.",
		Steps: []Step{StepSummary, StepImpact, StepTimeline, StepWhys, StepActions, StepReview},
		Prompts: map[Step]string{
			StepSummary:  "Two or three sentences: what broke, for how long, and how it was fixed.",
			StepImpact:   "When users were affected, roughly how many, and what they saw. An estimate is fine; say so.",
			StepTimeline: "The key moments from the evidence, in UTC, and the trigger if there was one.",
			StepWhys: "Ask why until you reach something the team can change. Several causes are fine; " +
				"none of them should be a person.",
			StepActions: "One to three specific actions with an owner and a due date, each tied to a cause.",
			StepReview:  "Have one person who was not involved read it, then publish it.",
		},
		ImpactFields: []string{FieldStart, FieldEnd, FieldUsersAffected, FieldWhatUsersSaw, FieldDetection},
	}
}

// publicTemplate is the three-part shape customers read: summary, what
// happened, what we are doing.
func publicTemplate() Template {
	return Template{
		Key:  "public",
		Name: "Public incident report",
		Description: "For customers and the public, in three parts: a summary, what happened and what we are doing. " +
			"Internal names and data are left out of its export.",
		Steps: []Step{StepSummary, StepImpact, StepTimeline, StepActions, StepReview},
		Titles: map[Step]string{
			StepImpact:   "What users saw",
			StepTimeline: "What happened",
			StepActions:  "What we are doing",
		},
		Prompts: map[Step]string{
			StepSummary: "In plain words, say what happened, when, and who was affected, and apologise where it is due. " +
				"Write for a customer, not an engineer: no internal system names, no jargon, no blame.",
			StepImpact: "Describe what customers experienced, in their terms (errors, delays, data they could not " +
				"reach) and for how long, with times and their time zone. Never name other customers.",
			StepTimeline: "Explain how the incident unfolded and what caused it, at a level a customer can follow. " +
				"Leave out people's names, internal tools and anything that would help an attacker. " +
				"Only the timeline entries that are not hidden are published.",
			StepActions: "Say what you are changing so that this does not happen again, in terms of what it means " +
				"for customers. Promise only what you will deliver, and when.",
			StepReview: "Have it read by someone who was not involved and by whoever approves public communication, " +
				"then publish it.",
		},
		ImpactFields: []string{FieldStart, FieldEnd, FieldWhatUsersSaw},
		Public:       true,
	}
}
