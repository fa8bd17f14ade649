// Package kinds is the registry of the tools Hindsight takes webhooks from:
// for each kind, its parser, its signature check and its set-up text.
package kinds

import (
	"net/http"
	"sort"

	"hindsight/ingest"
	"hindsight/ingest/alertmanager"
	"hindsight/ingest/argocd"
	"hindsight/ingest/datadog"
	"hindsight/ingest/generic"
	"hindsight/ingest/github"
	"hindsight/ingest/gitlab"
	"hindsight/ingest/grafana"
	"hindsight/ingest/opsgenie"
	"hindsight/ingest/pagerduty"
	"hindsight/ingest/sentry"
)

// Kind is one tool.
type Kind struct {
	Name  string
	Title string
	Parse func(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error)
	// Verify checks the tool's own signature; nil for tools that cannot
	// sign, which authenticate with the secret as a Bearer token or a basic
	// auth password.
	Verify           func(secret string, h http.Header, body []byte, opts ingest.VerifyOptions) error
	SignatureHeaders []string
	Instructions     func(hookURL, secret string) ingest.Setup
}

var registry = map[string]Kind{
	alertmanager.Name: {Name: alertmanager.Name, Title: "Prometheus Alertmanager", Parse: alertmanager.Parse, Instructions: alertmanager.Instructions},
	grafana.Name: {Name: grafana.Name, Title: "Grafana alerting", Parse: grafana.Parse, Verify: grafana.Verify,
		SignatureHeaders: grafana.SignatureHeaders, Instructions: grafana.Instructions},
	sentry.Name: {Name: sentry.Name, Title: "Sentry", Parse: sentry.Parse, Verify: sentry.Verify,
		SignatureHeaders: sentry.SignatureHeaders, Instructions: sentry.Instructions},
	pagerduty.Name: {Name: pagerduty.Name, Title: "PagerDuty", Parse: pagerduty.Parse, Verify: pagerduty.Verify,
		SignatureHeaders: pagerduty.SignatureHeaders, Instructions: pagerduty.Instructions},
	datadog.Name:  {Name: datadog.Name, Title: "Datadog", Parse: datadog.Parse, Instructions: datadog.Instructions},
	opsgenie.Name: {Name: opsgenie.Name, Title: "Opsgenie", Parse: opsgenie.Parse, Instructions: opsgenie.Instructions},
	github.Name: {Name: github.Name, Title: "GitHub deployments", Parse: github.Parse, Verify: github.Verify,
		SignatureHeaders: github.SignatureHeaders, Instructions: github.Instructions},
	gitlab.Name: {Name: gitlab.Name, Title: "GitLab deployments", Parse: gitlab.Parse, Verify: gitlab.Verify,
		SignatureHeaders: gitlab.SignatureHeaders, Instructions: gitlab.Instructions},
	argocd.Name:  {Name: argocd.Name, Title: "Argo CD", Parse: argocd.Parse, Instructions: argocd.Instructions},
	generic.Name: {Name: generic.Name, Title: "Generic JSON", Parse: generic.Parse, Instructions: generic.Instructions},
}

// Lookup finds a kind by name.
func Lookup(name string) (Kind, bool) {
	k, ok := registry[name]
	return k, ok
}

// Names lists the kinds in alphabetical order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// All lists the kinds by name.
func All() []Kind {
	out := make([]Kind, 0, len(registry))
	for _, n := range Names() {
		out = append(out, registry[n])
	}
	return out
}

// Authenticate applies the tool's own scheme when the request is signed,
// and otherwise accepts the secret as a Bearer token or basic password.
func (k Kind) Authenticate(secret string, opts ingest.VerifyOptions, h http.Header, body []byte) error {
	headers := k.SignatureHeaders
	if opts.SignatureHeader != "" {
		headers = append([]string{opts.SignatureHeader}, headers...)
	}
	for _, name := range headers {
		if h.Get(name) != "" && k.Verify != nil {
			return k.Verify(secret, h, body, opts)
		}
	}
	if ingest.BearerOrBasic(h, secret) {
		return nil
	}
	if len(k.SignatureHeaders) > 0 {
		return ingest.Refuse("the request is neither signed (" + k.SignatureHeaders[0] + ") nor carries the secret as 'Authorization: Bearer <secret>'")
	}
	return ingest.Refuse("send the integration's secret as 'Authorization: Bearer <secret>' or as the basic auth password")
}
