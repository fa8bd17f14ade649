package export

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"hindsight/postmortem"
)

// Redact returns the public version of a postmortem and every removal it
// made, in the order of the fields. p is not changed: the public version
// is a copy, made on the fly and never meant to be stored over the
// original. Of o, only Redaction is used.
//
// In every free-text field (title, slug, summary, tags, services, impact
// texts and lists, custom values, Five Whys, factors, lessons, timeline
// entries, the trigger, actions):
//
//   - people become their role: each author, reviewer and action owner's
//     full name (ignoring case), each part of it written with a capital
//     ("Ana", "Lima"), and their e-mail address and its user name
//     ("ana.lima") are replaced by "the <role>" when one person has that
//     role, "a <role>" when several do ("a reviewer"). A role is
//     Person.Role, else "author", "reviewer" or "engineer" (owners). A
//     first name shared by people of different roles becomes "a team
//     member". Structured names (authors, reviewers, owners) become the
//     role phrase and lose their e-mail address.
//   - customers and tenants named in Impact.Customers.Names become "a
//     customer" (a one-word name only when capitalised, so that a
//     customer called "Target" leaves "target latency" alone, except in
//     the slug and the tags, which are lowercase), and the names
//     themselves are left out.
//   - every e-mail address becomes its owner's role, else "an e-mail
//     address".
//   - private IP addresses (RFC 1918, loopback, link-local, IPv6 unique
//     and site-local, carrier-grade NAT), with a port or prefix length,
//     become "an internal address".
//   - host names under .internal, .local, .corp, .lan, .intranet,
//     .localdomain, .home.arpa or one of Redaction.InternalDomains become
//     "an internal host" ("an internal link" with a path).
//   - URLs to such hosts, to private addresses, to single-label hosts
//     ("http://grafana/") or without a host become "an internal link", or
//     "#redacted" as the destination of a Markdown link, whose text stays.
//   - the author's Redaction.Terms become "(redacted)".
//
// A replacement that starts a sentence is capitalised. Matches are whole
// words; where two overlap the longer wins. A match whose text is one of
// Redaction.Keep (ignoring case) is kept as written, and so is what lies
// inside it.
//
// Whole fields go too (KindField): the key, hidden timeline entries (and
// Five Whys evidence citing them), a hidden trigger, internal custom
// fields and values under unknown keys (Impact.Public). Detection and
// tracker links to internal hosts are emptied (KindURL). Categories,
// severity, status, dates and numbers are kept.
func Redact(p Postmortem, o Options) (Postmortem, []Removal) {
	q := prepare(p)
	r := newRedactor(&q, o.Redaction, false, true)
	r.apply(&q)
	return q, r.result()
}

// phrase is a name or a term to find, as lowercase words.
type phrase struct {
	words []string
	kind  string
	repl  string
	// capital: a one-word phrase only matches when written with a
	// capital ("Will", "WILL", not "will").
	capital bool
}

type word struct {
	start, end int
	ascii      bool
}

// words appends the words of s: maximal runs of letters, digits and marks.
func words(s string, out []word) []word {
	start, ascii := -1, true
	for i := 0; i < len(s); {
		c := s[i]
		in, n := false, 1
		if c < utf8.RuneSelf {
			in = isAlnum(c)
		} else {
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			in = isWordRune(r)
		}
		if in {
			if start < 0 {
				start, ascii = i, true
			}
			ascii = ascii && c < utf8.RuneSelf
		} else if start >= 0 {
			out = append(out, word{start, i, ascii})
			start = -1
		}
		i += n
	}
	if start >= 0 {
		out = append(out, word{start, len(s), ascii})
	}
	return out
}

// lowerWord is s in lowercase, rune by rune.
func lowerWord(s string) string { return strings.Map(unicode.ToLower, s) }

// equalLower reports whether s lowercased rune by rune is lower.
func equalLower(s, lower string) bool {
	for _, r := range s {
		l, n := utf8.DecodeRuneInString(lower)
		if n == 0 || unicode.ToLower(r) != l {
			return false
		}
		lower = lower[n:]
	}
	return lower == ""
}

// joins reports whether the text between two words lets them be one
// phrase: at most three characters of white space (one line break) and
// ".-_'’".
func joins(sep string) bool {
	n, lines := 0, 0
	for _, r := range sep {
		n++
		switch r {
		case '\n':
			lines++
		case ' ', '\t', '\u00a0', '.', '-', '_', '\'', '’':
		default:
			return false
		}
	}
	return n <= 3 && lines <= 1
}

type redactor struct {
	phrases  map[string][]*phrase // by first word
	emails   map[string]string    // lowercase address → replacement
	domains  []string             // lowercase, without a leading dot
	keep     map[string]bool      // lowercase
	mark     bool                 // wrap replacements in preview marks
	collect  bool                 // keep the removals (Redact and the preview need them)
	removals []removal
	// Cheap filters before a map lookup: the first bytes (lowercase
	// ASCII; 0x80 stands for any other) and byte lengths (63 for 63 or
	// more) of the phrases' first words.
	firstByte [256]bool
	lengths   uint64
	// label is set for the slug and the tags, which are lowercase labels
	// rather than sentences: one-word names match in any case and
	// replacements are not capitalised.
	label bool

	ms    []match // scratch
	words []word
	lower []byte
	buf   []byte
}

// newRedactor prepares the redaction of p. mark wraps each replacement
// in preview marks and collect keeps the removals (mark implies collect).
func newRedactor(p *Postmortem, red Redaction, mark, collect bool) *redactor {
	r := &redactor{phrases: map[string][]*phrase{}, emails: map[string]string{}, keep: map[string]bool{},
		mark: mark, collect: collect || mark}
	for _, d := range red.InternalDomains {
		d = strings.ToLower(strings.Trim(cleanLine(d), "*. "))
		if d != "" {
			r.domains = append(r.domains, d)
		}
	}
	for _, k := range red.Keep {
		if k = cleanLine(k); k != "" {
			r.keep[strings.ToLower(k)] = true
		}
	}

	people := r.people(p)
	for _, pr := range people { // full names first: they win over parts and terms
		r.addPhrase(pr.Name, KindPerson, pr.phrase, true)
	}
	for _, pr := range people {
		if at := strings.LastIndexByte(pr.Email, '@'); at > 0 {
			r.emails[strings.ToLower(pr.Email)] = pr.phrase
			if local := pr.Email[:at]; len(words(local, nil)) > 1 || utf8.RuneCountInString(local) >= 5 {
				r.addPhrase(local, KindPerson, pr.phrase, false)
			}
		}
	}
	for _, c := range p.Impact.Customers.Names {
		r.addPhrase(c, KindCustomer, replCustomer, true)
	}
	for _, t := range red.Terms {
		r.addPhrase(cleanLine(t), KindTerm, replTerm, false)
	}
	parts := map[string]string{}
	var order []string
	for _, pr := range people {
		f := strings.Fields(pr.Name)
		if len(f) < 2 {
			continue
		}
		for _, part := range f {
			if first, _ := utf8.DecodeRuneInString(part); !unicode.IsUpper(first) || utf8.RuneCountInString(part) < 2 {
				continue // "van", "de", initials
			}
			switch prev, seen := parts[part]; {
			case !seen:
				parts[part] = pr.phrase
				order = append(order, part)
			case prev != pr.phrase:
				parts[part] = replMember
			}
		}
	}
	for _, part := range order {
		r.addPhrase(part, KindPerson, parts[part], true)
	}
	for _, list := range r.phrases {
		slices.SortStableFunc(list, func(a, b *phrase) int { return len(b.words) - len(a.words) })
	}
	return r
}

// addPhrase indexes a phrase by its first word; the first phrase with the
// same words wins.
func (r *redactor) addPhrase(text, kind, repl string, capital bool) {
	ws := words(text, nil)
	if len(ws) == 0 {
		return
	}
	lw := make([]string, len(ws))
	for i, w := range ws {
		lw[i] = lowerWord(text[w.start:w.end])
	}
	for _, q := range r.phrases[lw[0]] {
		if slices.Equal(q.words, lw) {
			return
		}
	}
	r.phrases[lw[0]] = append(r.phrases[lw[0]], &phrase{words: lw, kind: kind, repl: repl, capital: capital && len(lw) == 1})
	r.firstByte[filterByte(lw[0][0])] = true
	r.lengths |= 1 << min(len(lw[0]), 63)
}

// filterByte is the firstByte slot of a word's first byte.
func filterByte(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c + 'a' - 'A'
	case c >= utf8.RuneSelf:
		return utf8.RuneSelf
	}
	return c
}

// person is someone the postmortem names, with the phrase that replaces
// them.
type person struct {
	Person
	phrase string
}

// people lists the authors, reviewers and owners once each (by e-mail,
// else by name), with their role phrase.
func (r *redactor) people(p *Postmortem) []person {
	var out []person
	seen := map[string]int{}
	add := func(x Person, def string) {
		if x.Name == "" && x.Email == "" {
			return
		}
		key := "e:" + strings.ToLower(x.Email)
		if x.Email == "" {
			key = "n:" + strings.ToLower(x.Name)
		}
		if _, ok := seen[key]; ok {
			return
		}
		seen[key] = len(out)
		x.Role = role(x.Role, def)
		out = append(out, person{Person: x})
	}
	for _, a := range p.Authors {
		add(a, "author")
	}
	for _, a := range p.Reviewers {
		add(a, "reviewer")
	}
	for _, a := range p.Actions {
		add(a.Owner, "engineer")
	}
	count := map[string]int{}
	for _, x := range out {
		count[strings.ToLower(x.Role)]++
	}
	for i := range out {
		out[i].phrase = rolePhrase(out[i].Role, count[strings.ToLower(out[i].Role)])
	}
	return out
}

// role tidies a role for use in a sentence: letters, digits, spaces and
// "-'/&" only, starting with a letter; capitalised words in lowercase
// ("Incident Commander" → "incident commander"; "SRE" stays).
func role(s, def string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-'/&’", r):
			if b.Len() == 0 && !unicode.IsLetter(r) {
				continue
			}
			b.WriteRune(r)
		case unicode.IsSpace(r):
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
		}
	}
	s = strings.Join(strings.Fields(b.String()), " ")
	if s == "" {
		return def
	}
	fields := strings.Fields(s)
	for i, w := range fields {
		if r, n := utf8.DecodeRuneInString(w); unicode.IsUpper(r) && strings.ToLower(w[n:]) == w[n:] {
			fields[i] = string(unicode.ToLower(r)) + w[n:]
		}
	}
	return strings.Join(fields, " ")
}

// rolePhrase is "the <role>" for one person, "a/an <role>" for several.
func rolePhrase(role string, n int) string {
	if n <= 1 {
		return "the " + role
	}
	first, _ := utf8.DecodeRuneInString(role)
	vowel := strings.ContainsRune("aeiouAEIOU", first)
	if w, _, _ := strings.Cut(role, " "); len(w) > 1 && strings.ToUpper(w) == w { // an acronym: "an SRE"
		vowel = strings.ContainsRune("AEFHILMNORSX", first)
	}
	if vowel {
		return "an " + role
	}
	return "a " + role
}

// path is where a removal was made: base[i].leaf.
type path struct {
	base string
	i    int // -1: no index
	leaf string
}

func at(base string) path { return path{base: base, i: -1} }

func (p path) String() string {
	s := p.base
	if p.i >= 0 {
		s += "[" + strconv.Itoa(p.i) + "]"
	}
	if p.leaf != "" {
		s += "." + p.leaf
	}
	return s
}

func (p path) with(leaf string) path { p.leaf = leaf; return p }

// kept reports whether the author chose to keep this text.
func (r *redactor) kept(orig string) bool {
	if len(r.keep) == 0 {
		return false
	}
	if r.keep[strings.ToLower(orig)] {
		return true
	}
	t := strings.TrimSuffix(strings.TrimPrefix(orig, "<"), ">")
	if len(t) >= 7 && strings.EqualFold(t[:7], "mailto:") {
		t = t[7:]
	}
	return t != orig && r.keep[strings.ToLower(t)]
}

// removal is a Removal before its path is written out.
type removal struct {
	orig, repl, kind string
	at               path
}

// result returns the removals as Removals.
func (r *redactor) result() []Removal {
	out := make([]Removal, len(r.removals))
	for i, x := range r.removals {
		out[i] = Removal{Original: x.orig, Replacement: x.repl, Kind: x.kind, Field: x.at.String()}
	}
	return out
}

// record adds a removal and returns the text to put in its place: the
// replacement, in preview marks when marking.
func (r *redactor) record(f path, orig, repl, kind string) string {
	if !r.collect {
		return repl
	}
	i := len(r.removals)
	r.removals = append(r.removals, removal{orig: orig, repl: repl, kind: kind, at: f})
	if !r.mark {
		return repl
	}
	r.buf = r.buf[:0]
	r.buf = utf8.AppendRune(r.buf, markOpen)
	for _, d := range strconv.Itoa(i) {
		r.buf = utf8.AppendRune(r.buf, markDigit0+d-'0')
	}
	r.buf = utf8.AppendRune(r.buf, markMid)
	r.buf = append(r.buf, repl...)
	r.buf = utf8.AppendRune(r.buf, markClose)
	return string(r.buf)
}

// text redacts one free-text field.
func (r *redactor) text(f path, s string) string {
	if s == "" {
		return s
	}
	ms := r.ms[:0]
	ms = r.scanURLs(s, ms)
	ms = r.scanEmails(s, ms)
	ms = r.scanIPs(s, ms)
	ms = r.scanHosts(s, ms)
	ms = r.scanPhrases(s, ms)
	r.ms = ms
	if len(ms) == 0 {
		return s
	}
	slices.SortFunc(ms, func(a, b match) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	var b strings.Builder
	b.Grow(len(s) + 32)
	written, taken := 0, 0
	for _, m := range ms {
		if m.start < taken {
			continue // inside a longer match, or overlapping one
		}
		taken = m.end
		orig := s[m.start:m.end]
		if r.kept(orig) {
			continue
		}
		repl := m.repl
		if !r.label && sentenceStart(s, m.start) {
			repl = capitalize(repl)
		}
		b.WriteString(s[written:m.start])
		b.WriteString(r.record(f, orig, repl, m.kind))
		written = m.end
	}
	b.WriteString(s[written:])
	return b.String()
}

// sentenceStart reports whether a replacement at i starts a sentence: at
// the start of the text or a line (after a list or quote marker), or
// after ". ", "! ", "? ".
func sentenceStart(s string, i int) bool {
	j := i
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	if j == 0 || s[j-1] == '\n' {
		return true
	}
	switch s[j-1] {
	case '.', '!', '?':
		return j < i
	case '-', '*', '+', '>':
		k := j - 1
		for k > 0 && (s[k-1] == ' ' || s[k-1] == '\t') {
			k--
		}
		return j < i && (k == 0 || s[k-1] == '\n')
	}
	return false
}

// scanPhrases finds people, customers and terms.
func (r *redactor) scanPhrases(s string, ms []match) []match {
	if len(r.phrases) == 0 {
		return ms
	}
	r.words = words(s, r.words[:0])
	ws := r.words
	for k := 0; k < len(ws); k++ {
		w := ws[k]
		// An ASCII word whose length or first letter no phrase has
		// needs no lookup (lowercasing ASCII keeps both).
		if w.ascii && (!r.firstByte[filterByte(s[w.start])] || r.lengths&(1<<min(w.end-w.start, 63)) == 0) {
			continue
		}
		r.lower = r.lower[:0]
		for _, c := range s[w.start:w.end] {
			r.lower = utf8.AppendRune(r.lower, unicode.ToLower(c))
		}
		cands := r.phrases[string(r.lower)]
	next:
		for _, p := range cands {
			n := len(p.words)
			if k+n > len(ws) {
				continue
			}
			if p.capital && !r.label {
				if first, _ := utf8.DecodeRuneInString(s[w.start:]); !unicode.IsUpper(first) {
					continue
				}
			}
			for x := 1; x < n; x++ {
				a, b := ws[k+x-1], ws[k+x]
				if !joins(s[a.end:b.start]) || !equalLower(s[b.start:b.end], p.words[x]) {
					continue next
				}
			}
			ms = append(ms, match{start: w.start, end: ws[k+n-1].end, kind: p.kind, repl: p.repl})
			k += n - 1
			break
		}
	}
	return ms
}

// person replaces a structured person by their role phrase.
func (r *redactor) person(f path, x *Person, def string) {
	if x.Name == "" && x.Email == "" {
		return
	}
	rl := role(x.Role, def)
	phrase := r.emails[strings.ToLower(x.Email)]
	if phrase == "" {
		for _, c := range r.phrases[lowerFirstWord(x.Name)] {
			if c.kind == KindPerson && equalWords(x.Name, c.words) {
				phrase = c.repl
				break
			}
		}
	}
	if phrase == "" {
		phrase = rolePhrase(rl, 1)
	}
	out := Person{Role: rl}
	if x.Name != "" {
		if r.kept(x.Name) {
			out.Name = x.Name
		} else {
			out.Name = r.record(f.with(joinLeaf(f.leaf, "name")), x.Name, phrase, KindPerson)
		}
	}
	if x.Email != "" {
		switch {
		case r.kept(x.Email):
			out.Email = x.Email
		case x.Name == "": // known by e-mail only: the role takes its place
			out.Name = r.record(f.with(joinLeaf(f.leaf, "email")), x.Email, phrase, KindEmail)
		default:
			r.record(f.with(joinLeaf(f.leaf, "email")), x.Email, "", KindEmail)
		}
	}
	*x = out
}

func joinLeaf(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func lowerFirstWord(s string) string {
	ws := words(s, nil)
	if len(ws) == 0 {
		return ""
	}
	return lowerWord(s[ws[0].start:ws[0].end])
}

func equalWords(s string, lw []string) bool {
	ws := words(s, nil)
	if len(ws) != len(lw) {
		return false
	}
	for i, w := range ws {
		if !equalLower(s[w.start:w.end], lw[i]) {
			return false
		}
	}
	return true
}

func (r *redactor) texts(base string, list []string) []string {
	out := make([]string, 0, len(list))
	for i, s := range list {
		if s = r.text(path{base: base, i: i}, s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (r *redactor) drop(f path, orig string) {
	r.record(f, orig, "", KindField)
}

// apply redacts q in place (q is prepare's copy).
func (r *redactor) apply(q *Postmortem) {
	if q.Key != "" {
		r.drop(at("key"), q.Key)
		q.Key = ""
	}
	q.Title = r.text(at("title"), q.Title)
	r.label = true
	if s := r.text(at("slug"), q.Slug); s != q.Slug {
		q.Slug = slugify(stripMarks(s))
	}
	q.Tags = r.texts("tags", q.Tags)
	r.label = false
	q.Summary = r.text(at("summary"), q.Summary)
	q.Services = r.texts("services", q.Services)
	for i := range q.Authors {
		r.person(path{base: "authors", i: i}, &q.Authors[i], "author")
	}
	for i := range q.Reviewers {
		r.person(path{base: "reviewers", i: i}, &q.Reviewers[i], "reviewer")
	}

	im := &q.Impact
	for i, n := range im.Customers.Names {
		r.record(path{base: "impact.customers.names", i: i}, n, "", KindCustomer)
	}
	for _, k := range slices.Sorted(maps.Keys(im.Custom)) {
		i := slices.IndexFunc(q.CustomFields, func(f postmortem.CustomField) bool { return f.Key == k })
		if i < 0 || q.CustomFields[i].Internal {
			label := k
			if i >= 0 && q.CustomFields[i].Label != "" {
				label = q.CustomFields[i].Label
			}
			r.drop(at("impact.custom."+k), label+": "+postmortem.FormatValue(im.Custom[k]))
		}
	}
	*im = im.Public(q.CustomFields)
	for _, k := range slices.Sorted(maps.Keys(im.Custom)) {
		if s, ok := im.Custom[k].(string); ok {
			im.Custom[k] = r.text(at("impact.custom."+k), s)
		}
	}
	im.Services = r.texts("impact.services", im.Services)
	im.Features = r.texts("impact.features", im.Features)
	im.WhatUsersSaw = r.text(at("impact.what_users_saw"), im.WhatUsersSaw)
	im.DataLoss.Details = r.text(at("impact.data_loss.details"), im.DataLoss.Details)
	if l := im.Detection.Link; l != "" && r.internalURL(l) && !r.kept(l) {
		r.record(at("impact.detection.link"), l, "", KindURL)
		im.Detection.Link = ""
	}

	hidden := map[int64]bool{}
	visible := make([]Entry, 0, len(q.Timeline))
	for i, e := range q.Timeline {
		f := path{base: "timeline", i: i}
		if e.Hidden {
			if e.ID != 0 {
				hidden[e.ID] = true
			}
			r.drop(f, e.Title)
			continue
		}
		r.entry(f, &e)
		visible = append(visible, e)
	}
	q.Timeline = visible
	if t := q.Trigger; t != nil {
		if t.Hidden {
			// An empty hidden trigger stays, so that no other entry is
			// shown as the trigger in its place.
			r.drop(at("trigger"), t.Title)
			q.Trigger = &Entry{Hidden: true}
		} else {
			r.entry(at("trigger"), t)
		}
	}

	q.Whys.Problem = r.text(at("whys.problem"), q.Whys.Problem)
	for i := range q.Whys.Steps {
		s := &q.Whys.Steps[i]
		f := path{base: "whys.steps", i: i}
		s.Why = r.text(f.with("why"), s.Why)
		s.Because = r.text(f.with("because"), s.Because)
		if len(hidden) > 0 {
			s.Evidence = slices.DeleteFunc(s.Evidence, func(id int64) bool { return hidden[id] })
		}
	}
	for i := range q.Factors.Items {
		q.Factors.Items[i].Note = r.text(path{base: "factors.items", i: i, leaf: "note"}, q.Factors.Items[i].Note)
	}
	q.Lessons.WentWell = r.texts("lessons.went_well", q.Lessons.WentWell)
	q.Lessons.WentWrong = r.texts("lessons.went_wrong", q.Lessons.WentWrong)
	q.Lessons.Lucky = r.texts("lessons.lucky", q.Lessons.Lucky)

	for i := range q.Actions {
		a := &q.Actions[i]
		f := path{base: "actions", i: i}
		a.Title = r.text(f.with("title"), a.Title)
		r.person(f.with("owner"), &a.Owner, "engineer")
		a.Team = r.text(f.with("team"), a.Team)
		a.TrackerKey = r.text(f.with("tracker_key"), a.TrackerKey)
		if a.TrackerURL != "" && r.internalURL(a.TrackerURL) && !r.kept(a.TrackerURL) {
			r.record(f.with("tracker_url"), a.TrackerURL, "", KindURL)
			a.TrackerURL = ""
		}
	}
}

func (r *redactor) entry(f path, e *Entry) {
	e.Title = r.text(f.with("title"), e.Title)
	e.Note = r.text(f.with("note"), e.Note)
	e.Service = r.text(f.with("service"), e.Service)
	e.Kind = r.text(f.with("kind"), e.Kind)
}
