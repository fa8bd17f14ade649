package reminders

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"hindsight/actions"
)

// Item is one corrective action as a digest sees it.
type Item struct {
	ActionID      int64
	Title         string
	URL           string // absolute link to the action
	IncidentKey   string // "INC-42"
	IncidentTitle string
	IncidentURL   string    // absolute link to the incident
	Due           time.Time // a calendar date: its own year, month and day count, whatever its zone; zero: none
	Status        string
	Priority      string
}

// Recipient is the owner a digest is for.
type Recipient struct {
	UserID int64
	Name   string
	Email  string
}

// Entry is an Item in a digest, with its distance to the due date.
type Entry struct {
	Item
	Days int // days from the digest's date to Due: negative when overdue, 0 due today
}

// Digest is what one owner is told in one period. Build makes it; its
// text fields are cleaned (see Build), so every rendering can trust them.
type Digest struct {
	Recipient   Recipient
	Date        time.Time // the digest's "today", a date at midnight UTC
	Period      string    // the Cadence period key; set it after Build, before rendering JSON
	DueSoonDays int
	Overdue     []Entry // due before Date, most overdue first
	DueSoon     []Entry // due from Date to Date+DueSoonDays, soonest first
}

// Limits on what Build keeps of user text, in runes.
const (
	MaxTitle    = 200 // action and incident titles
	MaxName     = 100 // recipient names, incident keys, statuses, priorities
	MaxDueSoon  = 366 // the largest dueSoonDays honoured
	maxURLBytes = 2048
)

// DigestKey is the suggested key of a digest: one per owner and period,
// "digest-42-2026-W48". Add the channel to it for a delivery key.
func DigestKey(userID int64, period string) string {
	return fmt.Sprintf("digest-%d-%s", userID, period)
}

// Build makes the digest of one owner's actions as of today: Overdue holds
// the items due before today (most overdue first), DueSoon those due from
// today to today+dueSoonDays inclusive (soonest first); ties go by
// priority (P1 first), then action id. Items without a due date, closed
// ones (done, wont_do), later ones and repeats of an ActionID are left
// out. ok is false when nothing is overdue or due soon: no digest.
//
// today and every Due are calendar dates: only their own year, month and
// day count (pass now.In(zone) as today), never converted between zones.
// dueSoonDays is clamped to 0..MaxDueSoon.
//
// Text is cleaned for every rendering: invalid UTF-8 replaced, control and
// bidirectional formatting characters turned into spaces, runs of spaces
// collapsed, long values cut with "…"; an empty title becomes
// "(untitled action)". Links that are not absolute http(s) URLs are
// dropped, so the renderings show no link rather than a bad one.
func Build(r Recipient, items []Item, today time.Time, dueSoonDays int) (Digest, bool) {
	dueSoonDays = min(max(dueSoonDays, 0), MaxDueSoon)
	day := dayNumber(today)
	d := Digest{
		Recipient:   Recipient{UserID: r.UserID, Name: clean(r.Name, MaxName), Email: clean(r.Email, MaxName*3)},
		Date:        dayDate(day),
		DueSoonDays: dueSoonDays,
	}
	seen := map[int64]bool{}
	for _, it := range items {
		if it.Due.IsZero() || actions.IsClosed(it.Status) {
			continue
		}
		if it.ActionID != 0 {
			if seen[it.ActionID] {
				continue
			}
			seen[it.ActionID] = true
		}
		due := dayNumber(it.Due)
		days := due - day
		if days > int64(dueSoonDays) {
			continue
		}
		e := Entry{Item: cleanItem(it, dayDate(due)), Days: int(days)}
		if days < 0 {
			d.Overdue = append(d.Overdue, e)
		} else {
			d.DueSoon = append(d.DueSoon, e)
		}
	}
	order := func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Days, b.Days), cmp.Compare(priorityRank(a.Priority), priorityRank(b.Priority)), cmp.Compare(a.ActionID, b.ActionID))
	}
	slices.SortStableFunc(d.Overdue, order)
	slices.SortStableFunc(d.DueSoon, order)
	return d, len(d.Overdue)+len(d.DueSoon) > 0
}

// Len is the number of actions in the digest.
func (d Digest) Len() int { return len(d.Overdue) + len(d.DueSoon) }

func cleanItem(it Item, due time.Time) Item {
	title := clean(it.Title, MaxTitle)
	if title == "" {
		title = "(untitled action)"
	}
	return Item{
		ActionID:      it.ActionID,
		Title:         title,
		URL:           cleanURL(it.URL),
		IncidentKey:   clean(it.IncidentKey, MaxName),
		IncidentTitle: clean(it.IncidentTitle, MaxTitle),
		IncidentURL:   cleanURL(it.IncidentURL),
		Due:           due,
		Status:        clean(it.Status, MaxName),
		Priority:      clean(it.Priority, MaxName),
	}
}

func priorityRank(p string) int {
	if i := slices.Index(actions.Priorities, p); i >= 0 {
		return i
	}
	return len(actions.Priorities)
}

// clean makes user text safe for one line of any rendering: valid UTF-8,
// no control or bidirectional formatting characters, single spaces, at
// most limit runes (cut with "…").
func clean(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || isBidi(r) || r == '\u2028' || r == '\u2029' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) > limit {
		rs := []rune(out)
		out = strings.TrimRight(string(rs[:limit-1]), " ") + "…"
	}
	return out
}

// isBidi reports the characters that reorder text (embeddings, overrides,
// isolates and marks), which can make a title read as something else.
func isBidi(r rune) bool {
	return r == '\u200e' || r == '\u200f' || r == '\u061c' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// cleanURL keeps s only if it is an absolute http or https URL without
// spaces, control characters or credentials; otherwise "".
func cleanURL(s string) string {
	if s == "" || len(s) > maxURLBytes || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || unicode.IsControl(r) || unicode.IsSpace(r) || isBidi(r) {
			return ""
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	return s
}
