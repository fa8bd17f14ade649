// Package github reads the repository webhooks GitHub sends for deployments:
// the "deployment" event (a deployment was created) and the
// "deployment_status" event (its state changed).
//
// Every deployment becomes one deploy Event whose status follows its
// statuses:
//
//   - DedupKey is "deployment:" + deployment.id, shared by the deployment
//     event and every deployment_status event of that deployment.
//   - Status: the deployment event is pending; deployment_status.state
//     queued and pending are pending, in_progress is in_progress, success is
//     succeeded, failure and error are failed. The state inactive is not an
//     outcome of the deploy: GitHub sets it on an earlier successful
//     deployment when a newer one to the same environment succeeds (or when
//     a transient environment is destroyed), so it is acknowledged with an
//     empty Delivery (ID kept) rather than turning a success into a failure
//     or a cancellation.
//   - StartsAt is deployment.created_at; EndsAt is the status's updated_at
//     (else created_at) for succeeded and failed, never before StartsAt.
//   - Title is "Deploy <short sha> of <owner/repo> to <environment>" (the
//     ref when there is no sha); Description is the deployment's
//     description and the status's.
//   - Commit is deployment.sha, Ref is deployment.ref, URL is the status's
//     log_url, else its target_url, else the repository's html_url.
//   - Environment is the status's environment (GitHub lets a status move a
//     deployment), else deployment.environment.
//   - Service: the mapping's service labels, then the label "service" (from
//     the deployment payload), else the repository name; Mapping.Services
//     may rename it by full name ("acme/shop") or by name ("shop").
//   - HasMigrations: deployment.payload.has_migrations, or .migrations, is
//     truthy (true, "true", 1, a non-empty list). The payload may be an
//     object or a string holding JSON, as GitHub accepts both.
//   - Labels: repository (full name), task, creator, github_state (the raw
//     state), environment_url, then the payload's top-level scalar values.
//
// Headers: X-GitHub-Event selects the event. "ping", which GitHub sends when
// the webhook is created, is answered with an empty Delivery and no error.
// Any other event is an *ingest.Error on the X-GitHub-Event field that says
// to select only Deployments and Deployment statuses. X-GitHub-Delivery is
// Delivery.ID (it is kept on redeliveries). Bodies sent with the content
// type application/x-www-form-urlencoded (payload=...) are read too.
//
// Signature: X-Hub-Signature-256 is "sha256=" and the hex HMAC-SHA256 of the
// raw request body under the webhook's secret. Older GitHub Enterprise
// servers send only X-Hub-Signature, "sha1=" and the hex HMAC-SHA1, which
// Verify accepts when X-Hub-Signature-256 is absent.
package github

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hindsight/ingest"
)

// Name is the integration kind.
const Name = "github"

// SignatureHeaders lists the headers whose presence means the request is signed.
var SignatureHeaders = []string{"X-Hub-Signature-256", "X-Hub-Signature"}

// Headers GitHub sends with every delivery.
const (
	EventHeader    = "X-GitHub-Event"
	DeliveryHeader = "X-GitHub-Delivery"
)

// serviceKeys are the conventional label keys naming the service (a
// deployment payload's "service").
var serviceKeys = []string{"service"}

// Parse reads one webhook request body (and headers) into a Delivery. It
// returns *ingest.Error (Index = item position or -1, Field = JSON path or header) for malformed or
// invalid input, never panics, and does NOT call m.Apply or ingest.Validate (the caller does, uniformly),
// but it uses m.ServiceFrom(labels, conventionalKeys, fallback) to choose Service, and puts the
// tool's raw severity/priority string in Event.Severity (the caller normalises it with the mapping).
func Parse(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
	event := strings.ToLower(strings.TrimSpace(h.Get(EventHeader)))
	switch event {
	case "ping":
		return ingest.Delivery{}, nil
	case "deployment", "deployment_status":
	case "":
		return ingest.Delivery{}, &ingest.Error{Index: -1, Field: EventHeader,
			Msg: "is missing: this endpoint takes GitHub webhook deliveries of the Deployments and Deployment statuses events"}
	default:
		return ingest.Delivery{}, &ingest.Error{Index: -1, Field: EventHeader,
			Msg: "event " + ingest.Quote(event) + " is not supported: in the webhook's settings choose \"Let me select individual events\" and select only Deployments and Deployment statuses"}
	}
	id := strings.TrimSpace(h.Get(DeliveryHeader))
	root, err := ingest.DecodeObject(formPayload(body, h), "a GitHub "+event+" event")
	if err != nil {
		return ingest.Delivery{}, err
	}
	ev, skip, err := convert(event, root, m)
	if err != nil {
		return ingest.Delivery{}, err
	}
	if skip {
		return ingest.Delivery{ID: id}, nil
	}
	return ingest.Delivery{ID: id, Events: []ingest.Event{ev}}, nil
}

// formPayload returns the JSON of a delivery sent as
// application/x-www-form-urlencoded (payload=<JSON>), else the body.
func formPayload(body []byte, h http.Header) []byte {
	ct := strings.ToLower(h.Get("Content-Type"))
	trimmed := strings.TrimSpace(string(body))
	if !strings.Contains(ct, "application/x-www-form-urlencoded") && !strings.HasPrefix(trimmed, "payload=") {
		return body
	}
	values, err := url.ParseQuery(trimmed)
	if err != nil || !values.Has("payload") {
		return body
	}
	return []byte(values.Get("payload"))
}

// convert turns a deployment or deployment_status event into an Event; skip
// is true for states that are no outcome of the deploy (inactive).
func convert(event string, root ingest.Object, m ingest.Mapping) (ev ingest.Event, skip bool, err error) {
	dep, ok, err := root.Object("deployment")
	if err != nil {
		return ev, false, err
	}
	if !ok {
		return ev, false, &ingest.Error{Index: -1, Field: "deployment", Msg: "is required in a " + event + " event"}
	}
	status, hasStatus, err := root.Object("deployment_status")
	if err != nil {
		return ev, false, err
	}
	if event == "deployment_status" && !hasStatus {
		return ev, false, &ingest.Error{Index: -1, Field: "deployment_status", Msg: "is required in a deployment_status event"}
	}
	if event == "deployment" {
		hasStatus = false // a deployment event has no status of its own
	}

	depID, err := dep.Flex("id")
	if err != nil {
		return ev, false, err
	}
	if strings.TrimSpace(depID) == "" {
		return ev, false, &ingest.Error{Index: -1, Field: dep.Path("id"), Msg: "is required: it identifies the deployment across its statuses"}
	}
	d, err := dep.Strings("sha", "ref", "task", "environment", "original_environment", "description")
	if err != nil {
		return ev, false, err
	}
	creator, err := login(dep, "creator")
	if err != nil {
		return ev, false, err
	}

	state, rawState := ingest.StatusPending, ""
	var s map[string]string
	if hasStatus {
		if s, err = status.Strings("state", "environment", "description", "log_url", "target_url", "environment_url"); err != nil {
			return ev, false, err
		}
		rawState = strings.ToLower(strings.TrimSpace(s["state"]))
		switch rawState {
		case "queued", "pending":
			state = ingest.StatusPending
		case "in_progress":
			state = ingest.StatusInProgress
		case "success":
			state = ingest.StatusSucceeded
		case "failure", "error":
			state = ingest.StatusFailed
		case "inactive":
			return ev, true, nil
		case "":
			return ev, false, &ingest.Error{Index: -1, Field: status.Path("state"), Msg: "is required"}
		default:
			return ev, false, &ingest.Error{Index: -1, Field: status.Path("state"),
				Msg: ingest.Quote(rawState) + " is not a deployment state (error, failure, inactive, in_progress, queued, pending, success)"}
		}
	}

	repo, _, err := root.Object("repository")
	if err != nil {
		return ev, false, err
	}
	r, err := repo.Strings("full_name", "name", "html_url")
	if err != nil {
		return ev, false, err
	}
	fullName := strings.TrimSpace(r["full_name"])
	if fullName == "" {
		fullName = strings.TrimSpace(r["name"])
	}

	start, end, err := times(dep, status, hasStatus)
	if err != nil {
		return ev, false, err
	}

	payload, hasMigrations := readPayload(dep.Raw("payload"))

	environment := strings.TrimSpace(s["environment"])
	if environment == "" {
		environment = strings.TrimSpace(d["environment"])
	}

	labels := ingest.LabelBag{}
	labels.Add("repository", fullName)
	labels.Add("task", d["task"])
	labels.Add("creator", creator)
	labels.Add("github_state", rawState)
	labels.Add("environment_url", s["environment_url"])
	if orig := strings.TrimSpace(d["original_environment"]); orig != "" && orig != environment {
		labels.Add("original_environment", orig)
	}
	labels.AddAll(payload)
	if ingest.TruthyString(labels["has_migrations"]) {
		hasMigrations = true
	}

	link := ingest.FirstNonEmpty(s["log_url"], s["target_url"], r["html_url"])
	ev = ingest.Event{
		Kind:          ingest.KindDeploy,
		Source:        Name,
		DedupKey:      ingest.BoundDedupKey("deployment:" + strings.TrimSpace(depID)),
		Status:        state,
		Title:         ingest.DeployTitle(ingest.FirstNonEmpty(d["sha"], d["ref"]), fullName, environment),
		Description:   ingest.DeployDescription(d["description"], s["description"]),
		Service:       ingest.DeployService(m, labels, serviceKeys, r["name"], fullName),
		Environment:   environment,
		StartsAt:      start,
		Commit:        strings.TrimSpace(d["sha"]),
		Ref:           strings.TrimSpace(d["ref"]),
		URL:           strings.TrimSpace(link),
		HasMigrations: hasMigrations,
	}
	if state == ingest.StatusSucceeded || state == ingest.StatusFailed {
		ev.EndsAt = ingest.EndAfter(start, end)
	}
	ev.Labels = labels.Map()
	return ev, false, nil
}

// times reads when the deployment started (deployment.created_at, else the
// first other time the payload has) and when its status was set.
func times(dep, status ingest.Object, hasStatus bool) (start, end time.Time, err error) {
	var candidates []time.Time
	for _, f := range []struct {
		obj ingest.Object
		key string
		use bool
	}{{dep, "created_at", true}, {dep, "updated_at", true}, {status, "created_at", hasStatus}, {status, "updated_at", hasStatus}} {
		if !f.use {
			continue
		}
		t, err := f.obj.Time(f.key)
		if err != nil {
			return start, end, err
		}
		candidates = append(candidates, t)
	}
	for _, t := range candidates {
		if !t.IsZero() {
			start = t
			break
		}
	}
	if start.IsZero() {
		return start, end, &ingest.Error{Index: -1, Field: dep.Path("created_at"), Msg: "is required: the time the deployment was created"}
	}
	if hasStatus {
		end = candidates[3] // status.updated_at
		if end.IsZero() {
			end = candidates[2]
		}
	}
	return start, end, nil
}

// readPayload reads the deployment's payload: an object, or a string holding
// a JSON object (anything else carries nothing Hindsight reads). It returns
// the payload's top-level scalars as labels and whether it declares
// migrations.
func readPayload(raw json.RawMessage) (labels map[string]string, hasMigrations bool) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		var inner string
		if json.Unmarshal(raw, &inner) != nil {
			return nil, false
		}
		s = strings.TrimSpace(inner)
	}
	if !strings.HasPrefix(s, "{") {
		return nil, false
	}
	obj, err := ingest.DecodeObject([]byte(s), "a deployment payload")
	if err != nil {
		return nil, false
	}
	hasMigrations = ingest.Truthy(obj.Raw("has_migrations")) || ingest.Truthy(obj.Raw("migrations"))
	return obj.Scalars(), hasMigrations
}

// login reads a user object's login.
func login(obj ingest.Object, key string) (string, error) {
	user, ok, err := obj.Object(key)
	if err != nil || !ok {
		return "", err
	}
	return user.String("login")
}

// Verify checks the tool's own signature or token header; nil when valid,
// ingest.Refuse("clear message naming the header") when missing or wrong. Constant-time comparisons.
//
// GitHub signs the raw body: X-Hub-Signature-256 is "sha256=" and the hex
// HMAC-SHA256 under the webhook's secret. When only the legacy
// X-Hub-Signature ("sha1=", HMAC-SHA1) is present, that is checked instead.
// opts is not used: GitHub's header names are fixed.
func Verify(secret string, h http.Header, body []byte, opts ingest.VerifyOptions) error {
	if secret == "" {
		return ingest.Refuse("X-Hub-Signature-256 cannot be checked: the integration has no secret")
	}
	if sig := strings.TrimSpace(h.Get("X-Hub-Signature-256")); sig != "" {
		hexSig, ok := cutPrefixFold(sig, "sha256=")
		if !ok || !ingest.HexEqual(hexSig, ingest.HMACSHA256(secret, body)) {
			return ingest.Refuse("X-Hub-Signature-256 does not match: the webhook's Secret in GitHub must be the integration's secret, and the body must arrive unchanged")
		}
		return nil
	}
	if sig := strings.TrimSpace(h.Get("X-Hub-Signature")); sig != "" {
		hexSig, ok := cutPrefixFold(sig, "sha1=")
		if !ok || !ingest.HexEqual(hexSig, ingest.HMACSHA1(secret, body)) {
			return ingest.Refuse("X-Hub-Signature does not match: the webhook's Secret in GitHub must be the integration's secret, and the body must arrive unchanged")
		}
		return nil
	}
	return ingest.Refuse("X-Hub-Signature-256 is missing: set the webhook's Secret in GitHub to the integration's secret")
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// Instructions: exact config to paste into the tool, filled in with hookURL and secret.
func Instructions(hookURL, secret string) ingest.Setup {
	config := map[string]any{
		"name":   "web",
		"active": true,
		"events": []string{"deployment", "deployment_status"},
		"config": map[string]string{
			"url":          hookURL,
			"content_type": "json",
			"secret":       secret,
			"insecure_ssl": "0",
		},
	}
	b, _ := json.MarshalIndent(config, "", "  ")
	return ingest.Setup{
		Steps: []string{
			"In the GitHub repository (or organization), open Settings → Webhooks → Add webhook.",
			"Payload URL: " + hookURL,
			"Content type: application/json.",
			"Secret: the integration's secret (shown below in the configuration). GitHub signs every delivery with it (X-Hub-Signature-256).",
			"Which events: choose \"Let me select individual events\", tick Deployments and Deployment statuses, and untick Pushes.",
			"Keep Active ticked and select Add webhook. GitHub sends a ping, which Hindsight acknowledges.",
			"Or create the same webhook with the GitHub CLI: save the configuration below as hook.json and run gh api repos/OWNER/REPO/hooks --input hook.json",
			"To mark a deploy that carries database migrations, create the deployment with payload {\"has_migrations\": true}.",
		},
		Config:         string(b),
		ConfigLanguage: "json",
	}
}
