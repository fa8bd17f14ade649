// Package openapi holds the OpenAPI 3 description of /api/v1. A test in
// package server fails when a route is missing from it.
package openapi

import _ "embed"

// JSON is the document served at /api/v1/openapi.json.
//
//go:embed openapi.json
var JSON []byte
