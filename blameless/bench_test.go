package blameless

import (
	"fmt"
	"strings"
	"testing"
)

// benchInput is a 20 KB postmortem in Markdown, 30 rules (the built-in
// ones and custom ones) and 50 people.
func benchInput(b *testing.B) (string, []Rule, []string) {
	paragraph := "At 14:02 the error rate of the checkout service rose to 12%. " +
		"Alice Martin restarted the pods and noticed that the new config had been deployed at 13:58; " +
		"the deploy ran before the migration, which was human error according to the first draft. " +
		"The on-call should have paged the database team, but the alert went to a channel with 300 messages a day. " +
		"We rolled back at 14:31 and the error rate returned to normal.\n\n" +
		"```sh\nkubectl rollout undo deploy/checkout # human_error_count\n```\n\n" +
		"Bob’s fault? No: Kafka's fault tolerance held, and `forgot_password` is a route. " +
		"Zoë Ødegård forgot to update the runbook, which obviously lacked the step. See https://wiki.example.com/runbooks/checkout.\n\n"
	var sb strings.Builder
	for sb.Len() < 20_000 {
		sb.WriteString(paragraph)
	}
	rules := DefaultRules()
	for i := 0; len(rules) < 30; i++ {
		r, err := CustomRule(fmt.Sprintf("custom phrase %d", i), "")
		if err != nil {
			b.Fatal(err)
		}
		rules = append(rules, r)
	}
	people := []string{"Alice Martin", "Bob", "Zoë Ødegård"}
	for i := 0; len(people) < 50; i++ {
		people = append(people, fmt.Sprintf("Person%d Surname%d", i, i))
	}
	return sb.String()[:20_000], rules, people
}

// BenchmarkCheck: Check as called once per text (the Checker built each
// time).
func BenchmarkCheck(b *testing.B) {
	text, rules, people := benchInput(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(Check(text, rules, people))
	}
	b.ReportMetric(float64(n), "findings")
}

// BenchmarkCheckerCheck: a Checker kept across texts.
func BenchmarkCheckerCheck(b *testing.B) {
	text, rules, people := benchInput(b)
	c := NewChecker(rules, people)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		c.Check(text)
	}
}

// BenchmarkNewChecker: building the lookup alone.
func BenchmarkNewChecker(b *testing.B) {
	_, rules, people := benchInput(b)
	b.ReportAllocs()
	for b.Loop() {
		NewChecker(rules, people)
	}
}
