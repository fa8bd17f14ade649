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

type alert struct {
	Status       json.RawMessage `json:"status"`
	Labels       json.RawMessage `json:"labels"`
	Annotations  json.RawMessage `json:"annotations"`
	StartsAt     json.RawMessage `json:"startsAt"`
	EndsAt       json.RawMessage `json:"endsAt"`
	GeneratorURL json.RawMessage `json:"generatorURL"`
	Fingerprint  json.RawMessage `json:"fingerprint"`
}

// Parse reads one webhook request body (and headers) into a Delivery. It
// returns *ingest.Error (Index = item position or -1, Field = JSON path or header) for malformed or
// invalid input, never panics, and does NOT call m.Apply or ingest.Validate (the caller does, uniformly),
// but it uses m.ServiceFrom(labels, conventionalKeys, fallback) to choose Service, and puts the
// tool's raw severity/priority string in Event.Severity (the caller normalises it with the mapping).
func Parse(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
	var n notification
	if err := decodeObject(body, &n); err != nil {
		return ingest.Delivery{}, err
	}
	externalURL, err := ingest.DecodeStringField(n.ExternalURL, -1, "externalURL")
	if err != nil {
		return ingest.Delivery{}, err
	}
	raws, err := decodeAlerts(n.Alerts)
	if err != nil {
		return ingest.Delivery{}, err
	}
	events := make([]ingest.Event, 0, len(raws))
	for i, raw := range raws {
		ev, err := convert(i, raw, strings.TrimSpace(externalURL), m)
		if err != nil {
			return ingest.Delivery{}, err
		}
		events = append(events, ev)
	}
	if isTest(events) {
		return ingest.Delivery{}, nil
	}
	return ingest.Delivery{Events: events}, nil
}

// decodeObject unmarshals a body that must be one JSON object.
func decodeObject(body []byte, v any) error {
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return &ingest.Error{Index: -1, Msg: "empty body: expected an Alertmanager webhook notification"}
	}
	if err := json.Unmarshal(body, v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return &ingest.Error{Index: -1, Msg: fmt.Sprintf("malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())}
		}
		if trimmed[0] != '{' {
			return &ingest.Error{Index: -1, Msg: "expected a JSON object (an Alertmanager webhook notification)"}
		}
		return &ingest.Error{Index: -1, Msg: "malformed JSON: " + ingest.Truncate(err.Error(), 200)}
	}
	return nil
}

func decodeAlerts(raw json.RawMessage) ([]json.RawMessage, error) {
	if strings.TrimSpace(string(raw)) == "" || strings.TrimSpace(string(raw)) == "null" {
		return nil, &ingest.Error{Index: -1, Field: "alerts", Msg: "is missing: not an Alertmanager webhook notification"}
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

func convert(i int, raw json.RawMessage, externalURL string, m ingest.Mapping) (ingest.Event, error) {
	path := "alerts[" + strconv.Itoa(i) + "]"
	var a alert
	if err := json.Unmarshal(raw, &a); err != nil {
		return ingest.Event{}, &ingest.Error{Index: i, Field: path, Msg: "must be an alert object"}
	}
	labels, err := ingest.DecodeLabelsField(a.Labels, i, path+".labels", false)
	if err != nil {
		return ingest.Event{}, err
	}
	annotations, err := ingest.DecodeLabelsField(a.Annotations, i, path+".annotations", false)
	if err != nil {
		return ingest.Event{}, err
	}
	status, err := ingest.DecodeStringField(a.Status, i, path+".status")
	if err != nil {
		return ingest.Event{}, err
	}
	startsAt, err := ingest.DecodeTimeField(a.StartsAt, i, path+".startsAt")
	if err != nil {
		return ingest.Event{}, err
	}
	endsAt, err := ingest.DecodeTimeField(a.EndsAt, i, path+".endsAt")
	if err != nil {
		return ingest.Event{}, err
	}
	generatorURL, err := ingest.DecodeStringField(a.GeneratorURL, i, path+".generatorURL")
	if err != nil {
		return ingest.Event{}, err
	}
	fingerprint, err := ingest.DecodeFlexField(a.Fingerprint, i, path+".fingerprint")
	if err != nil {
		return ingest.Event{}, err
	}

	ev := ingest.Event{
		Kind:        ingest.KindAlert,
		Source:      Name,
		Description: ingest.Truncate(strings.TrimSpace(annotations["description"]), ingest.MaxDescription),
		Severity:    strings.TrimSpace(labels["severity"]),
		Service:     m.ServiceFrom(labels, serviceKeys, ""),
		Environment: first(labels, envKeys),
		URL:         firstNonEmpty(generatorURL, externalURL),
		Labels:      ingest.BoundLabelSet(labels, keepLabels),
	}
	switch status = strings.ToLower(strings.TrimSpace(status)); status {
	case ingest.StatusFiring, ingest.StatusResolved:
	case "":
		status = ingest.StatusFiring
		if !endsAt.IsZero() {
			status = ingest.StatusResolved
		}
	default:
		return ingest.Event{}, &ingest.Error{Index: i, Field: path + ".status",
			Msg: fmt.Sprintf("must be firing or resolved, not %q", ingest.Truncate(status, 40))}
	}
	ev.Status = status
	if status == ingest.StatusResolved && !endsAt.IsZero() {
		ev.EndsAt = &endsAt
	}
	if startsAt.IsZero() {
		if ev.EndsAt == nil {
			return ingest.Event{}, &ingest.Error{Index: i, Field: path + ".startsAt", Msg: "is required"}
		}
		startsAt = endsAt // the closest time the payload gives
	}
	ev.StartsAt = startsAt

	fingerprint = strings.TrimSpace(fingerprint)
	if fingerprint == "" {
		fingerprint = ingest.LabelSetFingerprint(labels)
	} else if len(fingerprint) > 128 {
		sum := sha256.Sum256([]byte(fingerprint))
		fingerprint = hex.EncodeToString(sum[:16])
	}
	ev.DedupKey = fingerprint + "@" + startsAt.UTC().Format(time.RFC3339)

	title := firstNonEmpty(annotations["summary"], labels["alertname"])
	if title == "" {
		title = "Alert " + fingerprint
	}
	ev.Title = ingest.Truncate(title, ingest.MaxTitle)
	return ev, nil
}

// isTest tells the test notification that Grafana and Mimir send through an
// Alertmanager receiver: every alert is alertname=TestAlert with instance
// Alertmanager or Grafana.
func isTest(events []ingest.Event) bool {
	for _, ev := range events {
		inst := ev.Labels["instance"]
		if ev.Labels["alertname"] != "TestAlert" || (inst != "Alertmanager" && inst != "Grafana") {
			return false
		}
	}
	return len(events) > 0
}

func first(labels map[string]string, keys []string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(labels[k]); v != "" {
			return v
		}
	}
	return ""
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
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
