package postmortem

import (
	"reflect"
	"strings"
	"testing"
)

// changed lists the diffs as "path (label): old → new".
func changed(diffs []FieldDiff) []string {
	var out []string
	for _, d := range diffs {
		var o, n strings.Builder
		for _, op := range d.Ops {
			if op.Kind != DiffInsert {
				o.WriteString(op.Text)
			}
			if op.Kind != DiffDelete {
				n.WriteString(op.Text)
			}
		}
		out = append(out, d.Path+" ("+d.Label+"): "+o.String()+" → "+n.String())
	}
	return out
}

func TestDiffImpact(t *testing.T) {
	old := fullImpact()
	if d := DiffImpact(old, fullImpact(), testFields); d != nil {
		t.Errorf("identical impacts differ: %v", changed(d))
	}
	new := fullImpact()
	new.End = utcAt(13, 2)
	new.UsersAffected.Count = i64(15000)
	new.Services = append(new.Services, "cart")
	new.WhatUsersSaw = "An error page (HTTP 502) when paying."
	new.SLOBudgetPct = nil
	new.Custom["region"] = "us-east"
	delete(new.Custom, "account_manager")
	new.Custom["unknown_key"] = 3.0
	got := changed(DiffImpact(old, new, testFields))
	want := []string{
		"end (Impact end): 2024-03-15T12:52:00Z → 2024-03-15T13:02:00Z",
		"users_affected.count (Users affected): 12000 → 15000",
		"services (Services affected): checkout-api\npayments → checkout-api\npayments\ncart",
		"what_users_saw (What users saw): An error page (HTTP 502) when paying; retries failed for most users. → An error page (HTTP 502) when paying.",
		"slo_budget_pct (Error budget consumed (%)): 37.5 → ",
		"custom.account_manager (Account manager): Dana → ",
		"custom.region (Region): eu-west → us-east",
		"custom.unknown_key (unknown_key):  → 3",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiffImpact\n got %q\nwant %q", got, want)
	}
	// The text diff is word-level.
	for _, d := range DiffImpact(old, new, testFields) {
		if d.Path == "what_users_saw" {
			want := []DiffOp{{DiffEqual, "An error page (HTTP 502) when paying"}, {DiffDelete, "; retries failed for most users"}, {DiffEqual, "."}}
			if !reflect.DeepEqual(d.Ops, want) {
				t.Errorf("what_users_saw ops = %q", d.Ops)
			}
		}
	}
	// From nothing: every set field appears, all inserted.
	for _, d := range DiffImpact(Impact{}, old, testFields) {
		if len(d.Ops) != 1 || d.Ops[0].Kind != DiffInsert {
			t.Errorf("%s from nothing: %q", d.Path, d.Ops)
		}
	}
}

func TestDiffWhys(t *testing.T) {
	old := sampleWhys()
	if d := DiffWhys(old, sampleWhys()); d != nil {
		t.Errorf("identical whys differ: %v", changed(d))
	}
	new := sampleWhys()
	new.Problem = "Checkout failed for 68 minutes."
	new.Delete("w4")
	new.Steps[2].Because = "A deploy halved the pool size without a load test." // w3
	new.Move("w5", Up)
	new.Add("w6", "Why only on a full outage?", "The alert was copied from a template.")
	new.Steps[len(new.Steps)-1].Evidence = []int64{7, 9}
	got := changed(DiffWhys(old, new))
	want := []string{
		"problem (Problem): Checkout failed for 67 minutes. → Checkout failed for 68 minutes.",
		"steps[id=w3].because (Step 1.2.1: because): A deploy halved the pool size. → A deploy halved the pool size without a load test.",
		// Gone, labelled with its old number, where it was.
		"steps[id=w4].parent_id (Step 1.1.2: cause of): w2 → ",
		"steps[id=w4].because (Step 1.1.2: because): Traffic was at its weekly peak. → ",
		// New.
		"steps[id=w7].parent_id (Step 2.1: cause of):  → w6",
		"steps[id=w7].why (Step 2.1: why):  → Why only on a full outage?",
		"steps[id=w7].because (Step 2.1: because):  → The alert was copied from a template.",
		"steps[id=w7].evidence (Step 2.1: evidence):  → 7, 9",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiffWhys\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	// A step whose parent changed.
	moved := sampleWhys()
	moved.Steps[4].ParentID = "w6" // w5 under w6
	got = changed(DiffWhys(old, moved))
	if want := []string{"steps[id=w5].parent_id (Step 2.1: cause of): w1 → w6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reparented: %q", got)
	}
	// Invalid whys (a repeated id, a loop) still diff without panicking.
	bad := Whys{Steps: []WhyStep{{ID: "a", ParentID: "b"}, {ID: "b", ParentID: "a"}, {ID: "b", Because: "x"}}}
	if d := DiffWhys(Whys{}, bad); len(d) == 0 {
		t.Error("no diff for an invalid whys")
	}
}

func TestDiffFactorsAndLessons(t *testing.T) {
	old := sampleFactors()
	new := sampleFactors()
	new.Items[1].Note = "Alerts fired only on a full outage, 40 minutes late."
	new.Items = append(new.Items[:0:0], new.Items[1], new.Items[2]) // f1 removed
	new.Add("config_change", "", "")
	got := changed(DiffFactors(old, new))
	want := []string{
		"items[id=f1].category (Factor 1: category): deploy → ",
		"items[id=f1].note (Factor 1: note): The pool size change shipped without a load test. → ",
		"items[id=f1].why_step_id (Factor 1: Five Whys step): w3 → ",
		"items[id=f2].note (Factor 1: note): Alerts fired only on a full outage. → Alerts fired only on a full outage, 40 minutes late.",
		"items[id=f4].category (Factor 3: category):  → config_change",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiffFactors\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}

	ol, nl := sampleLessons(), sampleLessons()
	nl.WentWrong = append([]string{"Nobody owned the pool settings."}, nl.WentWrong...)
	nl.Lucky = nil
	got = changed(DiffLessons(ol, nl))
	want = []string{
		"went_wrong (What went wrong): The pool size change had no load test.\nAlerts fired only on a full outage. → " +
			"Nobody owned the pool settings.\nThe pool size change had no load test.\nAlerts fired only on a full outage.",
		"lucky (Where we got lucky): The incident started after the EU evening peak. → ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiffLessons\n got %q\nwant %q", got, want)
	}
	for _, d := range DiffLessons(ol, nl) {
		if d.Path == "went_wrong" {
			if want := []DiffOp{{DiffInsert, "Nobody owned the pool settings.\n"}, {DiffEqual, "The pool size change had no load test.\nAlerts fired only on a full outage."}}; !reflect.DeepEqual(d.Ops, want) {
				t.Errorf("an added lesson shows as %q", d.Ops)
			}
		}
	}
}
