// Package opsgenie reads the requests of an Opsgenie Webhook integration
// (Settings → Integrations → Webhook), which posts the alert action data
// for each alert action it is mapped to.
//
// The body is {action, alert: {alertId, message, tags, tinyId, entity,
// alias, createdAt, updatedAt, username, userId, description, priority,
// source, details, teams, note, …}, source: {name, type}, integrationName,
// integrationId, integrationType}. createdAt is Unix milliseconds;
// updatedAt is Unix NANOSECONDS (both may also come as strings or RFC 3339;
// the unit is read from the magnitude). priority is "P1".."P5", sometimes
// the bare number. description and details are sent only when the
// integration's "Add Alert Description/Details to Payload" boxes are ticked
// (Opsgenie cuts them to 1000 characters).
//
// Mapping (actions are compared case-insensitively):
//
//   - Every action on one alert updates ONE alert Event, DedupKey
//     "alert:<alertId>" (an alert that fires again after being closed is a
//     new Opsgenie alert with a new alertId, hence a new event; without an
//     alertId the key is "alias:<alias>@<createdAt>").
//   - Create is firing. Close is resolved, with EndsAt = updatedAt. Any
//     other action (Acknowledge, UnAcknowledge, Escalate, AssignOwnership,
//     AddTags, custom actions, …) is an update that stays firing;
//     Acknowledge records its time in the label acknowledged_at.
//   - AddNote is not an alert update (a note may be added to a closed
//     alert): it is a note Event, DedupKey "note:<alertId>:<updatedAt>",
//     Description the note, linked to the alert by the label alert_id.
//   - Delete gives an empty Delivery: deleting is not resolving, and the
//     alert's Close has its own request.
//
// Title is the alert message; Description its description; Severity its
// priority; StartsAt createdAt (else updatedAt). Labels are alert_id,
// tiny_id, alias, entity, source, priority, action, integration, user,
// teams, then the details, then the tags ("key:value" or "key=value" tags
// become key → value, bare tags key → ""). Service is the label service
// (a service:x tag or a details.service), after the mapping's labels;
// Environment the label env or environment.
//
// Opsgenie cannot sign its requests, so there is no Verify: its custom
// headers carry "Authorization: Bearer <secret>". It sends no delivery id
// (Delivery.ID is "").
package opsgenie

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"hindsight/ingest"
)

// Name is the integration kind.
const Name = "opsgenie"

// loose is a string, number or boolean.
type loose = ingest.FlexString

type payload struct {
	Action          loose  `json:"action"`
	Alert           *alert `json:"alert"`
	IntegrationName loose  `json:"integrationName"`
	IntegrationType loose  `json:"integrationType"`
	Source          *struct {
		Name loose `json:"name"`
		Type loose `json:"type"`
	} `json:"source"`
}

type alert struct {
	AlertID     loose                      `json:"alertId"`
	TinyID      loose                      `json:"tinyId"`
	Alias       loose                      `json:"alias"`
	Message     loose                      `json:"message"`
	Description loose                      `json:"description"`
	Entity      loose                      `json:"entity"`
	Source      loose                      `json:"source"`
	Priority    loose                      `json:"priority"`
	Username    loose                      `json:"username"`
	Note        loose                      `json:"note"`
	Tags        json.RawMessage            `json:"tags"`
	Teams       []json.RawMessage          `json:"teams"`
	Details     map[string]json.RawMessage `json:"details"`
	CreatedAt   json.RawMessage            `json:"createdAt"`
	UpdatedAt   json.RawMessage            `json:"updatedAt"`
}

var (
	serviceKeys = []string{"service"}
	envKeys     = []string{"env", "environment"}
)

// Parse reads one webhook request body (and headers) into a Delivery. It
// returns *ingest.Error (Index = item position or -1, Field = JSON path or header) for malformed or
// invalid input, never panics, and does NOT call m.Apply or ingest.Validate (the caller does, uniformly),
// but it uses m.ServiceFrom(labels, conventionalKeys, fallback) to choose Service, and puts the
// tool's raw severity/priority string in Event.Severity (the caller normalises it with the mapping).
func Parse(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
	var p payload
	if err := ingest.DecodeWebhookBody(body, &p); err != nil {
		return ingest.Delivery{}, err
	}
	action := strings.ToLower(p.Action.String())
	if action == "" {
		return ingest.Delivery{}, ingest.Errorf(-1, "action", "is required")
	}
	a := p.Alert
	if a == nil {
		return ingest.Delivery{}, ingest.Errorf(-1, "alert", "is required")
	}
	if action == "delete" {
		return ingest.Delivery{}, nil
	}
	created, err := ingest.ParseTimeAnyUnit(a.CreatedAt)
	if err != nil {
		return ingest.Delivery{}, ingest.Errorf(-1, "alert.createdAt", "must be a Unix timestamp or an RFC 3339 time: %s", ingest.Truncate(err.Error(), 120))
	}
	updated, err := ingest.ParseTimeAnyUnit(a.UpdatedAt)
	if err != nil {
		return ingest.Delivery{}, ingest.Errorf(-1, "alert.updatedAt", "must be a Unix timestamp or an RFC 3339 time: %s", ingest.Truncate(err.Error(), 120))
	}
	start := ingest.FirstNonZeroTime(created, updated)
	if start.IsZero() {
		return ingest.Delivery{}, ingest.Errorf(-1, "alert.createdAt", "is required: the alert has no time")
	}
	id := a.AlertID.String()
	var key string
	switch {
	case id != "":
		key = ingest.DedupKey("alert:", id)
	case a.Alias.String() != "":
		key = ingest.DedupKey("alias:", a.Alias.String()+"@"+start.UTC().Format(time.RFC3339Nano))
	default:
		return ingest.Delivery{}, ingest.Errorf(-1, "alert.alertId", "is required (or alert.alias)")
	}
	priority := a.Priority.String()
	if priority != "" && strings.Trim(priority, "0123456789") == "" {
		priority = "P" + priority
	}

	labels := ingest.LabelBag{}
	labels.Set("alert_id", id)
	labels.Set("tiny_id", a.TinyID.String())
	labels.Set("alias", a.Alias.String())
	labels.Set("entity", a.Entity.String())
	labels.Set("source", a.Source.String())
	labels.Set("priority", priority)
	labels.Set("action", p.Action.String())
	labels.Set("integration", p.IntegrationName.String())
	labels.Set("user", a.Username.String())
	labels.Set("teams", teamNames(a.Teams))
	if action == "acknowledge" {
		labels.Set("acknowledged_at", ingest.FormatLabelTime(updated))
	}
	for _, k := range sortedKeys(a.Details) {
		labels.Add(k, detailText(a.Details[k]))
	}
	tags, err := tagList(a.Tags)
	if err != nil {
		return ingest.Delivery{}, err
	}
	for _, t := range tags {
		labels.SetTag(t)
	}
	service := m.ServiceFrom(labels, serviceKeys, "")
	env := ingest.FirstLabel(labels, envKeys...)
	title := ingest.FirstNonEmpty(a.Message.String(), a.Alias.String())
	if title == "" {
		title = "Opsgenie alert " + ingest.FirstNonEmpty(a.TinyID.String(), id)
	}

	if action == "addnote" {
		when := ingest.FirstNonZeroTime(updated, created)
		noteID := ingest.FirstNonEmpty(rawDigits(a.UpdatedAt), when.UTC().Format(time.RFC3339Nano))
		return ingest.Delivery{Events: []ingest.Event{{
			Kind:        ingest.KindNote,
			Source:      Name,
			DedupKey:    ingest.DedupKey("note:", ingest.FirstNonEmpty(id, a.Alias.String())+":"+noteID),
			Title:       ingest.Truncate("Note on "+title, ingest.MaxTitle),
			Description: ingest.Truncate(a.Note.String(), ingest.MaxDescription),
			Service:     service,
			Environment: env,
			StartsAt:    when,
			Labels:      labels.Map(),
		}}}, nil
	}

	status := ingest.StatusFiring
	var end *time.Time
	if action == "close" {
		status = ingest.StatusResolved
		end = ingest.EndAfter(start, updated)
	}
	return ingest.Delivery{Events: []ingest.Event{{
		Kind:        ingest.KindAlert,
		Source:      Name,
		DedupKey:    key,
		Status:      status,
		Title:       ingest.Truncate(title, ingest.MaxTitle),
		Description: ingest.Truncate(a.Description.String(), ingest.MaxDescription),
		Severity:    priority,
		Service:     service,
		Environment: env,
		StartsAt:    start,
		EndsAt:      end,
		Labels:      labels.Map(),
	}}}, nil
}

// tagList reads alert.tags: an array of strings (numbers taken as text), or
// one comma-separated string.
func tagList(raw json.RawMessage) ([]string, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return nil, ingest.Errorf(-1, "alert.tags", "must be an array of strings")
		}
		return strings.Split(str, ","), nil
	}
	var list []loose
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, ingest.Errorf(-1, "alert.tags", "must be an array of strings")
	}
	out := make([]string, 0, len(list))
	for _, t := range list {
		out = append(out, t.String())
	}
	return out, nil
}

// teamNames reads alert.teams: ids or names as strings, or objects with a
// name or id; others are skipped.
func teamNames(raw []json.RawMessage) string {
	var names []string
	for _, r := range raw {
		var s loose
		if json.Unmarshal(r, &s) == nil {
			if s.String() != "" {
				names = append(names, s.String())
			}
			continue
		}
		var obj struct {
			Name loose `json:"name"`
			ID   loose `json:"id"`
		}
		if json.Unmarshal(r, &obj) == nil {
			if n := ingest.FirstNonEmpty(obj.Name.String(), obj.ID.String()); n != "" {
				names = append(names, n)
			}
		}
	}
	return strings.Join(names, ", ")
}

// detailText is a details value as text: strings as they are, anything
// else as compact JSON.
func detailText(raw json.RawMessage) string {
	var s loose
	if json.Unmarshal(raw, &s) == nil {
		return s.String()
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return ""
	}
	return buf.String()
}

// rawDigits is a JSON number or numeric string exactly as sent ("" if it is
// not one), so that a nanosecond updatedAt keeps every digit.
func rawDigits(raw json.RawMessage) string {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return ""
	}
	return s
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Instructions: exact config to paste into the tool, filled in with hookURL and secret.
func Instructions(hookURL, secret string) ingest.Setup {
	config := fmt.Sprintf(`Opsgenie → Settings → Integrations → Add integration → Webhook

Name:                               Hindsight
Webhook URL:                        %s
Add Alert Description to Payload:   [x]
Add Alert Details to Payload:       [x]
Custom Headers:
  Authorization                     Bearer %s

Opsgenie → Webhook (action mappings, "post to url"):
  If alert is created in Opsgenie
  If alert is closed in Opsgenie
  If alert is acknowledged in Opsgenie
  If a note is added to the alert in Opsgenie
`, hookURL, secret)
	return ingest.Setup{
		Steps: []string{
			"In Opsgenie, open Settings → Integrations (or a team's Integrations), choose Add integration and pick Webhook.",
			"Set Webhook URL to " + hookURL + ", tick Add Alert Description to Payload and Add Alert Details to Payload, and add the custom header Authorization with the value shown below (Opsgenie cannot sign its requests; Hindsight checks this Bearer token).",
			"Under the integration's alert action mappings (Opsgenie → Webhook), post to the URL at least when an alert is created and when it is closed; acknowledged and note added are useful too. Deleted alerts are ignored.",
			"Turn the integration on and save. Tag alerts with service:<name> and env:<name> (or set the details service and env) so Hindsight can attribute them; priorities P1…P5 become the severity.",
		},
		Config:         config,
		ConfigLanguage: "text",
	}
}
