// Package grafana reads the notifications that Grafana Alerting (unified
// alerting, Grafana 8 and later) sends to a webhook contact point.
//
// The body is Alertmanager's notification extended by Grafana: receiver,
// status, orgId, groupLabels, commonLabels, commonAnnotations, externalURL,
// version ("1"), groupKey, truncatedAlerts, title, state, message, and the
// alerts, each with status, labels, annotations, startsAt, endsAt,
// generatorURL, fingerprint, silenceURL, dashboardURL, panelURL, values and
// valueString. Every alert becomes one alert Event:
//
//   - DedupKey is the alert's fingerprint, "@", and its startsAt in RFC 3339
//     UTC (seconds): identical for every re-notification and for the resolved
//     notification of one firing; a re-fire has a new startsAt and is a new
//     event. Without a fingerprint, a stable one is derived from the sorted
//     labels.
//   - Status is firing or resolved (inferred from endsAt when absent); EndsAt
//     only for resolved alerts and never for the zero time.
//   - Title is annotations.summary, else labels.alertname; Description is
//     annotations.description, else valueString. URL is panelURL, else
//     dashboardURL, else generatorURL, else externalURL.
//   - Service from the mapping's labels, then service, app, job; Environment
//     from env or environment; Severity is the raw severity label.
//
// Times may be RFC 3339 or Unix epochs; unknown fields are ignored. A body
// from Grafana's legacy dashboard alerting (ruleId, evalMatches, no alerts)
// is refused with an error on the field "alerts".
//
// The Test button of a contact point sends a normal notification whose one
// alert is alertname=TestAlert, instance=Grafana: Parse answers it with an
// empty Delivery, so testing the contact point succeeds without storing an
// event. Grafana sends no delivery id (Delivery.ID is "").
//
// Signature: with an HMAC secret configured on the contact point (Grafana
// 11.6 and later), Grafana puts the lowercase hex HMAC-SHA256, under the
// secret, of the raw body in the signature header (X-Grafana-Alerting-Signature
// unless the contact point names another). When the contact point also names
// a timestamp header, Grafana sends the Unix time in seconds in it and signs
// "<timestamp>:<body>" instead. See Verify.
package grafana

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hindsight/ingest"
	"hindsight/ingest/alertmanager"
)

// Name is the integration kind.
const Name = "grafana"

// SignatureHeaders lists the headers whose presence means the request is
// signed: Grafana's documented default header, and the name that some
// Grafana releases use when the contact point leaves the header empty.
var SignatureHeaders = []string{"X-Grafana-Alerting-Signature", "X-Grafana-Alert-Signature"}

// DefaultTimestampHeader is the timestamp header the instructions configure.
// Grafana has no default: it sends a timestamp only when the contact point
// names a header. When the integration sets no VerifyOptions.TimestampHeader,
// Verify still accepts a signature over "<timestamp>:<body>" with the
// timestamp in this header.
const DefaultTimestampHeader = "X-Grafana-Alerting-Signature-Timestamp"

// MaxSkew is how far a signed timestamp may be from the receiving clock.
const MaxSkew = 5 * time.Minute

// keepLabels are kept first when an alert has more than MaxLabels.
var keepLabels = []string{"alertname", "grafana_folder", "service", "app", "job", "env", "environment", "severity", "instance", "namespace", "cluster"}

type notification struct {
	Alerts      json.RawMessage `json:"alerts"`
	ExternalURL json.RawMessage `json:"externalURL"`
	RuleID      json.RawMessage `json:"ruleId"`
	EvalMatches json.RawMessage `json:"evalMatches"`
}

// alert is Alertmanager's alert with Grafana's fields.
type alert struct {
	alertmanager.RawAlert
	DashboardURL json.RawMessage `json:"dashboardURL"`
	PanelURL     json.RawMessage `json:"panelURL"`
	ValueString  json.RawMessage `json:"valueString"`
}

// Parse reads one webhook request body (and headers) into a Delivery. It
// returns *ingest.Error (Index = item position or -1, Field = JSON path or header) for malformed or
// invalid input, never panics, and does NOT call m.Apply or ingest.Validate (the caller does, uniformly),
// but it uses m.ServiceFrom(labels, conventionalKeys, fallback) to choose Service, and puts the
// tool's raw severity/priority string in Event.Severity (the caller normalises it with the mapping).
func Parse(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
	var n notification
	if err := alertmanager.DecodeNotification(body, &n, "a Grafana Alerting webhook notification"); err != nil {
		return ingest.Delivery{}, err
	}
	if isAbsent(n.Alerts) && (!isAbsent(n.RuleID) || !isAbsent(n.EvalMatches)) {
		return ingest.Delivery{}, &ingest.Error{Index: -1, Field: "alerts",
			Msg: "is missing: this is Grafana's legacy dashboard alerting payload (ruleId, evalMatches); use a Grafana Alerting webhook contact point"}
	}
	externalURL, err := ingest.DecodeStringField(n.ExternalURL, -1, "externalURL")
	if err != nil {
		return ingest.Delivery{}, err
	}
	raws, err := alertmanager.DecodeAlerts(n.Alerts, "not a Grafana Alerting webhook notification (is a custom payload template set?)")
	if err != nil {
		return ingest.Delivery{}, err
	}
	events := make([]ingest.Event, 0, len(raws))
	for i, raw := range raws {
		ev, err := convert(i, raw, externalURL, m)
		if err != nil {
			return ingest.Delivery{}, err
		}
		events = append(events, ev)
	}
	// The contact point's Test button: alertname=TestAlert, instance=Grafana.
	if alertmanager.IsTestNotification(events, "Grafana") {
		return ingest.Delivery{}, nil
	}
	return ingest.Delivery{Events: events}, nil
}

func isAbsent(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// convert reads an alert as Alertmanager's, with Grafana's URLs (its panel,
// else its dashboard, before the rule's generatorURL) and valueString as
// the description when there is no description annotation.
func convert(i int, raw json.RawMessage, externalURL string, m ingest.Mapping) (ingest.Event, error) {
	var r alert
	if err := alertmanager.UnmarshalAlert(i, raw, &r); err != nil {
		return ingest.Event{}, err
	}
	// Grafana's string fields are checked after the others (the first
	// wrong field is the one reported), so the shared fields are decoded
	// without status and generatorURL.
	shared := r.RawAlert
	shared.Status, shared.GeneratorURL = nil, nil
	a, err := shared.Decode(i)
	if err != nil {
		return ingest.Event{}, err
	}
	path := "alerts[" + strconv.Itoa(i) + "]"
	strs := map[string]json.RawMessage{"status": r.Status, "generatorURL": r.GeneratorURL,
		"dashboardURL": r.DashboardURL, "panelURL": r.PanelURL, "valueString": r.ValueString}
	text := make(map[string]string, len(strs))
	for _, f := range []string{"status", "panelURL", "dashboardURL", "generatorURL", "valueString"} {
		if text[f], err = ingest.DecodeStringField(strs[f], i, path+"."+f); err != nil {
			return ingest.Event{}, err
		}
	}
	a.Status, a.GeneratorURL, a.Description = text["status"], text["generatorURL"], text["valueString"]
	a.URL = ingest.FirstNonEmpty(text["panelURL"], text["dashboardURL"], text["generatorURL"], externalURL)
	return a.Event(Name, m, keepLabels)
}

// Verify checks Grafana's HMAC signature; nil when valid,
// ingest.Refuse("clear message naming the header") when missing or wrong.
// Constant-time comparisons. It is VerifyAt at the current time.
func Verify(secret string, h http.Header, body []byte, opts ingest.VerifyOptions) error {
	return VerifyAt(secret, h, body, opts, time.Now())
}

// VerifyAt checks the signature as Verify does, with now as the receiving
// time for the timestamp check.
//
// The signature header is opts.SignatureHeader when set, else the first of
// SignatureHeaders present. Its value is the hex HMAC-SHA256 under secret of:
//   - "<timestamp>:<body>" when opts.TimestampHeader is set: the header must
//     then be present, hold Unix seconds, and be within MaxSkew of now;
//   - the raw body otherwise, or "<timestamp>:<body>" with the timestamp in
//     DefaultTimestampHeader (then checked against MaxSkew too).
func VerifyAt(secret string, h http.Header, body []byte, opts ingest.VerifyOptions, now time.Time) error {
	sigHeader := strings.TrimSpace(opts.SignatureHeader)
	var sig string
	if sigHeader != "" {
		sig = strings.TrimSpace(h.Get(sigHeader))
	} else {
		sigHeader = SignatureHeaders[0]
		for _, name := range SignatureHeaders {
			if v := strings.TrimSpace(h.Get(name)); v != "" {
				sigHeader, sig = name, v
				break
			}
		}
	}
	if sig == "" {
		return ingest.Refuse("missing " + sigHeader + " header: set an HMAC secret (and this header) on the Grafana contact point")
	}
	if secret == "" {
		return ingest.Refuse("the integration has no secret to check " + sigHeader + " with")
	}
	if tsHeader := strings.TrimSpace(opts.TimestampHeader); tsHeader != "" {
		ts := h.Get(tsHeader)
		if strings.TrimSpace(ts) == "" {
			return ingest.Refuse("missing " + tsHeader + " header: set it as the timestamp header of the contact point's HMAC signature")
		}
		return checkTimestamped(secret, sig, sigHeader, body, tsHeader, ts, now)
	}
	if ingest.HexEqual(sig, ingest.HMACSHA256(secret, body)) {
		return nil
	}
	if ts := h.Get(DefaultTimestampHeader); strings.TrimSpace(ts) != "" {
		return checkTimestamped(secret, sig, sigHeader, body, DefaultTimestampHeader, ts, now)
	}
	return ingest.Refuse(sigHeader + " does not match: expected the hex HMAC-SHA256 of the body under the integration's secret")
}

func checkTimestamped(secret, sig, sigHeader string, body []byte, tsHeader, ts string, now time.Time) error {
	if !ingest.HexEqual(sig, ingest.HMACSHA256(secret, []byte(ts), []byte(":"), body)) {
		return ingest.Refuse(sigHeader + " does not match: expected the hex HMAC-SHA256 of \"<" + tsHeader + ">:<body>\" under the integration's secret")
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil || sec <= 0 {
		return ingest.Refuse(tsHeader + " is not a Unix timestamp in seconds")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return ingest.Refuse(tsHeader + " is more than 5 minutes from now: a replayed request, or a clock out of sync")
	}
	return nil
}

// Instructions: exact config to paste into the tool, filled in with hookURL and secret.
func Instructions(hookURL, secret string) ingest.Setup {
	config := fmt.Sprintf(`# Grafana alerting provisioning file, e.g. provisioning/alerting/hindsight.yaml
# (or enter the same values in the UI, see the steps)
apiVersion: 1
contactPoints:
  - orgId: 1
    name: Hindsight
    receivers:
      - uid: hindsight-webhook
        type: webhook
        disableResolveMessage: false
        settings:
          url: %[1]s
          httpMethod: POST
          # Authorization header: accepted by every Grafana version
          authorization_scheme: Bearer
          authorization_credentials: %[2]s
          # HMAC signature (Grafana 11.6+): signs every request, with replay protection
          hmacConfig:
            secret: %[2]s
            header: X-Grafana-Alerting-Signature
            timestampHeader: X-Grafana-Alerting-Signature-Timestamp
`, strconv.Quote(hookURL), strconv.Quote(secret))
	return ingest.Setup{
		Steps: []string{
			"In Grafana, open Alerting → Contact points and click + Add contact point; name it Hindsight and choose the Webhook integration.",
			"URL: " + hookURL + " — HTTP Method: POST.",
			"Under Optional Webhook settings, set Authorization Header - Scheme to Bearer and Authorization Header - Credentials to the integration secret.",
			"On Grafana 11.6 or later, also open HMAC Signature: Secret = the integration secret, Header = X-Grafana-Alerting-Signature, Timestamp header = X-Grafana-Alerting-Signature-Timestamp. If you choose other header names, enter the same names in the Hindsight integration's signature settings.",
			"Leave Custom Payload empty and Disable resolved message off, so Hindsight gets Grafana's standard JSON and sees alerts resolve.",
			"Click Test: Grafana sends a test alert (TestAlert), which Hindsight accepts without recording an event. Save the contact point.",
			"In Alerting → Notification policies, route the alerts to the Hindsight contact point (for example a policy with Continue matching on, so your other contact points still receive them).",
			"Or provision the contact point from the file below.",
		},
		Config:         config,
		ConfigLanguage: "yaml",
	}
}
