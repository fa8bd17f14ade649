package postmortem

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FieldDiff is one field that differs between two versions of a section,
// for the history page ("who changed which section when").
type FieldDiff struct {
	// Path names the field. Items that can move are keyed by id, not by
	// position, since positions shift between versions:
	// "what_users_saw", "custom.region", "steps[id=w3].because",
	// "items[id=f2].note", "went_wrong".
	Path  string   `json:"path"`
	Label string   `json:"label"` // for people: "What users saw", "Step 1.2: because"
	Ops   []DiffOp `json:"ops"`   // Diff of the old and new text; a field that appears or goes is all insert or delete
}

// field is one field of a section written as text.
type field struct{ path, label, text string }

// diffFields compares two renderings, in the order of the new one with the
// fields that only the old one has placed where they were.
func diffFields(old, new []field) []FieldDiff {
	oldBy := make(map[string]field, len(old))
	for _, f := range old {
		oldBy[f.path] = f
	}
	newBy := make(map[string]field, len(new))
	for _, f := range new {
		newBy[f.path] = f
	}
	var order []field
	oi := 0
	flushGone := func() {
		for ; oi < len(old); oi++ {
			if _, kept := newBy[old[oi].path]; kept {
				return
			}
			order = append(order, old[oi])
		}
	}
	for _, f := range new {
		flushGone()
		if oi < len(old) && old[oi].path == f.path {
			oi++
		}
		order = append(order, f)
	}
	for ; oi < len(old); oi++ {
		if _, kept := newBy[old[oi].path]; !kept {
			order = append(order, old[oi])
		}
	}
	var out []FieldDiff
	for _, f := range order {
		o, n := oldBy[f.path].text, newBy[f.path].text
		if o != n {
			out = append(out, FieldDiff{Path: f.path, Label: f.label, Ops: Diff(o, n)})
		}
	}
	return out
}

// lines writes a list one item per line.
func lines(items []string) string { return strings.Join(items, "\n") }

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func intText(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

func floatText(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// DiffImpact lists the impact fields that differ, each written as text:
// times in RFC 3339, numbers in decimal, lists one item per line, custom
// values by FormatValue under "custom.KEY" (labelled from fields when the
// field is known).
func DiffImpact(old, new Impact, fields []CustomField) []FieldDiff {
	return diffFields(impactFields(old, fields), impactFields(new, fields))
}

func impactFields(i Impact, fields []CustomField) []field {
	out := []field{
		{FieldStart, "Impact start", timeText(i.Start)},
		{FieldEnd, "Impact end", timeText(i.End)},
		{"users_affected.count", "Users affected", intText(i.UsersAffected.Count)},
		{"users_affected.qualifier", "Users affected: exact, at least or estimate", i.UsersAffected.Qualifier},
		{"customers.count", "Customers affected", intText(i.Customers.Count)},
		{"customers.names", "Customer names", lines(i.Customers.Names)},
		{FieldServices, "Services affected", lines(i.Services)},
		{FieldFeatures, "Features affected", lines(i.Features)},
		{FieldWhatUsersSaw, "What users saw", i.WhatUsersSaw},
		{"detection.method", "Detection method", i.Detection.Method},
		{"detection.link", "Detection link", i.Detection.Link},
		{FieldSLOBudgetPct, "Error budget consumed (%)", floatText(i.SLOBudgetPct)},
		{"data_loss.kind", "Data loss", i.DataLoss.Kind},
		{"data_loss.details", "Data loss details", i.DataLoss.Details},
		{FieldSupportTickets, "Support tickets", intText(i.SupportTickets)},
	}
	for _, k := range slices.Sorted(maps.Keys(i.Custom)) {
		label := k
		if f, ok := findField(fields, k); ok {
			label = f.Label
		}
		out = append(out, field{FieldCustom + "." + k, label, FormatValue(i.Custom[k])})
	}
	return out
}

// DiffWhys lists the problem statement and the step fields that differ.
// Steps are matched by id and labelled with their number in the version
// that has them (the new one when both do). Reordering steps among their
// siblings changes no field and is not listed; a change of parent is.
func DiffWhys(old, new Whys) []FieldDiff {
	return diffFields(whysFields(old), whysFields(new))
}

func whysFields(w Whys) []field {
	out := []field{{"problem", "Problem", w.Problem}}
	flat := w.Flatten()
	shown := make(map[int]bool, len(flat))
	add := func(s WhyStep, number string) {
		p := "steps[id=" + s.ID + "]"
		label := "Step " + number + ": "
		ev := make([]string, len(s.Evidence))
		for i, e := range s.Evidence {
			ev[i] = strconv.FormatInt(e, 10)
		}
		out = append(out,
			field{p + ".parent_id", label + "cause of", s.ParentID},
			field{p + ".why", label + "why", s.Why},
			field{p + ".because", label + "because", s.Because},
			field{p + ".evidence", label + "evidence", strings.Join(ev, ", ")})
	}
	for _, f := range flat {
		shown[f.Index] = true
		add(f.WhyStep, f.Number)
	}
	for i, s := range w.Steps { // steps a loop keeps out of the tree
		if !shown[i] {
			add(s, "?")
		}
	}
	return dedupeFields(out)
}

// dedupeFields keeps the first field of each path: invalid sections may
// repeat an id.
func dedupeFields(fs []field) []field {
	seen := make(map[string]bool, len(fs))
	return slices.DeleteFunc(fs, func(f field) bool {
		if seen[f.path] {
			return true
		}
		seen[f.path] = true
		return false
	})
}

// DiffFactors lists the factor fields that differ, factors matched by id
// and labelled by their position ("Factor 2: note"). Categories are
// compared by key; the page can show their labels.
func DiffFactors(old, new Factors) []FieldDiff {
	return diffFields(factorFields(old), factorFields(new))
}

func factorFields(f Factors) []field {
	var out []field
	for i, it := range f.Items {
		p := "items[id=" + it.ID + "]"
		label := "Factor " + strconv.Itoa(i+1) + ": "
		out = append(out,
			field{p + ".category", label + "category", it.Category},
			field{p + ".note", label + "note", it.Note},
			field{p + ".why_step_id", label + "Five Whys step", it.WhyStepID})
	}
	return dedupeFields(out)
}

// DiffLessons lists the lists that differ, each written one lesson per
// line so that an added or edited lesson shows as such.
func DiffLessons(old, new Lessons) []FieldDiff {
	return diffFields(lessonFields(old), lessonFields(new))
}

func lessonFields(l Lessons) []field {
	return []field{
		{"went_well", "What went well", lines(l.WentWell)},
		{"went_wrong", "What went wrong", lines(l.WentWrong)},
		{"lucky", "Where we got lucky", lines(l.Lucky)},
	}
}
