// Package datadog reads Datadog monitor notifications sent by the Datadog
// Webhooks integration with the custom payload Hindsight ships
// (PayloadTemplate).
//
// Datadog fills the template's $VARIABLES when a monitor notifies
// @webhook-<name>. Every variable is quoted in the template, so each value
// arrives as a JSON string; the parser also takes numbers (if an admin
// unquotes them) and treats a variable left empty, "None", or left
// unsubstituted ("$ALERT_PRIORITY") as absent. Datadog's own default payload
// (id, title, body, date, last_updated, event_type, org) is a subset of the
// template, so it parses too, with fewer fields.
//
// Mapping:
//
//   - One alert Event per notification. DedupKey "cycle:<$ALERT_CYCLE_KEY>":
//     Datadog keeps the alert cycle key from the moment a monitor (group)
//     triggers until it recovers, so the trigger, its re-notifications,
//     warnings and the recovery share it, and the next trigger starts a
//     new cycle, hence a new event. Without a cycle key: "monitor:<$ALERT_ID>"
//     plus "/<$ALERT_SCOPE>" when there is a scope, else "title:<title>", else
//     "event:<$ID>".
//   - $ALERT_TRANSITION Triggered, Re-Triggered, Warn, Re-Warn, No Data,
//     Re-No Data and Renotify are firing; Recovered is resolved with EndsAt
//     = $LAST_UPDATED (else $DATE). Without a transition, the title's
//     "[Recovered]" prefix or $ALERT_TYPE "success" means resolved.
//   - StartsAt is $DATE (epoch milliseconds; seconds and RFC 3339 are read
//     too), else $LAST_UPDATED. Datadog does not send the cycle's start, so
//     the recovery's StartsAt is the recovery time: the caller keeps the
//     first StartsAt of an event.
//   - Title is $ALERT_TITLE (else $EVENT_TITLE) without its leading
//     "[Triggered on …]"-style state brackets, so it is the same across the
//     cycle. Description is the message ($TEXT_ONLY_MSG), URL $LINK.
//   - Severity is $ALERT_PRIORITY (P1…P5), else $ALERT_TYPE (error,
//     warning, info; "success" is none).
//   - Labels: alert_id, transition, alert_type, priority, host, metric,
//     query, event_type, org_id, aggreg_key, then the $ALERT_SCOPE tags, then
//     $TAGS ("key:value" → key → value; bare tags → key → ""). Service is
//     the tag service (after the mapping's labels), Environment env or
//     environment.
//
// Datadog cannot sign its requests, so there is no Verify: the webhook's
// custom headers carry "Authorization: Bearer <secret>". It sends no
// delivery id, so Delivery.ID is "". A body sent with "Encode as form" is
// read from its form fields.
package datadog

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"hindsight/ingest"
)

// Name is the integration kind.
const Name = "datadog"

// PayloadTemplate is the custom payload to paste into the Datadog webhook.
const PayloadTemplate = `{
  "id": "$ID",
  "event_type": "$EVENT_TYPE",
  "title": "$EVENT_TITLE",
  "body": "$TEXT_ONLY_MSG",
  "date": "$DATE",
  "last_updated": "$LAST_UPDATED",
  "link": "$LINK",
  "hostname": "$HOSTNAME",
  "tags": "$TAGS",
  "org": {
    "id": "$ORG_ID",
    "name": "$ORG_NAME"
  },
  "alert_id": "$ALERT_ID",
  "alert_cycle_key": "$ALERT_CYCLE_KEY",
  "alert_transition": "$ALERT_TRANSITION",
  "alert_type": "$ALERT_TYPE",
  "alert_title": "$ALERT_TITLE",
  "alert_priority": "$ALERT_PRIORITY",
  "alert_status": "$ALERT_STATUS",
  "alert_scope": "$ALERT_SCOPE",
  "alert_metric": "$ALERT_METRIC",
  "alert_query": "$ALERT_QUERY",
  "aggreg_key": "$AGGREG_KEY"
}`

// loose is a string, number or boolean.
type loose = ingest.FlexString

type payload struct {
	ID              loose           `json:"id"`
	EventType       loose           `json:"event_type"`
	Title           loose           `json:"title"`
	Body            loose           `json:"body"`
	Date            loose           `json:"date"`
	LastUpdated     loose           `json:"last_updated"`
	Link            loose           `json:"link"`
	Hostname        loose           `json:"hostname"`
	Tags            json.RawMessage `json:"tags"`
	Org             json.RawMessage `json:"org"`
	OrgID           loose           `json:"org_id"`
	AlertID         loose           `json:"alert_id"`
	AlertCycleKey   loose           `json:"alert_cycle_key"`
	AlertTransition loose           `json:"alert_transition"`
	AlertType       loose           `json:"alert_type"`
	AlertTitle      loose           `json:"alert_title"`
	AlertPriority   loose           `json:"alert_priority"`
	AlertStatus     loose           `json:"alert_status"`
	AlertScope      loose           `json:"alert_scope"`
	AlertMetric     loose           `json:"alert_metric"`
	AlertQuery      loose           `json:"alert_query"`
	AggregKey       loose           `json:"aggreg_key"`
}

var (
	serviceKeys = []string{"service"}
	envKeys     = []string{"env", "environment"}
)

var unsubstituted = regexp.MustCompile(`^\$[A-Z][A-Z0-9_]*(\[[^\]]*\])?$`)

// val is a template value, "" when Datadog left it empty, None or
// unsubstituted.
func val(s loose) string {
	v := s.String()
	switch {
	case unsubstituted.MatchString(v), strings.EqualFold(v, "none"), strings.EqualFold(v, "null"), v == "N/A":
		return ""
	}
	return v
}

// Parse reads one webhook request body (and headers) into a Delivery. It
// returns *ingest.Error (Index = item position or -1, Field = JSON path or header) for malformed or
// invalid input, never panics, and does NOT call m.Apply or ingest.Validate (the caller does, uniformly),
// but it uses m.ServiceFrom(labels, conventionalKeys, fallback) to choose Service, and puts the
// tool's raw severity/priority string in Event.Severity (the caller normalises it with the mapping).
func Parse(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
	p, err := decode(body, h)
	if err != nil {
		return ingest.Delivery{}, err
	}
	date, err := ingest.ParseTimeStringAnyUnit(val(p.Date))
	if err != nil {
		return ingest.Delivery{}, ingest.Errorf(-1, "date", "must be a Unix timestamp ($DATE) or an RFC 3339 time: %s", ingest.Truncate(err.Error(), 120))
	}
	updated, err := ingest.ParseTimeStringAnyUnit(val(p.LastUpdated))
	if err != nil {
		return ingest.Delivery{}, ingest.Errorf(-1, "last_updated", "must be a Unix timestamp ($LAST_UPDATED) or an RFC 3339 time: %s", ingest.Truncate(err.Error(), 120))
	}
	start := ingest.FirstNonZeroTime(date, updated)
	if start.IsZero() {
		return ingest.Delivery{}, ingest.Errorf(-1, "date", "is required: put \"date\": \"$DATE\" in the webhook payload")
	}
	rawTitle := ingest.FirstNonEmpty(val(p.AlertTitle), val(p.Title))
	title := stripState(rawTitle)

	alertID, scope := val(p.AlertID), val(p.AlertScope)
	var key string
	switch {
	case val(p.AlertCycleKey) != "":
		key = ingest.DedupKey("cycle:", val(p.AlertCycleKey))
	case alertID != "" && scope != "":
		key = ingest.DedupKey("monitor:", alertID+"/"+scope)
	case alertID != "":
		key = ingest.DedupKey("monitor:", alertID)
	case title != "":
		key = ingest.DedupKey("title:", title)
	case val(p.ID) != "":
		key = ingest.DedupKey("event:", val(p.ID))
	default:
		return ingest.Delivery{}, ingest.Errorf(-1, "alert_cycle_key", "is required: put \"alert_cycle_key\": \"$ALERT_CYCLE_KEY\" in the webhook payload")
	}

	transition := val(p.AlertTransition)
	alertType := strings.ToLower(val(p.AlertType))
	status := ingest.StatusFiring
	if resolved(transition, rawTitle, alertType) {
		status = ingest.StatusResolved
	}
	var end *time.Time
	if status == ingest.StatusResolved {
		end = ingest.EndAfter(start, ingest.FirstNonZeroTime(updated, date))
	}
	severity := val(p.AlertPriority)
	if severity == "" && alertType != "success" {
		severity = alertType
	}

	labels := ingest.LabelBag{}
	labels.Set("alert_id", alertID)
	labels.Set("transition", transition)
	labels.Set("alert_type", alertType)
	labels.Set("priority", val(p.AlertPriority))
	labels.Set("host", val(p.Hostname))
	labels.Set("metric", val(p.AlertMetric))
	labels.Set("query", val(p.AlertQuery))
	labels.Set("event_type", val(p.EventType))
	labels.Set("org_id", orgID(p))
	labels.Set("aggreg_key", val(p.AggregKey))
	for _, t := range strings.Split(scope, ",") {
		labels.SetTag(t)
	}
	tags, err := tagList(p.Tags)
	if err != nil {
		return ingest.Delivery{}, err
	}
	for _, t := range tags {
		labels.SetTag(t)
	}
	env := ingest.FirstLabel(labels, envKeys...)
	if title == "" {
		title = "Datadog monitor " + ingest.FirstNonEmpty(alertID, val(p.ID))
	}
	return ingest.Delivery{Events: []ingest.Event{{
		Kind:        ingest.KindAlert,
		Source:      Name,
		DedupKey:    key,
		Status:      status,
		Title:       ingest.Truncate(title, ingest.MaxTitle),
		Description: ingest.Truncate(ingest.FirstNonEmpty(val(p.Body), val(p.AlertStatus)), ingest.MaxDescription),
		Severity:    severity,
		Service:     m.ServiceFrom(labels, serviceKeys, ""),
		Environment: env,
		StartsAt:    start,
		EndsAt:      end,
		URL:         val(p.Link),
		Labels:      labels.Map(),
	}}}, nil
}

// decode reads the JSON body, or the form fields of a body sent with
// "Encode as form". A JSON body whose strings hold raw control characters
// (a message with a bare newline) is read after escaping them.
func decode(body []byte, h http.Header) (payload, error) {
	var p payload
	trimmed := strings.TrimSpace(string(body))
	ct := strings.ToLower(h.Get("Content-Type"))
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") || (trimmed != "" && trimmed[0] != '{' && strings.Contains(trimmed, "=")) {
		form, err := url.ParseQuery(trimmed)
		if err != nil {
			return p, ingest.Errorf(-1, "", "the body is neither JSON nor a valid form: %s", ingest.Truncate(err.Error(), 120))
		}
		obj := map[string]string{}
		for k, vs := range form {
			if len(vs) > 0 {
				obj[k] = vs[0]
			}
		}
		b, _ := json.Marshal(obj)
		body = b
	}
	err := ingest.DecodeWebhookBody(body, &p)
	if err == nil {
		return p, nil
	}
	var ie *ingest.Error
	if errors.As(err, &ie) && ie.Field == "" {
		if fixed, changed := escapeControls(body); changed {
			var q payload
			if ingest.DecodeWebhookBody(fixed, &q) == nil {
				return q, nil
			}
		}
	}
	return payload{}, err
}

// escapeControls escapes raw control characters inside JSON strings.
func escapeControls(b []byte) ([]byte, bool) {
	out := make([]byte, 0, len(b)+16)
	inString, escaped, changed := false, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString && c < 0x20:
			changed = true
			switch c {
			case '\n':
				out = append(out, '\\', 'n')
			case '\r':
				out = append(out, '\\', 'r')
			case '\t':
				out = append(out, '\\', 't')
			default:
				out = append(out, fmt.Sprintf(`\u%04x`, c)...)
			}
			continue
		}
		out = append(out, c)
	}
	return out, changed
}

// tagList reads $TAGS: a comma-separated string, or an array of strings.
func tagList(raw json.RawMessage) ([]string, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, nil
	}
	if strings.HasPrefix(s, "[") {
		var list []loose
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, ingest.Errorf(-1, "tags", "must be a comma-separated string of tags")
		}
		out := make([]string, 0, len(list))
		for _, t := range list {
			out = append(out, val(t))
		}
		return out, nil
	}
	var str loose
	if err := json.Unmarshal(raw, &str); err != nil {
		return nil, ingest.Errorf(-1, "tags", "must be a comma-separated string of tags")
	}
	return strings.Split(val(str), ","), nil
}

func orgID(p payload) string {
	if id := val(p.OrgID); id != "" {
		return id
	}
	var org struct {
		ID loose `json:"id"`
	}
	if json.Unmarshal(p.Org, &org) == nil {
		return val(org.ID)
	}
	return ""
}

// resolved tells a recovery from the transition, else from the title's
// state bracket, else from the alert type.
func resolved(transition, title, alertType string) bool {
	t := strings.ToLower(strings.TrimSpace(transition))
	switch {
	case t == "recovered" || t == "resolved" || t == "ok":
		return true
	case t != "" && t != "null":
		return false
	}
	for _, state := range leadingStates(title) {
		if strings.HasPrefix(strings.ToLower(state), "recovered") {
			return true
		}
	}
	return alertType == "success"
}

// stateBracket matches a leading "[Triggered on {host:x}]"-style bracket.
var stateBracket = regexp.MustCompile(`^\s*\[((?i:re-)?(?i:triggered|recovered|warn|warning|no data|renotify|test|p[0-5])\b[^\]]*)\]\s*`)

// leadingStates returns the contents of the title's leading state and
// priority brackets ("P2", "Recovered on {host:x}") and the rest.
func leadingStates(title string) []string {
	var states []string
	s := title
	for i := 0; i < 5; i++ {
		mm := stateBracket.FindStringSubmatchIndex(s)
		if mm == nil {
			break
		}
		states = append(states, s[mm[2]:mm[3]])
		s = s[mm[1]:]
	}
	return states
}

// stripState drops the leading state and priority brackets of a Datadog
// title, keeping the rest; the title itself when nothing is left.
func stripState(title string) string {
	s := title
	for i := 0; i < 5; i++ {
		loc := stateBracket.FindStringIndex(s)
		if loc == nil {
			break
		}
		s = s[loc[1]:]
	}
	if s = strings.TrimSpace(s); s == "" {
		return strings.TrimSpace(title)
	}
	return s
}

// Instructions: exact config to paste into the tool, filled in with hookURL and secret.
func Instructions(hookURL, secret string) ingest.Setup {
	headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + secret})
	return ingest.Setup{
		Steps: []string{
			"In Datadog, open Integrations → Webhooks (install the Webhooks integration if needed) and choose + New webhook.",
			"Name: hindsight. URL: " + hookURL + ".",
			"Payload: paste the JSON below as it is (every $VARIABLE quoted). Leave Encode as form unticked.",
			"Custom Headers: " + string(headers) + " (Datadog cannot sign its requests; Hindsight checks this Bearer token).",
			"Save, then add @webhook-hindsight to the message of each monitor that should reach Hindsight (or to a notification rule). Keep it outside {{#is_alert}} blocks so recoveries are sent too.",
			"Tag monitors with service:<name> and env:<name> so Hindsight can attribute them; the monitor priority (P1…P5) becomes the severity.",
		},
		Config:         PayloadTemplate,
		ConfigLanguage: "json",
	}
}
