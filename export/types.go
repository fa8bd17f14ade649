package export

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"hindsight/postmortem"
)

// Postmortem is everything an export needs, self-contained: the server
// fills it from the incident, its sections, its timeline and its actions.
// Nothing in it is changed by this package: Markdown, JSON, Redact and
// PreviewPublic work on copies.
type Postmortem struct {
	Key      string   // "INC-42"; internal only
	Title    string   // one line
	Slug     string   // "" derives it from the title
	Summary  string   // Markdown
	Severity string   // "SEV2"
	Status   string   // the review state, e.g. "published"
	Tags     []string // blog tags
	Services []string // the services the incident is about

	// The key moments; nil when not set.
	Started, Detected, Acknowledged, Mitigated, Resolved *time.Time

	Authors   []Person
	Reviewers []Person

	Impact       postmortem.Impact
	CustomFields []postmortem.CustomField // the admin's definitions of Impact.Custom
	Whys         postmortem.Whys
	Factors      postmortem.Factors
	Categories   []postmortem.Category // labels of the factors; empty uses postmortem.DefaultCategories
	Lessons      postmortem.Lessons

	// Timeline is the incident's timeline, in any order (exports sort it
	// by time). Hidden entries never appear in Markdown.
	Timeline []Entry
	// Trigger is the entry that set the incident off; nil uses the first
	// timeline entry with IsTrigger.
	Trigger *Entry
	Actions []Action

	// Template is the postmortem's template: it titles the sections, says
	// which impact fields appear, and a public template (Template.Public)
	// gives the body its three-part shape (see Options.Layout).
	Template    postmortem.Template
	PublishedAt *time.Time // nil while a draft
}

// Person is an author, a reviewer or an action's owner.
type Person struct {
	Name  string
	Email string
	// Role is what the person did in the incident: "incident commander",
	// "on-call engineer", "reviewer", "author". Public exports name people
	// by it ("the on-call engineer").
	Role string
}

// Entry is one line of the timeline.
type Entry struct {
	ID        int64     // the timeline entry's id, which Five Whys evidence cites
	At        time.Time // any zone; shown in Options.Zone
	Kind      string    // "alert", "deploy", "note", …
	Service   string
	Title     string // one line
	Note      string // Markdown
	Hidden    bool   // left out of every Markdown export and of public JSON
	Highlight bool   // shown in bold
	IsTrigger bool
}

// Action is a corrective action.
type Action struct {
	Title      string
	Status     string // actions.Status*
	Owner      Person // may be empty
	Team       string
	Due        string // YYYY-MM-DD, "" when none
	Priority   string // actions.Priority*
	TrackerURL string
	TrackerKey string // "OPS-123"; "" derives it from TrackerURL
}

// Audiences.
const (
	AudienceInternal = "internal" // everything, as written
	AudiencePublic   = "public"   // redacted on the fly (Redact)
)

// Front matter flavours.
const (
	FrontMatterYAML = "yaml" // between "---" lines (Jekyll, Hugo, Astro, Eleventy, …)
	FrontMatterTOML = "toml" // between "+++" lines (Hugo)
	FrontMatterNone = "none" // no front matter: the body starts with the title as a heading
)

// Layouts of the body.
const (
	// LayoutAuto takes the layout from the template: the three-part
	// public layout for a public template, the full one otherwise.
	LayoutAuto = ""
	// LayoutFull has one heading per section, in the order of
	// AllSections.
	LayoutFull = "full"
	// LayoutPublic has three parts: Summary; What happened (what users
	// saw, when, the trigger and the timeline); What we are doing (the
	// actions without their owners, and what was learned). The Five
	// Whys and the contributing factors are not part of it.
	LayoutPublic = "public"
)

// Sections of the body, by the names Options.Sections uses.
const (
	SectionSummary   = "summary"
	SectionImpact    = "impact"
	SectionDurations = "durations" // the key moments and how long each took
	SectionTimeline  = "timeline"
	SectionTrigger   = "trigger"
	SectionWhys      = "whys"
	SectionFactors   = "factors"
	SectionLessons   = "lessons"
	SectionActions   = "actions"
	SectionCustom    = "custom" // the admin-defined fields
)

// AllSections lists the sections in the order the full layout shows
// them. Treat it as read-only.
var AllSections = []string{
	SectionSummary, SectionImpact, SectionDurations, SectionTimeline, SectionTrigger,
	SectionWhys, SectionFactors, SectionLessons, SectionActions, SectionCustom,
}

// MaxHeadingOffset is the largest Options.HeadingOffset.
const MaxHeadingOffset = 4

// Options choose what an export shows and how. The zero value is the
// internal export with YAML front matter, times in UTC, every section.
type Options struct {
	Audience string         // AudienceInternal ("" too) or AudiencePublic
	Zone     *time.Location // the zone times are shown in, named in the headers; nil is UTC
	// Sections is the subset of AllSections to include; empty includes
	// them all. They always appear in the order of AllSections, and a
	// section with nothing to show is left out.
	Sections []string
	// HeadingOffset pushes every heading down 0 to MaxHeadingOffset
	// levels, for embedding the body in a page that has its own. Sections
	// are level 2 + offset (the title, without front matter, 1 + offset);
	// a heading that would be deeper than 6 becomes a bold line.
	HeadingOffset int
	FrontMatter   string // FrontMatterYAML ("" too), FrontMatterTOML or FrontMatterNone
	Layout        string // LayoutAuto, LayoutFull or LayoutPublic
	// Byline is who a public export is by, as written ("The Payments
	// team"): the front matter's authors. "" publishes anonymously (no
	// authors). Internal exports name the authors.
	Byline    string
	Redaction Redaction // public only
}

// Redaction tunes what a public export removes, beyond what it always
// removes (see Redact).
type Redaction struct {
	// Terms are the author's own words to remove, matched as whole words
	// ignoring case: project code names, a partner, a tenant.
	Terms []string
	// Keep are flagged texts the author chose to keep, compared with a
	// Removal's Original ignoring case: "Kubernetes", "support@example.com".
	Keep []string
	// InternalDomains are domains whose hosts are internal, with their
	// subdomains: "corp.example.com", "example.net". Names ending in
	// .internal, .local, .corp, .lan, .intranet, .localdomain and
	// .home.arpa always are.
	InternalDomains []string
}

// ErrOptions is wrapped by every error about invalid Options.
var ErrOptions = errors.New("export: invalid options")

// options are validated Options with their defaults filled in.
type options struct {
	Options
	public   bool
	layout   string // LayoutFull or LayoutPublic, resolved
	sections map[string]bool
}

func (o Options) resolve(t postmortem.Template) (options, error) {
	r := options{Options: o}
	switch o.Audience {
	case "", AudienceInternal:
		r.Audience = AudienceInternal
	case AudiencePublic:
		r.public = true
	default:
		return r, fmt.Errorf("%w: audience %q (want internal or public)", ErrOptions, o.Audience)
	}
	switch o.FrontMatter {
	case "":
		r.FrontMatter = FrontMatterYAML
	case FrontMatterYAML, FrontMatterTOML, FrontMatterNone:
	default:
		return r, fmt.Errorf("%w: front matter %q (want yaml, toml or none)", ErrOptions, o.FrontMatter)
	}
	if o.HeadingOffset < 0 || o.HeadingOffset > MaxHeadingOffset {
		return r, fmt.Errorf("%w: heading offset %d (want 0 to %d)", ErrOptions, o.HeadingOffset, MaxHeadingOffset)
	}
	if r.Zone == nil {
		r.Zone = time.UTC
	}
	switch o.Layout {
	case LayoutAuto:
		r.layout = LayoutFull
		if t.Public {
			r.layout = LayoutPublic
		}
	case LayoutFull, LayoutPublic:
		r.layout = o.Layout
	default:
		return r, fmt.Errorf("%w: layout %q (want full or public)", ErrOptions, o.Layout)
	}
	r.sections = make(map[string]bool, len(AllSections))
	for _, s := range o.Sections {
		if !slices.Contains(AllSections, s) {
			return r, fmt.Errorf("%w: unknown section %q", ErrOptions, s)
		}
		r.sections[s] = true
	}
	if len(o.Sections) == 0 {
		for _, s := range AllSections {
			r.sections[s] = true
		}
	}
	return r, nil
}

// Removal is one thing a public export leaves out or replaces.
type Removal struct {
	Original    string `json:"original"`    // the text as written
	Replacement string `json:"replacement"` // what stands in its place; "" when it is simply left out
	Kind        string `json:"kind"`        // Kind*
	Field       string `json:"field"`       // where, as a JSON path: "summary", "timeline[3].note", "impact.custom.region"
}

// Kinds of removal.
const (
	KindPerson   = "person"   // a name (or an e-mail's user name) of an author, reviewer or owner → their role
	KindEmail    = "email"    // an e-mail address
	KindCustomer = "customer" // a customer or tenant named in the impact
	KindHost     = "host"     // an internal host name
	KindIP       = "ip"       // a private, loopback or link-local IP address
	KindURL      = "url"      // a link to an internal or private host
	KindTerm     = "term"     // one of the author's Redaction.Terms
	KindField    = "field"    // a whole field left out: internal custom fields, hidden timeline entries, the key
)
