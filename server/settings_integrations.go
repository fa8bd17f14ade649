package server

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/ingest"
	"hindsight/ingest/kinds"
	"hindsight/models"
)

type integrationsView struct {
	Integrations []models.Integration
	Kinds        []kinds.Kind
	Name, Kind   string
	Errors       map[string]string
}

func (s *Server) renderIntegrations(c *gin.Context, status int, v integrationsView) {
	list, err := s.store.ListIntegrations(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	v.Integrations, v.Kinds = list, kinds.All()
	s.render(c, status, "integrations", "Integrations", v)
}

func (s *Server) integrationList(c *gin.Context) {
	s.renderIntegrations(c, http.StatusOK, integrationsView{Kind: "alertmanager"})
}

func (s *Server) integrationCreate(c *gin.Context) {
	v := integrationsView{Name: c.PostForm("name"), Kind: c.PostForm("kind")}
	in, err := s.store.CreateIntegration(c.Request.Context(), v.Kind, v.Name, kinds.Names())
	if err != nil {
		if ae := classify(err); ae.Fields != nil {
			v.Errors = ae.Fields
			s.renderIntegrations(c, ae.Status, v)
			return
		}
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/integrations/"+in.ID, "Integration created. Paste the configuration below into "+in.Name+".")
}

// hookURL is where a tool sends an integration's webhooks.
func (s *Server) hookURL(id string) string { return s.cfg.BaseURL.String() + "/hooks/" + id }

type integrationView struct {
	Integration *models.Integration
	Kind        kinds.Kind
	URL         string
	Setup       ingest.Setup
	Deliveries  []models.Delivery
	Form        mappingForm
}

// mappingForm is the text form of an integration's mapping.
type mappingForm struct {
	ServiceLabels   string
	Services        string // "from = to" lines
	Severities      string // "value = level" lines
	Environment     string
	SignatureHeader string
	TimestampHeader string
	Errors          map[string]string
}

func mappingFormOf(m ingest.Mapping, o ingest.VerifyOptions) mappingForm {
	return mappingForm{
		ServiceLabels: strings.Join(m.ServiceLabels, ", "), Services: pairLines(m.Services),
		Severities: pairLines(m.Severities), Environment: m.Environment,
		SignatureHeader: o.SignatureHeader, TimestampHeader: o.TimestampHeader,
	}
}

func pairLines(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + " = " + m[k] + "\n")
	}
	return b.String()
}

func parsePairLines(field, text string, errs map[string]string) map[string]string {
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			errs[field] = "line " + itoa(int64(i+1)) + ": write it as `value = replacement`"
			return nil
		}
		out[k] = v
	}
	return out
}

func (s *Server) loadIntegration(c *gin.Context) (*models.Integration, kinds.Kind) {
	in, err := s.store.IntegrationByID(c.Request.Context(), c.Param("id"))
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("integration "+c.Param("id")))
		return nil, kinds.Kind{}
	}
	if err != nil {
		s.fail(c, err)
		return nil, kinds.Kind{}
	}
	kind, _ := kinds.Lookup(in.Kind)
	return in, kind
}

func (s *Server) renderIntegration(c *gin.Context, status int, in *models.Integration, kind kinds.Kind, form *mappingForm) {
	deliveries, err := s.store.ListDeliveries(c.Request.Context(), in.ID, 20)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := integrationView{Integration: in, Kind: kind, URL: s.hookURL(in.ID), Deliveries: deliveries}
	if kind.Instructions != nil {
		v.Setup = kind.Instructions(v.URL, in.Secret)
	}
	if form != nil {
		v.Form = *form
	} else {
		v.Form = mappingFormOf(in.ParsedMapping(), in.ParsedVerifyOptions())
	}
	c.Header("Cache-Control", "no-store")
	s.render(c, status, "integration_show", in.Name, v)
}

func (s *Server) integrationShow(c *gin.Context) {
	if in, kind := s.loadIntegration(c); in != nil {
		s.renderIntegration(c, http.StatusOK, in, kind, nil)
	}
}

func (s *Server) integrationSettings(c *gin.Context) {
	in, kind := s.loadIntegration(c)
	if in == nil {
		return
	}
	f := mappingForm{
		ServiceLabels: c.PostForm("service_labels"), Services: c.PostForm("services"), Severities: c.PostForm("severities"),
		Environment: strings.TrimSpace(c.PostForm("environment")), SignatureHeader: strings.TrimSpace(c.PostForm("signature_header")),
		TimestampHeader: strings.TrimSpace(c.PostForm("timestamp_header")), Errors: map[string]string{},
	}
	m := ingest.Mapping{Services: parsePairLines("services", f.Services, f.Errors),
		Severities: parsePairLines("severities", f.Severities, f.Errors), Environment: f.Environment}
	for _, l := range splitList(f.ServiceLabels) {
		m.ServiceLabels = append(m.ServiceLabels, l)
	}
	opts := ingest.VerifyOptions{SignatureHeader: f.SignatureHeader, TimestampHeader: f.TimestampHeader}
	var err error
	if len(f.Errors) == 0 {
		err = s.store.SetIntegrationSettings(c.Request.Context(), in.ID, m, opts)
	}
	if ae := classify(err); err != nil && ae.Fields != nil {
		for k, v := range ae.Fields {
			f.Errors[k] = v
		}
	} else if err != nil {
		s.fail(c, err)
		return
	}
	if len(f.Errors) > 0 {
		s.renderIntegration(c, http.StatusUnprocessableEntity, in, kind, &f)
		return
	}
	redirect(c, "/settings/integrations/"+in.ID, "Mapping saved.")
}

func (s *Server) integrationRotate(c *gin.Context) {
	in, err := s.store.RotateIntegrationSecret(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/integrations/"+in.ID, "New secret issued; the old one no longer works. Update the tool's configuration.")
}

// integrationSecret takes the secret from tools that generate their own
// (Sentry, PagerDuty) instead of accepting one.
func (s *Server) integrationSecret(c *gin.Context) {
	in, kind := s.loadIntegration(c)
	if in == nil {
		return
	}
	updated, err := s.store.SetIntegrationSecret(c.Request.Context(), in.ID, c.PostForm("secret"))
	if ae := classify(err); err != nil && ae.Fields != nil {
		f := mappingFormOf(in.ParsedMapping(), in.ParsedVerifyOptions())
		f.Errors = ae.Fields
		s.renderIntegration(c, ae.Status, in, kind, &f)
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/integrations/"+updated.ID, "The tool's secret is saved; requests signed with it are accepted now.")
}

func (s *Server) integrationDelete(c *gin.Context) {
	if err := s.store.DeleteIntegration(c.Request.Context(), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/integrations", "Integration deleted; its events are kept.")
}
