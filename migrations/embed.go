// Package migrations holds the versioned SQL schema of each database dialect.
// A merged migration is never edited: checksums.txt records each file's
// SHA-256 and a test fails when one changes. Add a new file instead.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// FS returns the migrations of one dialect ("postgres" or "sqlite").
func FS(dialect string) fs.FS {
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}
