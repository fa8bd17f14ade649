package models

import (
	"strings"
	"unicode"
)

// searcher is the one interface behind full-text search: PostgreSQL answers
// with a tsvector column and a GIN index, SQLite with an FTS5 table. Both
// match every term as a prefix, so "migr" finds "migration" on either.
type searcher interface {
	// match returns a WHERE clause over table (incidents or events) and its
	// argument.
	match(table string, terms []string) (string, any)
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

func (postgresSearch) match(table string, terms []string) (string, any) {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t + ":*"
	}
	return table + ".search @@ to_tsquery('english', ?)", strings.Join(parts, " & ")
}

type sqliteSearch struct{}

func (sqliteSearch) match(table string, terms []string) (string, any) {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + t + `"*`
	}
	return table + ".id IN (SELECT rowid FROM " + table + "_fts WHERE " + table + "_fts MATCH ?)", strings.Join(parts, " ")
}
