// Package alertmanager reads the notifications that Prometheus Alertmanager
// sends to a webhook receiver (webhook_configs, payload "version": "4").
//
// A notification is one alert group: it carries receiver, status,
// groupLabels, commonLabels, commonAnnotations, externalURL, groupKey,
// truncatedAlerts and the alerts themselves. Every alert becomes one alert
// Event:
//
//   - DedupKey is the alert's fingerprint, "@", and its startsAt in RFC 3339
//     UTC (seconds). Alertmanager repeats the same fingerprint and startsAt in
//     every re-notification and in the resolved notification of one firing,
//     so they all update the same event; a later re-fire starts anew and is a
//     new event. An alert without a fingerprint gets a stable one derived
//     from its sorted labels.
//   - Status is the alert's own status (firing or resolved; inferred from
//     endsAt when absent). EndsAt is set only for resolved alerts, and never
//     for Alertmanager's zero time "0001-01-01T00:00:00Z".
//   - Title is annotations.summary, else labels.alertname; Description is
//     annotations.description; URL is generatorURL, else externalURL.
//   - Service comes from the mapping's labels, then the labels service, app,
//     job; Environment from env or environment; Severity is the raw severity
//     label, which the caller's mapping normalises.
//   - Labels are the alert's labels, bounded to ingest.MaxLabels.
//
// Times may be RFC 3339 or Unix epochs; label values may be strings,
// numbers or booleans. Unknown fields are ignored.
//
// Alertmanager has no event types and no signature of its own: it
// authenticates with http_config (authorization credentials or basic auth),
// so there is no Verify, and no delivery id header (Delivery.ID is "").
// The "test" notification that Grafana and Mimir send through an
// Alertmanager receiver (alertname TestAlert, instance Alertmanager or
// Grafana, on every alert) is answered with an empty Delivery.
package alertmanager

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"hindsight/ingest"
)

// Name is the integration kind.
const Name = "alertmanager"

var (
	serviceKeys = []string{"service", "app", "job"}
	envKeys     = []string{"env", "environment"}
	// keepLabels are kept first when an alert has more than MaxLabels.
	keepLabels = []string{"alertname", "service", "app", "job", "env", "environment", "severity", "instance", "namespace", "cluster"}
)

// notification is the part of the webhook body Hindsight reads.
type notification struct {
	Alerts      json.RawMessage `json:"alerts"`
	ExternalURL json.RawMessage `json:"externalURL"`
}

// Parse reads one webhook request body (and headers) into a Delivery. It
// returns *ingest.Error (Index = item position or -1, Field = JSON path or header) for malformed or
// invalid input, never panics, and does NOT call m.Apply or ingest.Validate (the caller does, uniformly),
// but it uses m.ServiceFrom(labels, conventionalKeys, fallback) to choose Service, and puts the
// tool's raw severity/priority string in Event.Severity (the caller normalises it with the mapping).
func Parse(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
	var n notification
	if err := DecodeNotification(body, &n, "an Alertmanager webhook notification"); err != nil {
		return ingest.Delivery{}, err
	}
	externalURL, err := ingest.DecodeStringField(n.ExternalURL, -1, "externalURL")
	if err != nil {
		return ingest.Delivery{}, err
	}
	raws, err := DecodeAlerts(n.Alerts, "not an Alertmanager webhook notification")
	if err != nil {
		return ingest.Delivery{}, err
	}
	events := make([]ingest.Event, 0, len(raws))
	for i, raw := range raws {
		var r RawAlert
		if err := UnmarshalAlert(i, raw, &r); err != nil {
			return ingest.Delivery{}, err
		}
		a, err := r.Decode(i)
		if err != nil {
			return ingest.Delivery{}, err
		}
		a.URL = ingest.FirstNonEmpty(a.GeneratorURL, externalURL)
		ev, err := a.Event(Name, m, keepLabels)
		if err != nil {
			return ingest.Delivery{}, err
		}
		events = append(events, ev)
	}
	if IsTestNotification(events, "Alertmanager", "Grafana") {
		return ingest.Delivery{}, nil
	}
	return ingest.Delivery{Events: events}, nil
}

// The rest of this file reads Alertmanager's webhook format for every tool
// that sends it: Grafana's unified alerting sends the same notification
// with fields of its own.

// DecodeNotification unmarshals a body that must be one JSON object (the
// notification v, with its alerts and externalURL); what names the
// payload in the error ("an Alertmanager webhook notification").
func DecodeNotification(body []byte, v any, what string) error {
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return &ingest.Error{Index: -1, Msg: "empty body: expected " + what}
	}
	if err := json.Unmarshal(body, v); err != nil {
		var syntax *json.SyntaxError
		if !errors.As(err, &syntax) && trimmed[0] != '{' {
			return &ingest.Error{Index: -1, Msg: "expected a JSON object (" + what + ")"}
		}
		return ingest.MalformedJSON(err)
	}
	return nil
}

// DecodeAlerts reads the notification's "alerts": a non-empty array.
// notThis ends the message when it is missing ("not an Alertmanager webhook
// notification").
func DecodeAlerts(raw json.RawMessage, notThis string) ([]json.RawMessage, error) {
	if s := strings.TrimSpace(string(raw)); s == "" || s == "null" {
		return nil, &ingest.Error{Index: -1, Field: "alerts", Msg: "is missing: " + notThis}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(raw, &raws); err != nil {
		return nil, &ingest.Error{Index: -1, Field: "alerts", Msg: "must be an array of alerts"}
	}
	if len(raws) == 0 {
		return nil, &ingest.Error{Index: -1, Field: "alerts", Msg: "is empty: the notification carries no alert"}
	}
	return raws, nil
}

// RawAlert is one alert of a notification, its fields as sent. A tool's
// own alert type embeds it to read more fields.
type RawAlert struct {
	Status       json.RawMessage `json:"status"`
	Labels       json.RawMessage `json:"labels"`
	Annotations  json.RawMessage `json:"annotations"`
	StartsAt     json.RawMessage `json:"startsAt"`
	EndsAt       json.RawMessage `json:"endsAt"`
	GeneratorURL json.RawMessage `json:"generatorURL"`
	Fingerprint  json.RawMessage `json:"fingerprint"`
}

// alertPath is the JSON path of the alert at index i.
func alertPath(i int) string { return "alerts[" + strconv.Itoa(i) + "]" }

// UnmarshalAlert unmarshals the alert at index i of "alerts" into v, a
// *RawAlert or a tool's alert type that embeds RawAlert.
func UnmarshalAlert(i int, raw json.RawMessage, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return &ingest.Error{Index: i, Field: alertPath(i), Msg: "must be an alert object"}
	}
	return nil
}

// Alert is one alert of a notification, decoded.
type Alert struct {
	Index        int // its place in "alerts"
	Status       string
	Labels       map[string]string
	Annotations  map[string]string
	StartsAt     time.Time
	EndsAt       time.Time
	GeneratorURL string
	Fingerprint  string

	// Set by the tool before Event:
	URL         string // the event's link
	Description string // used when annotations has no description
}

// Decode decodes the alert at index i: labels, annotations, status,
// startsAt, endsAt, generatorURL and fingerprint, in this order, so that the
// first wrong field is the *ingest.Error (Field "alerts[i].<field>").
// Labels and annotations are objects of strings (numbers and booleans
// taken as their text), the times RFC 3339 or Unix epochs, and the
// fingerprint a string or a number.
func (r RawAlert) Decode(i int) (Alert, error) {
	path := alertPath(i)
	a := Alert{Index: i}
	var err error
	if a.Labels, err = ingest.DecodeLabelsField(r.Labels, i, path+".labels", false); err != nil {
		return Alert{}, err
	}
	if a.Annotations, err = ingest.DecodeLabelsField(r.Annotations, i, path+".annotations", false); err != nil {
		return Alert{}, err
	}
	if a.Status, err = ingest.DecodeStringField(r.Status, i, path+".status"); err != nil {
		return Alert{}, err
	}
	if a.StartsAt, err = ingest.DecodeTimeField(r.StartsAt, i, path+".startsAt"); err != nil {
		return Alert{}, err
	}
	if a.EndsAt, err = ingest.DecodeTimeField(r.EndsAt, i, path+".endsAt"); err != nil {
		return Alert{}, err
	}
	if a.GeneratorURL, err = ingest.DecodeStringField(r.GeneratorURL, i, path+".generatorURL"); err != nil {
		return Alert{}, err
	}
	if a.Fingerprint, err = ingest.DecodeFlexField(r.Fingerprint, i, path+".fingerprint"); err != nil {
		return Alert{}, err
	}
	return a, nil
}

// Event turns the alert into an alert Event of source, its labels bounded
// with the keys in keep first:
//
//   - DedupKey is the fingerprint (derived from the labels when there is
//     none, hashed when longer than 128 bytes), "@", and startsAt in RFC
//     3339 UTC (seconds): the same for every notification of one firing.
//   - Status is firing or resolved (inferred from EndsAt when absent; any
//     other is an error); EndsAt only for resolved alerts. Without startsAt,
//     a resolved alert starts at its end.
//   - Title is annotations.summary, else labels.alertname; Description is
//     annotations.description, else a.Description.
//   - Service comes from the mapping's labels, then service, app, job;
//     Environment from env or environment; Severity is the raw severity
//     label.
func (a Alert) Event(source string, m ingest.Mapping, keep []string) (ingest.Event, error) {
	path := alertPath(a.Index)
	ev := ingest.Event{
		Kind:        ingest.KindAlert,
		Source:      source,
		Description: ingest.Truncate(ingest.FirstNonEmpty(a.Annotations["description"], a.Description), ingest.MaxDescription),
		Severity:    strings.TrimSpace(a.Labels["severity"]),
		Service:     m.ServiceFrom(a.Labels, serviceKeys, ""),
		Environment: ingest.FirstLabel(a.Labels, envKeys...),
		URL:         a.URL,
		Labels:      ingest.BoundLabelSet(a.Labels, keep),
	}
	switch status := strings.ToLower(strings.TrimSpace(a.Status)); status {
	case ingest.StatusFiring, ingest.StatusResolved:
		ev.Status = status
	case "":
		ev.Status = ingest.StatusFiring
		if !a.EndsAt.IsZero() {
			ev.Status = ingest.StatusResolved
		}
	default:
		return ingest.Event{}, &ingest.Error{Index: a.Index, Field: path + ".status",
			Msg: fmt.Sprintf("must be firing or resolved, not %q", ingest.Truncate(status, 40))}
	}
	endsAt := a.EndsAt
	if ev.Status == ingest.StatusResolved && !endsAt.IsZero() {
		ev.EndsAt = &endsAt
	}
	startsAt := a.StartsAt
	if startsAt.IsZero() {
		if ev.EndsAt == nil {
			return ingest.Event{}, &ingest.Error{Index: a.Index, Field: path + ".startsAt", Msg: "is required"}
		}
		startsAt = endsAt // the closest time the payload gives
	}
	ev.StartsAt = startsAt

	fingerprint := strings.TrimSpace(a.Fingerprint)
	if fingerprint == "" {
		fingerprint = ingest.LabelSetFingerprint(a.Labels)
	} else if len(fingerprint) > 128 {
		sum := sha256.Sum256([]byte(fingerprint))
		fingerprint = hex.EncodeToString(sum[:16])
	}
	ev.DedupKey = fingerprint + "@" + startsAt.UTC().Format(time.RFC3339)

	title := ingest.FirstNonEmpty(a.Annotations["summary"], a.Labels["alertname"])
	if title == "" {
		title = "Alert " + fingerprint
	}
	ev.Title = ingest.Truncate(title, ingest.MaxTitle)
	return ev, nil
}

// IsTestNotification tells the test notification that Grafana and Mimir
// send through a receiver: every alert is alertname=TestAlert, with one of
// instances as its instance.
func IsTestNotification(events []ingest.Event, instances ...string) bool {
	for _, ev := range events {
		if ev.Labels["alertname"] != "TestAlert" || !slices.Contains(instances, ev.Labels["instance"]) {
			return false
		}
	}
	return len(events) > 0
}

// Instructions: exact config to paste into the tool, filled in with hookURL and secret.
func Instructions(hookURL, secret string) ingest.Setup {
	config := fmt.Sprintf(`# alertmanager.yml: add the receiver, and a route that copies every alert to it.
receivers:
  - name: hindsight
    webhook_configs:
      - url: %s
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %s

route:
  receiver: your-default-receiver      # unchanged
  routes:
    # 1. first child route: copy every alert to Hindsight and keep going
    - receiver: hindsight
      continue: true
      # matchers: ['env="production"']   # optional: send only some alerts
    # 2. ... your existing child routes, unchanged ...
    # 3. last child route: once any child route matches, Alertmanager no longer
    #    uses the top-level receiver, so repeat it here as the catch-all
    - receiver: your-default-receiver
`, strconv.Quote(hookURL), strconv.Quote(secret))
	return ingest.Setup{
		Steps: []string{
			"Open your Alertmanager configuration file (alertmanager.yml, or the AlertmanagerConfig / Helm values that generate it).",
			"Add the hindsight receiver below to receivers:. Hindsight authenticates it with the Bearer credentials; keep send_resolved: true so resolved alerts close their events.",
			"Add the hindsight route as the FIRST entry of route.routes, with continue: true so the alert keeps flowing to your other routes.",
			"Because a matching child route replaces the top-level receiver, also add your top-level receiver as the LAST child route (replace your-default-receiver with its name), so alerts that matched no other route still reach it.",
			"Reload Alertmanager (POST /-/reload or SIGHUP) and check its log for configuration errors; `amtool check-config alertmanager.yml` validates the file.",
			"Use labels service (or app, job), env (or environment) and severity on your alerting rules so Hindsight can attribute the alerts.",
		},
		Config:         config,
		ConfigLanguage: "yaml",
	}
}
