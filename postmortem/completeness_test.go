package postmortem

import (
	"reflect"
	"strings"
	"testing"
)

// completeSnapshot has everything every template asks for.
func completeSnapshot() Snapshot {
	return Snapshot{
		Title: "Checkout 502s", Summary: "Checkout failed for 67 minutes after a pool size change.", Severity: "SEV2",
		HasKeyMoments: true, TimelineEntries: 14, HasTrigger: true,
		Impact: fullImpact(), Whys: sampleWhys(),
		Factors: Factors{Items: []Factor{
			{ID: "f1", Category: "deploy", WhyStepID: "w3"}, {ID: "f2", Category: "capacity", WhyStepID: "w4"},
			{ID: "f3", Category: "response_gap", WhyStepID: "w5"}, {ID: "f4", Category: "detection_gap", WhyStepID: "w6"},
		}},
		Lessons: sampleLessons(), Actions: 4, ReviewState: "published",
	}
}

// draftSnapshot is a postmortem just started: an incident with a title, an
// imported timeline without a trigger, and a first why.
func draftSnapshot() Snapshot {
	return Snapshot{
		Title: "Checkout 502s", Severity: "SEV2", TimelineEntries: 3,
		Impact: Impact{Start: utcAt(11, 45), End: utcAt(12, 52), DataLoss: DataLoss{Kind: DataLossSome}},
		Whys: Whys{Steps: []WhyStep{
			{ID: "w1", Why: "Why did checkout fail?", Because: "Payments returned 502s."},
			{ID: "w2", ParentID: "w1", Why: "Why?"},
		}},
		Lessons:                 Lessons{WentWell: []string{"Fast rollback."}},
		Actions:                 3,
		OpenActionsWithoutOwner: 2,
		ReviewState:             "draft",
	}
}

// summarize writes each status on one line: "3 Timeline ✓" or
// "3 Timeline ✗ missing; missing | hint; hint".
func summarize(st []StepStatus) []string {
	var out []string
	for _, s := range st {
		line := strings.Join([]string{itoa(s.Number), string(s.Step), s.Title}, " ")
		if s.Complete {
			line += " ✓"
		} else {
			line += " ✗ " + strings.Join(s.Missing, "; ")
		}
		if len(s.Hints) > 0 {
			line += " | " + strings.Join(s.Hints, "; ")
		}
		out = append(out, line)
	}
	return out
}

func itoa(n int) string { return string(rune('0' + n)) }

func TestProgress(t *testing.T) {
	full, short, public := DefaultTemplates()[0], DefaultTemplates()[1], DefaultTemplates()[2]
	tests := []struct {
		name string
		snap Snapshot
		tpl  Template
		want []string
	}{
		{"complete, full", completeSnapshot(), full, []string{
			"1 summary Summary ✓",
			"2 impact Impact ✓",
			"3 timeline Timeline ✓",
			"4 whys Five Whys ✓",
			"5 factors Contributing factors ✓",
			"6 lessons Lessons ✓",
			"7 actions Corrective actions ✓",
			"8 review Review & publish ✓",
		}},
		{"complete, public", completeSnapshot(), public, []string{
			"1 summary Summary ✓",
			"2 impact What users saw ✓",
			"3 timeline What happened ✓",
			"4 actions What we are doing ✓",
			"5 review Review & publish ✓",
		}},
		{"draft, full", draftSnapshot(), full, []string{
			"1 summary Summary ✗ write a short summary",
			"2 impact Impact ✗ say how many users were affected; describe what users saw; describe the data that was lost" +
				" | say how the incident was detected",
			"3 timeline Timeline ✗ set the key moments: when it started and when it was resolved" +
				" | mark the deploy or change that triggered it, if there was one",
			"4 whys Five Whys ✗ state the problem the whys start from" +
				" | one why is still unanswered; keep asking why: the first answers are rarely the deepest causes",
			"5 factors Contributing factors ✗ name at least one contributing factor",
			"6 lessons Lessons ✗ say what went wrong | say where you got lucky, if anywhere",
			"7 actions Corrective actions ✗ give every open action an owner (2 have none)",
			"8 review Review & publish ✗ send it for review, then publish it | 7 steps are not complete yet",
		}},
		{"draft, short", draftSnapshot(), short, []string{
			"1 summary Summary ✗ write a short summary",
			// The short template shows neither data loss nor its details.
			"2 impact Impact ✗ say how many users were affected; describe what users saw | say how the incident was detected",
			"3 timeline Timeline ✗ set the key moments: when it started and when it was resolved" +
				" | mark the deploy or change that triggered it, if there was one",
			"4 whys Five Whys ✗ state the problem the whys start from" +
				" | one why is still unanswered; keep asking why: the first answers are rarely the deepest causes",
			"5 actions Corrective actions ✗ give every open action an owner (2 have none)",
			"6 review Review & publish ✗ send it for review, then publish it | 5 steps are not complete yet",
		}},
		{"draft, public", draftSnapshot(), public, []string{
			"1 summary Summary ✗ write a short summary",
			"2 impact What users saw ✗ describe what users saw",
			"3 timeline What happened ✗ set the key moments: when it started and when it was resolved" +
				" | mark the deploy or change that triggered it, if there was one",
			"4 actions What we are doing ✗ give every open action an owner (2 have none)",
			"5 review Review & publish ✗ send it for review, then publish it | 4 steps are not complete yet",
		}},
		{"empty, full", Snapshot{}, full, []string{
			"1 summary Summary ✗ give the incident a title; write a short summary; choose a severity",
			"2 impact Impact ✗ say when users were first affected; say when the impact on users ended; " +
				"say how many users were affected; describe what users saw" +
				" | say how the incident was detected; say whether any data was lost",
			"3 timeline Timeline ✗ set the key moments: when it started and when it was resolved; add the events that matter to the timeline" +
				" | mark the deploy or change that triggered it, if there was one",
			"4 whys Five Whys ✗ state the problem the whys start from; answer at least one why with a because",
			"5 factors Contributing factors ✗ name at least one contributing factor",
			"6 lessons Lessons ✗ say what went wrong | say what went well, so that it is kept; say where you got lucky, if anywhere",
			"7 actions Corrective actions ✗ add at least one corrective action",
			"8 review Review & publish ✗ send it for review, then publish it | 7 steps are not complete yet",
		}},
	}
	for _, tt := range tests {
		got := summarize(Progress(tt.snap, tt.tpl))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
		}
	}
}

func TestProgressDetails(t *testing.T) {
	full := DefaultTemplates()[0]
	s := completeSnapshot()
	s.ReviewState = "in_review"
	s.OpenActionsWithoutOwner = 1
	s.Factors.Items = s.Factors.Items[:2] // w5 and w6 not listed
	st := Progress(s, full)
	byStep := map[Step]StepStatus{}
	for _, x := range st {
		byStep[x.Step] = x
		if x.Prompt != full.Prompt(x.Step) || x.Missing == nil || x.Hints == nil {
			t.Errorf("%s: prompt or lists not set: %+v", x.Step, x)
		}
	}
	if got := byStep[StepReview].Missing; !reflect.DeepEqual(got, []string{"publish it once the review is done"}) {
		t.Errorf("review in progress: %q", got)
	}
	if got := byStep[StepReview].Hints; !reflect.DeepEqual(got, []string{"one step is not complete yet"}) {
		t.Errorf("review hints: %q", got)
	}
	if got := byStep[StepActions].Missing; !reflect.DeepEqual(got, []string{"give every open action an owner (one has none)"}) {
		t.Errorf("actions: %q", got)
	}
	if got := byStep[StepFactors].Hints; !reflect.DeepEqual(got, []string{"2 causes from the Five Whys are not listed as a factor yet"}) {
		t.Errorf("factor hints: %q", got)
	}
	if done, total := Tally(st); done != 6 || total != 8 {
		t.Errorf("Tally = %d of %d, want 6 of 8", done, total)
	}

	// Unknown steps in a stored template are skipped, numbers stay dense.
	odd := Template{Steps: []Step{StepSummary, "mystery", StepReview}}
	st = Progress(completeSnapshot(), odd)
	if len(st) != 2 || st[1].Step != StepReview || st[1].Number != 2 {
		t.Errorf("with an unknown step: %+v", st)
	}
}
