// Package export turns a postmortem into a blog-ready Markdown document
// and a machine-readable JSON one, for the team (internal) or for the
// public, redacted on the fly. It is pure: no HTTP, no database, no wall
// clock. The server fills a Postmortem from the incident, its sections,
// its timeline and its actions, and calls Markdown, JSON or
// PreviewPublic.
//
// # The Markdown
//
// Front matter first (Options.FrontMatter): YAML between "---" lines by
// default, TOML between "+++" lines for Hugo, or none, when the body
// starts with the title as a heading and a line with the key, severity,
// date and authors. It holds title, date (when published, else when the
// incident started), slug, description (the summary's first sentence, as
// plain text), tags, severity, authors (publicly the byline) and draft
// (not yet published). Every value is a quoted string with its escapes,
// so no title can end the front matter or add keys.
//
// The body has one of two layouts (Options.Layout). The full layout has a
// heading per section, in the order of AllSections, titled as the
// postmortem's template titles its steps: the summary; the impact as a
// table, with what users saw and any data lost below; the key moments
// and durations; the timeline as a table, its times in Options.Zone
// (named in the header); the trigger; the Five Whys as a nested numbered
// list under the problem; the contributing factors; the lessons (what
// went well, what went wrong, where we got lucky); the corrective actions
// as a table (status, priority, owner or team, due date, tracker link);
// the custom fields. The public layout, which a public template chooses
// by default, has three parts: Summary; What happened (what users saw,
// when, the trigger, the timeline, the public custom fields); What we are
// doing (the actions without owners, and the lessons that went wrong or
// were lucky). Options.Sections picks sections in either layout; a
// section with nothing to show is left out, and the impact fields a
// template does not show are too. Options.HeadingOffset moves every
// heading down for embedding; headings deeper than level 6 become bold
// lines.
//
// Hidden timeline entries never appear in Markdown, in either audience.
//
// # User text
//
// Text fields are Markdown and keep their inline formatting, but never
// change the structure around them (see escape.go): no raw HTML ("<"
// always becomes "&lt;", even where a code span could be taken apart by
// a link), no headings or setext underlines (escaped at any nesting), no
// extra table rows or cells ("|" and line breaks escaped in cells), no
// list items or quotes from inline text, and fenced code re-fenced so
// that it closes where it should. Control characters, invalid UTF-8 and
// invisible zero-width characters are removed first.
//
// # The public version
//
// Options.Audience "public" renders Redact's copy of the postmortem:
// people become their roles ("the on-call engineer", "a reviewer"),
// customers become "a customer", e-mail addresses, internal host names,
// private IP addresses and internal links are replaced, the author's own
// terms (Redaction.Terms) too, and internal fields are left out; what the
// author chose to keep (Redaction.Keep) stays. The original is never
// changed: the public version is made again on each export. Options.Byline
// says who the post is by ("The Payments team"); without one it is
// anonymous.
//
// PreviewPublic returns the same Markdown cut into Segments, each either
// text kept as written or a replacement pointing at its Removal, so that
// the preview page can highlight every removal, show what it replaced,
// and offer to keep it (add Removal.Original to Redaction.Keep) or to
// remove more (Redaction.Terms), then preview again:
//
//	pv, err := export.PreviewPublic(p, opts)
//	for _, s := range pv.Segments {
//		if s.Removal < 0 {
//			write(html.EscapeString(s.Text))
//			continue
//		}
//		r := pv.Removals[s.Removal]
//		write(`<mark title="` + html.EscapeString(r.Kind+": "+r.Original) + `">` + html.EscapeString(s.Text) + `</mark>`)
//	}
//
// # JSON
//
// JSON renders the whole postmortem in a stable snake_case shape
// (Document), the public audience redacted the same way.
//
// # Cost
//
// A postmortem with 2,000 timeline entries and 100 actions renders in
// about 3 ms internally and 10 ms publicly (BenchmarkMarkdown).
package export
