package postmortem

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"hindsight/timeline"
)

// Impact is the impact step: what the incident did to users, as one
// section saved on its own. Every member is always present in its JSON
// (null or [] when unknown), so that a client can PUT back exactly what it
// got. Unknown numbers are null, never 0: "no tickets" and "not counted"
// are different answers.
type Impact struct {
	// Start and End bound the user impact, in UTC (RFC 3339 in JSON). When
	// unset they default to the key moments (WithDefaults).
	Start *time.Time `json:"start"`
	End   *time.Time `json:"end"`

	UsersAffected UsersAffected `json:"users_affected"`
	Customers     Customers     `json:"customers"`
	Services      []string      `json:"services"` // services affected, as people name them
	Features      []string      `json:"features"` // features affected: "checkout", "search"
	WhatUsersSaw  string        `json:"what_users_saw"`
	Detection     Detection     `json:"detection"`
	// SLOBudgetPct is the share of the error budget consumed, in percent.
	// It may exceed 100: a budget can be overspent.
	SLOBudgetPct   *float64 `json:"slo_budget_pct"`
	DataLoss       DataLoss `json:"data_loss"`
	SupportTickets *int64   `json:"support_tickets"`
	// Custom holds the values of the admin-defined fields (CustomField),
	// by key: a string for text, select and date fields, a number for
	// number fields. A missing key is an unset field.
	Custom map[string]any `json:"custom"`
}

// UsersAffected is how many users were affected and how sure that number
// is.
type UsersAffected struct {
	Count     *int64 `json:"count"`
	Qualifier string `json:"qualifier"` // QualifierExact, QualifierAtLeast or QualifierEstimate
}

// Qualifiers of a user count.
const (
	QualifierExact    = "exact"
	QualifierAtLeast  = "at_least"
	QualifierEstimate = "estimate"
)

// Customers are the customers or tenants affected.
type Customers struct {
	Count *int64 `json:"count"`
	// Names are internal: they help the team follow up but never appear in
	// a public export (Impact.Public).
	Names []string `json:"names"`
}

// Detection is how the incident came to the team's attention.
type Detection struct {
	Method string `json:"method"` // DetectionAlert, …; "" while unknown
	Link   string `json:"link"`   // the alert, ticket or message, an http(s) URL
}

// Detection methods.
const (
	DetectionAlert          = "alert"
	DetectionCustomerReport = "customer_report"
	DetectionEmployee       = "employee"
	DetectionOther          = "other"
)

// DataLoss says whether data was lost.
type DataLoss struct {
	Kind    string `json:"kind"`    // DataLossNone or DataLossSome; "" while unknown
	Details string `json:"details"` // Markdown; only with DataLossSome
}

// Data loss kinds.
const (
	DataLossNone = "none"
	DataLossSome = "some"
)

// Allowed values, in display order. Treat them as read-only.
var (
	Qualifiers       = []string{QualifierExact, QualifierAtLeast, QualifierEstimate}
	DetectionMethods = []string{DetectionAlert, DetectionCustomerReport, DetectionEmployee, DetectionOther}
	DataLossKinds    = []string{DataLossNone, DataLossSome}
)

// The impact's fields by their JSON name, which is how templates choose
// the ones their impact step shows (Template.ImpactFields).
const (
	FieldStart          = "start"
	FieldEnd            = "end"
	FieldUsersAffected  = "users_affected"
	FieldCustomers      = "customers"
	FieldServices       = "services"
	FieldFeatures       = "features"
	FieldWhatUsersSaw   = "what_users_saw"
	FieldDetection      = "detection"
	FieldSLOBudgetPct   = "slo_budget_pct"
	FieldDataLoss       = "data_loss"
	FieldSupportTickets = "support_tickets"
	FieldCustom         = "custom" // all the admin-defined fields
)

// AllImpactFields lists the impact fields in display order. Treat it as
// read-only.
var AllImpactFields = []string{
	FieldStart, FieldEnd, FieldUsersAffected, FieldCustomers, FieldServices, FieldFeatures,
	FieldWhatUsersSaw, FieldDetection, FieldSLOBudgetPct, FieldDataLoss, FieldSupportTickets, FieldCustom,
}

// MaxSLOBudgetPct is the largest budget share accepted: a thousand times
// the budget. Real overspends reach a few thousand percent (a four-hour
// outage against a 99.99% monthly SLO is about 5,500%); more is a typo.
const MaxSLOBudgetPct = 100_000

// MaxLinkLength bounds the detection link, in bytes.
const MaxLinkLength = 2000

// Normalize tidies the impact in place: times in UTC (a zero time counts
// as unset), text trimmed, lists trimmed with blank entries and
// case-insensitive duplicates dropped, nil lists and maps made empty (so
// the JSON holds [] and {}), and custom values that are nil or blank
// strings removed (unset). It never drops anything Validate would accept
// as a real value.
func (i *Impact) Normalize() {
	i.Start, i.End = utc(i.Start), utc(i.End)
	i.UsersAffected.Qualifier = strings.TrimSpace(i.UsersAffected.Qualifier)
	i.Customers.Names = trimList(i.Customers.Names, true)
	i.Services = trimList(i.Services, true)
	i.Features = trimList(i.Features, true)
	i.WhatUsersSaw = strings.TrimSpace(i.WhatUsersSaw)
	i.Detection.Method = strings.TrimSpace(i.Detection.Method)
	i.Detection.Link = strings.TrimSpace(i.Detection.Link)
	i.DataLoss.Kind = strings.TrimSpace(i.DataLoss.Kind)
	i.DataLoss.Details = strings.TrimSpace(i.DataLoss.Details)
	custom := make(map[string]any, len(i.Custom))
	for k, v := range i.Custom {
		if s, ok := v.(string); ok {
			v = strings.TrimSpace(s)
			if v == "" {
				continue
			}
		}
		if v != nil {
			custom[k] = v
		}
	}
	i.Custom = custom
}

func utc(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Validate checks the impact against the admin's custom field definitions
// and returns the problems by JSON path (nil when valid). It refuses: an
// end before the start; negative counts; a user count without a qualifier
// and unknown qualifiers, detection methods and data loss kinds; a
// detection link that is not an absolute http(s) URL; an SLO budget share
// that is negative, not finite or above MaxSLOBudgetPct; data loss details
// unless some data was lost; fewer customers counted than named; blank,
// multi-line or overlong names; overlong text; and custom values under
// unknown keys or not matching their field's kind (CustomField.CheckValue).
// Call Normalize first: Validate does not trim.
func (i Impact) Validate(fields []CustomField) FieldErrors {
	var fe FieldErrors
	if i.Start != nil && i.End != nil && i.End.Before(*i.Start) {
		fe.add(FieldEnd, "the end comes before the start")
	}

	ua := i.UsersAffected
	if ua.Count != nil && *ua.Count < 0 {
		fe.add("users_affected.count", "enter 0 or more")
	}
	switch {
	case ua.Qualifier == "" && ua.Count != nil:
		fe.add("users_affected.qualifier", "say whether the number is exact, a minimum or an estimate")
	case ua.Qualifier != "" && !slices.Contains(Qualifiers, ua.Qualifier):
		fe.add("users_affected.qualifier", "choose exact, at_least or estimate")
	}

	c := i.Customers
	switch {
	case c.Count != nil && *c.Count < 0:
		fe.add("customers.count", "enter 0 or more")
	case c.Count != nil && *c.Count < int64(len(c.Names)):
		fe.add("customers.count", fmt.Sprintf("%d customers are named; count at least as many", len(c.Names)))
	}
	checkNames(&fe, "customers.names", c.Names)
	checkNames(&fe, FieldServices, i.Services)
	checkNames(&fe, FieldFeatures, i.Features)

	checkLength(&fe, FieldWhatUsersSaw, i.WhatUsersSaw, MaxMarkdownLength)

	if m := i.Detection.Method; m != "" && !slices.Contains(DetectionMethods, m) {
		fe.add("detection.method", "choose alert, customer_report, employee or other")
	}
	if l := i.Detection.Link; l != "" {
		if msg := checkLink(l); msg != "" {
			fe.add("detection.link", msg)
		}
	}

	if p := i.SLOBudgetPct; p != nil {
		switch {
		case math.IsNaN(*p) || math.IsInf(*p, 0):
			fe.add(FieldSLOBudgetPct, "enter a number")
		case *p < 0:
			fe.add(FieldSLOBudgetPct, "enter 0 or more")
		case *p > MaxSLOBudgetPct:
			fe.add(FieldSLOBudgetPct, fmt.Sprintf("enter at most %d", MaxSLOBudgetPct))
		}
	}

	dl := i.DataLoss
	switch {
	case dl.Kind != "" && !slices.Contains(DataLossKinds, dl.Kind):
		fe.add("data_loss.kind", "choose none or some")
	case dl.Kind == "" && !blank(dl.Details):
		fe.add("data_loss.kind", "say whether data was lost")
	case dl.Kind == DataLossNone && !blank(dl.Details):
		fe.add("data_loss.details", "clear the details, or say that some data was lost")
	}
	checkLength(&fe, "data_loss.details", dl.Details, MaxMarkdownLength)

	if t := i.SupportTickets; t != nil && *t < 0 {
		fe.add(FieldSupportTickets, "enter 0 or more")
	}

	for _, k := range slices.Sorted(maps.Keys(i.Custom)) {
		p := FieldCustom + "." + k
		f, ok := findField(fields, k)
		if !ok {
			fe.add(p, "there is no such field; reload the page")
			continue
		}
		if msg := f.CheckValue(i.Custom[k]); msg != "" {
			fe.add(p, msg)
		}
	}
	return fe.orNil()
}

// checkNames validates a list of names: at most MaxNames, each non-blank,
// one line, at most MaxNameLength characters.
func checkNames(fe *FieldErrors, path string, names []string) {
	if len(names) > MaxNames {
		fe.add(path, fmt.Sprintf("list at most %d", MaxNames))
	}
	for i, n := range names {
		p := indexPath(path, i)
		switch {
		case blank(n):
			fe.add(p, "enter a name")
		case hasControl(n) || strings.ContainsAny(n, "\r\n"):
			fe.add(p, "use a single line")
		}
		checkLength(fe, p, n, MaxNameLength)
	}
}

// checkLink returns a message when s is not an absolute http(s) URL with a
// host, without spaces, control characters or credentials.
func checkLink(s string) string {
	if len(s) > MaxLinkLength {
		return fmt.Sprintf("use at most %d characters", MaxLinkLength)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "a link must not contain spaces or line breaks"
	}
	u, err := url.Parse(s)
	if err != nil || !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.Hostname() == "" {
		return "enter a full link starting with https://"
	}
	if u.User != nil {
		return "a link must not contain a user name or password"
	}
	return ""
}

// WithDefaults returns the impact with an unset start and end filled from
// the key moments: the start from started, the end from mitigated, else
// resolved (users stop being affected at mitigation; this is also how
// timeline.ComputeDurations measures the impact). Set values win. Use it
// to show a new impact step and to judge its completeness; store what the
// author saves.
func (i Impact) WithDefaults(m timeline.Moments) Impact {
	if i.Start == nil {
		i.Start = utc(m.Started)
	}
	if i.End == nil {
		if m.Mitigated != nil {
			i.End = utc(m.Mitigated)
		} else {
			i.End = utc(m.Resolved)
		}
	}
	return i
}

// Public returns a copy fit for a public export: the customer names, the
// internal custom fields and custom values under unknown keys (whose
// audience cannot be known) are left out. The receiver is not changed.
func (i Impact) Public(fields []CustomField) Impact {
	i.Customers.Names = []string{}
	custom := make(map[string]any, len(i.Custom))
	for k, v := range i.Custom {
		if f, ok := findField(fields, k); ok && !f.Internal {
			custom[k] = v
		}
	}
	i.Custom = custom
	return i
}

// PruneCustom removes, in place, the custom values whose field no longer
// exists or no longer accepts them (an admin deleted the field, changed
// its kind or removed an option). Call it on a stored impact before serving
// it, so that a GET never returns what a PUT of the same body would refuse,
// and before restoring an earlier version from the history. The stored
// value itself is only replaced when the section is next saved.
func (i *Impact) PruneCustom(fields []CustomField) {
	for k, v := range i.Custom {
		if f, ok := findField(fields, k); !ok || f.CheckValue(v) != "" {
			delete(i.Custom, k)
		}
	}
}
