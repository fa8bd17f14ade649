// Package gitlab reads GitLab's Deployment events ("X-Gitlab-Event:
// Deployment Hook"), which a project or group webhook sends when a
// deployment starts, succeeds, fails or is canceled.
//
// Every deployment becomes one deploy Event whose status follows it:
//
//   - DedupKey is "deployment:" + deployment_id (GitLab 14.x and later);
//     payloads of older GitLab without deployment_id use "job:" +
//     deployable_id, the CI job that ran the deployment.
//   - Status: created and blocked are pending, running is in_progress,
//     success is succeeded, failed is failed, canceled and skipped are
//     cancelled.
//   - StartsAt is status_changed_at, which GitLab writes in its own layout
//     ("2021-04-28 21:50:00 +0200"; RFC 3339 is read too). It is the only
//     time in the payload, so it is also EndsAt of a finished deployment;
//     Hindsight keeps the earliest StartsAt of an event, so a deployment
//     seen running keeps its start.
//   - Title is "Deploy <short sha> of <group/project> to <environment>";
//     Description is commit_title.
//   - Commit is the full SHA at the end of commit_url when there is one,
//     else short_sha. Ref is ref (a branch or tag name). URL is
//     deployable_url (the job), else the project's web_url.
//   - Environment is environment (the environment's name).
//   - Service: the mapping's service labels, else the project's name;
//     Mapping.Services may rename it by path_with_namespace ("acme/shop")
//     or by name ("shop").
//   - HasMigrations: GitLab's payload has no field for it and Hindsight
//     reads payload facts only, so it is false here; mark a deploy with
//     migrations through Hindsight's generic API instead.
//   - Labels: project (path_with_namespace), environment_tier,
//     environment_slug, environment_url, gitlab_status (the raw status),
//     user (username), job_id (deployable_id).
//
// Headers: X-Gitlab-Event must be "Deployment Hook" (the Test button of the
// Deployment events trigger sends it too, with the project's latest
// deployment); any other event is an *ingest.Error on X-Gitlab-Event that
// says to select only Deployment events. Delivery.ID is Idempotency-Key
// (GitLab 17.4+, the same on retries), else webhook-id, else
// X-Gitlab-Event-UUID. X-Gitlab-Webhook-UUID identifies the webhook, not
// the delivery, and is not used.
//
// Authentication: X-Gitlab-Token is the webhook's "Secret token" in plain
// text, compared with the integration's secret in constant time. GitLab 19
// can also sign deliveries with a signing token (Standard Webhooks:
// webhook-signature "v1,<base64 HMAC-SHA256>" of webhook-id + "." +
// webhook-timestamp + "." + body, keyed by the token "whsec_<base64 key>");
// Verify checks that signature when the integration's secret is such a
// token. Replays of a signed delivery carry the same webhook-id, which is
// Delivery.ID, so the caller's delivery dedup absorbs them.
package gitlab

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"hindsight/ingest"
)

// Name is the integration kind.
const Name = "gitlab"

// SignatureHeaders lists the headers whose presence means the request is signed.
var SignatureHeaders = []string{"X-Gitlab-Token", "Webhook-Signature"}

// Headers GitLab sends.
const (
	EventHeader  = "X-Gitlab-Event"
	DeploymentEv = "Deployment Hook"
)

// Parse reads one webhook request body (and headers) into a Delivery. It
// returns *ingest.Error (Index = item position or -1, Field = JSON path or header) for malformed or
// invalid input, never panics, and does NOT call m.Apply or ingest.Validate (the caller does, uniformly),
// but it uses m.ServiceFrom(labels, conventionalKeys, fallback) to choose Service, and puts the
// tool's raw severity/priority string in Event.Severity (the caller normalises it with the mapping).
func Parse(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
	switch event := strings.TrimSpace(h.Get(EventHeader)); {
	case strings.EqualFold(event, DeploymentEv):
	case event == "":
		return ingest.Delivery{}, &ingest.Error{Index: -1, Field: EventHeader,
			Msg: "is missing: this endpoint takes GitLab webhook deliveries of Deployment events (\"Deployment Hook\")"}
	default:
		return ingest.Delivery{}, &ingest.Error{Index: -1, Field: EventHeader,
			Msg: ingest.Quote(event) + " is not supported: in the webhook's settings select only the Deployment events trigger"}
	}
	root, err := ingest.DecodeObject(body, "a GitLab Deployment Hook event")
	if err != nil {
		return ingest.Delivery{}, err
	}
	ev, err := convert(root, m)
	if err != nil {
		return ingest.Delivery{}, err
	}
	return ingest.Delivery{ID: deliveryID(h), Events: []ingest.Event{ev}}, nil
}

func deliveryID(h http.Header) string {
	for _, k := range []string{"Idempotency-Key", "Webhook-Id", "X-Gitlab-Event-UUID"} {
		if v := strings.TrimSpace(h.Get(k)); v != "" {
			return v
		}
	}
	return ""
}

func convert(root ingest.Object, m ingest.Mapping) (ingest.Event, error) {
	var ev ingest.Event
	f, err := root.Strings("object_kind", "status", "environment", "environment_tier", "environment_slug",
		"environment_external_url", "short_sha", "commit_url", "commit_title", "deployable_url", "ref", "user_url")
	if err != nil {
		return ev, err
	}
	if kind := strings.TrimSpace(f["object_kind"]); kind != "" && kind != "deployment" {
		return ev, &ingest.Error{Index: -1, Field: "object_kind", Msg: ingest.Quote(kind) + " is not a deployment: select only the Deployment events trigger"}
	}
	rawStatus := strings.ToLower(strings.TrimSpace(f["status"]))
	var status string
	switch rawStatus {
	case "created", "blocked":
		status = ingest.StatusPending
	case "running":
		status = ingest.StatusInProgress
	case "success":
		status = ingest.StatusSucceeded
	case "failed":
		status = ingest.StatusFailed
	case "canceled", "cancelled", "skipped":
		status = ingest.StatusCancelled
	case "":
		return ev, &ingest.Error{Index: -1, Field: "status", Msg: "is required"}
	default:
		return ev, &ingest.Error{Index: -1, Field: "status",
			Msg: ingest.Quote(rawStatus) + " is not a deployment status (created, running, success, failed, canceled)"}
	}

	depID, err := root.Flex("deployment_id")
	if err != nil {
		return ev, err
	}
	jobID, err := root.Flex("deployable_id")
	if err != nil {
		return ev, err
	}
	key := ""
	switch {
	case strings.TrimSpace(depID) != "":
		key = "deployment:" + strings.TrimSpace(depID)
	case strings.TrimSpace(jobID) != "":
		key = "job:" + strings.TrimSpace(jobID)
	default:
		return ev, &ingest.Error{Index: -1, Field: "deployment_id", Msg: "is required: it identifies the deployment across its status changes"}
	}

	at, err := root.Time("status_changed_at")
	if err != nil {
		return ev, err
	}
	if at.IsZero() {
		return ev, &ingest.Error{Index: -1, Field: "status_changed_at", Msg: "is required: the time of the status change"}
	}

	project, _, err := root.Object("project")
	if err != nil {
		return ev, err
	}
	p, err := project.Strings("name", "path_with_namespace", "web_url")
	if err != nil {
		return ev, err
	}
	fullName := strings.TrimSpace(p["path_with_namespace"])
	if fullName == "" {
		fullName = strings.TrimSpace(p["name"])
	}
	user, _, err := root.Object("user")
	if err != nil {
		return ev, err
	}
	username, err := user.String("username")
	if err != nil {
		return ev, err
	}

	commit := commitFromURL(f["commit_url"])
	if commit == "" {
		commit = strings.TrimSpace(f["short_sha"])
	}
	environment := strings.TrimSpace(f["environment"])

	labels := ingest.LabelBag{}
	labels.Add("project", fullName)
	labels.Add("environment_tier", strings.TrimSpace(f["environment_tier"]))
	labels.Add("environment_slug", strings.TrimSpace(f["environment_slug"]))
	labels.Add("environment_url", strings.TrimSpace(f["environment_external_url"]))
	labels.Add("gitlab_status", rawStatus)
	labels.Add("user", strings.TrimSpace(username))
	labels.Add("job_id", strings.TrimSpace(jobID))

	ev = ingest.Event{
		Kind:        ingest.KindDeploy,
		Source:      Name,
		DedupKey:    ingest.BoundDedupKey(key),
		Status:      status,
		Title:       ingest.DeployTitle(commit, fullName, environment),
		Description: ingest.DeployDescription(f["commit_title"]),
		Service:     ingest.DeployService(m, labels, nil, p["name"], fullName),
		Environment: environment,
		StartsAt:    at,
		Commit:      commit,
		Ref:         strings.TrimSpace(f["ref"]),
		URL:         strings.TrimSpace(ingest.FirstNonEmpty(f["deployable_url"], p["web_url"])),
		Labels:      labels,
	}
	switch status {
	case ingest.StatusSucceeded, ingest.StatusFailed, ingest.StatusCancelled:
		ev.EndsAt = ingest.EndAfter(at, at)
	}
	return ev, nil
}

// commitFromURL takes the full commit SHA from a GitLab commit URL
// (".../-/commit/<sha>"); "" when the URL carries none.
func commitFromURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	i := strings.LastIndex(raw, "/commit/")
	if i < 0 {
		return ""
	}
	sha := strings.Trim(raw[i+len("/commit/"):], "/")
	if !ingest.IsSHA(sha) {
		return ""
	}
	return strings.ToLower(sha)
}

// Verify checks the tool's own signature or token header; nil when valid,
// ingest.Refuse("clear message naming the header") when missing or wrong. Constant-time comparisons.
//
// X-Gitlab-Token must equal the secret. When webhook-signature is present
// (GitLab's signing token) and the secret is a signing token
// ("whsec_<base64>"), the signature must match too; a signature made with
// some other signing token is ignored when X-Gitlab-Token already proves
// the sender. opts is not used: GitLab's header names are fixed.
func Verify(secret string, h http.Header, body []byte, opts ingest.VerifyOptions) error {
	if secret == "" {
		return ingest.Refuse("X-Gitlab-Token cannot be checked: the integration has no secret")
	}
	token := h.Get("X-Gitlab-Token")
	signature := strings.TrimSpace(h.Get("Webhook-Signature"))
	if token == "" && signature == "" {
		return ingest.Refuse("X-Gitlab-Token is missing: paste the integration's secret into the webhook's Secret token field in GitLab")
	}
	if token != "" && !ingest.Equal(token, secret) {
		return ingest.Refuse("X-Gitlab-Token does not match the integration's secret: paste it into the webhook's Secret token field in GitLab")
	}
	if signature == "" {
		return nil
	}
	key, isSigningToken := signingKey(secret)
	if !isSigningToken {
		if token != "" {
			return nil // signed with a token Hindsight does not hold; X-Gitlab-Token authenticated the sender
		}
		return ingest.Refuse("webhook-signature cannot be checked: the integration's secret is not a GitLab signing token (whsec_…); paste the secret into the webhook's Secret token field instead")
	}
	id, ts := strings.TrimSpace(h.Get("Webhook-Id")), strings.TrimSpace(h.Get("Webhook-Timestamp"))
	if id == "" || ts == "" {
		return ingest.Refuse("webhook-signature needs the webhook-id and webhook-timestamp headers, which are missing")
	}
	want := ingest.HMACSHA256(string(key), []byte(id+"."+ts+"."), body)
	for _, sig := range strings.Fields(signature) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ingest.Refuse("webhook-signature does not match: the webhook's signing token in GitLab must be the integration's secret, and the body must arrive unchanged")
}

// signingKey decodes a GitLab signing token "whsec_<base64 key>".
func signingKey(secret string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, false
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 {
		return nil, false
	}
	return key, true
}

// Instructions: exact config to paste into the tool, filled in with hookURL and secret.
func Instructions(hookURL, secret string) ingest.Setup {
	config := map[string]any{
		"url":                     hookURL,
		"name":                    "Hindsight",
		"token":                   secret,
		"deployment_events":       true,
		"push_events":             false,
		"enable_ssl_verification": true,
	}
	b, _ := json.MarshalIndent(config, "", "  ")
	return ingest.Setup{
		Steps: []string{
			"In the GitLab project (or group), open Settings → Webhooks → Add new webhook.",
			"URL: " + hookURL,
			"Secret token: the integration's secret (the \"token\" in the configuration below). GitLab sends it in X-Gitlab-Token.",
			"Trigger: tick Deployment events only (untick Push events).",
			"Keep Enable SSL verification ticked and select Add webhook.",
			"To check it, use Test → Deployment events: GitLab sends the project's latest deployment.",
			"Or create the same webhook through the API: save the configuration below as hook.json and run curl --request POST --header \"PRIVATE-TOKEN: <your token>\" --header \"Content-Type: application/json\" --data @hook.json \"https://gitlab.example.com/api/v4/projects/<project id>/hooks\"",
			"GitLab's deployment payload has no field for database migrations: report deploys with migrations through Hindsight's generic API.",
		},
		Config:         string(b),
		ConfigLanguage: "json",
	}
}
