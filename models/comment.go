package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"hindsight/postmortem"
)

// Comments on the steps of a postmortem, in threads: a comment that starts
// a thread and its replies, in order. A thread is resolved and unresolved
// as a whole (its first comment carries the state). Comments are part of
// the postmortem: a published one takes none until it is reopened.

// MaxCommentLength bounds a comment's Markdown, in characters.
const MaxCommentLength = 10_000

// Comment is one comment. Section is the step it is about ("impact").
type Comment struct {
	ID         int64
	IncidentID int64
	Section    string
	ParentID   *int64 // the thread's first comment; nil for that one
	AuthorID   *int64 // nil: written with an API token of no user, or the user was deleted
	Body       string // Markdown
	CreatedAt  time.Time
	ResolvedAt *time.Time // on a thread's first comment
	ResolvedBy string

	Author *User `gorm:"-"`
}

// CommentThread is a comment that starts a thread and its replies.
type CommentThread struct {
	Comment
	Replies []Comment
}

// Resolved tells whether the thread is resolved.
func (t CommentThread) Resolved() bool { return t.ResolvedAt != nil }

// CommentInput is a new comment. A reply names the comment it answers and
// may leave Section empty: it is in its thread's section.
type CommentInput struct {
	Section  string
	ParentID *int64
	Body     string
}

// CommentFilter narrows a list of threads.
type CommentFilter struct {
	Section    string // one step; all when empty
	Unresolved bool   // only threads not resolved
}

// AddComment stores a comment by the user authorID (nil: none). A reply to
// a reply joins the thread of the comment it answers.
func (s *Store) AddComment(ctx context.Context, incidentID int64, in CommentInput, authorID *int64) (*Comment, error) {
	in.Section = strings.TrimSpace(in.Section)
	fields := map[string]string{}
	body := strings.TrimSpace(in.Body)
	switch {
	case body == "":
		fields["body"] = "write the comment"
	case len([]rune(in.Body)) > MaxCommentLength:
		fields["body"] = fmt.Sprintf("use at most %d characters", MaxCommentLength)
	}
	if in.Section != "" {
		if _, ok := postmortem.ParseStep(in.Section); !ok {
			fields["section"] = "use a step of the postmortem: " + stepNames()
		}
	} else if in.ParentID == nil {
		fields["section"] = "say which step the comment is about: " + stepNames()
	}
	var c *Comment
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		status, err := s.lockIncident(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		var parentID *int64
		if in.ParentID != nil {
			var p Comment
			err := tx.Where("id = ? AND incident_id = ?", *in.ParentID, incidentID).Take(&p).Error
			if err := notFound(err); err == ErrNotFound {
				fields["parent_id"] = fmt.Sprintf("comment %d is not a comment on this incident", *in.ParentID)
			} else if err != nil {
				return err
			} else {
				root := cmp.Or(p.ParentID, &p.ID)
				parentID = root
				if in.Section == "" {
					in.Section = p.Section
				} else if in.Section != p.Section && fields["section"] == "" {
					fields["section"] = fmt.Sprintf("a reply is in its thread's step, %s", p.Section)
				}
			}
		}
		if len(fields) > 0 {
			return &ValidationError{Fields: fields}
		}
		if status == StatusPublished {
			return ErrPublished
		}
		c = &Comment{IncidentID: incidentID, Section: in.Section, ParentID: parentID, AuthorID: authorID,
			Body: body, CreatedAt: s.Now().Truncate(time.Microsecond)}
		return tx.Create(c).Error
	})
	if err != nil {
		return nil, err
	}
	if err := s.loadCommentAuthors(ctx, []*Comment{c}); err != nil {
		return nil, err
	}
	return c, nil
}

func stepNames() string {
	names := make([]string, len(postmortem.Steps))
	for i, st := range postmortem.Steps {
		names[i] = string(st.Step)
	}
	return strings.Join(names, ", ")
}

// Comment returns one comment with its author.
func (s *Store) Comment(ctx context.Context, id int64) (*Comment, error) {
	var c Comment
	if err := s.db.WithContext(ctx).Take(&c, id).Error; err != nil {
		return nil, notFound(err)
	}
	c.fixTimes()
	if err := s.loadCommentAuthors(ctx, []*Comment{&c}); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Comment) fixTimes() {
	c.CreatedAt = c.CreatedAt.UTC()
	c.ResolvedAt = utcPtr(c.ResolvedAt)
}

// ResolveComment resolves the thread of a comment (a reply's id resolves
// its thread) and returns the thread. Resolving a resolved thread keeps
// who resolved it first.
func (s *Store) ResolveComment(ctx context.Context, id int64, by string) (*CommentThread, error) {
	return s.setResolved(ctx, id, true, by)
}

// UnresolveComment opens a comment's thread again.
func (s *Store) UnresolveComment(ctx context.Context, id int64) (*CommentThread, error) {
	return s.setResolved(ctx, id, false, "")
}

func (s *Store) setResolved(ctx context.Context, id int64, resolved bool, by string) (*CommentThread, error) {
	c, err := s.Comment(ctx, id)
	if err != nil {
		return nil, err
	}
	rootID := *cmp.Or(c.ParentID, &c.ID)
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		status, err := s.lockIncident(ctx, tx, c.IncidentID)
		if err != nil {
			return err
		}
		if status == StatusPublished {
			return ErrPublished
		}
		q := tx.Model(&Comment{}).Where("id = ?", rootID)
		if resolved {
			q = q.Where("resolved_at IS NULL").Updates(map[string]any{
				"resolved_at": s.Now().Truncate(time.Microsecond), "resolved_by": by})
		} else {
			q = q.Updates(map[string]any{"resolved_at": nil, "resolved_by": ""})
		}
		return q.Error
	})
	if err != nil {
		return nil, err
	}
	return s.CommentThread(ctx, rootID)
}

// CommentThread returns the thread a comment belongs to.
func (s *Store) CommentThread(ctx context.Context, id int64) (*CommentThread, error) {
	c, err := s.Comment(ctx, id)
	if err != nil {
		return nil, err
	}
	rootID := *cmp.Or(c.ParentID, &c.ID)
	var list []Comment
	if err := s.db.WithContext(ctx).Where("id = ? OR parent_id = ?", rootID, rootID).Order("id").Find(&list).Error; err != nil {
		return nil, err
	}
	threads, err := s.threads(ctx, list)
	if err != nil || len(threads) == 0 {
		return nil, cmp.Or(err, ErrNotFound)
	}
	return &threads[0], nil
}

// CommentThreads lists an incident's threads, in the order of the steps
// and then as they were started; replies in the order they were written.
func (s *Store) CommentThreads(ctx context.Context, incidentID int64, f CommentFilter) ([]CommentThread, error) {
	if _, err := s.incidentStatus(ctx, s.db, incidentID); err != nil {
		return nil, err
	}
	q := s.db.WithContext(ctx).Where("incident_id = ?", incidentID)
	if f.Section != "" {
		q = q.Where("section = ?", f.Section)
	}
	if f.Unresolved {
		q = q.Where("((parent_id IS NULL AND resolved_at IS NULL) OR parent_id IN (?))",
			s.db.WithContext(ctx).Model(&Comment{}).Select("id").Where("incident_id = ? AND parent_id IS NULL AND resolved_at IS NULL", incidentID))
	}
	var list []Comment
	if err := q.Order("id").Find(&list).Error; err != nil {
		return nil, err
	}
	return s.threads(ctx, list)
}

// threads groups comments (ordered by id) into threads and loads authors.
func (s *Store) threads(ctx context.Context, list []Comment) ([]CommentThread, error) {
	ptrs := make([]*Comment, len(list))
	for i := range list {
		list[i].fixTimes()
		ptrs[i] = &list[i]
	}
	if err := s.loadCommentAuthors(ctx, ptrs); err != nil {
		return nil, err
	}
	var out []CommentThread
	at := map[int64]int{}
	for _, c := range list {
		if c.ParentID == nil {
			at[c.ID] = len(out)
			out = append(out, CommentThread{Comment: c, Replies: []Comment{}})
		}
	}
	for _, c := range list {
		if c.ParentID != nil {
			if i, ok := at[*c.ParentID]; ok {
				out[i].Replies = append(out[i].Replies, c)
			}
		}
	}
	order := map[string]int{}
	for i, st := range postmortem.Steps {
		order[string(st.Step)] = i
	}
	slices.SortStableFunc(out, func(a, b CommentThread) int {
		return cmp.Or(cmp.Compare(order[a.Section], order[b.Section]), cmp.Compare(a.ID, b.ID))
	})
	if out == nil {
		out = []CommentThread{}
	}
	return out, nil
}

func (s *Store) loadCommentAuthors(ctx context.Context, list []*Comment) error {
	var ids []int64
	for _, c := range list {
		if c.AuthorID != nil {
			ids = append(ids, *c.AuthorID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var users []User
	if err := s.db.WithContext(ctx).Where("id IN ?", uniqueIDs(ids)).Find(&users).Error; err != nil {
		return err
	}
	byID := map[int64]*User{}
	for i := range users {
		byID[users[i].ID] = &users[i]
	}
	for _, c := range list {
		if c.AuthorID != nil {
			c.Author = byID[*c.AuthorID]
		}
	}
	return nil
}
