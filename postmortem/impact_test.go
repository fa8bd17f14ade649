package postmortem

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"hindsight/timeline"
)

// fullImpact has every field set, validly.
func fullImpact() Impact {
	return Impact{
		Start:          utcAt(11, 45),
		End:            utcAt(12, 52),
		UsersAffected:  UsersAffected{Count: i64(12000), Qualifier: QualifierEstimate},
		Customers:      Customers{Count: i64(40), Names: []string{"Acme Corp", "Globex"}},
		Services:       []string{"checkout-api", "payments"},
		Features:       []string{"checkout", "saved cards"},
		WhatUsersSaw:   "An error page (HTTP 502) when paying; retries failed for most users.",
		Detection:      Detection{Method: DetectionAlert, Link: "https://alerts.example.com/a/1234"},
		SLOBudgetPct:   f64(37.5),
		DataLoss:       DataLoss{Kind: DataLossSome, Details: "Carts created between 11:45 and 11:50 UTC were lost."},
		SupportTickets: i64(85),
		Custom: map[string]any{
			"region":          "eu-west",
			"revenue_lost":    18250.5,
			"contract_review": "2024-04-01",
			"account_manager": "Dana",
		},
	}
}

func TestImpactValidate(t *testing.T) {
	with := func(f func(*Impact)) Impact { i := fullImpact(); f(&i); return i }
	tests := []struct {
		name string
		in   Impact
		want []string
	}{
		{"full", fullImpact(), nil},
		{"empty", Impact{}, nil},
		{"normalised empty", func() Impact { var i Impact; i.Normalize(); return i }(), nil},
		{"end equals start", with(func(i *Impact) { i.End = i.Start }), nil},
		{"only an end", with(func(i *Impact) { i.Start = nil }), nil},
		{"zero users, exact", with(func(i *Impact) { i.UsersAffected = UsersAffected{Count: i64(0), Qualifier: QualifierExact} }), nil},
		{"qualifier without count", with(func(i *Impact) { i.UsersAffected.Count = nil }), nil},
		{"budget overspent", with(func(i *Impact) { i.SLOBudgetPct = f64(5500) }), nil},
		{"budget at the bound", with(func(i *Impact) { i.SLOBudgetPct = f64(MaxSLOBudgetPct) }), nil},
		{"budget zero", with(func(i *Impact) { i.SLOBudgetPct = f64(0) }), nil},
		{"no data loss", with(func(i *Impact) { i.DataLoss = DataLoss{Kind: DataLossNone} }), nil},
		{"http link", with(func(i *Impact) { i.Detection.Link = "http://grafana.internal:3000/d/x?from=1#panel" }), nil},
		{"link without method", with(func(i *Impact) { i.Detection.Method = "" }), nil},
		{"customers counted as named", with(func(i *Impact) { i.Customers.Count = i64(2) }), nil},
		{"names without count", with(func(i *Impact) { i.Customers.Count = nil }), nil},
		{"zero tickets", with(func(i *Impact) { i.SupportTickets = i64(0) }), nil},
		{"long markdown", with(func(i *Impact) { i.WhatUsersSaw = strings.Repeat("ü", MaxMarkdownLength) }), nil},

		{"end before start", with(func(i *Impact) { i.End = utcAt(11, 44) }), []string{"end"}},
		{"end after start across zones", with(func(i *Impact) {
			i.Start = at(time.Date(2024, 3, 15, 13, 0, 0, 0, time.FixedZone("CET", 3600)))  // 12:00 UTC
			i.End = at(time.Date(2024, 3, 15, 7, 30, 0, 0, time.FixedZone("EST", -5*3600))) // 12:30 UTC
		}), nil},
		{"negative users", with(func(i *Impact) { i.UsersAffected.Count = i64(-1) }), []string{"users_affected.count"}},
		{"count without qualifier", with(func(i *Impact) { i.UsersAffected.Qualifier = "" }), []string{"users_affected.qualifier"}},
		{"unknown qualifier", with(func(i *Impact) { i.UsersAffected.Qualifier = "about" }), []string{"users_affected.qualifier"}},
		{"qualifier case", with(func(i *Impact) { i.UsersAffected.Qualifier = "Exact" }), []string{"users_affected.qualifier"}},
		{"negative customers", with(func(i *Impact) { i.Customers.Count = i64(-3) }), []string{"customers.count"}},
		{"fewer counted than named", with(func(i *Impact) { i.Customers.Count = i64(1) }), []string{"customers.count"}},
		{"blank customer name", with(func(i *Impact) { i.Customers.Names = []string{"Acme", " "} }), []string{"customers.names[1]"}},
		{"two-line customer name", with(func(i *Impact) { i.Customers.Names = []string{"Acme\nCorp"} }), []string{"customers.names[0]"}},
		{"long service name", with(func(i *Impact) { i.Services = []string{"a", strings.Repeat("s", 201)} }), []string{"services[1]"}},
		{"too many features", with(func(i *Impact) { i.Features = make([]string, 101); fill(i.Features) }), []string{"features"}},
		{"long what users saw", with(func(i *Impact) { i.WhatUsersSaw = strings.Repeat("x", MaxMarkdownLength+1) }), []string{"what_users_saw"}},
		{"unknown method", with(func(i *Impact) { i.Detection.Method = "pager" }), []string{"detection.method"}},
		{"relative link", with(func(i *Impact) { i.Detection.Link = "/alerts/1" }), []string{"detection.link"}},
		{"javascript link", with(func(i *Impact) { i.Detection.Link = "javascript:alert(1)" }), []string{"detection.link"}},
		{"ftp link", with(func(i *Impact) { i.Detection.Link = "ftp://example.com/x" }), []string{"detection.link"}},
		{"link without host", with(func(i *Impact) { i.Detection.Link = "https:///path" }), []string{"detection.link"}},
		{"link with space", with(func(i *Impact) { i.Detection.Link = "https://example.com/a b" }), []string{"detection.link"}},
		{"link with credentials", with(func(i *Impact) { i.Detection.Link = "https://user:pw@example.com/" }), []string{"detection.link"}},
		{"long link", with(func(i *Impact) { i.Detection.Link = "https://example.com/" + strings.Repeat("a", 2000) }), []string{"detection.link"}},
		{"negative budget", with(func(i *Impact) { i.SLOBudgetPct = f64(-0.1) }), []string{"slo_budget_pct"}},
		{"NaN budget", with(func(i *Impact) { i.SLOBudgetPct = f64(math.NaN()) }), []string{"slo_budget_pct"}},
		{"infinite budget", with(func(i *Impact) { i.SLOBudgetPct = f64(math.Inf(1)) }), []string{"slo_budget_pct"}},
		{"absurd budget", with(func(i *Impact) { i.SLOBudgetPct = f64(MaxSLOBudgetPct + 1) }), []string{"slo_budget_pct"}},
		{"unknown data loss", with(func(i *Impact) { i.DataLoss.Kind = "lots" }), []string{"data_loss.kind"}},
		{"details without kind", with(func(i *Impact) { i.DataLoss.Kind = "" }), []string{"data_loss.kind"}},
		{"details with none", with(func(i *Impact) { i.DataLoss.Kind = DataLossNone }), []string{"data_loss.details"}},
		{"long details", with(func(i *Impact) { i.DataLoss.Details = strings.Repeat("x", MaxMarkdownLength+1) }), []string{"data_loss.details"}},
		{"negative tickets", with(func(i *Impact) { i.SupportTickets = i64(-1) }), []string{"support_tickets"}},
		{"unknown custom key", with(func(i *Impact) { i.Custom["colour"] = "red" }), []string{"custom.colour"}},
		{"custom select", with(func(i *Impact) { i.Custom["region"] = "mars" }), []string{"custom.region"}},
		{"custom number as string", with(func(i *Impact) { i.Custom["revenue_lost"] = "18250" }), []string{"custom.revenue_lost"}},
		{"custom date", with(func(i *Impact) { i.Custom["contract_review"] = "next week" }), []string{"custom.contract_review"}},
		{"custom text too long", with(func(i *Impact) { i.Custom["account_manager"] = strings.Repeat("a", 2001) }), []string{"custom.account_manager"}},
		{"everything wrong", Impact{
			Start: utcAt(12, 0), End: utcAt(11, 0),
			UsersAffected:  UsersAffected{Count: i64(-1), Qualifier: "x"},
			Customers:      Customers{Count: i64(-1)},
			Detection:      Detection{Method: "x", Link: "x"},
			SLOBudgetPct:   f64(-1),
			DataLoss:       DataLoss{Kind: "x"},
			SupportTickets: i64(-1),
			Custom:         map[string]any{"a": 1.0},
		}, []string{"end", "users_affected.count", "users_affected.qualifier", "customers.count", "detection.method",
			"detection.link", "slo_budget_pct", "data_loss.kind", "support_tickets", "custom.a"}},
	}
	for _, tt := range tests {
		checkPaths(t, tt.name, tt.in.Validate(testFields), tt.want...)
	}
}

func fill(s []string) {
	for i := range s {
		s[i] = "item " + strings.Repeat("x", i)
	}
}

func TestImpactNormalize(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	in := Impact{
		Start:         at(time.Date(2024, 3, 15, 12, 45, 0, 0, cet)),
		End:           &time.Time{},
		UsersAffected: UsersAffected{Count: i64(5), Qualifier: " at_least "},
		Customers:     Customers{Names: []string{" Acme ", "acme", "", "Globex"}},
		Services:      []string{"api", " API", "db "},
		WhatUsersSaw:  "\n  Errors.\n",
		Detection:     Detection{Method: " alert", Link: " https://x.example/1 "},
		DataLoss:      DataLoss{Kind: "none ", Details: "  "},
		Custom:        map[string]any{"region": " eu-west ", "account_manager": "   ", "revenue_lost": nil, "n": 2.0},
	}
	in.Normalize()
	want := Impact{
		Start:         utcAt(11, 45),
		UsersAffected: UsersAffected{Count: i64(5), Qualifier: QualifierAtLeast},
		Customers:     Customers{Names: []string{"Acme", "Globex"}},
		Services:      []string{"api", "db"},
		Features:      []string{},
		WhatUsersSaw:  "Errors.",
		Detection:     Detection{Method: DetectionAlert, Link: "https://x.example/1"},
		DataLoss:      DataLoss{Kind: DataLossNone},
		Custom:        map[string]any{"region": "eu-west", "n": 2.0},
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("Normalize:\n got %+v\nwant %+v", in, want)
	}
	if in.Start.Location() != time.UTC {
		t.Errorf("start not in UTC: %v", in.Start)
	}
	again := in
	again.Normalize()
	if !reflect.DeepEqual(again, want) {
		t.Errorf("Normalize is not idempotent: %+v", again)
	}
}

func TestImpactWithDefaults(t *testing.T) {
	m := timeline.Moments{Started: utcAt(11, 40), Mitigated: utcAt(12, 30), Resolved: utcAt(13, 0)}
	got := Impact{}.WithDefaults(m)
	if !got.Start.Equal(*utcAt(11, 40)) || !got.End.Equal(*utcAt(12, 30)) {
		t.Errorf("defaults from moments: %v – %v, want 11:40 – 12:30 (mitigated)", got.Start, got.End)
	}
	got = Impact{}.WithDefaults(timeline.Moments{Started: utcAt(11, 40), Resolved: utcAt(13, 0)})
	if !got.End.Equal(*utcAt(13, 0)) {
		t.Errorf("end without mitigation = %v, want resolved 13:00", got.End)
	}
	set := Impact{Start: utcAt(11, 45), End: utcAt(12, 52)}
	got = set.WithDefaults(m)
	if !got.Start.Equal(*utcAt(11, 45)) || !got.End.Equal(*utcAt(12, 52)) {
		t.Errorf("set values must win: %v – %v", got.Start, got.End)
	}
	if got := (Impact{}).WithDefaults(timeline.Moments{}); got.Start != nil || got.End != nil {
		t.Errorf("no moments: %v – %v, want unset", got.Start, got.End)
	}
	m.Started = at(time.Date(2024, 3, 15, 12, 40, 0, 0, time.FixedZone("CET", 3600)))
	if got := (Impact{}).WithDefaults(m); got.Start.Location() != time.UTC {
		t.Errorf("default start not in UTC: %v", got.Start)
	}
}

func TestImpactPublic(t *testing.T) {
	in := fullImpact()
	in.Custom["gone"] = "x"
	pub := in.Public(testFields)
	if len(pub.Customers.Names) != 0 || pub.Customers.Count == nil || *pub.Customers.Count != 40 {
		t.Errorf("public customers = %+v, want the count without names", pub.Customers)
	}
	want := map[string]any{"region": "eu-west", "contract_review": "2024-04-01"}
	if !reflect.DeepEqual(pub.Custom, want) {
		t.Errorf("public custom = %v, want %v", pub.Custom, want)
	}
	if len(in.Customers.Names) != 2 || len(in.Custom) != 5 {
		t.Errorf("Public changed its receiver: %+v", in)
	}
}

func TestImpactPruneCustom(t *testing.T) {
	in := fullImpact()
	in.Custom["gone"] = "x"
	fields := []CustomField{
		{Key: "region", Label: "Region", Kind: CustomSelect, Options: []string{"us-east", "ap-south"}}, // eu-west removed
		{Key: "revenue_lost", Label: "Revenue", Kind: CustomText},                                      // was a number
		testFields[2], testFields[3],
	}
	in.PruneCustom(fields)
	want := map[string]any{"contract_review": "2024-04-01", "account_manager": "Dana"}
	if !reflect.DeepEqual(in.Custom, want) {
		t.Errorf("pruned custom = %v, want %v", in.Custom, want)
	}
	checkPaths(t, "pruned impact validates", in.Validate(fields))
}
