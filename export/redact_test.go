package export

import (
	"slices"
	"strings"
	"testing"

	"hindsight/postmortem"
)

// redactText redacts one summary with the fixture's people and customers.
func redactText(t *testing.T, red Redaction, s string) (string, []Removal) {
	t.Helper()
	p := fixture()
	p.Summary = s
	q, rm := Redact(p, Options{Redaction: red})
	var mine []Removal
	for _, r := range rm {
		if r.Field == "summary" {
			mine = append(mine, r)
		}
	}
	return q.Summary, mine
}

func TestRedactPatterns(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// people, by full name (any case), capitalised parts, e-mail and its user name
		{"Ana Lima rolled back.", "The incident commander rolled back."},
		{"then ana lima rolled back", "then the incident commander rolled back"},
		{"Ana's laptop and Lima's notes", "The incident commander's laptop and the incident commander's notes"},
		{"ANA paged.", "The incident commander paged."},
		{"banana and lima beans", "banana and lima beans"},
		{"ping ana.lima on chat", "ping the incident commander on chat"},
		{"Carla Diaz and Dev Patel reviewed", "A reviewer and a reviewer reviewed"},
		{"Erin fixed it", "The engineer fixed it"},
		{"Ana\nLima", "The incident commander"},
		{"- Bo restarted pods\n- done", "- The on-call engineer restarted pods\n- done"},
		// e-mail addresses
		{"mail ana.lima@example.com now", "mail the incident commander now"},
		{"write to ops+alerts@acme.io.", "write to an e-mail address."},
		{"<carla.diaz@example.com>", "A reviewer"},
		{"[mail](mailto:help@example.org)", "[mail](an e-mail address)"},
		{"user@localhost is no address", "user@localhost is no address"},
		// IPv4
		{"db at 10.20.3.7, 172.16.5.4:5432 and 192.168.1.0/24.", "db at an internal address, an internal address and an internal address."},
		{"127.0.0.1 and 169.254.169.254 and 100.64.1.1", "An internal address and an internal address and an internal address"},
		{"public 8.8.8.8 and 172.32.0.1 stay", "public 8.8.8.8 and 172.32.0.1 stay"},
		{"versions 1.2.3, v10.0.0.1 and 10.0.0.1.5", "versions 1.2.3, v10.0.0.1 and 10.0.0.1.5"},
		// IPv6
		{"from fd12:3456::1 and fe80::1%eth0 and ::1", "from an internal address and an internal address and an internal address"},
		{"[fd00::2]:8080", "[an internal address]:8080"},
		{"docs 2001:db8::1, at 14:05:00, std::vector", "docs 2001:db8::1, at 14:05:00, std::vector"},
		// host names
		{"on db-7.corp.example.com and api.internal:8443", "on an internal host and an internal host"},
		{"printer.local. svc.cluster.local/metrics?x=1 box.lan", "An internal host. An internal link an internal host"},
		{"example.com, corp.example.org, notcorp.example.com", "example.com, corp.example.org, notcorp.example.com"},
		// links
		{"see https://grafana.internal/d/x?y=1.", "see an internal link."},
		{"(see http://10.0.0.5:3000/dash)", "(see an internal link)"},
		{"[dash](http://wiki/x) and [gh](https://github.com/org/repo)", "[dash](#redacted) and [gh](https://github.com/org/repo)"},
		{"<https://x.corp.example.com/a>", "An internal link"},
		{"postgres://u:p@db.internal:5432/app", "An internal link"},
		{"file:///etc/hosts", "An internal link"},
		// customers: full names in any case, one word only capitalised
		{"Acme Retail and ACME retail", "A customer and a customer"},
		{"Globex called; the globex team", "A customer called; the globex team"},
	}
	red := Redaction{InternalDomains: []string{"corp.example.com"}}
	for _, tt := range tests {
		got, _ := redactText(t, red, tt.in)
		if got != tt.want {
			t.Errorf("%q\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactRoles(t *testing.T) {
	p := fixture()
	p.Authors = []Person{{Name: "Sam Ode", Role: "SRE"}, {Name: "Sam Ito", Role: "Incident Commander"}}
	p.Reviewers = []Person{{Name: "Uma Roy", Role: "  # <b>reviewer</b> "}}
	p.Actions = []Action{{Title: "x", Owner: Person{Email: "kim@example.com", Role: "SRE"}}}
	p.Summary = "Sam Ode, Sam Ito, Uma Roy and kim@example.com. Sam said so."
	q, _ := Redact(p, Options{})
	want := "An SRE, the incident commander, the breviewer/b and an SRE. A team member said so."
	if q.Summary != want {
		t.Errorf("summary %q\nwant    %q", q.Summary, want)
	}
	names := []string{q.Authors[0].Name, q.Authors[1].Name, q.Reviewers[0].Name, q.Actions[0].Owner.Name}
	if want := []string{"an SRE", "the incident commander", "the breviewer/b", "an SRE"}; !slices.Equal(names, want) {
		t.Errorf("people %q, want %q", names, want)
	}
	if q.Actions[0].Owner.Email != "" {
		t.Errorf("owner e-mail kept")
	}
}

func TestRedactTermsKeepAndFields(t *testing.T) {
	red := Redaction{
		Terms:           []string{"Project Falcon", "payments-api", "  "},
		Keep:            []string{"globex", "support@example.com", "10.20.3.7"},
		InternalDomains: []string{"*.corp.example.com"},
	}
	got, rm := redactText(t, red, "Project falcon hit payments-api; Globex wrote to support@example.com from 10.20.3.7 via db-7.corp.example.com.")
	want := "(redacted) hit (redacted); Globex wrote to support@example.com from 10.20.3.7 via an internal host."
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	var kinds []string
	for _, r := range rm {
		kinds = append(kinds, r.Kind+":"+r.Original)
	}
	if want := []string{"term:Project falcon", "term:payments-api", "host:db-7.corp.example.com"}; !slices.Equal(kinds, want) {
		t.Errorf("removals %q, want %q", kinds, want)
	}

	q, all := Redact(fixture(), Options{Redaction: red})
	if q.Key != "" || q.Impact.Detection.Link != "" || len(q.Impact.Customers.Names) != 0 {
		t.Errorf("key %q, detection link %q, customers %q left", q.Key, q.Impact.Detection.Link, q.Impact.Customers.Names)
	}
	if _, ok := q.Impact.Custom["revenue_lost"]; ok {
		t.Errorf("an internal custom field is left")
	}
	if q.Impact.Custom["region"] != "eu-west" {
		t.Errorf("a public custom field is gone: %v", q.Impact.Custom)
	}
	for _, e := range q.Timeline {
		if e.Hidden {
			t.Errorf("hidden entry %q left", e.Title)
		}
	}
	if len(q.Timeline) != len(fixture().Timeline)-1 {
		t.Errorf("%d entries left", len(q.Timeline))
	}
	if q.Actions[1].TrackerURL != "" || q.Actions[1].TrackerKey != "PAY-990" {
		t.Errorf("internal tracker: %q %q", q.Actions[1].TrackerURL, q.Actions[1].TrackerKey)
	}
	if q.Actions[0].TrackerURL == "" {
		t.Errorf("a public tracker link was removed")
	}
	fields := map[string]string{}
	for _, r := range all {
		fields[r.Field] = r.Kind
	}
	for f, k := range map[string]string{
		"key": KindField, "timeline[4]": KindField, "impact.custom.revenue_lost": KindField, "impact.custom.root_ticket": KindField,
		"impact.customers.names[0]": KindCustomer, "impact.detection.link": KindURL, "actions[1].tracker_url": KindURL,
		"authors[0].name": KindPerson, "authors[0].email": KindEmail, "actions[0].owner.name": KindPerson,
	} {
		if fields[f] != k {
			t.Errorf("removal at %s: kind %q, want %q", f, fields[f], k)
		}
	}
}

func TestRedactSlugAndTags(t *testing.T) {
	p := fixture()
	p.Slug = "globex-acme-retail-outage"
	p.Tags = []string{"globex", "Ana", "payments"}
	q, _ := Redact(p, Options{})
	if q.Slug != "a-customer-a-customer-outage" {
		t.Errorf("slug %q", q.Slug)
	}
	if want := []string{"a customer", "the incident commander", "payments"}; !slices.Equal(q.Tags, want) {
		t.Errorf("tags %q, want %q", q.Tags, want)
	}
}

func TestRedactEvidenceOfHiddenEntries(t *testing.T) {
	p := fixture()
	p.Whys.Steps[0].Evidence = []int64{3, 6, 4}
	q, _ := Redact(p, Options{})
	if got := q.Whys.Steps[0].Evidence; !slices.Equal(got, []int64{3, 4}) {
		t.Errorf("evidence %v still cites the hidden entry 6", got)
	}
	if got := p.Whys.Steps[0].Evidence; !slices.Equal(got, []int64{3, 6, 4}) {
		t.Errorf("the input's evidence changed: %v", got)
	}
}

func TestHiddenTrigger(t *testing.T) {
	p := fixture()
	p.Trigger = &Entry{Title: "secret deploy", Hidden: true}
	for _, aud := range []string{AudienceInternal, AudiencePublic} {
		md, err := Markdown(p, Options{Audience: aud})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(md), "secret deploy") || strings.Contains(string(md), "## Trigger") {
			t.Errorf("%s: a hidden trigger is shown", aud)
		}
	}
}

// TestPreview: the preview's segments are the public Markdown exactly,
// each highlighted segment is its removal's replacement, and every
// removal made in a shown text is highlighted.
func TestPreview(t *testing.T) {
	for _, o := range []Options{
		{Redaction: corp, Byline: "The Payments team"},
		{Redaction: corp, FrontMatter: FrontMatterTOML, Layout: LayoutPublic, Zone: paris()},
		{Redaction: corp, FrontMatter: FrontMatterNone, HeadingOffset: 3},
	} {
		pv, err := PreviewPublic(fixture(), o)
		if err != nil {
			t.Fatal(err)
		}
		o.Audience = AudiencePublic
		md, err := Markdown(fixture(), o)
		if err != nil {
			t.Fatal(err)
		}
		if string(pv.Markdown) != string(md) {
			t.Fatalf("preview Markdown differs from Markdown:\n%s\n---\n%s", pv.Markdown, md)
		}
		var joined strings.Builder
		shown := map[int]bool{}
		for _, s := range pv.Segments {
			joined.WriteString(s.Text)
			if s.Removal >= 0 {
				if s.Text != pv.Removals[s.Removal].Replacement {
					t.Errorf("segment %q for removal %+v", s.Text, pv.Removals[s.Removal])
				}
				shown[s.Removal] = true
			}
		}
		if joined.String() != string(md) {
			t.Errorf("segments do not join to the Markdown")
		}
		_, removals := Redact(fixture(), o)
		if !slices.Equal(pv.Removals, removals) {
			t.Errorf("preview removals differ from Redact's")
		}
		for i, r := range pv.Removals {
			text := r.Field == "summary" || strings.HasPrefix(r.Field, "whys.") && o.Layout != LayoutPublic
			if text && !shown[i] {
				t.Errorf("removal %d %+v is not highlighted", i, r)
			}
		}
		if len(shown) < 8 {
			t.Errorf("only %d removals highlighted", len(shown))
		}
	}
}

func TestPreviewKeepAndTerms(t *testing.T) {
	o := Options{Redaction: Redaction{Terms: []string{"rollback"}, Keep: []string{"Acme Retail"}}}
	pv, err := PreviewPublic(fixture(), o)
	if err != nil {
		t.Fatal(err)
	}
	md := string(pv.Markdown)
	if !strings.Contains(md, "customers such as Acme Retail saw") {
		t.Errorf("a kept customer was removed")
	}
	if strings.Contains(strings.ToLower(md), "rollback") {
		t.Errorf("the author's term is still there")
	}
	terms := 0
	for _, s := range pv.Segments {
		if s.Removal >= 0 && pv.Removals[s.Removal].Kind == KindTerm {
			terms++
		}
	}
	if terms < 2 {
		t.Errorf("%d term removals highlighted", terms)
	}
}

func TestSegmentsTolerateBrokenMarks(t *testing.T) {
	s := "a" + string(markOpen) + "x" + string(markMid) + "b" + string(markClose) + "c" + string(markOpen)
	got := segments(s, 1)
	if len(got) != 1 || got[0].Text != "axbc" || got[0].Removal != -1 {
		t.Errorf("%+v", got)
	}
	ok := "a" + string(markOpen) + string(markDigit0+1) + string(markMid) + "X" + string(markClose) + "b"
	if got := segments(ok, 2); len(got) != 3 || got[1] != (Segment{"X", 1}) {
		t.Errorf("%+v", got)
	}
}

func TestCustomFieldsUnknownKeys(t *testing.T) {
	p := fixture()
	p.Impact.Custom["legacy"] = "kept internally"
	md, _ := Markdown(p, Options{})
	if !strings.Contains(string(md), "| legacy | kept internally |") {
		t.Errorf("an unknown custom key is not shown internally")
	}
	md, _ = Markdown(p, Options{Audience: AudiencePublic})
	if strings.Contains(string(md), "legacy") {
		t.Errorf("an unknown custom key is shown publicly")
	}
	p.Template = postmortem.Template{Key: "short", Steps: []postmortem.Step{postmortem.StepSummary, postmortem.StepImpact, postmortem.StepReview},
		ImpactFields: []string{postmortem.FieldStart, postmortem.FieldEnd}}
	md, _ = Markdown(p, Options{})
	if strings.Contains(string(md), "Additional details") || strings.Contains(string(md), "Users affected") {
		t.Errorf("fields the template does not show are shown:\n%s", md)
	}
}
