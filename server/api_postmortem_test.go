package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"hindsight/internal/apptest"
	"hindsight/internal/testdb"
	"hindsight/models"
)

// namedToken creates an API token with a name, so that saves can be told
// apart in the history.
func namedToken(t *testing.T, app *apptest.App, name, role string) string {
	t.Helper()
	_, plain, err := app.Store.CreateAPIToken(context.Background(), name, role, nil)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// sectionDoc decodes a section answer keeping every member.
func sectionDoc(t *testing.T, res *apptest.Response) map[string]any {
	t.Helper()
	var m map[string]any
	res.JSON(t, &m)
	return m
}

func encode(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAPIPostmortemSections(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			ana := namedToken(t, app, "ana", models.RoleEditor)
			bo := namedToken(t, app, "bo", models.RoleEditor)
			viewer := app.Token(models.RoleViewer)
			var inc incidentBody
			app.API("POST", "/api/v1/incidents", ana, `{"title":"Chatbot errors","severity":"SEV2","started_at":"2022-11-17T10:45:00Z"}`).JSON(t, &inc)
			base := fmt.Sprintf("/api/v1/incidents/%d", inc.ID)

			// Never saved: version 0, every member present, lists [] not null,
			// and one ETag per section.
			wantMembers := map[string][]string{
				"impact": {"custom", "customers", "data_loss", "detection", "end", "features", "services", "slo_budget_pct",
					"start", "support_tickets", "updated_at", "updated_by", "users_affected", "version", "what_users_saw"},
				"whys":    {"problem", "steps", "updated_at", "updated_by", "version"},
				"factors": {"items", "updated_at", "updated_by", "version"},
				"lessons": {"lucky", "updated_at", "updated_by", "version", "went_well", "went_wrong"},
			}
			etags := map[string]string{}
			for section, want := range wantMembers {
				res := app.API("GET", base+"/"+section, viewer, "")
				if res.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d %s", section, res.StatusCode, res.Body)
				}
				doc := sectionDoc(t, res)
				var got []string
				for k := range doc {
					got = append(got, k)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s members %q, want %q", section, got, want)
				}
				if doc["version"] != 0.0 || doc["updated_at"] != nil || doc["updated_by"] != "" {
					t.Errorf("%s never saved: %s", section, res.Body)
				}
				if want := fmt.Sprintf(`"%s-%d-v0"`, section, inc.ID); res.Header.Get("ETag") != want {
					t.Errorf("%s ETag %q, want %q", section, res.Header.Get("ETag"), want)
				}
				etags[section] = res.Header.Get("ETag")
			}
			if doc := sectionDoc(t, app.API("GET", base+"/lessons", viewer, "")); fmt.Sprint(doc["went_well"]) != "[]" {
				t.Errorf("an empty list reads as %v, want []", doc["went_well"])
			}
			// The key form of the id works too.
			if res := app.API("GET", "/api/v1/incidents/"+inc.Key+"/whys", viewer, ""); res.StatusCode != http.StatusOK {
				t.Errorf("GET by key: %d", res.StatusCode)
			}

			// Read, modify, write back with the ETag.
			get := app.API("GET", base+"/impact", ana, "")
			doc := sectionDoc(t, get)
			doc["what_users_saw"] = "  The chatbot answered every question with an error.  "
			doc["users_affected"] = map[string]any{"count": 1200, "qualifier": "estimate"}
			doc["services"] = []string{"chatbot", "Chatbot", " "}
			put := app.API("PUT", base+"/impact", ana, encode(t, doc), "If-Match", get.Header.Get("ETag"))
			if put.StatusCode != http.StatusOK {
				t.Fatalf("PUT impact: %d %s", put.StatusCode, put.Body)
			}
			saved := sectionDoc(t, put)
			if saved["what_users_saw"] != "The chatbot answered every question with an error." || saved["version"] != 1.0 ||
				saved["updated_by"] != "API token ana" || saved["updated_at"] == nil || fmt.Sprint(saved["services"]) != "[chatbot]" {
				t.Errorf("saved impact: %s", put.Body)
			}
			if want := fmt.Sprintf(`"impact-%d-v1"`, inc.ID); put.Header.Get("ETag") != want {
				t.Errorf("ETag after PUT %q, want %q", put.Header.Get("ETag"), want)
			}
			// Exactly what the GET returned goes back: the read-only members
			// are ignored, and an unchanged document is no new version.
			again := app.API("GET", base+"/impact", ana, "")
			if again.Body != put.Body || again.Header.Get("ETag") != put.Header.Get("ETag") {
				t.Errorf("GET after PUT differs:\n%s\n%s", again.Body, put.Body)
			}
			back := app.API("PUT", base+"/impact", ana, again.Body, "If-Match", again.Header.Get("ETag"))
			if back.StatusCode != http.StatusOK {
				t.Fatalf("PUT back the GET body: %d %s", back.StatusCode, back.Body)
			}
			if b := sectionDoc(t, back); b["version"] != 1.0 || b["what_users_saw"] != saved["what_users_saw"] || back.Header.Get("ETag") != put.Header.Get("ETag") {
				t.Errorf("written back: %s", back.Body)
			}
			// A write to the impact leaves the other sections' ETags alone.
			for _, section := range []string{"whys", "factors", "lessons"} {
				if tag := app.API("GET", base+"/"+section, viewer, "").Header.Get("ETag"); tag != etags[section] {
					t.Errorf("%s ETag moved from %q to %q after a write to the impact", section, etags[section], tag)
				}
			}

			// Two clients from the same ETag: the second is refused and the
			// first's data stays.
			lessons := app.API("GET", base+"/lessons", ana, "")
			first := app.API("PUT", base+"/lessons", ana, `{"went_well":["Rollback took four minutes"],"went_wrong":[],"lucky":[]}`,
				"If-Match", lessons.Header.Get("ETag"))
			second := app.API("PUT", base+"/lessons", bo, `{"went_well":["Bo's version"],"went_wrong":[],"lucky":[]}`,
				"If-Match", lessons.Header.Get("ETag"))
			var eb errorBody
			second.JSON(t, &eb)
			if first.StatusCode != http.StatusOK || second.StatusCode != http.StatusPreconditionFailed || eb.Error.Code != "stale" || eb.Error.Message == "" {
				t.Errorf("concurrent PUTs: %d, then %d %s", first.StatusCode, second.StatusCode, second.Body)
			}
			if cur := sectionDoc(t, app.API("GET", base+"/lessons", viewer, "")); fmt.Sprint(cur["went_well"]) != "[Rollback took four minutes]" || cur["updated_by"] != "API token ana" {
				t.Errorf("after the refused PUT: %v", cur)
			}

			// Refusals.
			whys := app.API("GET", base+"/whys", ana, "")
			whysTag := whys.Header.Get("ETag")
			refusals := []struct {
				name, method, path, token, body, ifMatch string
				status                                   int
				code, field                              string
			}{
				{"missing If-Match", "PUT", base + "/whys", ana, `{"problem":"x","steps":[]}`, "", http.StatusPreconditionRequired, "precondition_required", ""},
				{"unknown member", "PUT", base + "/whys", ana, `{"problem":"x","steps":[],"colour":"red"}`, whysTag, http.StatusBadRequest, "bad_request", "colour"},
				{"unknown nested member", "PUT", base + "/whys", ana, `{"problem":"x","steps":[{"id":"w1","because":"b","weight":3}]}`, whysTag, http.StatusBadRequest, "bad_request", "steps[0].weight"},
				{"wrong type", "PUT", base + "/whys", ana, `{"problem":42,"steps":[]}`, whysTag, http.StatusBadRequest, "bad_request", "problem"},
				{"wrong nested type", "PUT", base + "/whys", ana, `{"problem":"x","steps":[{"id":"w1","because":"b","evidence":["e1"]}]}`, whysTag, http.StatusBadRequest, "bad_request", "steps[0].evidence[0]"},
				{"wrong type in the impact", "PUT", base + "/impact", ana, `{"support_tickets":"many"}`, `"impact-` + fmt.Sprint(inc.ID) + `-v1"`, http.StatusBadRequest, "bad_request", "support_tickets"},
				{"invalid qualifier", "PUT", base + "/impact", ana, `{"users_affected":{"count":5,"qualifier":"roughly"}}`, `"impact-` + fmt.Sprint(inc.ID) + `-v1"`, http.StatusUnprocessableEntity, "invalid", "users_affected.qualifier"},
				{"invalid whys", "PUT", base + "/whys", ana, `{"problem":"x","steps":[{"id":"w1","parent_id":"w9","because":"b"}]}`, whysTag, http.StatusUnprocessableEntity, "invalid", "steps[0].parent_id"},
				{"not JSON", "PUT", base + "/whys", ana, `{"problem":`, whysTag, http.StatusBadRequest, "bad_request", ""},
				{"unknown incident", "GET", "/api/v1/incidents/999999/impact", viewer, "", "", http.StatusNotFound, "not_found", ""},
				{"unknown incident PUT", "PUT", "/api/v1/incidents/INC-999999/lessons", ana, `{}`, `"lessons-999999-v0"`, http.StatusNotFound, "not_found", ""},
				{"viewer PUT", "PUT", base + "/whys", viewer, `{"problem":"x","steps":[]}`, whysTag, http.StatusForbidden, "forbidden", ""},
			}
			for _, r := range refusals {
				var h []string
				if r.ifMatch != "" {
					h = []string{"If-Match", r.ifMatch}
				}
				res := app.API(r.method, r.path, r.token, r.body, h...)
				var e errorBody
				res.JSON(t, &e)
				if res.StatusCode != r.status || e.Error.Code != r.code || (r.field != "" && e.Error.Fields[r.field] == "") {
					t.Errorf("%s: %d %s, want %d %s naming %q", r.name, res.StatusCode, res.Body, r.status, r.code, r.field)
				}
			}
			if res := app.API("GET", base+"/whys", viewer, ""); res.Header.Get("ETag") != whysTag {
				t.Errorf("refused PUTs changed the whys: %s", res.Body)
			}

			// A published postmortem is read-only: 409 with the store's message.
			if err := app.Store.SetReviewState(context.Background(), inc.ID, models.StatusPublished); err != nil {
				t.Fatal(err)
			}
			res := app.API("PUT", base+"/whys", ana, whys.Body, "If-Match", whysTag)
			var pe errorBody
			res.JSON(t, &pe)
			if res.StatusCode != http.StatusConflict || pe.Error.Code != "published" || pe.Error.Message != models.ErrPublished.Error() {
				t.Errorf("PUT on a published postmortem: %d %s", res.StatusCode, res.Body)
			}
			if res := app.API("GET", base+"/whys", viewer, ""); res.StatusCode != http.StatusOK {
				t.Errorf("GET of a published postmortem: %d", res.StatusCode)
			}
		})
	}
}

func TestAPIPostmortemHistory(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			app := apptest.Start(t, d, nil)
			ana := namedToken(t, app, "ana", models.RoleEditor)
			bo := namedToken(t, app, "bo", models.RoleEditor)
			viewer := app.Token(models.RoleViewer)
			var inc incidentBody
			app.API("POST", "/api/v1/incidents", ana, `{"title":"Chatbot errors","severity":"SEV2","started_at":"2022-11-17T10:45:00Z"}`).JSON(t, &inc)
			base := fmt.Sprintf("/api/v1/incidents/%d", inc.ID)
			tag := func(section string, v int) string { return fmt.Sprintf(`"%s-%d-v%d"`, section, inc.ID, v) }

			saves := []struct{ token, path, body, ifMatch string }{
				{ana, "/whys", `{"problem":"Users got errors from the chatbot","steps":[{"id":"w1","why":"Why?","because":"A column was missing."}]}`, tag("whys", 0)},
				{bo, "/whys", `{"problem":"The chatbot failed for an hour","steps":[]}`, tag("whys", 1)},
				{ana, "/lessons", `{"went_well":["Rollback was quick"],"went_wrong":[],"lucky":[]}`, tag("lessons", 0)},
			}
			for _, s := range saves {
				if res := app.API("PUT", base+s.path, s.token, s.body, "If-Match", s.ifMatch); res.StatusCode != http.StatusOK {
					t.Fatalf("PUT %s: %d %s", s.path, res.StatusCode, res.Body)
				}
			}

			type revision struct {
				Section      string `json:"section"`
				Version      int64  `json:"version"`
				Author       string `json:"author"`
				At           string `json:"at"`
				RestoredFrom *int64 `json:"restored_from"`
			}
			history := func(query string) []string {
				t.Helper()
				res := app.API("GET", base+"/history"+query, viewer, "")
				if res.StatusCode != http.StatusOK {
					t.Fatalf("history%s: %d %s", query, res.StatusCode, res.Body)
				}
				var out struct {
					Revisions []revision `json:"revisions"`
				}
				res.JSON(t, &out)
				var lines []string
				for _, r := range out.Revisions {
					line := fmt.Sprintf("%s v%d by %s", r.Section, r.Version, r.Author)
					if r.RestoredFrom != nil {
						line += fmt.Sprintf(" from v%d", *r.RestoredFrom)
					}
					if r.At == "" {
						t.Errorf("revision without a time: %+v", r)
					}
					lines = append(lines, line)
				}
				return lines
			}
			want := []string{"lessons v1 by API token ana", "whys v2 by API token bo", "whys v1 by API token ana"}
			if got := history(""); !slices.Equal(got, want) {
				t.Errorf("history:\n%q\nwant\n%q", got, want)
			}
			if got := history("?section=whys"); !slices.Equal(got, want[1:]) {
				t.Errorf("whys history: %q", got)
			}
			if got := history("?section=impact"); len(got) != 0 {
				t.Errorf("impact history: %q", got)
			}
			if got := history("?limit=1"); !slices.Equal(got, want[:1]) {
				t.Errorf("history limit 1: %q", got)
			}
			var eb errorBody
			if res := app.API("GET", base+"/history?section=appendix", viewer, ""); res.StatusCode != http.StatusBadRequest {
				t.Errorf("unknown section filter: %d", res.StatusCode)
			} else if res.JSON(t, &eb); eb.Error.Fields["section"] == "" {
				t.Errorf("unknown section filter: %s", res.Body)
			}
			if res := app.API("GET", "/api/v1/incidents/999999/history", viewer, ""); res.StatusCode != http.StatusNotFound {
				t.Errorf("history of an unknown incident: %d", res.StatusCode)
			}

			// One revision.
			v1 := app.API("GET", base+"/whys/versions/1", viewer, "")
			doc := sectionDoc(t, v1)
			if v1.StatusCode != http.StatusOK || doc["problem"] != "Users got errors from the chatbot" || doc["version"] != 1.0 ||
				doc["updated_by"] != "API token ana" || doc["restored_from"] != nil || doc["updated_at"] == nil {
				t.Errorf("whys v1: %d %s", v1.StatusCode, v1.Body)
			}
			for path, status := range map[string]int{"/whys/versions/9": http.StatusNotFound, "/whys/versions/zero": http.StatusBadRequest,
				"/whys/versions/0": http.StatusBadRequest, "/factors/versions/1": http.StatusNotFound} {
				if res := app.API("GET", base+path, viewer, ""); res.StatusCode != status {
					t.Errorf("GET %s: %d %s, want %d", path, res.StatusCode, res.Body, status)
				}
			}

			// Restore: the current ETag is required.
			restore := base + "/whys/versions/1/restore"
			for h, status := range map[string]int{"": http.StatusPreconditionRequired, tag("whys", 1): http.StatusPreconditionFailed} {
				var headers []string
				if h != "" {
					headers = []string{"If-Match", h}
				}
				if res := app.API("POST", restore, ana, "", headers...); res.StatusCode != status {
					t.Errorf("restore with If-Match %q: %d %s, want %d", h, res.StatusCode, res.Body, status)
				}
			}
			if res := app.API("POST", restore, viewer, "", "If-Match", tag("whys", 2)); res.StatusCode != http.StatusForbidden {
				t.Errorf("restore by a viewer: %d", res.StatusCode)
			}
			if res := app.API("POST", base+"/whys/versions/7/restore", ana, "", "If-Match", tag("whys", 2)); res.StatusCode != http.StatusNotFound {
				t.Errorf("restore of an unknown version: %d %s", res.StatusCode, res.Body)
			}
			res := app.API("POST", restore, ana, "", "If-Match", tag("whys", 2))
			doc = sectionDoc(t, res)
			if res.StatusCode != http.StatusOK || res.Header.Get("ETag") != tag("whys", 3) || doc["version"] != 3.0 ||
				doc["problem"] != "Users got errors from the chatbot" || doc["updated_by"] != "API token ana" {
				t.Fatalf("restore: %d %s %s", res.StatusCode, res.Header.Get("ETag"), res.Body)
			}
			if _, ok := doc["restored_from"]; ok {
				t.Errorf("the section itself has no restored_from: %s", res.Body)
			}
			if cur := app.API("GET", base+"/whys", viewer, ""); cur.Body != res.Body || cur.Header.Get("ETag") != tag("whys", 3) {
				t.Errorf("GET after restore: %s", cur.Body)
			}
			if got := history("?section=whys"); len(got) != 3 || got[0] != "whys v3 by API token ana from v1" {
				t.Errorf("whys history after restore: %q", got)
			}
			if v3 := sectionDoc(t, app.API("GET", base+"/whys/versions/3", viewer, "")); v3["restored_from"] != 1.0 {
				t.Errorf("v3: %v", v3)
			}
			// The lessons never moved.
			if tagNow := app.API("GET", base+"/lessons", viewer, "").Header.Get("ETag"); tagNow != tag("lessons", 1) {
				t.Errorf("lessons ETag %q after whys saves", tagNow)
			}
		})
	}
}
