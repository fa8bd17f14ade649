package reminders

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// SettingsPath is the admin page of reminder settings, relative to the
// base URL, which the e-mail footer names (only admins can open it).
const SettingsPath = "/settings/reminders"

// plural is "1 action" or "2 actions".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// when says how far an entry is from its due date: "3 days overdue",
// "due today", "due tomorrow", "due in 5 days".
func (e Entry) when() string {
	switch {
	case e.Days < 0:
		return plural(-e.Days, "day", "days") + " overdue"
	case e.Days == 0:
		return "due today"
	case e.Days == 1:
		return "due tomorrow"
	}
	return "due in " + plural(e.Days, "day", "days")
}

// whenDated is "3 days overdue (2026-11-20)", "Due today (2026-11-23)".
func (e Entry) whenDated() string {
	w := e.when()
	return strings.ToUpper(w[:1]) + w[1:] + " (" + e.Due.Format(time.DateOnly) + ")"
}

// statusLabel is "in progress" for in_progress.
func statusLabel(s string) string { return strings.ReplaceAll(s, "_", " ") }

// counts is "2 overdue and 3 due-soon corrective actions".
func (d Digest) counts() string {
	switch {
	case len(d.Overdue) > 0 && len(d.DueSoon) > 0:
		return fmt.Sprintf("%d overdue and %d due-soon corrective actions", len(d.Overdue), len(d.DueSoon))
	case len(d.Overdue) > 0:
		return fmt.Sprintf("%d overdue corrective %s", len(d.Overdue), pluralWord(len(d.Overdue), "action", "actions"))
	}
	return fmt.Sprintf("%d corrective %s due soon", len(d.DueSoon), pluralWord(len(d.DueSoon), "action", "actions"))
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Email renders the digest as an e-mail: a one-line subject (no CR or LF,
// whatever the titles) and a plain-text body with each action's title,
// how late or near it is, its due date, priority, status, incident and
// link, and a footer saying why the mail comes and where reminders are
// set up (baseURL + SettingsPath). The body's lines end in "\n".
func (d Digest) Email(baseURL string) (subject, textBody string) {
	subject = "[Hindsight] " + d.subjectText()
	var b strings.Builder
	if d.Recipient.Name != "" {
		fmt.Fprintf(&b, "Hello %s,\n\n", d.Recipient.Name)
	} else {
		b.WriteString("Hello,\n\n")
	}
	fmt.Fprintf(&b, "You own %s that %s attention (as of %s).\n",
		plural(d.Len(), "corrective action", "corrective actions"), pluralWord(d.Len(), "needs", "need"), d.Date.Format("Monday 2 January 2006"))
	section := func(title string, es []Entry) {
		if len(es) == 0 {
			return
		}
		heading := fmt.Sprintf("%s (%d)", title, len(es))
		fmt.Fprintf(&b, "\n%s\n%s\n", heading, strings.Repeat("=", utf8.RuneCountInString(heading)))
		for _, e := range es {
			fmt.Fprintf(&b, "\n* %s\n", e.Title)
			fmt.Fprintf(&b, "  %s", e.whenDated())
			for _, s := range []string{e.Priority, statusLabel(e.Status)} {
				if s != "" {
					b.WriteString(" · " + s)
				}
			}
			b.WriteByte('\n')
			if inc := strings.TrimSpace(e.IncidentKey + " " + e.IncidentTitle); inc != "" {
				fmt.Fprintf(&b, "  Incident: %s\n", inc)
			}
			if e.URL != "" {
				fmt.Fprintf(&b, "  %s\n", e.URL)
			}
		}
	}
	section("Overdue", d.Overdue)
	section("Due soon", d.DueSoon)
	b.WriteString("\n-- \n")
	b.WriteString("You get this digest because you own these corrective actions in Hindsight.\n")
	b.WriteString("It comes back until each action is done or marked won't do, also after\n")
	b.WriteString("its incident is closed. To stop it for an action, update the action at its\n")
	b.WriteString("link: mark it done or won't do, or change its owner or due date.\n")
	if base := strings.TrimRight(cleanURL(baseURL), "/"); base != "" {
		fmt.Fprintf(&b, "Your Hindsight admins set when reminders go out: %s%s\n", base, SettingsPath)
	}
	return subject, b.String()
}

// subjectText names the action when there is one, else counts them.
func (d Digest) subjectText() string {
	if d.Len() != 1 {
		return strings.ToUpper(d.counts()[:1]) + d.counts()[1:]
	}
	var e Entry
	if len(d.Overdue) == 1 {
		e = d.Overdue[0]
	} else {
		e = d.DueSoon[0]
	}
	w := e.when()
	return strings.ToUpper(w[:1]) + w[1:] + ": " + clean(e.Title, 80)
}

// Slack limits on an incoming webhook message with blocks.
const (
	slackMaxBlocks      = 50
	slackMaxSectionText = 3000
	slackMaxLine        = 1500
	slackMaxText        = 30000 // Slack cuts "text" at 40,000
)

// slackEscape escapes the three characters Slack's mrkdwn gives meaning
// to, so user text can neither link nor mention (<!channel>).
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackLink is <url|label>, or the label alone without a URL. The URL's
// own &, <, > and | cannot end the link early, and a | in the label
// becomes ¦ so that no receiver can mistake where the URL ends.
func slackLink(u, label string) string {
	label = slackEscape(label)
	if u == "" {
		return label
	}
	label = strings.ReplaceAll(label, "|", "¦")
	u = strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C").Replace(u)
	return "<" + u + "|" + label + ">"
}

func (e Entry) slackLine() string {
	meta := []string{e.whenDated()}
	if e.IncidentKey != "" {
		meta = append(meta, slackLink(e.IncidentURL, e.IncidentKey))
	}
	if e.Priority != "" {
		meta = append(meta, slackEscape(e.Priority))
	}
	line := "• " + slackLink(e.URL, e.Title) + " — " + strings.Join(meta, " · ")
	if len(line) > slackMaxLine { // absurdly long links: keep the text
		line = "• " + slackEscape(e.Title) + " — " + slackEscape(e.when())
	}
	return line
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackMessage struct {
	Text        string       `json:"text"`
	Blocks      []slackBlock `json:"blocks"`
	UnfurlLinks bool         `json:"unfurl_links"`
	UnfurlMedia bool         `json:"unfurl_media"`
}

// SlackPayload renders the digest as the JSON body of a Slack incoming
// webhook: a mrkdwn "text" that holds the list too (the notification text
// in Slack, the message in Slack-compatible receivers that ignore blocks;
// cut with "…and N more" past 30,000 bytes) and "blocks": a header, one section per group of actions (split
// to stay within Slack's 3,000 characters a section and 50 blocks a
// message, the rest counted as "…and N more"), and a context line. &, <
// and > in user text are escaped as Slack requires; links are
// <url|title>.
func (d Digest) SlackPayload() []byte {
	intro := "These corrective actions need attention."
	if d.Recipient.Name != "" {
		intro = "*" + slackEscape(d.Recipient.Name) + "*, these corrective actions of yours need attention."
	}
	msg := slackMessage{Blocks: []slackBlock{
		{Type: "header", Text: &slackText{"plain_text", "Hindsight: " + d.counts()}},
		{Type: "section", Text: &slackText{"mrkdwn", intro}},
	}}
	text := "*Hindsight: " + d.counts() + "*\n" + intro
	textFull := false
	addText := func(line string, rest int) {
		switch {
		case textFull:
		case len(text)+len(line) > slackMaxText:
			text += fmt.Sprintf("\n…and %d more", rest)
			textFull = true
		default:
			text += "\n" + line
		}
	}
	budget := slackMaxBlocks - len(msg.Blocks) - 1 // one for the footer
	group := func(title string, es []Entry) {
		if len(es) == 0 {
			return
		}
		head := fmt.Sprintf("*%s (%d)*", title, len(es))
		addText("\n"+head, len(es))
		cur, blocksFull := head, false
		for i, e := range es {
			line := e.slackLine()
			addText(line, len(es)-i)
			switch {
			case blocksFull:
			case len(cur)+1+len(line) <= slackMaxSectionText-100:
				cur += "\n" + line
			case budget <= 2: // keep a block for this group's end and one for the next group
				cur += fmt.Sprintf("\n…and %d more", len(es)-i)
				blocksFull = true
			default:
				msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{"mrkdwn", cur}})
				budget--
				cur = line
			}
		}
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{"mrkdwn", cur}})
		budget--
	}
	group("Overdue", d.Overdue)
	group("Due soon", d.DueSoon)
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "context", Elements: []slackText{{"mrkdwn", "Sent by Hindsight until each action is done or won't do."}}})
	msg.Text = text
	return encodeJSON(msg)
}

// JSONVersion is the "version" of the document Digest.JSON writes; it
// changes only if a field changes meaning or goes away (new fields may be
// added within a version).
const JSONVersion = 1

// JSONType is the "type" of the document Digest.JSON writes.
const JSONType = "hindsight.reminder_digest"

// JSONDigest is the document Digest.JSON writes, the body of the generic
// webhook. Dates are YYYY-MM-DD; lists are never null.
type JSONDigest struct {
	Type        string        `json:"type"`          // JSONType
	Version     int           `json:"version"`       // JSONVersion
	DigestKey   string        `json:"digest_key"`    // the same for every delivery (and retry) of this digest
	Period      string        `json:"period"`        // the sending period: "2026-11-23" or "2026-W48"
	Date        string        `json:"date"`          // the day the digest was built for
	DueSoonDays int           `json:"due_soon_days"` // due_soon covers date .. date + due_soon_days
	Recipient   JSONRecipient `json:"recipient"`
	Overdue     []JSONAction  `json:"overdue"`  // most overdue first
	DueSoon     []JSONAction  `json:"due_soon"` // soonest first
}

// JSONRecipient is the owner a digest is for.
type JSONRecipient struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
}

// JSONAction is one action in a digest.
type JSONAction struct {
	ActionID     int64        `json:"action_id"`
	Title        string       `json:"title"`
	URL          string       `json:"url"` // "" when unknown
	Due          string       `json:"due"`
	DaysUntilDue int          `json:"days_until_due"` // negative when overdue, 0 due today
	Status       string       `json:"status"`
	Priority     string       `json:"priority"`
	Incident     JSONIncident `json:"incident"`
}

// JSONIncident is the incident an action came from.
type JSONIncident struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// JSON renders the digest as the generic webhook's body: a JSONDigest,
// indented, with digestKey (see DigestKey) and d.Period.
func (d Digest) JSON(digestKey string) []byte {
	list := func(es []Entry) []JSONAction {
		out := make([]JSONAction, 0, len(es))
		for _, e := range es {
			out = append(out, JSONAction{
				ActionID: e.ActionID, Title: e.Title, URL: e.URL,
				Due: e.Due.Format(time.DateOnly), DaysUntilDue: e.Days,
				Status: e.Status, Priority: e.Priority,
				Incident: JSONIncident{Key: e.IncidentKey, Title: e.IncidentTitle, URL: e.IncidentURL},
			})
		}
		return out
	}
	return encodeJSON(JSONDigest{
		Type:        JSONType,
		Version:     JSONVersion,
		DigestKey:   strings.ToValidUTF8(digestKey, "\uFFFD"),
		Period:      strings.ToValidUTF8(d.Period, "\uFFFD"),
		Date:        d.Date.Format(time.DateOnly),
		DueSoonDays: d.DueSoonDays,
		Recipient:   JSONRecipient{UserID: d.Recipient.UserID, Name: d.Recipient.Name, Email: d.Recipient.Email},
		Overdue:     list(d.Overdue),
		DueSoon:     list(d.DueSoon),
	})
}

// encodeJSON is indented JSON without HTML escaping (the bodies are read
// in logs), ending in a newline.
func encodeJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic(err) // plain structs of strings and numbers always encode
	}
	return b.Bytes()
}
