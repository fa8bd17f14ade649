package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/static"
)

// routes is the one list of everything Hindsight answers. Roles: viewer
// reads, editor writes postmortems, admin manages the installation.
func (s *Server) routes(r *gin.Engine) {
	r.Use(s.recoverPanics, s.requestLog, s.securityHeaders, s.limitBody)

	// Operability: always served, whatever the schema state.
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/version", s.version)
	r.GET("/metrics", s.metricsHandler)
	r.StaticFS("/static", http.FS(static.FS))

	app := r.Group("/", s.schemaGate)
	app.GET("/api/v1/openapi.json", s.openAPI)
	// Webhooks from tools: authenticated per integration (signature or secret).
	app.POST("/hooks/:id", s.hook)

	// Browser pages, signed in with a session cookie.
	web := app.Group("/", s.parseForm, s.loadSession, s.requireSetup)
	web.GET("/", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/incidents") })
	web.GET("/setup", s.setupForm)
	web.POST("/setup", s.setupSubmit)
	web.GET("/signin", s.signInForm)
	web.POST("/signin", s.signInSubmit)
	web.POST("/signout", s.signOut)

	viewer := web.Group("/", s.requirePageRole(models.RoleViewer))
	viewer.GET("/incidents", s.incidentList)
	viewer.GET("/incidents/:id", s.incidentShow)
	viewer.GET("/incidents/:id/timeline", s.timelineShow)
	viewer.GET("/actions", s.actionsDashboard)
	viewer.GET("/actions.csv", s.actionsCSV)
	viewer.GET("/actions/:id/row", s.actionRow)
	viewer.GET("/events", s.eventList)
	viewer.GET("/events/:id", s.eventShow)
	viewer.GET("/settings/profile", s.profileForm)
	viewer.POST("/settings/profile", s.profileSubmit)

	editor := web.Group("/", s.requirePageRole(models.RoleEditor))
	editor.GET("/incidents/new", s.incidentNew)
	editor.POST("/incidents", s.incidentCreate)
	editor.GET("/incidents/:id/edit", s.incidentEdit)
	editor.POST("/incidents/:id", s.incidentUpdate)
	editor.GET("/incidents/:id/timeline/import", s.importForm)
	editor.POST("/incidents/:id/timeline/import", s.importSubmit)
	editor.POST("/incidents/:id/timeline/notes", s.noteCreate)
	editor.GET("/incidents/:id/timeline/entries/:entry/edit", s.entryEdit)
	editor.POST("/incidents/:id/timeline/entries/:entry", s.entryUpdate)
	editor.POST("/incidents/:id/timeline/entries/:entry/delete", s.entryDelete)
	editor.POST("/incidents/:id/key-moments", s.keyMomentsSubmit)
	editor.POST("/incidents/:id/trigger", s.triggerSubmit)
	editor.GET("/incidents/:id/actions/new", s.actionNew)
	editor.POST("/incidents/:id/actions", s.actionCreate)
	editor.GET("/actions/:id/edit", s.actionEdit)
	editor.POST("/actions/:id", s.actionUpdate)
	editor.GET("/actions/:id/row/edit", s.actionRowEdit)
	editor.POST("/actions/:id/row", s.actionRowSave)

	admin := web.Group("/", s.requirePageRole(models.RoleAdmin))
	admin.GET("/incidents/:id/delete", s.incidentDeleteConfirm)
	admin.POST("/incidents/:id/delete", s.incidentDelete)
	admin.GET("/settings/users", s.userList)
	admin.POST("/settings/users", s.userCreate)
	admin.POST("/settings/users/:id/role", s.userSetRole)
	admin.POST("/settings/users/:id/delete", s.userDelete)
	admin.GET("/settings/tokens", s.tokenList)
	admin.POST("/settings/tokens", s.tokenCreate)
	admin.POST("/settings/tokens/:id/revoke", s.tokenRevoke)
	admin.GET("/settings/integrations", s.integrationList)
	admin.POST("/settings/integrations", s.integrationCreate)
	admin.GET("/settings/integrations/:id", s.integrationShow)
	admin.POST("/settings/integrations/:id/settings", s.integrationSettings)
	admin.POST("/settings/integrations/:id/rotate", s.integrationRotate)
	admin.POST("/settings/integrations/:id/secret", s.integrationSecret)
	admin.POST("/settings/integrations/:id/reparse", s.integrationReparse)
	admin.POST("/settings/integrations/:id/delete", s.integrationDelete)
	admin.GET("/settings/reminders", s.reminderSettings)
	admin.POST("/settings/reminders", s.reminderSettingsSubmit)
	admin.POST("/settings/reminders/channels", s.channelCreate)
	admin.GET("/settings/reminders/channels/:id", s.channelShow)
	admin.POST("/settings/reminders/channels/:id", s.channelUpdate)
	admin.POST("/settings/reminders/channels/:id/rotate", s.channelRotate)
	admin.POST("/settings/reminders/channels/:id/test", s.channelTest)
	admin.POST("/settings/reminders/channels/:id/delete", s.channelDelete)
	admin.GET("/settings/reminders/deliveries", s.deliveryLog)
	admin.POST("/settings/reminders/deliveries/:id/retry", s.deliveryRetry)
	admin.GET("/settings/status", s.statusForm)
	admin.POST("/settings/status", s.statusSubmit)

	// JSON API, authenticated with a Bearer token.
	api := app.Group("/api/v1", s.requireToken)
	api.GET("/incidents", s.requireAPIRole(models.RoleViewer), s.apiIncidentList)
	api.POST("/incidents", s.requireAPIRole(models.RoleEditor), s.apiIncidentCreate)
	api.GET("/incidents/:id", s.requireAPIRole(models.RoleViewer), s.apiIncidentGet)
	api.PATCH("/incidents/:id", s.requireAPIRole(models.RoleEditor), s.apiIncidentPatch)
	api.DELETE("/incidents/:id", s.requireAPIRole(models.RoleAdmin), s.apiIncidentDelete)
	api.GET("/incidents/:id/timeline", s.requireAPIRole(models.RoleViewer), s.apiTimelineGet)
	api.POST("/incidents/:id/timeline/import", s.requireAPIRole(models.RoleEditor), s.apiTimelineImport)
	api.POST("/incidents/:id/timeline/notes", s.requireAPIRole(models.RoleEditor), s.apiNoteCreate)
	api.PATCH("/incidents/:id/timeline/entries/:entry", s.requireAPIRole(models.RoleEditor), s.apiEntryPatch)
	api.DELETE("/incidents/:id/timeline/entries/:entry", s.requireAPIRole(models.RoleEditor), s.apiEntryDelete)
	api.PUT("/incidents/:id/key-moments", s.requireAPIRole(models.RoleEditor), s.apiKeyMomentsPut)
	api.PUT("/incidents/:id/trigger", s.requireAPIRole(models.RoleEditor), s.apiTriggerPut)
	api.POST("/incidents/:id/actions", s.requireAPIRole(models.RoleEditor), s.apiActionCreate)
	api.GET("/actions", s.requireAPIRole(models.RoleViewer), s.apiActionList)
	api.GET("/actions/:id", s.requireAPIRole(models.RoleViewer), s.apiActionGet)
	api.PATCH("/actions/:id", s.requireAPIRole(models.RoleEditor), s.apiActionPatch)
	api.DELETE("/actions/:id", s.requireAPIRole(models.RoleEditor), s.apiActionDelete)
	api.GET("/events", s.requireAPIRole(models.RoleViewer), s.apiEventsList)
	api.POST("/events", s.requireAPIRole(models.RoleEditor), s.apiEventsCreate)
	api.GET("/events/:id", s.requireAPIRole(models.RoleViewer), s.apiEventGet)

	r.NoRoute(s.notFound)
	r.NoMethod(s.methodNotAllowed)
}
