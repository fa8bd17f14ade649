// Package generic reads Hindsight's own event JSON, for senders that are
// not a known tool: CI jobs, deploy scripts, cron jobs, runbooks.
//
// The body is ONE event object or an ARRAY of at most MaxBatch of them:
//
//	{"kind": "deploy", "source": "ci", "dedup_key": "api-1042",
//	 "status": "succeeded", "title": "Deploy api 1.4.2",
//	 "description": "...", "severity": "...", "service": "api",
//	 "environment": "production", "starts_at": "2024-05-02T10:00:00Z",
//	 "ends_at": null, "commit": "9f2c1e7", "ref": "main",
//	 "url": "https://ci.example.com/1042", "labels": {"team": "payments"},
//	 "has_migrations": true}
//
// kind, source (the sender's own name; it becomes Event.Source), dedup_key
// and starts_at are required. starts_at and ends_at are RFC 3339 or Unix
// epoch seconds or milliseconds; dedup_key and severity may be strings or
// numbers; labels is an object of strings; has_migrations is a boolean
// (a label has_migrations=true also marks the deploy). A deploy is one event
// whose status changes: post it again with the same dedup_key.
//
// The format is strict, since it is Hindsight's own: an unknown field (a
// typo) or a wrong type is an *ingest.Error naming the item's Index and the
// field (labels.<key> for a label), not silently dropped. An empty array is
// refused ("no events"), and so is a batch of more than MaxBatch items.
//
// Service is the service field, else (through the mapping's labels first)
// the labels service or app; Environment the environment field, else the
// labels env or environment; Severity the severity field, else the label
// severity. Without a title, the title is the kind and the service (or the
// dedup_key).
//
// There are no event types, no signature (senders authenticate with
// "Authorization: Bearer <secret>" or basic auth) and no ping. Delivery.ID
// is the optional Idempotency-Key request header, so that a retried request
// is recognised; without it the caller hashes the body.
package generic

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"hindsight/ingest"
)

// Name is the integration kind.
const Name = "generic"

// MaxBatch is the largest number of events in one request.
const MaxBatch = 1000

// IDHeader optionally carries the sender's id for the request.
const IDHeader = "Idempotency-Key"

// maxID is the longest Delivery.ID kept from IDHeader.
const maxID = 200

// Fields lists the fields of one event, in documentation order.
var Fields = []string{"kind", "source", "dedup_key", "status", "title", "description", "severity", "service",
	"environment", "starts_at", "ends_at", "commit", "ref", "url", "labels", "has_migrations"}

var known = func() map[string]bool {
	k := make(map[string]bool, len(Fields))
	for _, f := range Fields {
		k[f] = true
	}
	return k
}()

// Parse reads one webhook request body (and headers) into a Delivery. It
// returns *ingest.Error (Index = item position or -1, Field = JSON path or header) for malformed or
// invalid input, never panics, and does NOT call m.Apply or ingest.Validate (the caller does, uniformly),
// but it uses m.ServiceFrom(labels, conventionalKeys, fallback) to choose Service, and puts the
// tool's raw severity/priority string in Event.Severity (the caller normalises it with the mapping).
func Parse(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
	events, err := parseEvents(body, m)
	if err != nil {
		return ingest.Delivery{}, err
	}
	id := ingest.Truncate(strings.TrimSpace(h.Get(IDHeader)), maxID)
	return ingest.Delivery{ID: id, Events: events}, nil
}

// ParseEvents reads the same format without an integration's mapping, for
// the API endpoint POST /api/v1/events. Like Parse, it neither applies a
// mapping nor validates: the caller runs Mapping.Apply and ingest.Validate.
func ParseEvents(body []byte) ([]ingest.Event, error) {
	return parseEvents(body, ingest.Mapping{})
}

func parseEvents(body []byte, m ingest.Mapping) ([]ingest.Event, error) {
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return nil, &ingest.Error{Index: -1, Msg: "empty body: expected an event object or an array of events"}
	}
	var raws []json.RawMessage
	switch trimmed[0] {
	case '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, ingest.MalformedJSON(err)
		}
		if len(raws) == 0 {
			return nil, &ingest.Error{Index: -1, Msg: "no events: the array is empty"}
		}
		if len(raws) > MaxBatch {
			return nil, &ingest.Error{Index: -1, Msg: fmt.Sprintf("%d events in one request: send at most %d", len(raws), MaxBatch)}
		}
	case '{':
		var raw json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, ingest.MalformedJSON(err)
		}
		raws = []json.RawMessage{raw}
	default:
		if !json.Valid(body) {
			return nil, ingest.MalformedJSON(json.Unmarshal(body, new(any)))
		}
		return nil, &ingest.Error{Index: -1, Msg: "expected an event object or an array of events"}
	}
	events := make([]ingest.Event, 0, len(raws))
	for i, raw := range raws {
		ev, err := parseItem(i, raw, m)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

func parseItem(i int, raw json.RawMessage, m ingest.Mapping) (ingest.Event, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return ingest.Event{}, &ingest.Error{Index: i, Msg: "must be an event object, not " + ingest.JSONType(raw)}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			return ingest.Event{}, unknownField(i, k)
		}
	}

	text := make(map[string]string, len(Fields))
	for _, f := range []string{"kind", "source", "status", "title", "description", "service", "environment", "commit", "ref", "url"} {
		v, err := ingest.DecodeStringField(obj[f], i, f)
		if err != nil {
			return ingest.Event{}, err
		}
		text[f] = strings.TrimSpace(v)
	}
	for _, f := range []string{"dedup_key", "severity"} {
		v, err := ingest.DecodeFlexField(obj[f], i, f)
		if err != nil {
			return ingest.Event{}, err
		}
		text[f] = strings.TrimSpace(v)
	}
	for _, f := range []string{"kind", "source", "dedup_key"} {
		if text[f] == "" {
			return ingest.Event{}, &ingest.Error{Index: i, Field: f, Msg: "is required"}
		}
	}
	startsAt, err := ingest.DecodeTimeField(obj["starts_at"], i, "starts_at")
	if err != nil {
		return ingest.Event{}, err
	}
	if startsAt.IsZero() {
		return ingest.Event{}, &ingest.Error{Index: i, Field: "starts_at", Msg: "is required (RFC 3339 or Unix epoch)"}
	}
	endsAt, err := ingest.DecodeTimeField(obj["ends_at"], i, "ends_at")
	if err != nil {
		return ingest.Event{}, err
	}
	labels, err := decodeLabels(i, obj["labels"])
	if err != nil {
		return ingest.Event{}, err
	}
	hasMigrations, err := decodeBool(i, "has_migrations", obj["has_migrations"])
	if err != nil {
		return ingest.Event{}, err
	}

	kind := strings.ToLower(text["kind"])
	conventional := []string(nil)
	if text["service"] == "" {
		conventional = []string{"service", "app"}
	}
	ev := ingest.Event{
		Kind:          kind,
		Source:        text["source"],
		DedupKey:      text["dedup_key"],
		Status:        strings.ToLower(text["status"]),
		Title:         text["title"],
		Description:   text["description"],
		Severity:      ingest.FirstNonEmpty(text["severity"], labels["severity"]),
		Service:       m.ServiceFrom(labels, conventional, text["service"]),
		Environment:   ingest.FirstNonEmpty(text["environment"], labels["env"], labels["environment"]),
		StartsAt:      startsAt,
		Commit:        text["commit"],
		Ref:           text["ref"],
		URL:           text["url"],
		Labels:        labels,
		HasMigrations: hasMigrations || strings.EqualFold(strings.TrimSpace(labels["has_migrations"]), "true"),
	}
	if !endsAt.IsZero() {
		ev.EndsAt = &endsAt
	}
	if ev.Title == "" {
		ev.Title = ingest.Truncate(kind+" "+ingest.FirstNonEmpty(ev.Service, ev.DedupKey), ingest.MaxTitle)
	}
	return ev, nil
}

func decodeLabels(i int, raw json.RawMessage) (map[string]string, error) {
	labels, err := ingest.DecodeLabelsField(raw, i, "labels", true)
	if err != nil {
		return nil, err
	}
	if len(labels) > ingest.MaxLabels {
		return nil, &ingest.Error{Index: i, Field: "labels", Msg: fmt.Sprintf("has %d entries, at most %d", len(labels), ingest.MaxLabels)}
	}
	for k, v := range labels {
		if strings.TrimSpace(k) == "" {
			return nil, &ingest.Error{Index: i, Field: "labels", Msg: "has a label with an empty name"}
		}
		if len(k) > ingest.MaxLabelName {
			return nil, &ingest.Error{Index: i, Field: "labels", Msg: fmt.Sprintf("label name %q… is longer than %d bytes", ingest.Truncate(k, 40), ingest.MaxLabelName)}
		}
		if len(v) > ingest.MaxLabelValue {
			return nil, &ingest.Error{Index: i, Field: "labels." + k, Msg: fmt.Sprintf("is longer than %d bytes", ingest.MaxLabelValue)}
		}
	}
	if len(labels) == 0 {
		return nil, nil
	}
	return labels, nil
}

func decodeBool(i int, field string, raw json.RawMessage) (bool, error) {
	switch strings.TrimSpace(string(raw)) {
	case "", "null", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, &ingest.Error{Index: i, Field: field, Msg: "must be true or false, not " + ingest.JSONType(raw)}
}

func unknownField(i int, k string) error {
	msg := "unknown field"
	if s := suggest(k); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return &ingest.Error{Index: i, Field: ingest.Truncate(k, 60), Msg: msg + "; the fields are " + strings.Join(Fields, ", ")}
}

// suggest returns the known field closest to k, "" when none is close.
func suggest(k string) string {
	if len(k) > 40 {
		return ""
	}
	lower := strings.ToLower(strings.ReplaceAll(k, "-", "_"))
	best, bestDist := "", 3
	for _, f := range Fields {
		if lower == f {
			return f
		}
		if d := distance(lower, f); d < bestDist {
			best, bestDist = f, d
		}
	}
	return best
}

// distance is the Levenshtein distance between two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Instructions: exact config to paste into the tool, filled in with hookURL and secret.
func Instructions(hookURL, secret string) ingest.Setup {
	config := fmt.Sprintf(`# Record a deploy from a CI job or script (bash). Post again with the same
# dedup_key when its status changes: pending, in_progress, succeeded, failed, cancelled
# (export DEPLOY_STARTED_AT once, so every update carries the same start).
curl -sS --fail-with-body -X POST %s \
  -H %s \
  -H 'Content-Type: application/json' \
  --data-binary @- <<EOF
{
  "kind": "deploy",
  "source": "ci",
  "dedup_key": "api-deploy-${CI_PIPELINE_ID:-1042}",
  "status": "succeeded",
  "title": "Deploy api to production",
  "service": "api",
  "environment": "production",
  "starts_at": "${DEPLOY_STARTED_AT:-$(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ)}",
  "commit": "${GIT_COMMIT:-9f2c1e7d4b}",
  "ref": "main",
  "url": "https://ci.example.com/pipelines/${CI_PIPELINE_ID:-1042}",
  "has_migrations": true,
  "labels": {"team": "payments"}
}
EOF
`, ingest.ShellQuote(hookURL), ingest.ShellQuote("Authorization: Bearer "+secret))
	return ingest.Setup{
		Steps: []string{
			"POST Hindsight's event JSON to " + hookURL + " with the header 'Authorization: Bearer <secret>' (or basic auth with the secret as the password).",
			"The body is one event object or an array of up to 1000. Required: kind (alert, deploy, change or note), source (your sender's name), dedup_key (the event's stable id in your sender) and starts_at (RFC 3339 or Unix epoch).",
			"Optional: status, title, description, severity, service, environment, ends_at, commit, ref, url, labels (an object of strings) and has_migrations (true when the deploy runs database migrations). Unknown fields are refused, so typos show up at once.",
			"A deploy is one event: send it again with the same dedup_key (and starts_at) as its status moves from pending or in_progress to succeeded, failed or cancelled.",
			"To make retries safe, send the same Idempotency-Key header when you repeat a request.",
		},
		Config:         config,
		ConfigLanguage: "text",
	}
}
