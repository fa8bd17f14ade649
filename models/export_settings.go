package models

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redaction is what the author chose for the public export of a
// postmortem: their own terms to remove, the flagged texts to keep, and
// the byline. It is the "redaction" section, saved and versioned like the
// others; the public version itself is never stored (package export makes
// it again on each export).
type Redaction struct {
	// Terms are words to remove ("Project Falcon", a partner, a tenant),
	// matched as whole words ignoring case.
	Terms []string `json:"terms"`
	// Keep are texts the export flags that the author keeps as written
	// ("Kubernetes", "support@example.com"), compared ignoring case.
	Keep []string `json:"keep"`
	// Byline is who the public post is by ("The Payments team"); "" is
	// anonymous.
	Byline string `json:"byline"`
}

// Limits of the redaction choices.
const (
	MaxRedactionTerms      = 200 // terms, and kept texts, each
	MaxRedactionTermLength = 200 // characters
	MaxBylineLength        = 100 // characters
)

// editableWhenPublished are the sections saved even while the postmortem
// is published. The redaction choices only shape the public copy made on
// each export, never the postmortem's own text, and a term that should not
// be public is often noticed once it is: being able to remove it then,
// without reopening the review, is the point. Its revisions still record
// who changed what.
var editableWhenPublished = map[string]bool{SectionRedaction: true}

// Normalize trims every term, kept text and the byline, drops empty terms
// and repeats (ignoring case; the first spelling stays), and makes the
// lists non-nil.
func (r *Redaction) Normalize() {
	r.Terms = normalizeTerms(r.Terms)
	r.Keep = normalizeTerms(r.Keep)
	r.Byline = strings.TrimSpace(r.Byline)
}

func normalizeTerms(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, t := range in {
		t = strings.TrimSpace(t)
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	return out
}

// Validate checks a normalised Redaction: at most MaxRedactionTerms terms
// and as many kept texts, each one line of 1 to MaxRedactionTermLength
// characters, and a byline of one line of at most MaxBylineLength.
func (r Redaction) Validate() map[string]string {
	problems := map[string]string{}
	list := func(field, what string, items []string) {
		if len(items) > MaxRedactionTerms {
			problems[field] = fmt.Sprintf("use at most %d %s", MaxRedactionTerms, what)
			return
		}
		for _, t := range items {
			switch {
			case t == "":
				problems[field] = "an empty " + strings.TrimSuffix(what, "s") + " matches nothing"
			case utf8.RuneCountInString(t) > MaxRedactionTermLength:
				problems[field] = fmt.Sprintf("%q is longer than %d characters", string([]rune(t)[:20])+"…", MaxRedactionTermLength)
			case !oneLine(t):
				problems[field] = fmt.Sprintf("%q must be one line of text", t)
			default:
				continue
			}
			return
		}
	}
	list("terms", "terms", r.Terms)
	list("keep", "kept texts", r.Keep)
	switch {
	case utf8.RuneCountInString(r.Byline) > MaxBylineLength:
		problems["byline"] = fmt.Sprintf("use at most %d characters", MaxBylineLength)
	case !oneLine(r.Byline):
		problems["byline"] = "use one line of text"
	}
	return problems
}

// oneLine reports whether s is valid UTF-8 without control characters
// (line breaks and tabs included).
func oneLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			return false
		}
	}
	return true
}

// Redaction returns the redaction choices of a postmortem and their saved
// state (version 0: never saved, the zero choices).
func (s *Store) Redaction(ctx context.Context, incidentID int64) (Redaction, *PostmortemSection, error) {
	doc, sec, err := loadSection[Redaction](ctx, s, incidentID, SectionRedaction)
	doc.Normalize()
	return doc, sec, err
}

// SaveRedaction normalises, validates and saves the redaction choices at
// version (ErrStale when they moved on). Unlike the other sections it is
// saved while the postmortem is published (see editableWhenPublished).
func (s *Store) SaveRedaction(ctx context.Context, incidentID int64, doc Redaction, version int64, author string) (*PostmortemSection, error) {
	doc.Normalize()
	return s.saveDoc(ctx, incidentID, SectionRedaction, doc, doc.Validate(), version, author, nil)
}
