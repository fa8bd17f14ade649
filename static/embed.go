// Package static holds the stylesheet, the small script and the vendored
// htmx, embedded in the binary and served under /static.
package static

import "embed"

// FS is served under /static.
//
//go:embed *.css *.js *.svg vendor
var FS embed.FS
