package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"hindsight/internal/testdb"
	"hindsight/models"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func newIncident(title string) models.IncidentInput {
	return models.IncidentInput{
		Title: title, Summary: "Chatbot **errors**", Severity: "SEV2", Status: models.StatusDraft,
		Environment: "production", StartedAt: at("2022-11-17T11:45:00+01:00"),
		Services: []string{"bookbot-api", "Bookbot-Chat "}, Tags: []string{"migration"},
	}
}

func TestIncidentLifecycle(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		author, err := s.CreateUser(ctx, models.NewUser{Email: "Maya@Example.com", Name: "Maya", Role: models.RoleEditor})
		if err != nil {
			t.Fatal(err)
		}
		in := newIncident("Chatbot answered with errors")
		in.AuthorIDs = []int64{author.ID}
		inc, err := s.CreateIncident(ctx, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if inc.Key() != "INC-1" || inc.Slug != "chatbot-answered-with-errors" || inc.Version != 1 {
			t.Fatalf("created %s slug %q version %d", inc.Key(), inc.Slug, inc.Version)
		}
		if !inc.StartedAt.Equal(at("2022-11-17T10:45:00Z")) || inc.StartedAt.Location() != time.UTC {
			t.Errorf("started_at = %v, want 10:45 UTC", inc.StartedAt)
		}
		if got := inc.Services; len(got) != 2 || got[0] != "bookbot-api" || got[1] != "bookbot-chat" {
			t.Errorf("services = %v", got)
		}
		if len(inc.Authors) != 1 || inc.Authors[0].Email != "maya@example.com" {
			t.Errorf("authors = %+v", inc.Authors)
		}

		// A second incident with the same title gets a distinct slug.
		twin, err := s.CreateIncident(ctx, newIncident("Chatbot answered with errors"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if twin.Slug != "chatbot-answered-with-errors-2" {
			t.Errorf("twin slug = %q", twin.Slug)
		}

		edit := models.InputOf(inc)
		edit.Title = "Chatbot errors after a deploy"
		edit.ResolvedAt = ptr(at("2022-11-17T12:45:00+01:00"))
		edit.Tags = []string{"deploy"}
		updated, err := s.UpdateIncident(ctx, inc.ID, inc.Version, edit)
		if err != nil {
			t.Fatal(err)
		}
		if updated.Version != 2 || updated.Title != edit.Title || len(updated.Tags) != 1 || updated.Tags[0] != "deploy" {
			t.Fatalf("after update: %+v", updated)
		}

		// An update based on version 1 is refused and changes nothing.
		stale := models.InputOf(inc)
		stale.Title = "Lost update"
		if _, err := s.UpdateIncident(ctx, inc.ID, 1, stale); !errors.Is(err, models.ErrStale) {
			t.Fatalf("stale update: err = %v, want ErrStale", err)
		}
		again, _ := s.Incident(ctx, inc.ID)
		if again.Title != edit.Title || again.Version != 2 {
			t.Errorf("stale update changed the incident: %+v", again)
		}

		if _, err := s.UpdateIncident(ctx, 999, 1, edit); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("update unknown: %v", err)
		}
		if err := s.DeleteIncident(ctx, inc.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Incident(ctx, inc.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
		if err := s.DeleteIncident(ctx, inc.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
	})
}

func TestIncidentValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(*models.IncidentInput)
		field  string
	}{
		{"no title", func(in *models.IncidentInput) { in.Title = "  " }, "title"},
		{"bad severity", func(in *models.IncidentInput) { in.Severity = "SEV9" }, "severity"},
		{"bad status", func(in *models.IncidentInput) { in.Status = "closed" }, "status"},
		{"no start", func(in *models.IncidentInput) { in.StartedAt = time.Time{} }, "started_at"},
		{"detected before start", func(in *models.IncidentInput) { in.DetectedAt = ptr(in.StartedAt.Add(-time.Minute)) }, "detected_at"},
		{"resolved before mitigated", func(in *models.IncidentInput) {
			in.MitigatedAt = ptr(in.StartedAt.Add(time.Hour))
			in.ResolvedAt = ptr(in.StartedAt.Add(time.Minute))
		}, "resolved_at"},
		{"bad service", func(in *models.IncidentInput) { in.Services = []string{"no spaces please"} }, "services"},
		{"bad slug", func(in *models.IncidentInput) { in.Slug = "Not A Slug" }, "slug"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := newIncident("x")
			c.change(&in)
			err := in.Normalize()
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Fields[c.field] == "" {
				t.Fatalf("err = %v, want a message for %s", err, c.field)
			}
		})
	}
	ok := newIncident("fine")
	if err := ok.Normalize(); err != nil {
		t.Fatalf("valid input refused: %v", err)
	}
}

func TestListIncidents(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		mk := func(title, sev, status, started string, services, tags []string, summary string) {
			in := models.IncidentInput{Title: title, Severity: sev, Status: status, StartedAt: at(started),
				Services: services, Tags: tags, Summary: summary}
			if _, err := s.CreateIncident(ctx, in, nil); err != nil {
				t.Fatal(err)
			}
		}
		mk("Migration locked the findings table", "SEV2", "published", "2020-02-12T14:10:00Z", []string{"findings-api"}, []string{"migration"}, "A column addition held a lock for three hours.")
		mk("Redis flushed at midday", "SEV1", "draft", "2023-03-08T12:20:00Z", []string{"web", "redis"}, []string{"cache"}, "Caches were emptied by hand.")
		mk("Thank-you e-mails not sent", "SEV3", "published", "2022-09-13T10:15:00Z", []string{"mailer"}, []string{"email", "template"}, "Customers bought twice.")

		titles := func(f models.IncidentFilter) []string {
			t.Helper()
			page, err := s.ListIncidents(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, i := range page.Incidents {
				out = append(out, i.Title)
			}
			return out
		}
		check := func(name string, f models.IncidentFilter, want ...string) {
			t.Helper()
			got := titles(f)
			if len(got) != len(want) {
				t.Errorf("%s: got %q, want %q", name, got, want)
				return
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s: got %q, want %q", name, got, want)
					return
				}
			}
		}
		check("newest first", models.IncidentFilter{}, "Redis flushed at midday", "Thank-you e-mails not sent", "Migration locked the findings table")
		check("oldest first", models.IncidentFilter{Sort: models.SortStartedAsc}, "Migration locked the findings table", "Thank-you e-mails not sent", "Redis flushed at midday")
		check("severity", models.IncidentFilter{Sort: models.SortSeverity}, "Redis flushed at midday", "Migration locked the findings table", "Thank-you e-mails not sent")
		check("status", models.IncidentFilter{Status: "published", Sort: models.SortTitle}, "Migration locked the findings table", "Thank-you e-mails not sent")
		check("service", models.IncidentFilter{Service: "redis"}, "Redis flushed at midday")
		check("tag", models.IncidentFilter{Tag: "template"}, "Thank-you e-mails not sent")
		check("severity filter", models.IncidentFilter{Severity: "SEV2"}, "Migration locked the findings table")
		check("search summary word", models.IncidentFilter{Query: "lock"}, "Migration locked the findings table")
		check("search prefix", models.IncidentFilter{Query: "migr"}, "Migration locked the findings table")
		check("search two words", models.IncidentFilter{Query: "customers twice"}, "Thank-you e-mails not sent")
		check("search no match", models.IncidentFilter{Query: "kubernetes"})
		check("search punctuation only", models.IncidentFilter{Query: `"*:&|`}, "Redis flushed at midday", "Thank-you e-mails not sent", "Migration locked the findings table")

		if tags, err := s.ListTags(ctx); err != nil || strings.Join(tags, ",") != "cache,email,migration,template" {
			t.Errorf("tags = %v, %v", tags, err)
		}
		page, err := s.ListIncidents(ctx, models.IncidentFilter{PerPage: 2, Page: 2})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 3 || page.Pages() != 2 || len(page.Incidents) != 1 || page.Incidents[0].Title != "Migration locked the findings table" {
			t.Errorf("page 2 of 2: total %d pages %d items %d", page.Total, page.Pages(), len(page.Incidents))
		}
		if len(page.Incidents[0].Services) != 1 || page.Incidents[0].Services[0] != "findings-api" {
			t.Errorf("list lacks services: %+v", page.Incidents[0])
		}

		// Search follows edits (the FTS5 triggers and the generated tsvector).
		inc, _ := s.IncidentBySlug(ctx, "redis-flushed-at-midday")
		in := models.InputOf(inc)
		in.Summary = "Kubernetes evicted the cache pods."
		if _, err := s.UpdateIncident(ctx, inc.ID, inc.Version, in); err != nil {
			t.Fatal(err)
		}
		check("search after edit", models.IncidentFilter{Query: "kubernetes"}, "Redis flushed at midday")
		check("old words gone", models.IncidentFilter{Query: "emptied"})
	})
}
