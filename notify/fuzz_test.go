package notify

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzMessage: whatever the subject and text, the message parses with
// net/mail, has exactly the headers we wrote (no injected ones), a subject
// that decodes to the cleaned subject, and a body that decodes back to
// the text (line ends as LF, invalid UTF-8 replaced).
func FuzzMessage(f *testing.F) {
	f.Add("Digest", "Hello\n.\nBye")
	f.Add("Récap\r\nBcc: x@example.com", "a\r\nb\rc\n\n")
	f.Add("=?utf-8?q?x?=", "=3D=\n"+strings.Repeat("é", 100))
	f.Add("\xff\x00\t", "trailing space \nand tab\t\n")
	from := &mail.Address{Name: "Hindsight", Address: "h@example.com"}
	to := []*mail.Address{{Address: "a@example.com"}}
	date := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, subject, text string) {
		raw := buildMessage(from, to, subject, text, "<id@example.com>", date)
		if bytes.Count(raw, []byte("\n")) != bytes.Count(raw, []byte("\r\n")) || bytes.Contains(raw, []byte("\r\r")) {
			t.Fatalf("bare CR or LF in %q", raw)
		}
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("ReadMessage: %v\n%q", err, raw)
		}
		if len(m.Header) != 9 {
			t.Fatalf("%d headers: %v", len(m.Header), m.Header)
		}
		dec, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("subject %q: %v", m.Header.Get("Subject"), err)
		}
		// An ASCII subject that looks like an encoded word decodes as one;
		// otherwise the subject is what was asked for, on one line.
		if want := cleanSubject(subject); dec != want && !strings.Contains(want, "=?") {
			t.Fatalf("subject %q decodes to %q, want %q", m.Header.Get("Subject"), dec, want)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
		if err != nil {
			t.Fatalf("body: %v\n%q", err, raw)
		}
		want := strings.ToValidUTF8(text, "\uFFFD")
		want = strings.ReplaceAll(strings.ReplaceAll(want, "\r\n", "\n"), "\r", "\n")
		got := strings.ReplaceAll(string(body), "\r\n", "\n")
		if got != want && got != want+"\n" {
			t.Fatalf("body %q, want %q", got, want)
		}
	})
}

// FuzzVerifySignature: a signed body verifies, any change to the body or
// the timestamp does not, and arbitrary headers never panic or verify.
func FuzzVerifySignature(f *testing.F) {
	f.Add([]byte("k"), []byte(`{"a":1}`), int64(1795424400), "sha256=00", []byte("x"))
	f.Add([]byte{}, []byte{}, int64(0), "", []byte{})
	f.Add([]byte("\x00"), []byte("\xff"), int64(-1), "sha256="+strings.Repeat("a", 64), []byte("\x00"))
	f.Fuzz(func(t *testing.T, secret, body []byte, ts int64, sig string, change []byte) {
		if ts < 0 {
			ts = -ts
		}
		ts %= 1e12
		now := time.Unix(ts, 0)
		tss := itoa(ts)
		good := Sign(secret, tss, body)
		err := VerifySignature(secret, body, tss, good, now, time.Minute)
		if len(secret) == 0 {
			if err != ErrNoSecret {
				t.Fatalf("no secret: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("a good signature fails: %v", err)
		}
		if len(change) > 0 {
			if err := VerifySignature(secret, append(append([]byte{}, body...), change...), tss, good, now, time.Minute); err == nil {
				t.Fatal("a longer body verifies")
			}
		}
		if err := VerifySignature(secret, body, itoa(ts+1), good, now, time.Minute); err == nil {
			t.Fatal("another timestamp verifies")
		}
		if sig != good && strings.ToLower(sig) != good {
			if err := VerifySignature(secret, body, tss, sig, now, time.Minute); err == nil {
				t.Fatalf("signature %q verifies", sig)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
