package models_test

import (
	"context"
	"errors"
	"testing"

	"hindsight/ingest"
	"hindsight/internal/testdb"
	"hindsight/models"
	"hindsight/timeline"
)

func TestTimelineImportNotesAndMoments(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		editor, _ := s.CreateUser(ctx, models.NewUser{Email: "ed@example.com", Name: "Ed", Role: models.RoleEditor})
		inc, err := s.CreateIncident(ctx, models.IncidentInput{Title: "Chatbot errors", Severity: "SEV2", Status: "draft",
			StartedAt: at("2022-11-17T10:45:00Z"), ResolvedAt: ptr(at("2022-11-17T11:45:00Z")), Services: []string{"bookbot-api"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		deploy := ingest.Event{Kind: "deploy", Source: "github", DedupKey: "deployment:1", Status: "succeeded", Title: "Deploy a1b2c3d",
			Service: "bookbot-api", Environment: "production", StartsAt: at("2022-11-17T10:30:00Z"), HasMigrations: true}
		firing := alert("fp@10:45", "firing", "2022-11-17T10:45:00Z", nil)
		firing.Service = "bookbot-api"
		far := alert("fp@07:00", "firing", "2022-11-17T07:00:00Z", nil) // outside the default window
		other := alert("other", "firing", "2022-11-17T10:50:00Z", nil)
		other.Service = "billing"
		if _, err := s.Ingest(ctx, delivery("d1", deploy, firing, far, other)); err != nil {
			t.Fatal(err)
		}
		from, to := models.DefaultImportWindow(inc, at("2030-01-01T00:00:00Z"))
		if !from.Equal(at("2022-11-17T08:45:00Z")) || !to.Equal(at("2022-11-17T12:15:00Z")) {
			t.Fatalf("default window %v–%v", from, to)
		}
		cands, err := s.ImportCandidates(ctx, inc.ID, models.ImportFilter{From: from, To: to, Services: []string{"bookbot-api"}})
		if err != nil || len(cands) != 2 {
			t.Fatalf("candidates: %d %v", len(cands), err)
		}
		var ids []int64
		for _, c := range cands {
			ids = append(ids, c.Event.ID)
		}
		added, err := s.AddTimelineEvents(ctx, inc.ID, ids, editor)
		if err != nil || len(added) != 2 {
			t.Fatalf("add: %d %v", len(added), err)
		}
		// Importing again adds nothing and marks the candidates.
		again, err := s.AddTimelineEvents(ctx, inc.ID, ids, editor)
		if err != nil || len(again) != 0 {
			t.Fatalf("re-import: %d %v", len(again), err)
		}
		cands, _ = s.ImportCandidates(ctx, inc.ID, models.ImportFilter{From: from, To: to})
		marked := 0
		for _, c := range cands {
			if c.AlreadyAdded {
				marked++
			}
		}
		if len(cands) != 3 || marked != 2 {
			t.Errorf("all services: %d candidates, %d marked", len(cands), marked)
		}
		if _, err := s.AddTimelineEvents(ctx, inc.ID, []int64{987654}, editor); err == nil {
			t.Error("an unknown event was added")
		}

		note, err := s.AddNote(ctx, inc.ID, models.NoteInput{At: at("2022-11-17T10:50:00+00:00"), Title: "Schema is behind the code", Note: "Seen in the logs."}, editor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddNote(ctx, inc.ID, models.NoteInput{}, editor); err == nil {
			t.Error("an empty note was accepted")
		}
		entries, err := s.Timeline(ctx, inc.ID)
		if err != nil || len(entries) != 3 {
			t.Fatalf("timeline: %d %v", len(entries), err)
		}
		if entries[0].Event == nil || entries[0].Event.Kind != "deploy" || entries[2].ID != note.ID {
			t.Errorf("order: %v, %v, %v", entries[0].When(), entries[1].When(), entries[2].When())
		}

		// A later resolve shows on the entry, which reads the event live.
		end := "2022-11-17T11:40:00Z"
		resolved := alert("fp@10:45", "resolved", "2022-11-17T10:45:00Z", &end)
		resolved.Service = "bookbot-api"
		if _, err := s.Ingest(ctx, delivery("d2", resolved)); err != nil {
			t.Fatal(err)
		}
		entries, _ = s.Timeline(ctx, inc.ID)
		if entries[1].Event.Status != "resolved" {
			t.Errorf("entry did not follow the resolve: %s", entries[1].Event.Status)
		}

		// Edits are versioned; events keep their reported time.
		title := "Deploy of the big feature branch"
		hidden := true
		edited, err := s.UpdateTimelineEntry(ctx, inc.ID, entries[0].ID, 1, models.EntryPatch{Title: &title, Hidden: &hidden}, editor)
		if err != nil || edited.DisplayTitle() != title || !edited.Hidden || edited.Version != 2 {
			t.Fatalf("edit: %+v %v", edited, err)
		}
		if _, err := s.UpdateTimelineEntry(ctx, inc.ID, entries[0].ID, 1, models.EntryPatch{Title: &title}, editor); !errors.Is(err, models.ErrStale) {
			t.Errorf("stale edit: %v", err)
		}
		when := at("2022-11-17T09:00:00Z")
		if _, err := s.UpdateTimelineEntry(ctx, inc.ID, entries[0].ID, 2, models.EntryPatch{At: &when}, editor); !errors.Is(err, models.ErrNotANote) {
			t.Errorf("moving an event: %v", err)
		}
		if err := s.DeleteTimelineEntry(ctx, inc.ID, note.ID, editor); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTimelineEntry(ctx, inc.ID, note.ID, editor); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}

		// Key moments: order enforced, accepted ones fill the incident.
		started, detected, ack, mitigated := at("2022-11-17T10:45:00Z"), at("2022-11-17T10:47:00Z"), at("2022-11-17T10:50:00Z"), at("2022-11-17T11:20:00Z")
		bad := timeline.Moments{Started: &started, Detected: &mitigated, Mitigated: &detected}
		var ve *models.ValidationError
		if _, err := s.SetKeyMoments(ctx, inc.ID, bad, editor); !errors.As(err, &ve) || ve.Fields["mitigated"] == "" {
			t.Fatalf("order violation: %v", err)
		}
		good := timeline.Moments{Started: &started, Detected: &detected, Acknowledged: &ack, Mitigated: &mitigated}
		updated, err := s.SetKeyMoments(ctx, inc.ID, good, editor)
		if err != nil || updated.AcknowledgedAt == nil || !updated.MitigatedAt.Equal(mitigated) || updated.ResolvedAt != nil {
			t.Fatalf("moments: %+v %v", updated, err)
		}

		// The trigger is recorded, put on the timeline and highlighted.
		if err := s.SetTrigger(ctx, inc.ID, &ids[0], editor); err != nil {
			t.Fatal(err)
		}
		inc2, _ := s.Incident(ctx, inc.ID)
		if inc2.TriggerEventID == nil || *inc2.TriggerEventID != ids[0] {
			t.Errorf("trigger = %v", inc2.TriggerEventID)
		}
		history, _ := s.IncidentChanges(ctx, inc.ID, 50)
		actions := map[string]bool{}
		for _, h := range history {
			actions[h.Action] = true
			if h.Actor != "Ed" {
				t.Errorf("actor = %q", h.Actor)
			}
		}
		for _, a := range []string{"timeline.import", "timeline.note", "timeline.edit", "timeline.delete", "key_moments", "trigger"} {
			if !actions[a] {
				t.Errorf("history lacks %s", a)
			}
		}
		deploys, err := s.DeploysBetween(ctx, at("2022-11-17T08:45:00Z"), at("2022-11-17T10:45:01Z"))
		if err != nil || len(deploys) != 1 {
			t.Errorf("deploys between: %d %v", len(deploys), err)
		}
	})
}
