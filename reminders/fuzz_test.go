package reminders

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzBuildRender: arbitrary titles, names, links and dates never break a
// rendering: the subject is one line, the Slack payload and the JSON
// document are valid JSON with every item, Slack text has no stray links
// or mentions, and everything is valid UTF-8 (see checkRenderings).
func FuzzBuildRender(f *testing.F) {
	f.Add("Add an alert", "INC-1", "Checkout & <payments>", "Alice", "https://h.example/actions/1", int64(-3), int64(2), uint8(7), "P1")
	f.Add("x\r\nBcc: a@b.c", "\x00", "<!channel>", "\u202eevil", "javascript:alert(1)", int64(0), int64(0), uint8(0), "")
	f.Add("<https://evil.example|click>", "a|b", "*bold* _it_ ~s~ `c`", "", "https://h.example/a?b=<c>&d=|e", int64(400), int64(-400), uint8(255), "P9")
	f.Add("\xff\xfe", "é", "東京", "Zoë\n", "http://[::1]:80/x", int64(1<<40), int64(-1<<40), uint8(1), "wont_do")
	f.Fuzz(func(t *testing.T, title, key, incTitle, name, link string, due1, due2 int64, soon uint8, prio string) {
		today := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
		day := func(n int64) time.Time {
			n = max(min(n, 1e5), -1e5) // years 1752 to 2300
			return today.AddDate(0, 0, int(n))
		}
		items := []Item{
			{ActionID: 1, Title: title, URL: link, IncidentKey: key, IncidentTitle: incTitle, IncidentURL: link, Due: day(due1), Status: "open", Priority: prio},
			{ActionID: 2, Title: incTitle, URL: "https://h.example/actions/2", IncidentKey: title, Due: day(due2), Status: prio, Priority: "P2"},
			{ActionID: 3, Title: name + title, Due: day(-due1), Status: "blocked"},
		}
		d, ok := Build(Recipient{UserID: 1, Name: name, Email: title}, items, today, int(soon))
		if ok != (d.Len() > 0) {
			t.Fatalf("ok %v with %d items", ok, d.Len())
		}
		d.Period = key
		checkRenderings(t, d)
		// Only the JSON key is not cleaned: it must still be valid JSON.
		if raw := d.JSON(title); !jsonValid(raw) {
			t.Fatalf("JSON(%q) is not valid: %s", title, raw)
		}
	})
}

func jsonValid(b []byte) bool { return json.Valid(b) }
