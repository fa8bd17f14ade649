package export

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"hindsight/postmortem"
)

// The preview marks each replacement in the rendered text with runes from
// a private-use block that input text may not contain (clean removes
// them): markOpen, the removal's index as markDigit0… runes, markMid, the
// replacement, markClose. Rendering treats them as ordinary letters-free
// text; stripMarks removes them all, leaving the replacement.
const (
	markOpen   = '\uE000'
	markMid    = '\uE001'
	markClose  = '\uE002'
	markDigit0 = '\uE010' // to '\uE019'
	markFirst  = '\uE000' // the reserved range, inclusive
	markLast   = '\uE01F'
)

func isMark(r rune) bool { return r >= markFirst && r <= markLast }

// markLead is the first byte of every mark rune in UTF-8 (U+E000–U+E01F
// are EE 80 80 – EE 80 9F).
const markLead = 0xEE

// stripMarks removes the preview marks.
func stripMarks(s string) string {
	i := strings.IndexByte(s, markLead)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		r, n := utf8.DecodeRuneInString(s[i:])
		if isMark(r) {
			b.WriteString(s[:i])
		} else {
			b.WriteString(s[:i+n])
		}
		s = s[i+n:]
		i = strings.IndexByte(s, markLead)
	}
	b.WriteString(s)
	return b.String()
}

// dropRune reports whether clean removes r: control characters other than
// tab and line feed (C0, DEL, C1), the preview marks, and the invisible
// zero-width space, word joiner and byte order mark (which would let a
// name slip past redaction while looking the same).
func dropRune(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\t' && r != '\n'
	case r >= 0x7f && r <= 0x9f:
		return true
	case isMark(r):
		return true
	}
	return r == '\u200B' || r == '\u2060' || r == '\uFEFF'
}

// clean makes user text safe to process: valid UTF-8 (invalid bytes
// become U+FFFD), line breaks as "\n", and the runes of dropRune removed.
// Surrounding white space is trimmed.
func clean(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' || c >= 0x7f {
			ok = false
			break
		}
	}
	if ok {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r':
			b.WriteByte('\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				n = 2
			}
		case dropRune(r):
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return strings.TrimSpace(b.String())
}

// cleanLine is clean on one line: every run of white space (line breaks
// included) becomes one space.
func cleanLine(s string) string {
	s = clean(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\n' || c == '\t' || c == ' ' && i+1 < len(s) && s[i+1] == ' ' {
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
}

func cleanList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = cleanLine(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func cleanTextList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = clean(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func cleanPerson(p Person) Person {
	return Person{Name: cleanLine(p.Name), Email: cleanLine(p.Email), Role: cleanLine(p.Role)}
}

func cleanPeople(in []Person) []Person {
	out := make([]Person, 0, len(in))
	for _, p := range in {
		if p = cleanPerson(p); p.Name != "" || p.Email != "" {
			out = append(out, p)
		}
	}
	return out
}

func cleanEntry(e Entry) Entry {
	e.Kind = cleanLine(e.Kind)
	e.Service = cleanLine(e.Service)
	e.Title = cleanLine(e.Title)
	e.Note = clean(e.Note)
	return e
}

// prepare returns a deep copy of p with every text cleaned (clean for
// Markdown and multi-line text, cleanLine for names and titles) and blank
// list items dropped, so that the rest of the package can change the copy
// freely and never sees control characters, invalid UTF-8 or marks.
// Pointers to times and numbers are shared: nothing changes them.
func prepare(p Postmortem) Postmortem {
	q := Postmortem{
		Key:          cleanLine(p.Key),
		Title:        cleanLine(p.Title),
		Slug:         cleanLine(p.Slug),
		Summary:      clean(p.Summary),
		Severity:     cleanLine(p.Severity),
		Status:       cleanLine(p.Status),
		Tags:         cleanList(p.Tags),
		Services:     cleanList(p.Services),
		Started:      p.Started,
		Detected:     p.Detected,
		Acknowledged: p.Acknowledged,
		Mitigated:    p.Mitigated,
		Resolved:     p.Resolved,
		Authors:      cleanPeople(p.Authors),
		Reviewers:    cleanPeople(p.Reviewers),
		Template:     p.Template,
		PublishedAt:  p.PublishedAt,
	}

	im := p.Impact
	im.UsersAffected.Qualifier = cleanLine(im.UsersAffected.Qualifier)
	im.Customers.Names = cleanList(im.Customers.Names)
	im.Services = cleanList(im.Services)
	im.Features = cleanList(im.Features)
	im.WhatUsersSaw = clean(im.WhatUsersSaw)
	im.Detection.Method = cleanLine(im.Detection.Method)
	im.Detection.Link = cleanLine(im.Detection.Link)
	im.DataLoss.Kind = cleanLine(im.DataLoss.Kind)
	im.DataLoss.Details = clean(im.DataLoss.Details)
	im.Custom = make(map[string]any, len(p.Impact.Custom))
	for k, v := range p.Impact.Custom {
		if s, ok := v.(string); ok {
			v = clean(s)
		}
		im.Custom[k] = v
	}
	q.Impact = im

	q.CustomFields = make([]postmortem.CustomField, len(p.CustomFields))
	for i, f := range p.CustomFields {
		f.Key = cleanLine(f.Key)
		f.Label = cleanLine(f.Label)
		f.Options = slices.Clone(f.Options)
		q.CustomFields[i] = f
	}

	q.Whys.Problem = clean(p.Whys.Problem)
	q.Whys.Steps = make([]postmortem.WhyStep, len(p.Whys.Steps))
	for i, s := range p.Whys.Steps {
		q.Whys.Steps[i] = postmortem.WhyStep{ID: cleanLine(s.ID), ParentID: cleanLine(s.ParentID),
			Why: clean(s.Why), Because: clean(s.Because), Evidence: slices.Clone(s.Evidence)}
	}

	q.Factors.Items = make([]postmortem.Factor, len(p.Factors.Items))
	for i, f := range p.Factors.Items {
		q.Factors.Items[i] = postmortem.Factor{ID: cleanLine(f.ID), Category: cleanLine(f.Category),
			Note: clean(f.Note), WhyStepID: cleanLine(f.WhyStepID)}
	}
	q.Categories = make([]postmortem.Category, len(p.Categories))
	for i, c := range p.Categories {
		c.Key, c.Label = cleanLine(c.Key), cleanLine(c.Label)
		q.Categories[i] = c
	}

	q.Lessons = postmortem.Lessons{
		WentWell:  cleanTextList(p.Lessons.WentWell),
		WentWrong: cleanTextList(p.Lessons.WentWrong),
		Lucky:     cleanTextList(p.Lessons.Lucky),
	}

	q.Timeline = make([]Entry, len(p.Timeline))
	for i, e := range p.Timeline {
		q.Timeline[i] = cleanEntry(e)
	}
	if p.Trigger != nil {
		t := cleanEntry(*p.Trigger)
		q.Trigger = &t
	}

	q.Actions = make([]Action, len(p.Actions))
	for i, a := range p.Actions {
		q.Actions[i] = Action{
			Title: cleanLine(a.Title), Status: cleanLine(a.Status), Owner: cleanPerson(a.Owner),
			Team: cleanLine(a.Team), Due: cleanLine(a.Due), Priority: cleanLine(a.Priority),
			TrackerURL: cleanLine(a.TrackerURL), TrackerKey: cleanLine(a.TrackerKey),
		}
	}
	q.Template.Titles = maps.Clone(p.Template.Titles)
	for s, t := range q.Template.Titles {
		q.Template.Titles[s] = cleanLine(t)
	}
	return q
}
