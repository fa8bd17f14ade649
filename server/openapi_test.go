package server_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/models"
)

// TestOpenAPICoversEveryRoute fails when an /api/v1 route is missing from
// the OpenAPI document, or the document lists one that does not exist.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	app := apptest.Start(t, models.SQLite, nil)
	res := app.API("GET", "/api/v1/openapi.json", "", "")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(res.Body), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v (%q)", err, doc.OpenAPI)
	}
	param := regexp.MustCompile(`:(\w+)`)
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, r := range app.Server.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") && !strings.HasPrefix(r.Path, "/hooks/") {
			continue
		}
		key := r.Method + " " + param.ReplaceAllString(r.Path, "{$1}")
		served[key] = true
		if !documented[key] {
			t.Errorf("%s is served but missing from openapi.json", key)
		}
	}
	for key := range documented {
		if !served[key] {
			t.Errorf("%s is in openapi.json but not served", key)
		}
	}
}
