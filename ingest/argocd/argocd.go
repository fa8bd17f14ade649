// Package argocd reads the sync notifications Argo CD's notifications
// controller sends through its webhook service, with the body rendered by
// the template Hindsight ships (NotificationTemplate, TemplateBody): Argo CD
// has no fixed webhook payload of its own, so the body is ours, filled from
// the Application (.app) and the notifications context (.context).
//
// Every sync operation becomes one deploy Event:
//
//   - DedupKey is the app name, "@", the operation's requested revision
//     (.app.status.operationState.operation.sync.revision, which does not
//     change during the operation), "@", and the operation's startedAt in
//     RFC 3339 UTC: identical for the Running notification and the finished
//     one of one sync, distinct for the next sync.
//   - Status from operationState.phase: Running is in_progress, Succeeded is
//     succeeded, Failed and Error are failed, Terminating is cancelled; a
//     Failed operation whose message says it was terminated ("Operation
//     terminated") is cancelled too, since that is how a terminated sync
//     ends.
//   - StartsAt is startedAt (finishedAt when absent); EndsAt is finishedAt
//     of a finished operation, never before StartsAt.
//   - Title is "Deploy <short revision> of <app> to <environment>";
//     Description is operationState.message.
//   - Commit is the revision the sync applied (syncResult.revision), else
//     the requested revision when it is a commit SHA, else
//     status.sync.revision. Ref is spec.source.targetRevision. URL is
//     <context.argocdUrl>/applications/<app> when argocdUrl is set in the
//     notifications context.
//   - Environment: the annotation hindsight.io/environment, else the app
//     label "environment", else the destination namespace.
//   - Service: the mapping's service labels, then the annotation
//     hindsight.io/service, then the app label "service", else the app
//     name (which Mapping.Services may rename).
//   - HasMigrations: the annotation hindsight.io/has-migrations or the app
//     label has_migrations is truthy ("true").
//   - Labels: argocd_app, argocd_project, argocd_phase, sync_status,
//     health_status, destination_namespace, destination_server (or
//     destination_name), repo_url, initiated_by, app_namespace, the
//     hindsight.io/* annotations, then the app's own labels.
//
// Argo CD's webhook service cannot sign requests, but it sends the headers
// the service configures: the template sends "Authorization: Bearer
// <secret>", which the caller checks (ingest.BearerOrBasic); so there is no
// Verify. Argo CD sends no delivery id (Delivery.ID is ""; its retries
// resend the same body). There are no event types and no ping: a body
// without "app" or "phase" is an *ingest.Error naming the field.
package argocd

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"hindsight/ingest"
)

// Name is the integration kind.
const Name = "argocd"

// Annotations on an Application (or set by the template) that Hindsight reads.
const (
	AnnotationService       = "hindsight.io/service"
	AnnotationEnvironment   = "hindsight.io/environment"
	AnnotationHasMigrations = "hindsight.io/has-migrations"
)

// TemplateVersion marks bodies rendered by TemplateBody.
const TemplateVersion = "argocd-deploy/v1"

// TemplateBody is the webhook body of the template hindsight-deploy: a JSON
// object rendered by Argo CD's notifications engine (Go text/template with
// the Sprig functions). Every value goes through toJson, so quotes and
// newlines in messages stay valid JSON and absent fields become null.
const TemplateBody = `{
  "hindsight_template": "` + TemplateVersion + `",
  "app": {{toJson .app.metadata.name}},
  "app_namespace": {{toJson .app.metadata.namespace}},
  "project": {{toJson .app.spec.project}},
  "labels": {{toJson .app.metadata.labels}},
  "annotations": {{with .app.metadata.annotations}}{{toJson (pick . "` + AnnotationService + `" "` + AnnotationEnvironment + `" "` + AnnotationHasMigrations + `")}}{{else}}{}{{end}},
  "phase": {{toJson .app.status.operationState.phase}},
  "message": {{toJson .app.status.operationState.message}},
  "started_at": {{toJson .app.status.operationState.startedAt}},
  "finished_at": {{toJson .app.status.operationState.finishedAt}},
  "operation_revision": {{toJson .app.status.operationState.operation.sync.revision}},
  "sync_result_revision": {{toJson .app.status.operationState.syncResult.revision}},
  "sync_revision": {{toJson .app.status.sync.revision}},
  "sync_status": {{toJson .app.status.sync.status}},
  "health_status": {{toJson .app.status.health.status}},
  "initiated_by": {{toJson .app.status.operationState.operation.initiatedBy}},
  "repo_url": {{toJson .app.spec.source.repoURL}},
  "target_revision": {{toJson .app.spec.source.targetRevision}},
  "destination_server": {{toJson .app.spec.destination.server}},
  "destination_name": {{toJson .app.spec.destination.name}},
  "destination_namespace": {{toJson .app.spec.destination.namespace}},
  "argocd_url": {{toJson .context.argocdUrl}}
}
`

// Names in argocd-notifications-cm and argocd-notifications-secret.
const (
	ServiceName  = "hindsight"         // service.webhook.hindsight
	TemplateName = "hindsight-deploy"  // template.hindsight-deploy
	TriggerName  = "on-hindsight-sync" // trigger.on-hindsight-sync
	SecretKey    = "hindsight-token"   // in argocd-notifications-secret
	Subscription = "notifications.argoproj.io/subscribe." + TriggerName + "." + ServiceName
)

// NotificationTemplate is the data to merge into argocd-notifications-cm:
// the webhook service hindsight (url, JSON content type, and the
// Authorization header with the secret, taken from
// argocd-notifications-secret's key hindsight-token), the template
// hindsight-deploy with TemplateBody, and the trigger on-hindsight-sync,
// whose three conditions send it when a sync starts (Running), succeeds
// (Succeeded) and fails (Error, Failed), once per operation (oncePer
// startedAt). The trigger has its own name so that it does not replace the
// catalog's on-sync-* triggers that may already live in the ConfigMap.
func NotificationTemplate(hookURL string) string {
	url, _ := json.Marshal(hookURL) // a JSON string is a valid YAML double-quoted scalar
	var b strings.Builder
	b.WriteString("data:\n")
	b.WriteString("  service.webhook." + ServiceName + ": |\n")
	b.WriteString("    url: " + string(url) + "\n")
	b.WriteString("    headers:\n")
	b.WriteString("    - name: Content-Type\n")
	b.WriteString("      value: application/json\n")
	b.WriteString("    - name: Authorization\n")
	b.WriteString("      value: Bearer $" + SecretKey + "\n")
	b.WriteString("  template." + TemplateName + ": |\n")
	b.WriteString("    webhook:\n")
	b.WriteString("      " + ServiceName + ":\n")
	b.WriteString("        method: POST\n")
	b.WriteString("        body: |\n")
	for _, line := range strings.Split(strings.TrimRight(TemplateBody, "\n"), "\n") {
		b.WriteString("          " + line + "\n")
	}
	b.WriteString("  trigger." + TriggerName + ": |\n")
	for _, c := range []struct{ description, phases string }{
		{"Hindsight: a sync started", "'Running'"},
		{"Hindsight: a sync succeeded", "'Succeeded'"},
		{"Hindsight: a sync failed", "'Error', 'Failed'"},
	} {
		b.WriteString("    - description: \"" + c.description + "\"\n")
		b.WriteString("      when: app.status.operationState != nil and app.status.operationState.phase in [" + c.phases + "]\n")
		b.WriteString("      oncePer: app.status.operationState.startedAt\n")
		b.WriteString("      send: [" + TemplateName + "]\n")
	}
	return b.String()
}

// serviceKeys are the label keys naming the service, after the mapping's.
var serviceKeys = []string{AnnotationService, "service"}

// Parse reads one webhook request body (and headers) into a Delivery. It
// returns *ingest.Error (Index = item position or -1, Field = JSON path or header) for malformed or
// invalid input, never panics, and does NOT call m.Apply or ingest.Validate (the caller does, uniformly),
// but it uses m.ServiceFrom(labels, conventionalKeys, fallback) to choose Service, and puts the
// tool's raw severity/priority string in Event.Severity (the caller normalises it with the mapping).
func Parse(body []byte, h http.Header, m ingest.Mapping) (ingest.Delivery, error) {
	root, err := ingest.DecodeObject(body, "an Argo CD notification rendered by Hindsight's "+TemplateName+" template")
	if err != nil {
		return ingest.Delivery{}, err
	}
	ev, err := convert(root, m)
	if err != nil {
		return ingest.Delivery{}, err
	}
	return ingest.Delivery{Events: []ingest.Event{ev}}, nil
}

func convert(root ingest.Object, m ingest.Mapping) (ingest.Event, error) {
	var ev ingest.Event
	f, err := root.Strings("hindsight_template", "app", "app_namespace", "project", "phase", "message", "operation_revision",
		"sync_result_revision", "sync_revision", "sync_status", "health_status", "repo_url", "target_revision",
		"destination_server", "destination_name", "destination_namespace", "argocd_url")
	if err != nil {
		return ev, err
	}
	for k, v := range f {
		f[k] = strings.TrimSpace(v)
	}
	app := f["app"]
	if app == "" {
		return ev, &ingest.Error{Index: -1, Field: "app",
			Msg: "is required: render the webhook body with Hindsight's " + TemplateName + " template (.app.metadata.name)"}
	}

	phase := f["phase"]
	var status string
	switch strings.ToLower(phase) {
	case "running":
		status = ingest.StatusInProgress
	case "succeeded":
		status = ingest.StatusSucceeded
	case "failed", "error":
		status = ingest.StatusFailed
		if strings.Contains(strings.ToLower(f["message"]), "operation terminated") {
			status = ingest.StatusCancelled
		}
	case "terminating":
		status = ingest.StatusCancelled
	case "":
		return ev, &ingest.Error{Index: -1, Field: "phase",
			Msg: "is required (.app.status.operationState.phase): send the template only from the " + TriggerName + " trigger"}
	default:
		return ev, &ingest.Error{Index: -1, Field: "phase",
			Msg: ingest.Quote(phase) + " is not a sync operation phase (Running, Succeeded, Failed, Error, Terminating)"}
	}

	started, err := root.Time("started_at")
	if err != nil {
		return ev, err
	}
	finished, err := root.Time("finished_at")
	if err != nil {
		return ev, err
	}
	start := started
	if start.IsZero() {
		start = finished
	}
	if start.IsZero() {
		return ev, &ingest.Error{Index: -1, Field: "started_at", Msg: "is required (.app.status.operationState.startedAt)"}
	}

	appLabels, err := root.StringMap("labels")
	if err != nil {
		return ev, err
	}
	annotations, err := root.StringMap("annotations")
	if err != nil {
		return ev, err
	}
	initiatedBy, err := initiator(root)
	if err != nil {
		return ev, err
	}

	environment := ingest.FirstNonEmpty(annotations[AnnotationEnvironment], appLabels["environment"], f["destination_namespace"])
	commit := f["sync_result_revision"]
	if commit == "" && ingest.IsSHA(f["operation_revision"]) {
		commit = f["operation_revision"]
	}
	if commit == "" {
		commit = f["sync_revision"]
	}

	labels := ingest.LabelBag{}
	labels.Add("argocd_app", app)
	labels.Add("argocd_project", f["project"])
	labels.Add("argocd_phase", phase)
	labels.Add("sync_status", f["sync_status"])
	labels.Add("health_status", f["health_status"])
	labels.Add("destination_namespace", f["destination_namespace"])
	labels.Add("destination_server", f["destination_server"])
	labels.Add("destination_name", f["destination_name"])
	labels.Add("repo_url", f["repo_url"])
	labels.Add("initiated_by", initiatedBy)
	labels.Add("app_namespace", f["app_namespace"])
	for _, k := range []string{AnnotationService, AnnotationEnvironment, AnnotationHasMigrations} {
		labels.Add(k, strings.TrimSpace(annotations[k]))
	}
	labels.AddAll(appLabels)

	url := ""
	if base := strings.TrimRight(f["argocd_url"], "/"); base != "" {
		url = base + "/applications/" + app
	}
	key := app + "@" + f["operation_revision"] + "@" + start.UTC().Format(time.RFC3339Nano)
	ev = ingest.Event{
		Kind:        ingest.KindDeploy,
		Source:      Name,
		DedupKey:    ingest.BoundDedupKey(key),
		Status:      status,
		Title:       ingest.DeployTitle(commit, app, environment),
		Description: ingest.DeployDescription(f["message"]),
		Service:     ingest.DeployService(m, labels, serviceKeys, app, ""),
		Environment: environment,
		StartsAt:    start,
		Commit:      commit,
		Ref:         f["target_revision"],
		URL:         url,
		Labels:      labels,
		HasMigrations: ingest.TruthyString(annotations[AnnotationHasMigrations]) ||
			ingest.TruthyString(appLabels["has_migrations"]) || ingest.TruthyString(appLabels[AnnotationHasMigrations]),
	}
	if status != ingest.StatusInProgress && status != ingest.StatusPending {
		ev.EndsAt = ingest.EndAfter(start, finished)
	}
	return ev, nil
}

// initiator reads initiated_by ({"username": ...} or {"automated": true}).
func initiator(root ingest.Object) (string, error) {
	by, ok, err := root.Object("initiated_by")
	if err != nil || !ok {
		return "", err
	}
	user, err := by.String("username")
	if err != nil {
		return "", err
	}
	if user = strings.TrimSpace(user); user != "" {
		return user, nil
	}
	automated, err := by.Flex("automated")
	if err != nil {
		return "", err
	}
	if ingest.TruthyString(automated) {
		return "automated", nil
	}
	return "", nil
}

// Instructions: exact config to paste into the tool, filled in with hookURL and secret.
func Instructions(hookURL, secret string) ingest.Setup {
	patch, _ := json.Marshal(map[string]any{"stringData": map[string]string{SecretKey: secret}})
	return ingest.Setup{
		Steps: []string{
			"Argo CD's notifications controller must be running (it ships with Argo CD 2.3 and later) in the argocd namespace.",
			"Store the secret, which Argo CD sends as \"Authorization: Bearer <secret>\": kubectl -n argocd patch secret argocd-notifications-secret --type merge -p " + ingest.ShellQuote(string(patch)),
			"Save the configuration below as hindsight-notifications.yaml and merge it into the ConfigMap (existing services, templates and triggers are kept): kubectl -n argocd patch configmap argocd-notifications-cm --type merge --patch-file hindsight-notifications.yaml",
			"For links back to Argo CD, set argocdUrl in the ConfigMap's context key (context: | argocdUrl: https://argocd.example.com) if it is not set yet.",
			"Subscribe the Applications (or an AppProject, for all its apps) with the annotation " + Subscription + ": \"\" — e.g. kubectl -n argocd annotate application <app> " + Subscription + "=\"\"",
			"Optional annotations on an Application: " + AnnotationService + " (the service name), " + AnnotationEnvironment + " (else the label environment, else the destination namespace), " + AnnotationHasMigrations + ": \"true\" for a deploy with database migrations.",
		},
		Config:         NotificationTemplate(hookURL),
		ConfigLanguage: "yaml",
	}
}
