package reminders

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func ids(es []Entry) []int64 {
	var out []int64
	for _, e := range es {
		out = append(out, e.ActionID)
	}
	return out
}

func TestBuild(t *testing.T) {
	today := date(2026, 11, 23)
	items := []Item{
		{ActionID: 1, Title: "a", Due: date(2026, 11, 22), Status: "open", Priority: "P3"},        // 1 day overdue
		{ActionID: 2, Title: "b", Due: date(2026, 11, 10), Status: "blocked", Priority: "P2"},     // 13 days overdue
		{ActionID: 3, Title: "c", Due: date(2026, 11, 23), Status: "in_progress", Priority: "P1"}, // due today
		{ActionID: 4, Title: "d", Due: date(2026, 11, 30), Status: "open"},                        // today+7: soon
		{ActionID: 5, Title: "e", Due: date(2026, 12, 1), Status: "open"},                         // today+8: not yet
		{ActionID: 6, Title: "f", Status: "open"},                                                 // no due date
		{ActionID: 7, Title: "g", Due: date(2020, 1, 1), Status: "done"},                          // closed
		{ActionID: 8, Title: "h", Due: date(2020, 1, 1), Status: "wont_do"},                       // closed
		{ActionID: 9, Title: "i", Due: date(2026, 11, 10), Status: "open", Priority: "P1"},        // ties with 2, higher priority
		{ActionID: 2, Title: "b again", Due: date(2026, 11, 1), Status: "open"},                   // a repeat: ignored
		{ActionID: 10, Title: "j", Due: date(2026, 11, 23), Status: "open", Priority: "P1"},       // ties with 3 on everything but id
		{ActionID: 11, Title: "k", Due: date(2026, 11, 24), Status: "open", Priority: "zz"},       // tomorrow
	}
	d, ok := Build(Recipient{UserID: 42, Name: " Alice\nMartin ", Email: "alice@example.com"}, items, today, 7)
	if !ok {
		t.Fatal("Build: no digest")
	}
	if got, want := ids(d.Overdue), []int64{9, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("Overdue = %v, want %v", got, want)
	}
	if got, want := ids(d.DueSoon), []int64{3, 10, 11, 4}; !slices.Equal(got, want) {
		t.Errorf("DueSoon = %v, want %v", got, want)
	}
	if d.Overdue[0].Days != -13 || d.Overdue[2].Days != -1 || d.DueSoon[0].Days != 0 || d.DueSoon[3].Days != 7 {
		t.Errorf("Days = %+v %+v", d.Overdue, d.DueSoon)
	}
	if d.Recipient.Name != "Alice Martin" || d.Len() != 7 || !d.Date.Equal(today) || d.DueSoonDays != 7 {
		t.Errorf("digest = %+v", d)
	}

	// Nothing to say: no digest.
	if _, ok := Build(Recipient{}, items[4:8], today, 7); ok {
		t.Error("Build of nothing overdue or due soon says ok")
	}
	if _, ok := Build(Recipient{}, nil, today, 7); ok {
		t.Error("Build(nil) says ok")
	}
	// dueSoonDays 0: only today; negative counts as 0.
	for _, n := range []int{0, -5} {
		d, _ := Build(Recipient{}, items, today, n)
		if got := ids(d.DueSoon); !slices.Equal(got, []int64{3, 10}) || d.DueSoonDays != 0 {
			t.Errorf("dueSoonDays %d: DueSoon = %v, DueSoonDays %d", n, got, d.DueSoonDays)
		}
	}
	if d, _ := Build(Recipient{}, items, today, 1e9); d.DueSoonDays != MaxDueSoon || len(d.DueSoon) != 5 {
		t.Errorf("huge dueSoonDays: %d, %v", d.DueSoonDays, ids(d.DueSoon))
	}
}

// Due dates and today are calendar dates: their own Y-M-D, whatever the zone.
func TestBuildCalendarDates(t *testing.T) {
	hnl, auck := zone(t, "Pacific/Honolulu"), zone(t, "Pacific/Auckland")
	// 2026-11-23 09:00 in Auckland is 2026-11-22 20:00 UTC: today is the 23rd.
	today := time.Date(2026, 11, 23, 9, 0, 0, 0, auck)
	items := []Item{
		{ActionID: 1, Due: date(2026, 11, 23), Status: "open"},                         // a DATE column: midnight UTC
		{ActionID: 2, Due: time.Date(2026, 11, 22, 23, 0, 0, 0, hnl), Status: "open"},  // the 22nd in its own zone (the 23rd in UTC)
		{ActionID: 3, Due: time.Date(2026, 11, 23, 0, 30, 0, 0, auck), Status: "open"}, // the 23rd (the 22nd in UTC)
	}
	d, _ := Build(Recipient{}, items, today, 7)
	if got := ids(d.Overdue); !slices.Equal(got, []int64{2}) {
		t.Errorf("Overdue = %v, want [2]", got)
	}
	if got := ids(d.DueSoon); !slices.Equal(got, []int64{1, 3}) || d.DueSoon[0].Days != 0 || d.DueSoon[1].Days != 0 {
		t.Errorf("DueSoon = %+v, want 1 and 3 due today", d.DueSoon)
	}
	if !d.Date.Equal(date(2026, 11, 23)) || !d.DueSoon[1].Due.Equal(date(2026, 11, 23)) {
		t.Errorf("dates: %s, %s", d.Date, d.DueSoon[1].Due)
	}
	// Across a year end and a leap day.
	d, _ = Build(Recipient{}, []Item{{ActionID: 1, Due: date(2027, 3, 1), Status: "open"}, {ActionID: 2, Due: date(2023, 12, 31), Status: "open"}}, date(2028, 2, 29), 3)
	if len(d.Overdue) != 2 || d.Overdue[0].Days != -1521 || d.Overdue[1].Days != -365 {
		t.Errorf("Overdue = %+v", d.Overdue)
	}
}

func TestBuildCleansText(t *testing.T) {
	long := strings.Repeat("é", MaxTitle+50)
	items := []Item{
		{ActionID: 1, Title: "Fix\r\nBcc: evil@example.com\x00 \u202eevil", Due: date(2026, 1, 1), Status: "open",
			URL: "javascript:alert(1)", IncidentURL: "https://user:pw@example.com/x", IncidentKey: "INC\t1"},
		{ActionID: 2, Title: " \n\t ", Due: date(2026, 1, 1), Status: "open", URL: "https://h.example.com/actions/2?a=1&b=<2>"},
		{ActionID: 3, Title: long + "\xff", Due: date(2026, 1, 1), Status: "open", URL: "https://h.example.com/a b"},
	}
	d, _ := Build(Recipient{Name: "Eve\r\nX-Evil: 1"}, items, date(2026, 1, 1), 0)
	e := d.DueSoon
	if e[0].Title != "Fix Bcc: evil@example.com evil" || e[0].URL != "" || e[0].IncidentURL != "" || e[0].IncidentKey != "INC 1" {
		t.Errorf("item 1 = %+v", e[0].Item)
	}
	if e[1].Title != "(untitled action)" || e[1].URL != "https://h.example.com/actions/2?a=1&b=<2>" {
		t.Errorf("item 2 = %+v", e[1].Item)
	}
	if n := len([]rune(e[2].Title)); n != MaxTitle || !strings.HasSuffix(e[2].Title, "…") || e[2].URL != "" {
		t.Errorf("item 3: %d runes, %q", n, e[2].URL)
	}
	if d.Recipient.Name != "Eve X-Evil: 1" {
		t.Errorf("name = %q", d.Recipient.Name)
	}
}

func TestDigestKey(t *testing.T) {
	if got := DigestKey(42, "2026-W48"); got != "digest-42-2026-W48" {
		t.Errorf("DigestKey = %q", got)
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Minute, time.Minute, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 256 * time.Minute, 6 * time.Hour, 6 * time.Hour}
	for i, w := range want {
		attempt := i - 1 // from -1
		if got := Backoff(attempt); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", attempt, got, w)
		}
	}
	for _, a := range []int{30, 31, 63, 64, 1 << 30, int(^uint(0) >> 1)} {
		if got := Backoff(a); got != BackoffMax {
			t.Errorf("Backoff(%d) = %s", a, got)
		}
	}
	var total time.Duration
	for a := 1; a < MaxAttempts; a++ {
		total += Backoff(a)
	}
	if total != 511*time.Minute {
		t.Errorf("total wait before giving up = %s", total)
	}

	at := utc(2026, 11, 23, 9, 0)
	if got, ok := NextAttempt(1, at, 0); !ok || !got.Equal(at.Add(time.Minute)) {
		t.Errorf("NextAttempt(1) = %s, %v", got, ok)
	}
	if got, ok := NextAttempt(3, at, 30*time.Second); !ok || !got.Equal(at.Add(4*time.Minute)) {
		t.Errorf("NextAttempt(3, short Retry-After) = %s, %v", got, ok)
	}
	if got, ok := NextAttempt(3, at, time.Hour); !ok || !got.Equal(at.Add(time.Hour)) {
		t.Errorf("NextAttempt(3, Retry-After 1h) = %s, %v", got, ok)
	}
	if got, ok := NextAttempt(3, at, 100*time.Hour); !ok || !got.Equal(at.Add(BackoffMax)) {
		t.Errorf("NextAttempt(3, Retry-After 100h) = %s, %v", got, ok)
	}
	if got, ok := NextAttempt(MaxAttempts-1, at, 0); !ok || !got.Equal(at.Add(256*time.Minute)) {
		t.Errorf("NextAttempt(MaxAttempts-1) = %s, %v", got, ok)
	}
	if _, ok := NextAttempt(MaxAttempts, at, 0); ok {
		t.Error("NextAttempt(MaxAttempts) should give up")
	}
}
