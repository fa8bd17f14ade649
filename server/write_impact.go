package server

import (
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/postmortem"
)

func init() {
	stepDefs[postmortem.StepImpact] = stepDef{form: impactFormOf, save: saveImpact, diff: diffImpact}
}

// impactForm is the impact step's form: every value as typed.
type impactForm struct {
	Start, End                       string
	UsersCount, UsersQualifier       string
	CustomersCount, CustomerNames    string
	Services, Features, WhatUsersSaw string
	DetectionMethod, DetectionLink   string
	SLOBudgetPct                     string
	DataLossKind, DataLossDetails    string
	SupportTickets                   string
	Custom                           map[string]string
	// What the page offers.
	Template                               postmortem.Template
	Fields                                 []postmortem.CustomField
	Qualifiers, DetectionMethods, LossKind []string
	Defaulted                              bool // start or end come from the key moments
}

func num[T int64 | float64](p *T) string {
	if p == nil {
		return ""
	}
	switch v := any(*p).(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func (s *Server) newImpactForm(c *gin.Context, v *writeView) impactForm {
	fields, _ := s.store.CustomFields(c.Request.Context())
	return impactForm{Template: v.Template, Fields: fields, Custom: map[string]string{}, Qualifiers: postmortem.Qualifiers,
		DetectionMethods: postmortem.DetectionMethods, LossKind: postmortem.DataLossKinds}
}

func impactFormOf(s *Server, c *gin.Context, v *writeView) any {
	zone := s.viewerZone(c)
	im := v.Impact.WithDefaults(incidentMoments(v.Incident))
	f := s.newImpactForm(c, v)
	f.Defaulted = v.Impact.Start == nil || v.Impact.End == nil
	f.Start, f.End = localInput(im.Start, zone), localInput(im.End, zone)
	f.UsersCount, f.UsersQualifier = num(im.UsersAffected.Count), im.UsersAffected.Qualifier
	f.CustomersCount, f.CustomerNames = num(im.Customers.Count), strings.Join(im.Customers.Names, "\n")
	f.Services, f.Features, f.WhatUsersSaw = strings.Join(im.Services, ", "), strings.Join(im.Features, ", "), im.WhatUsersSaw
	f.DetectionMethod, f.DetectionLink = im.Detection.Method, im.Detection.Link
	f.SLOBudgetPct, f.DataLossKind, f.DataLossDetails = num(im.SLOBudgetPct), im.DataLoss.Kind, im.DataLoss.Details
	f.SupportTickets = num(im.SupportTickets)
	for _, cf := range f.Fields {
		if val, ok := im.Custom[cf.Key]; ok {
			f.Custom[cf.Key] = postmortem.FormatValue(val)
		}
	}
	return f
}

// parseImpactForm reads the posted form into the document; values that are
// not numbers or times are reported per field.
func (s *Server) parseImpactForm(c *gin.Context, v *writeView) (impactForm, postmortem.Impact, map[string]string) {
	zone := s.viewerZone(c)
	errs := map[string]string{}
	f := s.newImpactForm(c, v)
	f.Start, f.End = c.PostForm("start"), c.PostForm("end")
	f.UsersCount, f.UsersQualifier = c.PostForm("users_count"), c.PostForm("users_qualifier")
	f.CustomersCount, f.CustomerNames = c.PostForm("customers_count"), c.PostForm("customer_names")
	f.Services, f.Features, f.WhatUsersSaw = c.PostForm("services"), c.PostForm("features"), c.PostForm("what_users_saw")
	f.DetectionMethod, f.DetectionLink = c.PostForm("detection_method"), c.PostForm("detection_link")
	f.SLOBudgetPct, f.DataLossKind, f.DataLossDetails = c.PostForm("slo_budget_pct"), c.PostForm("data_loss_kind"), c.PostForm("data_loss_details")
	f.SupportTickets = c.PostForm("support_tickets")

	var im postmortem.Impact
	im.Start, _ = parseLocal(f.Start, zone, "start", errs)
	im.End, _ = parseLocal(f.End, zone, "end", errs)
	im.UsersAffected = postmortem.UsersAffected{Count: formCount(f.UsersCount, "users_affected.count", errs), Qualifier: f.UsersQualifier}
	im.Customers = postmortem.Customers{Count: formCount(f.CustomersCount, "customers.count", errs), Names: splitList(f.CustomerNames)}
	im.Services, im.Features, im.WhatUsersSaw = splitList(f.Services), splitList(f.Features), f.WhatUsersSaw
	im.Detection = postmortem.Detection{Method: f.DetectionMethod, Link: strings.TrimSpace(f.DetectionLink)}
	if raw := strings.TrimSpace(f.SLOBudgetPct); raw != "" {
		if pct, err := strconv.ParseFloat(strings.TrimSuffix(raw, "%"), 64); err == nil {
			im.SLOBudgetPct = &pct
		} else {
			errs["slo_budget_pct"] = "enter a percentage, such as 12.5"
		}
	}
	im.DataLoss = postmortem.DataLoss{Kind: f.DataLossKind, Details: f.DataLossDetails}
	im.SupportTickets = formCount(f.SupportTickets, "support_tickets", errs)
	// Fields the template hides keep their stored values.
	keep := v.Impact
	for _, name := range postmortem.AllImpactFields {
		if !v.Template.ShowsImpactField(name) {
			copyImpactField(&im, keep, name)
		}
	}
	im.Custom = map[string]any{}
	for _, cf := range f.Fields {
		raw := strings.TrimSpace(c.PostForm("custom_" + cf.Key))
		f.Custom[cf.Key] = raw
		if raw == "" {
			continue
		}
		if cf.Kind == postmortem.CustomNumber {
			if n, err := strconv.ParseFloat(raw, 64); err == nil {
				im.Custom[cf.Key] = n
				continue
			}
			errs["custom."+cf.Key] = "enter a number"
			continue
		}
		im.Custom[cf.Key] = raw
	}
	return f, im, errs
}

func formCount(raw, field string, errs map[string]string) *int64 {
	raw = strings.ReplaceAll(strings.TrimSpace(raw), ",", "")
	if raw == "" {
		return nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		errs[field] = "enter a whole number"
		return nil
	}
	return &n
}

func copyImpactField(dst *postmortem.Impact, src postmortem.Impact, name string) {
	switch name {
	case postmortem.FieldStart:
		dst.Start = src.Start
	case postmortem.FieldEnd:
		dst.End = src.End
	case postmortem.FieldUsersAffected:
		dst.UsersAffected = src.UsersAffected
	case postmortem.FieldCustomers:
		dst.Customers = src.Customers
	case postmortem.FieldServices:
		dst.Services = src.Services
	case postmortem.FieldFeatures:
		dst.Features = src.Features
	case postmortem.FieldWhatUsersSaw:
		dst.WhatUsersSaw = src.WhatUsersSaw
	case postmortem.FieldDetection:
		dst.Detection = src.Detection
	case postmortem.FieldSLOBudgetPct:
		dst.SLOBudgetPct = src.SLOBudgetPct
	case postmortem.FieldDataLoss:
		dst.DataLoss = src.DataLoss
	case postmortem.FieldSupportTickets:
		dst.SupportTickets = src.SupportTickets
	}
}

func saveImpact(s *Server, c *gin.Context, v *writeView, version int64) (any, any, error) {
	f, im, errs := s.parseImpactForm(c, v)
	if len(errs) > 0 {
		return f, im, validationErr(errs)
	}
	_, err := s.store.SaveImpact(c.Request.Context(), v.Incident.ID, im, version, authorName(c))
	return f, im, err
}

func diffImpact(s *Server, c *gin.Context, v *writeView, yours any) []postmortem.FieldDiff {
	fields, _ := s.store.CustomFields(c.Request.Context())
	return postmortem.DiffImpact(v.Impact, yours.(postmortem.Impact), fields)
}

var qualifierLabels = map[string]string{
	postmortem.QualifierExact: "exact", postmortem.QualifierAtLeast: "at least", postmortem.QualifierEstimate: "an estimate",
}

var detectionLabels = map[string]string{
	postmortem.DetectionAlert: "an alert", postmortem.DetectionCustomerReport: "a customer report",
	postmortem.DetectionEmployee: "an employee", postmortem.DetectionOther: "something else",
}
