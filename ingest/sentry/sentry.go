// Package sentry reads the webhooks of a Sentry integration-platform app
// (an internal integration): issue alerts, metric alerts and issue state
// changes.
//
// Every request carries the headers Sentry-Hook-Resource (which resource the
// body is about), Request-ID (a fresh id per request, used as Delivery.ID),
// Sentry-Hook-Timestamp (Unix seconds of sending) and Sentry-Hook-Signature:
// the hex HMAC-SHA256 of the exact request body, keyed with the
// integration's Client Secret. The timestamp is not signed. The body is
// {action, installation: {uuid}, data: {...}, actor}.
//
// Resources:
//
//   - event_alert (action "triggered"): an issue alert rule fired for an
//     event. One alert Event, firing. DedupKey "issue:<data.event.issue_id>"
//     (so that the issue's own resolved webhook, when the integration also
//     subscribes to issues, resolves it; a rule firing again for the same
//     issue updates it), or "event:<event_id>" without an issue id. Title is
//     the event's title; Severity its level; Environment its environment
//     (else its environment tag); StartsAt its datetime (else timestamp,
//     received, the hook timestamp); URL its web_url. Labels are the
//     event's tags plus rule, project, level, event_id and issue_id.
//   - issue (action created, resolved, assigned, archived/ignored,
//     unresolved): one alert Event per issue, DedupKey "issue:<id>".
//     resolved, or any action on an issue whose status is resolved, is
//     resolved; everything else is firing (an archived issue is muted, not
//     fixed). StartsAt is firstSeen; EndsAt (resolved only) is the hook
//     timestamp, the time Sentry sent the resolution, else lastSeen. Service
//     is project.slug; URL web_url, else permalink.
//   - metric_alert (action critical, warning, resolved): one alert Event per
//     metric alert incident, DedupKey "metric_alert:<metric_alert.id>".
//     Severity is the action (critical or warning; none when resolved).
//     Title is the alert rule's name (description_title, which changes with
//     the state, goes to Description); StartsAt date_started; EndsAt
//     date_closed, else the hook timestamp. Service is the first project
//     slug; Environment the rule's environment; URL data.web_url.
//   - installation (sent when the integration is installed or removed):
//     an empty Delivery and no error.
//
// Any other resource (error, comment, seer, …) is an *ingest.Error on the
// field "Sentry-Hook-Resource": only subscribe the integration to issue
// webhooks and alert rule actions. Without the header, the resource is
// inferred from the body (data.event, data.issue or data.metric_alert).
// Service is the project slug (an event alert's project is a numeric id, so
// its slug comes from the event's API url), then the mapping.
package sentry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"hindsight/ingest"
)

// Name is the integration kind.
const Name = "sentry"

// Header names Sentry sends.
const (
	resourceHeader  = "Sentry-Hook-Resource"
	signatureHeader = "Sentry-Hook-Signature"
	timestampHeader = "Sentry-Hook-Timestamp"
	requestIDHeader = "Request-ID"
)

// SignatureHeaders lists the headers whose presence means the request is signed.
var SignatureHeaders = []string{signatureHeader}

// Verify checks Sentry-Hook-Signature: the hex HMAC-SHA256 of the raw body
// keyed with the integration's Client Secret.
func Verify(secret string, h http.Header, body []byte, opts ingest.VerifyOptions) error {
	header := signatureHeader
	if opts.SignatureHeader != "" {
		header = opts.SignatureHeader
	}
	sig := strings.TrimSpace(h.Get(header))
	switch {
	case sig == "":
		return ingest.Refuse("missing " + header + " header: Sentry signs every webhook with the integration's Client Secret")
	case secret == "":
		return ingest.Refuse("no secret is configured to check " + header + ": paste the Sentry integration's Client Secret into Hindsight")
	case !ingest.HexEqual(sig, ingest.HMACSHA256(secret, body)):
		return ingest.Refuse(header + " does not match the body: check that Hindsight's secret is the Sentry integration's Client Secret")
	}
	return nil
}

type payload struct {
	Action loose `json:"action"`
	Data   struct {
		Event            *event       `json:"event"`
		TriggeredRule    loose        `json:"triggered_rule"`
		IssueAlert       *issueAlert  `json:"issue_alert"`
		Issue            *issue       `json:"issue"`
		MetricAlert      *metricAlert `json:"metric_alert"`
		DescriptionTitle loose        `json:"description_title"`
		DescriptionText  loose        `json:"description_text"`
		WebURL           loose        `json:"web_url"`
	} `json:"data"`
}

// loose is a string, number or boolean.
type loose = ingest.FlexString

type issueAlert struct {
	Title loose `json:"title"`
}

type event struct {
	EventID     loose             `json:"event_id"`
	IssueID     loose             `json:"issue_id"`
	Title       loose             `json:"title"`
	Message     loose             `json:"message"`
	Culprit     loose             `json:"culprit"`
	Level       loose             `json:"level"`
	Environment loose             `json:"environment"`
	Project     loose             `json:"project"`
	Platform    loose             `json:"platform"`
	Release     loose             `json:"release"`
	URL         loose             `json:"url"`
	WebURL      loose             `json:"web_url"`
	IssueURL    loose             `json:"issue_url"`
	Datetime    json.RawMessage   `json:"datetime"`
	Timestamp   json.RawMessage   `json:"timestamp"`
	Received    json.RawMessage   `json:"received"`
	Tags        []json.RawMessage `json:"tags"`
}

type issue struct {
	ID        loose `json:"id"`
	ShortID   loose `json:"shortId"`
	Title     loose `json:"title"`
	Culprit   loose `json:"culprit"`
	Level     loose `json:"level"`
	Status    loose `json:"status"`
	Substatus loose `json:"substatus"`
	Platform  loose `json:"platform"`
	Permalink loose `json:"permalink"`
	WebURL    loose `json:"web_url"`
	Project   *struct {
		Slug loose `json:"slug"`
		Name loose `json:"name"`
	} `json:"project"`
	Metadata *struct {
		Type  loose `json:"type"`
		Value loose `json:"value"`
	} `json:"metadata"`
	FirstSeen json.RawMessage `json:"firstSeen"`
	LastSeen  json.RawMessage `json:"lastSeen"`
}

type metricAlert struct {
	ID           loose           `json:"id"`
	Identifier   loose           `json:"identifier"`
	Title        loose           `json:"title"`
	Status       loose           `json:"status"`
	Projects     []loose         `json:"projects"`
	DateStarted  json.RawMessage `json:"date_started"`
	DateDetected json.RawMessage `json:"date_detected"`
	DateCreated  json.RawMessage `json:"date_created"`
	DateClosed   json.RawMessage `json:"date_closed"`
	AlertRule    *struct {
		ID          loose   `json:"id"`
		Name        loose   `json:"name"`
		Environment loose   `json:"environment"`
		Projects    []loose `json:"projects"`
		Query       loose   `json:"query"`
		Aggregate   loose   `json:"aggregate"`
		Dataset     loose   `json:"dataset"`
	} `json:"alert_rule"`
}

// Parse reads one webhook request body (and headers) into a Delivery. It
// returns *ingest.Error (Index = item position or -1, Field = JSON path or header) for malformed or
// invalid input, never panics, and does NOT call m.Apply or ingest.Validate (the caller does, uniformly),
// but it uses m.ServiceFrom(labels, conventionalKeys, fallback) to choose Service, and puts the
// tool's raw severity/priority string in Event.Severity (the caller normalises it with the mapping).
func Parse(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
	d := ingest.Delivery{ID: strings.TrimSpace(h.Get(requestIDHeader))}
	resource := strings.ToLower(strings.TrimSpace(h.Get(resourceHeader)))
	if resource == "installation" {
		return ingest.Delivery{}, nil
	}
	switch resource {
	case "", "event_alert", "issue", "metric_alert":
	default:
		return ingest.Delivery{}, ingest.Errorf(-1, resourceHeader, "Hindsight does not take Sentry %q webhooks: subscribe the integration only to issue webhooks and alert rule actions", ingest.Truncate(resource, 60))
	}
	var p payload
	if err := ingest.DecodeWebhookBody(body, &p); err != nil {
		return ingest.Delivery{}, err
	}
	if resource == "" {
		switch {
		case p.Data.Event != nil:
			resource = "event_alert"
		case p.Data.MetricAlert != nil:
			resource = "metric_alert"
		case p.Data.Issue != nil:
			resource = "issue"
		default:
			return ingest.Delivery{}, ingest.Errorf(-1, resourceHeader, "is missing, and the body has no data.event, data.issue or data.metric_alert")
		}
	}
	// The hook timestamp is when Sentry sent the request; a bad one is ignored.
	sent, err := ingest.ParseTimeStringAnyUnit(h.Get(timestampHeader))
	if err != nil {
		sent = time.Time{}
	}
	var ev ingest.Event
	switch resource {
	case "event_alert":
		ev, err = eventAlert(&p, sent, m)
	case "issue":
		ev, err = issueEvent(&p, sent, m)
	case "metric_alert":
		ev, err = metricAlertEvent(&p, sent, m)
	}
	if err != nil {
		return ingest.Delivery{}, err
	}
	d.Events = []ingest.Event{ev}
	return d, nil
}

func eventAlert(p *payload, sent time.Time, m ingest.Mapping) (ingest.Event, error) {
	e := p.Data.Event
	if e == nil {
		return ingest.Event{}, ingest.Errorf(-1, "data.event", "is required in an event_alert webhook")
	}
	var key string
	switch {
	case e.IssueID.String() != "":
		key = ingest.DedupKey("issue:", e.IssueID.String())
	case e.EventID.String() != "":
		key = ingest.DedupKey("event:", e.EventID.String())
	default:
		return ingest.Event{}, ingest.Errorf(-1, "data.event.issue_id", "is required (or data.event.event_id)")
	}
	start, err := firstTime(
		timeField{e.Datetime, "data.event.datetime"},
		timeField{e.Timestamp, "data.event.timestamp"},
		timeField{e.Received, "data.event.received"})
	if err != nil {
		return ingest.Event{}, err
	}
	start = ingest.FirstNonZeroTime(start, sent)
	if start.IsZero() {
		return ingest.Event{}, ingest.Errorf(-1, "data.event.datetime", "is required: the event has no time")
	}
	rule := ingest.FirstNonEmpty(p.Data.TriggeredRule.String(), issueAlertTitle(p.Data.IssueAlert))
	project := projectSlug(e.Project.String(), e.URL.String(), e.WebURL.String())

	labels := ingest.LabelBag{}
	labels.Set("rule", rule)
	labels.Set("project", project)
	labels.Set("level", e.Level.String())
	labels.Set("event_id", e.EventID.String())
	labels.Set("issue_id", e.IssueID.String())
	labels.Set("platform", e.Platform.String())
	labels.Set("release", e.Release.String())
	tags := eventTags(e.Tags)
	for _, t := range tags {
		labels.Add(t[0], t[1])
	}
	env := e.Environment.String()
	for _, t := range tags {
		if env == "" && t[0] == "environment" {
			env = strings.TrimSpace(t[1])
		}
	}

	var desc []string
	if rule != "" {
		desc = append(desc, "Alert rule: "+rule)
	}
	if c := e.Culprit.String(); c != "" {
		desc = append(desc, "Culprit: "+c)
	}
	if msg := e.Message.String(); msg != "" && msg != e.Title.String() {
		desc = append(desc, msg)
	}
	return ingest.Event{
		Kind:        ingest.KindAlert,
		Source:      Name,
		DedupKey:    key,
		Status:      ingest.StatusFiring,
		Title:       ingest.Truncate(ingest.FirstNonEmpty(e.Title.String(), e.Message.String(), rule, "Sentry issue alert"), ingest.MaxTitle),
		Description: ingest.Truncate(strings.Join(desc, "\n"), ingest.MaxDescription),
		Severity:    e.Level.String(),
		Service:     m.ServiceFrom(labels, nil, project),
		Environment: env,
		StartsAt:    start,
		URL:         e.WebURL.String(),
		Labels:      labels.Map(),
	}, nil
}

func issueEvent(p *payload, sent time.Time, m ingest.Mapping) (ingest.Event, error) {
	is := p.Data.Issue
	if is == nil {
		return ingest.Event{}, ingest.Errorf(-1, "data.issue", "is required in an issue webhook")
	}
	if is.ID.String() == "" {
		return ingest.Event{}, ingest.Errorf(-1, "data.issue.id", "is required")
	}
	first, err := firstTime(timeField{is.FirstSeen, "data.issue.firstSeen"})
	if err != nil {
		return ingest.Event{}, err
	}
	last, err := firstTime(timeField{is.LastSeen, "data.issue.lastSeen"})
	if err != nil {
		return ingest.Event{}, err
	}
	start := ingest.FirstNonZeroTime(first, last, sent)
	if start.IsZero() {
		return ingest.Event{}, ingest.Errorf(-1, "data.issue.firstSeen", "is required: the issue has no time")
	}
	action := strings.ToLower(p.Action.String())
	status := ingest.StatusFiring
	if action == "resolved" || (action != "unresolved" && strings.EqualFold(is.Status.String(), "resolved")) {
		status = ingest.StatusResolved
	}
	var end *time.Time
	if status == ingest.StatusResolved {
		end = ingest.EndAfter(start, ingest.FirstNonZeroTime(sent, last))
	}
	project := ""
	if is.Project != nil {
		project = ingest.FirstNonEmpty(is.Project.Slug.String(), is.Project.Name.String())
	}
	labels := ingest.LabelBag{}
	labels.Set("short_id", is.ShortID.String())
	labels.Set("project", project)
	labels.Set("level", is.Level.String())
	labels.Set("status", is.Status.String())
	labels.Set("substatus", is.Substatus.String())
	labels.Set("action", action)
	labels.Set("platform", is.Platform.String())

	var desc []string
	if c := is.Culprit.String(); c != "" {
		desc = append(desc, "Culprit: "+c)
	}
	if is.Metadata != nil {
		if v := is.Metadata.Value.String(); v != "" && !strings.Contains(is.Title.String(), v) {
			desc = append(desc, strings.TrimSpace(is.Metadata.Type.String()+": "+v))
		}
	}
	return ingest.Event{
		Kind:        ingest.KindAlert,
		Source:      Name,
		DedupKey:    ingest.DedupKey("issue:", is.ID.String()),
		Status:      status,
		Title:       ingest.Truncate(ingest.FirstNonEmpty(is.Title.String(), is.Culprit.String(), is.ShortID.String(), "Sentry issue "+is.ID.String()), ingest.MaxTitle),
		Description: ingest.Truncate(strings.Join(desc, "\n"), ingest.MaxDescription),
		Severity:    is.Level.String(),
		Service:     m.ServiceFrom(labels, nil, project),
		StartsAt:    start,
		EndsAt:      end,
		URL:         ingest.FirstNonEmpty(is.WebURL.String(), is.Permalink.String()),
		Labels:      labels.Map(),
	}, nil
}

func metricAlertEvent(p *payload, sent time.Time, m ingest.Mapping) (ingest.Event, error) {
	ma := p.Data.MetricAlert
	if ma == nil {
		return ingest.Event{}, ingest.Errorf(-1, "data.metric_alert", "is required in a metric_alert webhook")
	}
	if ma.ID.String() == "" {
		return ingest.Event{}, ingest.Errorf(-1, "data.metric_alert.id", "is required")
	}
	start, err := firstTime(
		timeField{ma.DateStarted, "data.metric_alert.date_started"},
		timeField{ma.DateDetected, "data.metric_alert.date_detected"},
		timeField{ma.DateCreated, "data.metric_alert.date_created"})
	if err != nil {
		return ingest.Event{}, err
	}
	start = ingest.FirstNonZeroTime(start, sent)
	if start.IsZero() {
		return ingest.Event{}, ingest.Errorf(-1, "data.metric_alert.date_started", "is required: the metric alert has no time")
	}
	closed, err := firstTime(timeField{ma.DateClosed, "data.metric_alert.date_closed"})
	if err != nil {
		return ingest.Event{}, err
	}
	action := strings.ToLower(p.Action.String())
	status, severity := ingest.StatusFiring, ""
	var end *time.Time
	switch action {
	case "resolved":
		status = ingest.StatusResolved
		end = ingest.EndAfter(start, ingest.FirstNonZeroTime(closed, sent))
	case "critical", "warning":
		severity = action
	}

	var ruleName, env, ruleID, query, aggregate, dataset string
	projects := ma.Projects
	if r := ma.AlertRule; r != nil {
		ruleName, env, ruleID = r.Name.String(), r.Environment.String(), r.ID.String()
		query, aggregate, dataset = r.Query.String(), r.Aggregate.String(), r.Dataset.String()
		if len(projects) == 0 {
			projects = r.Projects
		}
	}
	project := ""
	for _, pr := range projects {
		if project = pr.String(); project != "" {
			break
		}
	}
	labels := ingest.LabelBag{}
	labels.Set("alert_rule_id", ruleID)
	labels.Set("project", project)
	labels.Set("action", action)
	labels.Set("identifier", ma.Identifier.String())
	labels.Set("query", query)
	labels.Set("aggregate", aggregate)
	labels.Set("dataset", dataset)

	descTitle := p.Data.DescriptionTitle.String()
	desc := strings.TrimSpace(descTitle + "\n" + p.Data.DescriptionText.String())
	return ingest.Event{
		Kind:        ingest.KindAlert,
		Source:      Name,
		DedupKey:    ingest.DedupKey("metric_alert:", ma.ID.String()),
		Status:      status,
		Title:       ingest.Truncate(ingest.FirstNonEmpty(ruleName, stripStatePrefix(descTitle), ma.Title.String(), "Sentry metric alert "+ma.ID.String()), ingest.MaxTitle),
		Description: ingest.Truncate(desc, ingest.MaxDescription),
		Severity:    severity,
		Service:     m.ServiceFrom(labels, nil, project),
		Environment: env,
		StartsAt:    start,
		EndsAt:      end,
		URL:         p.Data.WebURL.String(),
		Labels:      labels.Map(),
	}, nil
}

type timeField struct {
	raw   json.RawMessage
	field string
}

// firstTime returns the first non-zero time of fields; a malformed one is an
// error naming its field.
func firstTime(fields ...timeField) (time.Time, error) {
	for _, f := range fields {
		t, err := ingest.ParseTimeAnyUnit(f.raw)
		if err != nil {
			return time.Time{}, ingest.Errorf(-1, f.field, "must be an RFC 3339 time or a Unix timestamp: %s", ingest.Truncate(err.Error(), 120))
		}
		if !t.IsZero() {
			return t, nil
		}
	}
	return time.Time{}, nil
}

// eventTags reads Sentry's tags: [key, value] pairs, or {key, value}
// objects; anything else is skipped.
func eventTags(raw []json.RawMessage) [][2]string {
	var out [][2]string
	for _, r := range raw {
		var pair []loose
		if json.Unmarshal(r, &pair) == nil && len(pair) == 2 {
			out = append(out, [2]string{pair[0].String(), pair[1].String()})
			continue
		}
		var obj struct {
			Key   loose `json:"key"`
			Value loose `json:"value"`
		}
		if json.Unmarshal(r, &obj) == nil && obj.Key.String() != "" {
			out = append(out, [2]string{obj.Key.String(), obj.Value.String()})
		}
	}
	return out
}

var projectInURL = regexp.MustCompile(`/projects/[^/]+/([^/]+)/`)

// projectSlug is the event's project when it is a slug; an event alert
// carries the numeric project id, so the slug comes from the event's API url
// (…/api/0/projects/<org>/<project>/events/<id>/).
func projectSlug(project string, urls ...string) string {
	if project != "" && strings.Trim(project, "0123456789") != "" {
		return project
	}
	for _, u := range urls {
		if mm := projectInURL.FindStringSubmatch(u); mm != nil {
			return mm[1]
		}
	}
	return project
}

func issueAlertTitle(a *issueAlert) string {
	if a == nil {
		return ""
	}
	return a.Title.String()
}

var statePrefix = regexp.MustCompile(`^(?i)(critical|warning|resolved)\s*:\s*`)

// stripStatePrefix turns "Critical: Too many errors" into "Too many errors".
func stripStatePrefix(s string) string {
	return strings.TrimSpace(statePrefix.ReplaceAllString(s, ""))
}

// Instructions: exact config to paste into the tool, filled in with hookURL and secret.
func Instructions(hookURL, secret string) ingest.Setup {
	config := fmt.Sprintf(`Sentry → Settings → Developer Settings → Custom Integrations → Create New Integration → Internal Integration

Name:               Hindsight
Webhook URL:        %s
Alert Rule Action:  on
Permissions:        Issue & Event: Read   (everything else: No Access)
Webhooks:           [x] issue

Then copy the integration's Client Secret (Credentials section) into
Hindsight as this integration's secret: Sentry signs every webhook with it
(header Sentry-Hook-Signature) and cannot send another secret.
`, hookURL)
	return ingest.Setup{
		Steps: []string{
			"In Sentry, open Settings → Developer Settings → Custom Integrations and create a New Internal Integration named Hindsight.",
			"Set Webhook URL to " + hookURL + ", turn on Alert Rule Action, give Issue & Event the Read permission, and tick the issue webhook. Leave error and comment unticked: Hindsight does not take them.",
			"Save, then copy the integration's Client Secret and paste it into Hindsight as this integration's secret: Sentry signs each webhook with it in Sentry-Hook-Signature, and Hindsight refuses requests whose signature does not match.",
			"For issue alerts and metric alerts, add the action \"Send a notification via an integration\" (issue alerts) or \"Send a notification via Hindsight\" (metric alert triggers, critical, warning and resolved) to each alert rule that should reach Hindsight.",
			"Hindsight uses the project slug as the service (rename it with the integration's service mapping) and the event's environment.",
		},
		Config:         config,
		ConfigLanguage: "text",
	}
}
