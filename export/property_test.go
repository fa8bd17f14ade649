package export

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"hindsight/postmortem"
)

// gen makes random postmortems full of things a public export must not
// show, and remembers them.
type gen struct {
	rng     *rand.Rand
	secrets []string
	people  []Person
	names   []string // everything a sentence may mention
}

// Syllables with rare letters, so that a secret never occurs by chance in
// the text around it (or in a replacement).
var syllables = []string{"zo", "qu", "xa", "vy", "jek", "kry", "zul", "vox", "quy", "jix", "zeb", "xu", "kwo", "vex"}

func (g *gen) word() string {
	var b strings.Builder
	for range 2 + g.rng.IntN(2) {
		b.WriteString(syllables[g.rng.IntN(len(syllables))])
	}
	return capitalize(b.String())
}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *gen) secret(s string) string {
	g.secrets = append(g.secrets, s)
	return s
}

func (g *gen) privateIPv4() string {
	switch g.rng.IntN(6) {
	case 0:
		return fmt.Sprintf("10.%d.%d.%d", g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
	case 1:
		return fmt.Sprintf("172.%d.%d.%d", 16+g.rng.IntN(16), g.rng.IntN(256), 1+g.rng.IntN(254))
	case 2:
		return fmt.Sprintf("192.168.%d.%d", g.rng.IntN(256), 1+g.rng.IntN(254))
	case 3:
		return fmt.Sprintf("127.0.%d.%d", g.rng.IntN(256), 1+g.rng.IntN(254))
	case 4:
		return fmt.Sprintf("169.254.%d.%d", g.rng.IntN(256), 1+g.rng.IntN(254))
	default:
		return fmt.Sprintf("100.%d.%d.%d", 64+g.rng.IntN(64), g.rng.IntN(256), 1+g.rng.IntN(254))
	}
}

func (g *gen) privateIPv6() string {
	switch g.rng.IntN(3) {
	case 0:
		return fmt.Sprintf("fd%02x:%x:%x::%x", g.rng.IntN(256), g.rng.IntN(65536), g.rng.IntN(65536), 1+g.rng.IntN(65535))
	case 1:
		return fmt.Sprintf("fe80::%x:%x", g.rng.IntN(65536), 1+g.rng.IntN(65535))
	default:
		return "::1"
	}
}

var internalSuffixes = []string{"corp.example.com", "internal", "local", "corp", "lan", "svc.cluster.local", "example.net"}

func (g *gen) host() string {
	h := strings.ToLower(g.word()) + "-" + fmt.Sprint(g.rng.IntN(20)) + "." + g.pick(internalSuffixes)
	if g.rng.IntN(5) == 0 {
		h = strings.ToUpper(h)
	}
	return h
}

// thing returns a random secret as it would be written in a sentence.
func (g *gen) thing() string {
	switch g.rng.IntN(12) {
	case 0, 1: // a person, in full or by one part
		p := g.people[g.rng.IntN(len(g.people))]
		switch g.rng.IntN(4) {
		case 0:
			return p.Name
		case 1:
			return strings.Fields(p.Name)[g.rng.IntN(2)]
		case 2:
			return strings.ToLower(p.Name)
		default:
			return strings.ToUpper(strings.Fields(p.Name)[0])
		}
	case 2:
		p := g.people[g.rng.IntN(len(g.people))]
		if g.rng.IntN(2) == 0 {
			return p.Email
		}
		local, _, _ := strings.Cut(p.Email, "@")
		return local
	case 3:
		return g.secret(strings.ToLower(g.word()) + "@" + g.pick([]string{"example.com", "acme.io", "corp.example.com"}))
	case 4:
		return g.pick(g.names)
	case 5:
		return g.secret(g.host())
	case 6:
		return g.secret(g.privateIPv4())
	case 7:
		return g.secret(g.privateIPv6())
	case 8:
		return g.secret("https://" + g.host() + "/" + strings.ToLower(g.word()) + "?q=1")
	case 9:
		return g.secret(fmt.Sprintf("http://%s:%d/%s", g.privateIPv4(), 1024+g.rng.IntN(60000), strings.ToLower(g.word())))
	case 10:
		return g.secret("http://" + strings.ToLower(g.word()) + "/wiki/" + strings.ToLower(g.word()))
	default:
		ip := g.privateIPv6()
		g.secret(ip)
		return "[" + ip + "]:" + fmt.Sprint(1+g.rng.IntN(65535))
	}
}

var fillers = []string{"and", "then", "via", "on", "while", "because", ":", ";", "—", "after", "with"}

// sentence mentions one to four secrets in various Markdown forms.
func (g *gen) sentence() string {
	var parts []string
	for range 1 + g.rng.IntN(4) {
		s := g.thing()
		switch g.rng.IntN(10) {
		case 0:
			s = "(" + s + ")"
		case 1:
			s = s + "'s"
		case 2:
			s = "`" + s + "`"
		case 3:
			s = "**" + s + "**"
		case 4:
			s = "<" + s + ">"
		case 5:
			s = "[see](" + s + ")"
		case 6:
			s = "\"" + s + "\","
		case 7:
			s = s + "."
		}
		parts = append(parts, s, g.pick(fillers))
	}
	return strings.Join(parts[:len(parts)-1], " ")
}

func (g *gen) markdown() string {
	return g.sentence() + "\n\n- " + g.sentence() + "\n- " + g.sentence() + "\n\n```\nssh " + g.thing() + "\n```\n\n> " + g.sentence()
}

var roles = []string{"incident commander", "on-call engineer", "", "SRE", "communications lead", "Reviewer"}

func (g *gen) person() Person {
	first, last := g.word(), g.word()
	p := Person{Name: first + " " + last, Role: g.pick(roles),
		Email: strings.ToLower(first+"."+last) + "@" + g.pick([]string{"example.com", "corp.example.com"})}
	g.secret(p.Name)
	g.secret(first)
	g.secret(last)
	g.secret(p.Email)
	g.secret(strings.ToLower(first + "." + last))
	return p
}

func randomPostmortem(rng *rand.Rand) (Postmortem, []string) {
	g := &gen{rng: rng}
	p := fixture()
	p.Authors = nil
	for range 1 + rng.IntN(3) {
		p.Authors = append(p.Authors, g.person())
	}
	p.Reviewers = nil
	for range rng.IntN(3) {
		p.Reviewers = append(p.Reviewers, g.person())
	}
	g.people = slices.Concat(p.Authors, p.Reviewers)
	owners := []Person{g.person(), {}}
	g.people = append(g.people, owners[0])

	p.Impact.Customers.Names = nil
	for range 1 + rng.IntN(3) {
		c := g.word()
		if rng.IntN(2) == 0 {
			c += " " + g.word()
		}
		p.Impact.Customers.Names = append(p.Impact.Customers.Names, g.secret(c))
	}
	p.Impact.Customers.Count = i64(int64(len(p.Impact.Customers.Names)))
	g.names = p.Impact.Customers.Names

	p.Title = g.sentence()
	p.Slug = slugify(g.pick(g.names) + " " + g.people[0].Name + " outage")
	p.Summary = g.markdown()
	p.Tags = []string{strings.ToLower(g.pick(g.names)), strings.ToLower(strings.Fields(g.people[0].Name)[0]), "payments"}
	p.Services = []string{g.host(), "checkout"}
	g.secret(p.Services[0])

	p.Impact.WhatUsersSaw = g.markdown()
	p.Impact.DataLoss = postmortem.DataLoss{Kind: postmortem.DataLossSome, Details: g.markdown()}
	p.Impact.Services = []string{g.thing(), "checkout"}
	p.Impact.Features = []string{g.sentence()}
	p.Impact.Detection.Link = g.secret("https://" + g.host() + "/alerts")
	p.CustomFields = append(p.CustomFields, postmortem.CustomField{Key: "notes", Label: "Notes", Kind: postmortem.CustomText})
	p.Impact.Custom = map[string]any{"region": "eu-west", "notes": g.sentence(), "root_ticket": g.sentence(), "unknown": g.sentence()}

	p.Whys.Problem = g.sentence()
	for i := range p.Whys.Steps {
		p.Whys.Steps[i].Why = g.sentence()
		p.Whys.Steps[i].Because = g.sentence()
	}
	for i := range p.Factors.Items {
		p.Factors.Items[i].Note = g.sentence()
	}
	p.Lessons = postmortem.Lessons{WentWell: []string{g.sentence()}, WentWrong: []string{g.sentence(), g.markdown()}, Lucky: []string{g.sentence()}}

	base := at0("2026-11-20T13:00:00Z")
	p.Timeline = nil
	for i := range 5 + rng.IntN(10) {
		e := Entry{ID: int64(i + 1), At: base.Add(time.Duration(rng.IntN(7200)) * time.Second),
			Kind: g.pick([]string{"alert", "deploy", "note", g.thing()}), Service: g.thing(),
			Title: g.sentence(), Note: g.markdown(), Hidden: rng.IntN(4) == 0, IsTrigger: i == 2, Highlight: rng.IntN(3) == 0}
		p.Timeline = append(p.Timeline, e)
	}
	trig := p.Timeline[rng.IntN(len(p.Timeline))]
	p.Trigger = &trig

	p.Actions = nil
	for range 1 + rng.IntN(5) {
		p.Actions = append(p.Actions, Action{Title: g.sentence(), Status: g.pick([]string{"open", "done", "blocked"}),
			Owner: owners[rng.IntN(2)], Team: g.thing(), Due: "2026-12-01", Priority: "P2",
			TrackerURL: g.secret("https://jira." + g.pick(internalSuffixes) + "/browse/PAY-1"), TrackerKey: g.thing()})
	}
	p.Actions[0].Owner = owners[0] // every person mentioned is one the postmortem names
	if rng.IntN(2) == 0 {
		p.Template = publicTemplate()
	}
	return p, g.secrets
}

// TestPublicLeaksNothing is the property test of redaction: for 600
// random postmortems with people, e-mail addresses, internal hosts,
// private addresses, internal links and customers injected into every
// free-text field, in various Markdown forms, neither the public
// Markdown (any front matter, layout, zone) nor the public JSON contains
// any of them; and the redaction preview shows exactly that Markdown.
func TestPublicLeaksNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261120, 42))
	zones := []*time.Location{nil, paris(), mustZone("America/New_York")}
	for i := range 600 {
		p, secrets := randomPostmortem(rng)
		o := Options{
			Audience:    AudiencePublic,
			FrontMatter: []string{FrontMatterYAML, FrontMatterTOML, FrontMatterNone}[rng.IntN(3)],
			Layout:      []string{LayoutAuto, LayoutFull, LayoutPublic}[rng.IntN(3)],
			Zone:        zones[rng.IntN(len(zones))],
			Byline:      "The Payments team",
			Redaction:   Redaction{InternalDomains: []string{"corp.example.com", "example.net"}},
		}
		md, err := Markdown(p, o)
		if err != nil {
			t.Fatal(err)
		}
		js, err := JSON(p, o)
		if err != nil {
			t.Fatal(err)
		}
		pv, err := PreviewPublic(p, o)
		if err != nil {
			t.Fatal(err)
		}
		if string(pv.Markdown) != string(md) {
			t.Fatalf("case %d: the preview differs from the public Markdown:\n%s\n---\n%s", i, pv.Markdown, md)
		}
		for _, out := range []struct {
			name string
			text string
		}{{"markdown", string(md)}, {"json", string(js)}} {
			lower := strings.ToLower(out.text)
			for _, s := range secrets {
				if k := strings.Index(lower, strings.ToLower(s)); k >= 0 {
					t.Fatalf("case %d: %s contains %q: …%s…\n\n%s", i, out.name, s,
						out.text[max(0, k-80):min(len(out.text), k+len(s)+80)], out.text)
				}
			}
		}
		if i%50 == 0 { // the output is still a valid document
			d := parseDoc(t, md)
			if len(d.rawHTML) > 0 {
				t.Fatalf("case %d: raw HTML %q", i, d.rawHTML)
			}
			if o.FrontMatter != FrontMatterNone {
				decodeFrontMatter(t, d)
			}
		}
	}
}
