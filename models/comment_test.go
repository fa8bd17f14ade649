package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"hindsight/internal/testdb"
	"hindsight/models"
)

func TestComments(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ana, err := s.CreateUser(ctx, models.NewUser{Email: "ana@example.com", Name: "Ana", Role: models.RoleEditor})
		if err != nil {
			t.Fatal(err)
		}
		inc, err := s.CreateIncident(ctx, newIncident("Chatbot errors"), nil)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := s.CreateIncident(ctx, newIncident("Another"), nil)

		var ve *models.ValidationError
		for name, in := range map[string]models.CommentInput{
			"body":      {Section: "impact", Body: "  \n "},
			"section":   {Section: "epilogue", Body: "Hm"},
			"parent_id": {ParentID: ptr(int64(9999)), Body: "Hm"},
		} {
			if _, err := s.AddComment(ctx, inc.ID, in, &ana.ID); !errors.As(err, &ve) || ve.Fields[name] == "" {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := s.AddComment(ctx, inc.ID, models.CommentInput{Body: "no step"}, &ana.ID); !errors.As(err, &ve) || ve.Fields["section"] == "" {
			t.Errorf("no section: %v", err)
		}
		long := strings.Repeat("é", models.MaxCommentLength)
		if _, err := s.AddComment(ctx, inc.ID, models.CommentInput{Section: "impact", Body: long}, &ana.ID); err != nil {
			t.Errorf("10,000 characters (20,000 bytes) are allowed: %v", err)
		}
		if _, err := s.AddComment(ctx, inc.ID, models.CommentInput{Section: "impact", Body: long + "x"}, &ana.ID); !errors.As(err, &ve) || ve.Fields["body"] == "" {
			t.Errorf("too long: %v", err)
		}
		if _, err := s.AddComment(ctx, 9999, models.CommentInput{Section: "impact", Body: "x"}, &ana.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown incident: %v", err)
		}

		// A thread on the whys, one on the impact; replies join their thread.
		whys, err := s.AddComment(ctx, inc.ID, models.CommentInput{Section: "whys", Body: "Why did the **alert** not fire?"}, &ana.ID)
		if err != nil || whys.Author == nil || whys.Author.Email != "ana@example.com" || whys.ParentID != nil {
			t.Fatalf("comment: %+v %v", whys, err)
		}
		impact, _ := s.AddComment(ctx, inc.ID, models.CommentInput{Section: "impact", Body: "Is 1,200 users right?"}, nil)
		reply, err := s.AddComment(ctx, inc.ID, models.CommentInput{ParentID: &whys.ID, Body: "Its threshold was too high."}, &ana.ID)
		if err != nil || reply.Section != "whys" || *reply.ParentID != whys.ID {
			t.Fatalf("reply: %+v %v", reply, err)
		}
		deep, err := s.AddComment(ctx, inc.ID, models.CommentInput{Section: "whys", ParentID: &reply.ID, Body: "Agreed."}, &ana.ID)
		if err != nil || *deep.ParentID != whys.ID {
			t.Fatalf("a reply to a reply joins the thread: %+v %v", deep, err)
		}
		if _, err := s.AddComment(ctx, inc.ID, models.CommentInput{Section: "impact", ParentID: &whys.ID, Body: "x"}, &ana.ID); !errors.As(err, &ve) || ve.Fields["section"] == "" {
			t.Errorf("a reply in another step: %v", err)
		}
		if _, err := s.AddComment(ctx, other.ID, models.CommentInput{ParentID: &whys.ID, Body: "x"}, &ana.ID); !errors.As(err, &ve) || ve.Fields["parent_id"] == "" {
			t.Errorf("a reply on another incident: %v", err)
		}

		threads, err := s.CommentThreads(ctx, inc.ID, models.CommentFilter{})
		// Ordered by step: the impact (with the long one first), then the whys.
		if err != nil || len(threads) != 3 || threads[0].Section != "impact" || threads[1].ID != impact.ID || threads[2].ID != whys.ID ||
			len(threads[2].Replies) != 2 || threads[2].Replies[1].Body != "Agreed." || threads[1].Author != nil {
			t.Fatalf("threads: %+v %v", threads, err)
		}
		whysOnly, _ := s.CommentThreads(ctx, inc.ID, models.CommentFilter{Section: "whys"})
		if len(whysOnly) != 1 || whysOnly[0].ID != whys.ID {
			t.Errorf("by section: %+v", whysOnly)
		}

		// Resolving a reply resolves its thread; it leaves the unresolved list.
		th, err := s.ResolveComment(ctx, reply.ID, "ana@example.com")
		if err != nil || th.ID != whys.ID || !th.Resolved() || th.ResolvedBy != "ana@example.com" || len(th.Replies) != 2 {
			t.Fatalf("resolve: %+v %v", th, err)
		}
		first := *th.ResolvedAt
		if th, _ = s.ResolveComment(ctx, whys.ID, "bo@example.com"); th.ResolvedBy != "ana@example.com" || !th.ResolvedAt.Equal(first) {
			t.Errorf("resolving again keeps the first: %+v", th)
		}
		open, err := s.CommentThreads(ctx, inc.ID, models.CommentFilter{Unresolved: true})
		if err != nil || len(open) != 2 || open[0].Section != "impact" || open[1].Section != "impact" {
			t.Fatalf("unresolved: %+v %v", open, err)
		}
		if th, err = s.UnresolveComment(ctx, whys.ID); err != nil || th.Resolved() || th.ResolvedBy != "" {
			t.Fatalf("unresolve: %+v %v", th, err)
		}
		open, _ = s.CommentThreads(ctx, inc.ID, models.CommentFilter{Unresolved: true, Section: "whys"})
		if len(open) != 1 || len(open[0].Replies) != 2 {
			t.Errorf("unresolved again, with its replies: %+v", open)
		}
		if _, err := s.ResolveComment(ctx, 9999, "x"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown comment: %v", err)
		}

		// A published postmortem takes no comments until it is reopened.
		if err := s.SetReviewState(ctx, inc.ID, models.StatusPublished); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddComment(ctx, inc.ID, models.CommentInput{Section: "impact", Body: "late"}, &ana.ID); !errors.Is(err, models.ErrPublished) {
			t.Errorf("comment on a published postmortem: %v", err)
		}
		if _, err := s.ResolveComment(ctx, whys.ID, "x"); !errors.Is(err, models.ErrPublished) {
			t.Errorf("resolve on a published postmortem: %v", err)
		}

		// Deleting the incident deletes its comments.
		if err := s.DeleteIncident(ctx, inc.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Comment(ctx, whys.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("comment of a deleted incident: %v", err)
		}
	})
}
