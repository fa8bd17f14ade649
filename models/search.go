package models

import (
	"strings"
	"unicode"
)

// searcher is the one interface behind full-text search: PostgreSQL answers
// with a tsvector column and a GIN index, SQLite with an FTS5 table. Both
// match every term as a prefix, so "migr" finds "migration" on either.
type searcher interface {
	// incidentMatch returns a WHERE clause over incidents and its argument.
	incidentMatch(terms []string) (string, any)
}

// SearchTerms splits a query into lowercase words of letters and digits.
// Everything else is dropped, which also makes the terms safe to splice into
// a tsquery or an FTS5 query.
func SearchTerms(q string) []string {
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) > 16 {
		words = words[:16]
	}
	return words
}

type postgresSearch struct{}

func (postgresSearch) incidentMatch(terms []string) (string, any) {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t + ":*"
	}
	return "search @@ to_tsquery('english', ?)", strings.Join(parts, " & ")
}

type sqliteSearch struct{}

func (sqliteSearch) incidentMatch(terms []string) (string, any) {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + t + `"*`
	}
	return "id IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?)", strings.Join(parts, " ")
}
