package postmortem

// Step is one step of the guided postmortem. Its string is what URLs, the
// API and template definitions use.
type Step string

// The steps, in the order of the full guide.
const (
	StepSummary  Step = "summary"
	StepImpact   Step = "impact"
	StepTimeline Step = "timeline"
	StepWhys     Step = "whys"
	StepFactors  Step = "factors"
	StepLessons  Step = "lessons"
	StepActions  Step = "actions"
	StepReview   Step = "review"
)

// StepInfo describes a step as the full guide numbers and names it. A
// template may leave steps out and retitle them (Template.Title); its own
// numbering is the position in Template.Steps (StepStatus.Number).
type StepInfo struct {
	Step   Step   `json:"step"`
	Number int    `json:"number"`
	Title  string `json:"title"`
}

// Steps lists every step in guide order. Treat it as read-only.
var Steps = []StepInfo{
	{StepSummary, 1, "Summary"},
	{StepImpact, 2, "Impact"},
	{StepTimeline, 3, "Timeline"},
	{StepWhys, 4, "Five Whys"},
	{StepFactors, 5, "Contributing factors"},
	{StepLessons, 6, "Lessons"},
	{StepActions, 7, "Corrective actions"},
	{StepReview, 8, "Review & publish"},
}

// ParseStep returns the step named s, exactly (case-sensitive, no
// trimming: step names come from URLs and stored templates, not from
// people typing).
func ParseStep(s string) (Step, bool) {
	for _, info := range Steps {
		if string(info.Step) == s {
			return info.Step, true
		}
	}
	return "", false
}

// Info returns the step's guide number and title; ok is false for an
// unknown step.
func (s Step) Info() (info StepInfo, ok bool) {
	for _, info := range Steps {
		if info.Step == s {
			return info, true
		}
	}
	return StepInfo{}, false
}
