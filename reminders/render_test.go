package reminders

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"hindsight/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/digest")

const base = "https://hindsight.example.com"

func fullDigest() Digest {
	items := []Item{
		{ActionID: 7, Title: "Add an alert on queue depth", URL: base + "/actions/7", IncidentKey: "INC-42", IncidentTitle: "Checkout outage", IncidentURL: base + "/incidents/42",
			Due: date(2026, 11, 10), Status: "in_progress", Priority: "P1"},
		{ActionID: 8, Title: "Page <!channel> & fix *all* the <b>things</b>", URL: base + "/actions/8?tab=a&x=<1>|2", IncidentKey: "INC-42", IncidentTitle: "Checkout outage", IncidentURL: base + "/incidents/42",
			Due: date(2026, 11, 22), Status: "blocked", Priority: "P2"},
		{ActionID: 9, Title: "Runbook for the DNS failover", URL: base + "/actions/9", IncidentKey: "INC-51", IncidentTitle: "DNS resolution failures in eu-west & us-east", IncidentURL: base + "/incidents/51",
			Due: date(2026, 11, 23), Status: "open", Priority: "P2"},
		{ActionID: 10, Title: "Réduire la latence du cache — 東京 région", URL: base + "/actions/10", IncidentKey: "INC-60", IncidentTitle: "Latence élevée", IncidentURL: base + "/incidents/60",
			Due: date(2026, 11, 24), Status: "open", Priority: "P3"},
		{ActionID: 11, Title: "Load-test the new queue", URL: "javascript:alert(1)", IncidentKey: "INC-60",
			Due: date(2026, 11, 30), Status: "open"},
		{ActionID: 12, Title: "Already done", Due: date(2026, 11, 1), Status: "done"},
	}
	d, _ := Build(Recipient{UserID: 42, Name: "Alice Martin", Email: "alice@example.com"}, items, date(2026, 11, 23), 7)
	d.Period = "2026-11-23"
	return d
}

func singleDigest() Digest {
	items := []Item{{ActionID: 3, Title: "Rotate the leaked key\r\nBcc: everyone@example.com", URL: base + "/actions/3", IncidentKey: "INC-7", IncidentTitle: "Key leak", IncidentURL: base + "/incidents/7",
		Due: date(2026, 11, 20), Status: "open", Priority: "P1"}}
	d, _ := Build(Recipient{UserID: 5, Name: "", Email: "bob@example.com"}, items, date(2026, 11, 23), 7)
	d.Period = "2026-W48"
	return d
}

func dueSoonDigest() Digest {
	items := []Item{{ActionID: 4, Title: "Document the restore drill", URL: base + "/actions/4", IncidentKey: "INC-8", IncidentTitle: "Backup restore took 9 hours", IncidentURL: base + "/incidents/8",
		Due: date(2026, 11, 24), Status: "open", Priority: "P3"}, {ActionID: 5, Title: "Second one", Due: date(2026, 11, 23), Status: "open", Priority: "P4"}}
	d, _ := Build(Recipient{UserID: 6, Name: "Chloé Dubois", Email: "chloe@example.com"}, items, date(2026, 11, 23), 3)
	d.Period = "2026-11-23"
	return d
}

var renderCases = []struct {
	name string
	d    func() Digest
}{
	{"full", fullDigest},
	{"single-overdue", singleDigest},
	{"due-soon", dueSoonDigest},
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "digest", name), got, *update, "go test ./reminders/ -run TestRenderGolden -update")
}

func TestRenderGolden(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			d := c.d()
			subject, body := d.Email(base + "/")
			s2, b2 := d.Email(base + "/")
			if s2 != subject || b2 != body || !bytes.Equal(d.SlackPayload(), d.SlackPayload()) || !bytes.Equal(d.JSON("k"), d.JSON("k")) {
				t.Fatal("output differs between two runs")
			}
			checkGolden(t, c.name+".email.txt", []byte("Subject: "+subject+"\n\n"+body))
			checkGolden(t, c.name+".slack.json", d.SlackPayload())
			checkGolden(t, c.name+".json", d.JSON(DigestKey(d.Recipient.UserID, d.Period)))
			checkRenderings(t, d)
		})
	}
}

// checkRenderings holds for every digest, whatever its text.
func checkRenderings(t *testing.T, d Digest) {
	t.Helper()
	subject, body := d.Email("https://h.example/")
	if strings.ContainsAny(subject, "\r\n") || !utf8.ValidString(subject) || !utf8.ValidString(body) {
		t.Fatalf("bad subject %q", subject)
	}
	if strings.Contains(body, "\r") {
		t.Fatalf("CR in body %q", body)
	}
	for _, e := range append(append([]Entry{}, d.Overdue...), d.DueSoon...) {
		if !strings.Contains(body, "\n* "+e.Title+"\n") {
			t.Fatalf("body lacks title line %q:\n%s", e.Title, body)
		}
	}

	var slack struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text struct {
				Text string `json:"text"`
			} `json:"text"`
			Elements []struct {
				Text string `json:"text"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	raw := d.SlackPayload()
	if !json.Valid(raw) {
		t.Fatalf("Slack payload is not valid JSON: %s", raw)
	}
	if err := json.Unmarshal(raw, &slack); err != nil {
		t.Fatal(err)
	}
	if slack.Text == "" || len(slack.Blocks) > slackMaxBlocks || len(slack.Text) > 40000 {
		t.Fatalf("Slack: %d blocks, text of %d bytes", len(slack.Blocks), len(slack.Text))
	}
	texts := []string{slack.Text}
	for _, b := range slack.Blocks {
		if len(b.Text.Text) > slackMaxSectionText || (b.Type == "header" && utf8.RuneCountInString(b.Text.Text) > 150) {
			t.Fatalf("Slack %s block of %d bytes", b.Type, len(b.Text.Text))
		}
		if b.Type != "header" {
			texts = append(texts, b.Text.Text)
		}
	}
	for _, s := range texts {
		// Every < opens a link we made (<http…|…>); user text has only entities.
		for rest := s; ; {
			i := strings.IndexByte(rest, '<')
			if i < 0 {
				break
			}
			j := strings.IndexByte(rest[i:], '>')
			link := rest[i : i+j+1]
			if j < 0 || !strings.HasPrefix(link, "<http") || strings.Count(link, "|") != 1 || strings.ContainsAny(link[1:len(link)-1], "<") {
				t.Fatalf("Slack text has a stray or bad link %q in %q", link, s)
			}
			rest = rest[i+j+1:]
		}
	}

	var doc JSONDigest
	raw = d.JSON("key-1")
	if !json.Valid(raw) {
		t.Fatalf("JSON is not valid: %s", raw)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Type != JSONType || doc.Version != JSONVersion || doc.DigestKey != "key-1" || doc.Overdue == nil || doc.DueSoon == nil ||
		len(doc.Overdue) != len(d.Overdue) || len(doc.DueSoon) != len(d.DueSoon) {
		t.Fatalf("JSON document %+v", doc)
	}
	for i, a := range doc.Overdue {
		if a.Title != d.Overdue[i].Title || a.ActionID != d.Overdue[i].ActionID || a.DaysUntilDue >= 0 || len(a.Due) != 10 {
			t.Fatalf("JSON overdue[%d] = %+v", i, a)
		}
	}
}

// A large digest stays within Slack's limits and says what it left out.
func TestSlackLimits(t *testing.T) {
	var items []Item
	for i := range 400 {
		items = append(items, Item{ActionID: int64(i + 1), Title: fmt.Sprintf("Action %d %s", i, strings.Repeat("&<>", 60)),
			URL: base + "/actions/" + strings.Repeat("x", 300), IncidentKey: "INC-1", IncidentURL: base + "/incidents/1",
			Due: date(2026, 11, 1+i%40), Status: "open", Priority: "P2"})
	}
	d, _ := Build(Recipient{Name: "Many"}, items, date(2026, 11, 23), 30)
	checkRenderings(t, d)
	raw := string(d.SlackPayload())
	if !strings.Contains(raw, "…and ") {
		t.Error("no “…and N more” in a cut Slack message")
	}
	var msg slackMessage
	if err := json.Unmarshal([]byte(raw), &msg); err != nil {
		t.Fatal(err)
	}
	if len(msg.Blocks) != slackMaxBlocks {
		t.Errorf("%d blocks, want the full %d", len(msg.Blocks), slackMaxBlocks)
	}
	if !strings.Contains(msg.Blocks[len(msg.Blocks)-2].Text.Text, "*Due soon (") && !strings.Contains(raw, "*Due soon (") {
		t.Error("the due-soon group is missing")
	}
	if msg.Blocks[len(msg.Blocks)-1].Type != "context" {
		t.Error("the footer is missing")
	}
	// Absurdly long links are dropped from a line rather than cut.
	long := Entry{Item: Item{Title: "t", URL: "https://x.example/" + strings.Repeat("a", 2000)}}
	if line := long.slackLine(); strings.Contains(line, "<") || len(line) > slackMaxLine {
		t.Errorf("long line %q", line)
	}
}

func TestEmailWording(t *testing.T) {
	for _, c := range []struct {
		days int
		want string
	}{{-13, "13 days overdue"}, {-1, "1 day overdue"}, {0, "due today"}, {1, "due tomorrow"}, {5, "due in 5 days"}} {
		if got := (Entry{Days: c.days}).when(); got != c.want {
			t.Errorf("when(%d) = %q, want %q", c.days, got, c.want)
		}
	}
	subject, body := singleDigest().Email("not a url")
	if subject != "[Hindsight] 3 days overdue: Rotate the leaked key Bcc: everyone@example.com" {
		t.Errorf("subject %q", subject)
	}
	if strings.Contains(body, "admins set") || !strings.HasPrefix(body, "Hello,\n") {
		t.Errorf("body with a bad base URL:\n%s", body)
	}
	d := dueSoonDigest()
	if s, _ := d.Email(base); s != "[Hindsight] 2 corrective actions due soon" {
		t.Errorf("subject %q", s)
	}
	d.Overdue = d.DueSoon[:1]
	if s, _ := d.Email(base); s != "[Hindsight] 1 overdue and 2 due-soon corrective actions" {
		t.Errorf("subject %q", s)
	}
	d.DueSoon = nil
	d.Overdue = append(d.Overdue, d.Overdue...)
	if s, _ := d.Email(base); s != "[Hindsight] 2 overdue corrective actions" {
		t.Errorf("subject %q", s)
	}
}
