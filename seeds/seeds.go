// Package seeds holds Hindsight's demo data (users.yaml, one YAML file per
// incident under incidents/, its evidence under evidence/ and its written
// postmortem under postmortems/) and loads it into a store.
//
// Loading is idempotent: users are matched by e-mail and incidents by slug,
// and whatever already exists is left untouched. On a fresh database the
// incidents are created in a stable order (by started_at, then slug), so
// their keys (INC-1, INC-2, ...) are the same every time. Evidence goes in
// as one API delivery per incident, which a second load recognises as a
// redelivery (see evidence.go); corrective actions are matched by title
// within their incident (see actions.go); a postmortem section is saved
// only while its incident has never saved it (see postmortems.go).
package seeds

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"hindsight/models"
)

//go:embed users.yaml incidents/*.yaml evidence/*.yaml postmortems/*.yaml
var files embed.FS

// File names inside the seed file system.
const (
	usersFile      = "users.yaml"
	incidentsDir   = "incidents"
	evidenceDir    = "evidence"
	postmortemsDir = "postmortems"
)

// User is one entry of users.yaml. Seed users get no password, so they
// cannot sign in; they exist so that incidents can name their authors.
type User struct {
	Email string `yaml:"email"`
	Name  string `yaml:"name"`
	Role  string `yaml:"role"`
}

type usersDoc struct {
	Users []User `yaml:"users"`
}

// Incident is one file under incidents/. Times are RFC 3339 with an offset.
type Incident struct {
	Slug        string     `yaml:"slug"`
	Title       string     `yaml:"title"`
	Severity    string     `yaml:"severity"`
	Status      string     `yaml:"status"`
	Environment string     `yaml:"environment"`
	StartedAt   time.Time  `yaml:"started_at"`
	DetectedAt  *time.Time `yaml:"detected_at"`
	MitigatedAt *time.Time `yaml:"mitigated_at"`
	ResolvedAt  *time.Time `yaml:"resolved_at"`
	Services    []string   `yaml:"services"`
	Tags        []string   `yaml:"tags"`
	Authors     []string   `yaml:"authors"` // e-mail addresses
	Summary     string     `yaml:"summary"`

	// File is the seed file the incident came from, e.g. "incidents/x.yaml".
	File string `yaml:"-"`
}

// Set is the parsed seed data.
type Set struct {
	Users     []User
	Incidents []Incident // sorted by StartedAt, then Slug
	Evidence  []Evidence // in the order of Incidents; an incident may have none
	// Postmortems are in the order of Incidents; an incident may have none.
	Postmortems []Postmortem
}

// Result counts what a Load did.
type Result struct {
	UsersCreated     int
	IncidentsCreated int
	IncidentsSkipped int // an incident with the slug already existed
	// EventsCreated counts the evidence events (alerts, deploys, changes)
	// that did not exist yet.
	EventsCreated int
	// TimelineEntriesAdded counts the events and notes put on timelines.
	TimelineEntriesAdded int
	// ActionsCreated counts the corrective actions added to incidents
	// that had none with the same title.
	ActionsCreated int
	// PostmortemSectionsSaved counts the postmortem sections (impact, Five
	// Whys, contributing factors, lessons) saved for incidents that had
	// never saved them.
	PostmortemSectionsSaved int
}

// Parse decodes and checks the embedded seed files without touching a
// database. Unknown keys, missing slugs, admin seed users, evidence that
// names no incident or would not pass the event API's validation, and
// postmortem sections that the store would refuse are errors.
func Parse() (*Set, error) { return parse(files) }

// Load creates the seed users and incidents that do not exist yet, puts
// each incident's evidence on its timeline (see evidence.go), then saves
// the postmortem sections it has never saved (see postmortems.go).
func Load(ctx context.Context, store *models.Store) (Result, error) {
	return load(ctx, store, files)
}

func load(ctx context.Context, store *models.Store, fsys fs.FS) (Result, error) {
	var res Result
	set, err := parse(fsys)
	if err != nil {
		return res, err
	}

	// Validate every incident before writing anything, so that a bad file
	// does not leave half of the incidents behind.
	inputs := make([]models.IncidentInput, len(set.Incidents))
	for i, inc := range set.Incidents {
		inputs[i] = models.IncidentInput{
			Slug: inc.Slug, Title: inc.Title, Summary: inc.Summary, Severity: inc.Severity,
			Status: inc.Status, Environment: inc.Environment, StartedAt: inc.StartedAt,
			DetectedAt: inc.DetectedAt, MitigatedAt: inc.MitigatedAt, ResolvedAt: inc.ResolvedAt,
			Services: inc.Services, Tags: inc.Tags,
		}
		if err := inputs[i].Normalize(); err != nil {
			return res, fileErr(inc.File, err)
		}
	}

	for _, u := range set.Users {
		_, err := store.UserByEmail(ctx, u.Email)
		if err == nil {
			continue
		}
		if !errors.Is(err, models.ErrNotFound) {
			return res, fileErr(usersFile, fmt.Errorf("look up %s: %w", u.Email, err))
		}
		_, err = store.CreateUser(ctx, models.NewUser{Email: u.Email, Name: u.Name, Role: u.Role})
		switch {
		case errors.Is(err, models.ErrEmailTaken): // created concurrently; fine
		case err != nil:
			return res, fileErr(usersFile, fmt.Errorf("create %s: %w", u.Email, err))
		default:
			res.UsersCreated++
		}
	}

	// Resolve every author before creating any incident.
	for i, inc := range set.Incidents {
		if len(inc.Authors) == 0 {
			continue
		}
		users, missing, err := store.UsersByEmails(ctx, inc.Authors)
		if err != nil {
			return res, fileErr(inc.File, fmt.Errorf("look up authors: %w", err))
		}
		if len(missing) > 0 {
			return res, fileErr(inc.File, fmt.Errorf("unknown author e-mail %s (add it to %s)", strings.Join(missing, ", "), usersFile))
		}
		byEmail := make(map[string]int64, len(users))
		for _, u := range users {
			byEmail[u.Email] = u.ID
		}
		for _, e := range inc.Authors { // keep the file's order
			inputs[i].AuthorIDs = append(inputs[i].AuthorIDs, byEmail[models.NormalizeEmail(e)])
		}
	}

	for i, inc := range set.Incidents {
		_, err := store.IncidentBySlug(ctx, inc.Slug)
		if err == nil {
			res.IncidentsSkipped++
			continue
		}
		if !errors.Is(err, models.ErrNotFound) {
			return res, fileErr(inc.File, fmt.Errorf("look up slug %s: %w", inc.Slug, err))
		}
		_, err = store.CreateIncident(ctx, inputs[i], nil)
		switch {
		case errors.Is(err, models.ErrSlugTaken): // created concurrently
			res.IncidentsSkipped++
		case err != nil:
			return res, fileErr(inc.File, err)
		default:
			res.IncidentsCreated++
		}
	}

	owners, err := resolveOwners(ctx, store, set.Evidence)
	if err != nil {
		return res, err
	}
	for i := range set.Evidence {
		if err := loadEvidence(ctx, store, &set.Evidence[i], owners, &res); err != nil {
			return res, err
		}
	}
	for i := range set.Postmortems {
		if err := loadPostmortem(ctx, store, &set.Postmortems[i], &res); err != nil {
			return res, fileErr(set.Postmortems[i].File, err)
		}
	}
	return res, nil
}

func parse(fsys fs.FS) (*Set, error) {
	set := &Set{}

	var ud usersDoc
	if err := decodeFile(fsys, usersFile, &ud); err != nil {
		return nil, err
	}
	seenEmail := map[string]bool{}
	for i, u := range ud.Users {
		u.Email = models.NormalizeEmail(u.Email)
		switch {
		case u.Email == "":
			return nil, fileErr(usersFile, fmt.Errorf("user %d: email is missing", i+1))
		case seenEmail[u.Email]:
			return nil, fileErr(usersFile, fmt.Errorf("user %s is listed twice", u.Email))
		case u.Role == models.RoleAdmin:
			// An admin without a password would end first-run setup and
			// leave nobody able to administer the instance.
			return nil, fileErr(usersFile, fmt.Errorf("user %s: seed users cannot be admins", u.Email))
		}
		seenEmail[u.Email] = true
		set.Users = append(set.Users, u)
	}

	names, err := fs.Glob(fsys, incidentsDir+"/*.yaml")
	if err != nil {
		return nil, err
	}
	slugFile := map[string]string{}
	for _, name := range names {
		var inc Incident
		if err := decodeFile(fsys, name, &inc, timeKeys...); err != nil {
			return nil, err
		}
		inc.File = name
		switch want := strings.TrimSuffix(path.Base(name), ".yaml"); {
		case inc.Slug == "":
			return nil, fileErr(name, errors.New("slug is missing"))
		case inc.Slug != want:
			return nil, fileErr(name, fmt.Errorf("slug %q does not match the file name (want %q)", inc.Slug, want))
		case slugFile[inc.Slug] != "":
			return nil, fileErr(name, fmt.Errorf("slug %q is also used by %s", inc.Slug, slugFile[inc.Slug]))
		case inc.StartedAt.IsZero():
			return nil, fileErr(name, errors.New("started_at is missing"))
		}
		slugFile[inc.Slug] = name
		set.Incidents = append(set.Incidents, inc)
	}
	sort.SliceStable(set.Incidents, func(i, j int) bool {
		a, b := set.Incidents[i], set.Incidents[j]
		if !a.StartedAt.Equal(b.StartedAt) {
			return a.StartedAt.Before(b.StartedAt)
		}
		return a.Slug < b.Slug
	})
	if set.Evidence, err = parseEvidence(fsys, set.Incidents, seenEmail); err != nil {
		return nil, err
	}
	if set.Postmortems, err = parsePostmortems(fsys, set.Incidents, set.Evidence); err != nil {
		return nil, err
	}
	return set, nil
}

// timeKeys are the incident keys holding a moment.
var timeKeys = []string{"started_at", "detected_at", "mitigated_at", "resolved_at"}

// decodeFile strictly decodes the single YAML document in name into v. The
// top-level timeKeys must hold RFC 3339 times with an explicit offset: YAML
// would also accept "2022-11-17 11:45" and silently read it as UTC.
func decodeFile(fsys fs.FS, name string, v any, timeKeys ...string) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fileErr(name, err)
	}
	if err := checkTimes(b, timeKeys); err != nil {
		return fileErr(name, err)
	}
	return decodeBytes(name, b, v)
}

// decodeBytes strictly decodes the single YAML document b (of file name).
func decodeBytes(name string, b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fileErr(name, errors.New("file is empty"))
		}
		return fileErr(name, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fileErr(name, errors.New("expected a single YAML document"))
	}
	return nil
}

// checkTimes reports the first top-level key of timeKeys whose value is not
// an RFC 3339 time. Syntax errors are left to the strict decode.
func checkTimes(b []byte, timeKeys []string) error {
	if len(timeKeys) == 0 {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	return checkMappingTimes(doc.Content[0], timeKeys)
}

// checkMappingTimes is checkTimes for the keys of one mapping node; any
// other node passes.
func checkMappingTimes(m *yaml.Node, timeKeys []string) error {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !slices.Contains(timeKeys, k.Value) || (v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			continue
		}
		if _, err := time.Parse(time.RFC3339, v.Value); v.Kind != yaml.ScalarNode || err != nil {
			return fmt.Errorf("line %d: %s: %q is not an RFC 3339 time with an offset, such as 2022-11-17T11:45:00+01:00", v.Line, k.Value, v.Value)
		}
	}
	return nil
}

func fileErr(name string, err error) error {
	return fmt.Errorf("seeds/%s: %w", name, err)
}
