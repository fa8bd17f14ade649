package postmortem

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldErrors are validation problems keyed by the path of the field in the
// section's JSON: "users_affected.qualifier", "custom.region",
// "steps[2].because", "went_wrong[0]". Each message is safe to show next to
// that field, in the lowercase imperative style of models.ValidationError
// ("use at most 2000 characters"), so that a store can wrap it as
// &models.ValidationError{Fields: fe} and the API answers 422 naming the
// field. A nil or empty FieldErrors means valid.
type FieldErrors map[string]string

// Error lists the problems sorted by path, for logs and tests.
func (fe FieldErrors) Error() string {
	paths := make([]string, 0, len(fe))
	for p := range fe {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	parts := make([]string, len(paths))
	for i, p := range paths {
		parts[i] = p + ": " + fe[p]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Err returns fe as an error, or nil when there is no problem. Returning a
// nil FieldErrors through an error interface would not be nil, so callers
// that want an error use this.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// add records msg for path unless the path already has a message: the first
// problem found is usually the one to fix first.
func (fe *FieldErrors) add(path, msg string) {
	if *fe == nil {
		*fe = FieldErrors{}
	}
	if _, ok := (*fe)[path]; !ok {
		(*fe)[path] = msg
	}
}

// orNil turns an empty map into nil, so that "no problem" is always nil.
func (fe FieldErrors) orNil() FieldErrors {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Text limits, in characters (runes), shared by the sections.
const (
	// MaxTextLength bounds a short text: a why, a because, a problem
	// statement, a factor note, a lesson, a custom text value.
	MaxTextLength = 2000
	// MaxMarkdownLength bounds the Markdown fields of the impact: what
	// users saw and the data loss details.
	MaxMarkdownLength = 20_000
	// MaxNameLength bounds a name in a list: a service, a feature, a
	// customer.
	MaxNameLength = 200
	// MaxNames bounds each list of names.
	MaxNames = 100
)

// checkLength reports a message when s is longer than max characters.
func checkLength(fe *FieldErrors, path, s string, max int) {
	if utf8.RuneCountInString(s) > max {
		fe.add(path, fmt.Sprintf("use at most %d characters", max))
	}
}

// indexPath is path[i].
func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// blank reports whether s has only white space.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// repeated reports whether k was marked before, and marks it: duplicate
// checks stay linear on the largest body a client can send.
func repeated[K comparable](marked map[K]bool, k K) bool {
	if marked[k] {
		return true
	}
	marked[k] = true
	return false
}

// trimList trims every item, drops blank ones and, when dedupe is set,
// later duplicates ignoring case (the first spelling wins). It never
// returns nil, so that a normalised list is [] in JSON rather than null.
func trimList(in []string, dedupe bool) []string {
	out := make([]string, 0, len(in))
	marked := map[string]bool{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if dedupe && repeated(marked, strings.ToLower(s)) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// validKey reports whether s is an admin-defined key: a lowercase letter,
// then up to 39 lowercase letters, digits or underscores. Keys end up in
// JSON paths, URLs and export column names, so they stay this plain.
func validKey(s string) bool {
	if len(s) == 0 || len(s) > 40 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validID reports whether s is a usable item id inside a section (a why
// step, a factor): 1 to 40 ASCII letters, digits, '-' or '_'. Generated ids
// look like "w3" and "f2"; clients may bring their own of this shape.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// hasControl reports whether s holds a control character other than the
// line breaks and tabs that Markdown and notes may contain.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	})
}
