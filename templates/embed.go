// Package templates holds the server-rendered pages, embedded in the binary
// and parsed once at start-up.
package templates

import "embed"

// FS holds layout.html, partials/ and pages/.
//
//go:embed layout.html partials/*.html pages/*.html
var FS embed.FS
