package export

import (
	"fmt"
	"time"

	"hindsight/postmortem"
)

func tp(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func at0(s string) time.Time { return *tp(s) }

func i64(n int64) *int64     { return &n }
func f64(x float64) *float64 { return &x }
func paris() *time.Location  { return mustZone("Europe/Paris") }
func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

var (
	ana   = Person{Name: "Ana Lima", Email: "ana.lima@example.com", Role: "Incident commander"}
	bo    = Person{Name: "Bo Chen", Email: "bo.chen@example.com", Role: "on-call engineer"}
	carla = Person{Name: "Carla Diaz", Email: "carla.diaz@example.com"}
	dev   = Person{Name: "Dev Patel", Email: "dev.patel@example.com", Role: "reviewer"}
	erin  = Person{Name: "Erin Walsh", Email: "erin.walsh@example.com"}
)

// fixture is a rich postmortem: every section filled, people named in
// free text, customers, internal hosts, private addresses and links, a
// hidden entry, internal custom fields, and text that tries to break out
// of its place (pipes, HTML, headings).
func fixture() Postmortem {
	return Postmortem{
		Key:   "INC-42",
		Title: "Checkout errors after the payments pool change",
		Slug:  "checkout-errors-payments-pool",
		Summary: "On 20 November checkout failed for 47 minutes after a config change shrank the payments " +
			"database pool from 50 to 5 connections. Ana Lima rolled the change back at 14:52 UTC; " +
			"customers such as Acme Retail saw a **payment failed** page.\n\n" +
			"The change was applied by `deploy-bot` to db-7.corp.example.com (10.20.3.7), see " +
			"[the dashboard](https://grafana.corp.example.com/d/payments?from=now-6h).",
		Severity:  "SEV2",
		Status:    "published",
		Tags:      []string{"payments", "config", "database"},
		Services:  []string{"checkout", "payments-api"},
		Started:   tp("2026-11-20T13:05:00Z"),
		Detected:  tp("2026-11-20T13:17:00Z"),
		Mitigated: tp("2026-11-20T13:52:00Z"),
		Resolved:  tp("2026-11-20T15:00:00Z"),
		Authors:   []Person{ana, bo},
		Reviewers: []Person{carla, dev},
		Impact: postmortem.Impact{
			UsersAffected: postmortem.UsersAffected{Count: i64(12400), Qualifier: postmortem.QualifierEstimate},
			Customers:     postmortem.Customers{Count: i64(37), Names: []string{"Acme Retail", "Globex"}},
			Services:      []string{"checkout", "payments-api"},
			Features:      []string{"card payments", "saved cards"},
			WhatUsersSaw: "Shoppers who paid by card saw *Payment failed, please try again* after a 30 second wait.\n\n" +
				"- Globex reported it to support@example.com at 13:09.\n" +
				"- Retrying did not help: every attempt hit the same pool.",
			Detection:      postmortem.Detection{Method: postmortem.DetectionAlert, Link: "https://alerts.corp.example.com/#/alerts?receiver=payments"},
			SLOBudgetPct:   f64(38.5),
			DataLoss:       postmortem.DataLoss{Kind: postmortem.DataLossNone},
			SupportTickets: i64(214),
			Custom: map[string]any{
				"region":       "eu-west",
				"revenue_lost": 18250.5,
				"root_ticket":  "PAY-981 (see Bo Chen)",
			},
		},
		CustomFields: []postmortem.CustomField{
			{Key: "region", Label: "Region", Kind: postmortem.CustomSelect, Options: []string{"eu-west", "us-east"}},
			{Key: "revenue_lost", Label: "Revenue lost (EUR)", Kind: postmortem.CustomNumber, Internal: true},
			{Key: "root_ticket", Label: "Root ticket", Kind: postmortem.CustomText, Internal: true},
		},
		Whys: postmortem.Whys{
			Problem: "Card payments failed for 47 minutes.",
			Steps: []postmortem.WhyStep{
				{ID: "w1", Why: "Why did card payments fail?", Because: "The payments API could not get a database connection within 30 s.", Evidence: []int64{3, 4}},
				{ID: "w2", ParentID: "w1", Why: "Why was no connection free?", Because: "The pool had been cut from 50 to 5 connections.", Evidence: []int64{2}},
				{ID: "w3", ParentID: "w2", Why: "Why was the pool cut?", Because: "A config change meant for staging was applied to production.", Evidence: []int64{2, 9}},
				{ID: "w4", ParentID: "w2", Why: "Why did review not catch it?", Because: "The diff showed the value, not the environment it applied to."},
				{ID: "w5", ParentID: "w1", Why: "Why did it take 12 minutes to notice?", Because: "The alert waited for 10 minutes of errors before paging Bo Chen."},
				{ID: "w6", Why: "Why did the rollback take 35 minutes?", Because: "The runbook pointed at an old dashboard."},
			},
		},
		Factors: postmortem.Factors{Items: []postmortem.Factor{
			{ID: "f1", Category: "config_change", Note: "A staging value reached production.", WhyStepID: "w3"},
			{ID: "f2", Category: "detection_gap", Note: "Paging needed 10 minutes of errors.", WhyStepID: "w5"},
			{ID: "f3", Category: "process_gap", Note: "Config diffs do not name the environment."},
		}},
		Lessons: postmortem.Lessons{
			WentWell:  []string{"The rollback command in the runbook worked the first time."},
			WentWrong: []string{"Config review could not see the target environment.", "The alert paged after 10 minutes instead of 2."},
			Lucky:     []string{"It happened at 14:00, not during the evening peak."},
		},
		Timeline: []Entry{
			{ID: 4, At: at0("2026-11-20T13:09:00Z"), Kind: "note", Service: "support", Title: "Globex reports failed payments", Note: "Ticket from Globex via support@example.com"},
			{ID: 2, At: at0("2026-11-20T13:03:00Z"), Kind: "deploy", Service: "payments-api", Title: "Config change: pool_size 50 → 5", Note: "Applied by Ana Lima from deploy-1.corp.example.com", IsTrigger: true, Highlight: true},
			{ID: 3, At: at0("2026-11-20T13:05:00Z"), Kind: "alert", Service: "checkout", Title: "Checkout error rate above 5%", Note: "p99 | latency 30 s; errors like <PoolTimeout>"},
			{ID: 5, At: at0("2026-11-20T13:17:00Z"), Kind: "alert", Service: "payments-api", Title: "PaymentsAPIErrors paging", Note: "Paged Bo Chen"},
			{ID: 6, At: at0("2026-11-20T13:40:00Z"), Kind: "note", Title: "Debug session on 10.20.3.7", Note: "Bo ran `psql -h 10.20.3.7` and saw 5 connections in use", Hidden: true},
			{ID: 7, At: at0("2026-11-20T13:52:00Z"), Kind: "deploy", Service: "payments-api", Title: "Config rolled back", Note: "Pool back to 50; errors stop", Highlight: true},
			{ID: 8, At: at0("2026-11-20T15:00:00Z"), Kind: "note", Title: "Resolved after an hour of clean traffic"},
		},
		Actions: []Action{
			{Title: "Show the target environment in config diffs", Status: "in_progress", Owner: bo, Team: "Platform", Due: "2026-12-15", Priority: "P1",
				TrackerURL: "https://github.com/hindsight-demo/infra/issues/812"},
			{Title: "Page after 2 minutes of checkout errors", Status: "done", Owner: erin, Due: "2026-11-27", Priority: "P2",
				TrackerURL: "https://jira.corp.example.com/browse/PAY-990", TrackerKey: "PAY-990"},
			{Title: "Fix the runbook's dashboard link | update screenshots", Status: "open", Team: "Payments", Due: "2026-12-01", Priority: "P3"},
			{Title: "Load-test pool sizes below 10", Status: "wont_do", Owner: Person{Name: "Ana Lima", Email: "ana.lima@example.com"}, Priority: "P4"},
		},
		Template:    fullTemplate(),
		PublishedAt: tp("2026-11-24T09:00:00Z"),
	}
}

func fullTemplate() postmortem.Template   { return templateByKey("full") }
func publicTemplate() postmortem.Template { return templateByKey("public") }

func templateByKey(k string) postmortem.Template {
	t, ok := postmortem.TemplateByKey(postmortem.DefaultTemplates(), k)
	if !ok {
		panic(fmt.Sprintf("no template %q", k))
	}
	return t
}
