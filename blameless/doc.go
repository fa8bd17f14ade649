// Package blameless is a rule-based checker of blameless language in
// postmortems. It flags wording that puts the cause of an incident in a
// person rather than in the system ("human error", "should have",
// "careless", "Alice's fault", "forgot to", "Alice broke the build") and
// explains each finding with a suggestion of neutral wording. It is a
// writing aid, never a gate: findings are advice to show beside the text,
// and nothing in this package refuses a save. It is pure: no HTTP, no
// database, and nothing shared that changes once built (the built-in rules
// are compiled once, on first use).
//
// # Rules
//
// A Rule has an ID, the phrase it matches (as a description), an
// explanation of why the wording is not blameless and a suggestion. The
// built-in rules are one list, DefaultRules; an admin extends it with
// phrases of the team's own, each turned into a Rule by CustomRule, and the
// caller passes the combined slice to Check. Storing admin phrases, and
// switching built-in rules off by ID, are the caller's business.
//
// Every rule matches case-insensitively, on whole words ("Al" never matches
// inside "Alert", "blame" not inside "blameless"), with straight and curly
// apostrophes alike ("should’ve" is "should've") and with any whitespace,
// a single line break included, between the words of a phrase; a blank
// line ends every phrase. Built-in rules also skip words that are part of
// a compound ("forgot-password", "blame-free"), and some have exceptions
// written next to them: "Kafka's fault tolerance" is no blame, "git blame"
// is a command, and "it was not obvious" or "nobody is to blame" are
// precisely blameless. Phrases given to CustomRule are literal text, never
// regular expressions.
//
// Mild rules (Rule.Mild) are about hindsight bias ("obviously", "simply",
// "should just"): they nudge rather than warn.
//
// # People
//
// Check also takes the names of the team's users. A full name, or a first
// name, followed by a failure verb ("Alice forgot", "Alice Martin
// accidentally deleted", "Bob didn't") is flagged with PersonRuleID and a
// suggestion to make the system or the step the subject. A name alone or in
// a neutral sentence ("Alice restarted the pods") is not. A capitalised
// name only matches capitalised text, so the user "Will" is not found in
// "will fail". Names are compared as written: a name typed in composed
// Unicode does not match the same name in decomposed form.
//
// # Markdown
//
// The text is Markdown. Inline code spans, fenced code blocks and absolute
// URLs are not prose and are skipped, so `human_error_count` in code is no
// finding. Quoted prose is checked like any other.
//
// # Findings
//
// Findings carry byte offsets into the text, valid for slicing it
// (text[f.Start:f.End] == f.Match), sorted by Start. Overlapping matches
// of one rule are merged; of different rules, the longest is kept (see
// Checker.Check). Findings never overlap.
//
// Build a Checker with NewChecker once per set of rules and people and call
// its Check for each text; the function Check does both in one call.
package blameless
