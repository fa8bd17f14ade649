package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hindsight/internal/mailtest"
)

var testNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func client(ms *mailtest.Server, pool *x509.CertPool) SMTP {
	return SMTP{
		Host: "localhost", Port: ms.Port, Username: ms.User, Password: ms.Password,
		From:      "Hindsight <hindsight@example.com>",
		Timeout:   5 * time.Second,
		TLSConfig: &tls.Config{RootCAs: pool},
		Now:       func() time.Time { return testNow },
	}
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *notify.Error", err, err)
	}
	return e
}

func TestSMTPStartTLS(t *testing.T) {
	ms := mailtest.Start(t, mailtest.Options{StartTLS: true})
	c := client(ms, ms.Pool)
	subject := "Récapitulatif : 2 actions en retard\r\nBcc: everyone@example.com"
	long := strings.Repeat("0123456789 ", 20)
	text := "Hello Zoë,\n\n.a line starting with a dot\nFrom the start\n" + long + "\nTrailing space \nend"
	if err := c.Send(context.Background(), []string{"Alice Martin <alice@example.com>"}, subject, text, "digest-42-2026-W48-email-1"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mails := ms.Received()
	if len(mails) != 1 {
		t.Fatalf("%d mails received", len(mails))
	}
	m := mails[0]
	if !m.TLS || m.User != "hindsight" || m.Mechanism != "PLAIN" || m.From != "hindsight@example.com" || len(m.To) != 1 || m.To[0] != "alice@example.com" || m.Helo != "localhost" {
		t.Errorf("envelope %+v", m)
	}
	if bytes.Contains(m.Data, []byte("\n")) && bytes.Count(m.Data, []byte("\n")) != bytes.Count(m.Data, []byte("\r\n")) {
		t.Error("a bare LF in the message")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("ReadMessage: %v\n%s", err, m.Data)
	}
	h := msg.Header
	if got := h.Get("Bcc"); got != "" {
		t.Errorf("injected Bcc header %q", got)
	}
	rawSubject := h.Get("Subject")
	if !strings.HasPrefix(rawSubject, "=?utf-8?q?") {
		t.Errorf("Subject not Q-encoded: %q", rawSubject)
	}
	dec, err := new(mime.WordDecoder).DecodeHeader(rawSubject)
	if err != nil || dec != "Récapitulatif : 2 actions en retard Bcc: everyone@example.com" {
		t.Errorf("Subject decodes to %q, %v", dec, err)
	}
	wantID := MessageID("digest-42-2026-W48-email-1", "hindsight@example.com")
	if got := h.Get("Message-ID"); got != wantID || !strings.HasSuffix(got, "@example.com>") || strings.Contains(got, "digest") {
		t.Errorf("Message-ID %q, want %q", got, wantID)
	}
	if MessageID("digest-42-2026-W48-email-1", "x@example.com") != wantID || MessageID("digest-42-2026-W48-email-2", "x@example.com") == wantID {
		t.Error("MessageID is not a function of the key alone")
	}
	if d, err := h.Date(); err != nil || !d.Equal(testNow) {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	for k, want := range map[string]string{
		"From":                      `"Hindsight" <hindsight@example.com>`,
		"To":                        `"Alice Martin" <alice@example.com>`,
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted":            "auto-generated",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != text+"\n" {
		t.Errorf("body\n%q\nwant\n%q", got, text+"\n")
	}
	head, bodyText, _ := strings.Cut(string(m.Data), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 998 || strings.HasPrefix(line, "Subject:") && len(line) > len("Subject: ")+75 {
			t.Errorf("header line of %d bytes: %q", len(line), line)
		}
	}
	for _, line := range strings.Split(bodyText, "\r\n") {
		if len(line) > 76 {
			t.Errorf("body line of %d bytes: %q", len(line), line)
		}
	}

	// The same delivery sent again has the same Message-ID.
	if err := c.Send(context.Background(), []string{"alice@example.com", "bob@example.com"}, "again", "x", "digest-42-2026-W48-email-1"); err != nil {
		t.Fatal(err)
	}
	again, _ := mail.ReadMessage(bytes.NewReader(ms.Received()[1].Data))
	if again.Header.Get("Message-ID") != wantID || len(ms.Received()[1].To) != 2 {
		t.Errorf("second mail: %q to %v", again.Header.Get("Message-ID"), ms.Received()[1].To)
	}
}

func TestSMTPLoginAuth(t *testing.T) {
	ms := mailtest.Start(t, mailtest.Options{StartTLS: true, Mechanisms: []string{mailtest.Login}})
	if err := client(ms, ms.Pool).Send(context.Background(), []string{"alice@example.com"}, "s", "t", "k"); err != nil {
		t.Fatal(err)
	}
	if m := ms.Received(); len(m) != 1 || m[0].Mechanism != "LOGIN" || !m[0].TLS {
		t.Errorf("received %+v", m)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	ms := mailtest.Start(t, mailtest.Options{ImplicitTLS: true})
	c := client(ms, ms.Pool)
	c.Security = SecurityTLS
	c.Host = "127.0.0.1" // the certificate has the IP too
	if err := c.Send(context.Background(), []string{"alice@example.com"}, "s", "t", "k"); err != nil {
		t.Fatal(err)
	}
	if m := ms.Received(); len(m) != 1 || !m[0].TLS {
		t.Errorf("received %+v", m)
	}
}

func TestSMTPNoneOnLoopback(t *testing.T) {
	ms := mailtest.Start(t, mailtest.Options{InsecureAuth: true})
	c := client(ms, nil)
	c.Security = SecurityNone
	if err := c.Send(context.Background(), []string{"alice@example.com"}, "s", "t", "k"); err != nil {
		t.Fatal(err)
	}
	if m := ms.Received(); len(m) != 1 || m[0].TLS {
		t.Errorf("received %+v", m)
	}
	// Not for other hosts: refused before dialling.
	c.Host = "mail.example.com"
	err := c.Send(context.Background(), []string{"alice@example.com"}, "s", "t", "k")
	if e := asError(t, err); !e.Permanent || !strings.Contains(e.Error(), "loopback") {
		t.Errorf("none to a remote host: %v", err)
	}
}

func TestSMTPRefusesWithoutSTARTTLS(t *testing.T) {
	ms := mailtest.Start(t, mailtest.Options{InsecureAuth: true}) // would even take the password in clear
	for _, sec := range []string{"", SecuritySTARTTLS} {
		c := client(ms, nil)
		c.Security = sec
		err := c.Send(context.Background(), []string{"alice@example.com"}, "s", "t", "k")
		e := asError(t, err)
		if !e.Permanent || !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), strconv.Itoa(ms.Port)) {
			t.Errorf("security %q: %v (permanent %v)", sec, err, e.Permanent)
		}
	}
	if n := ms.AuthAttempts(); n != 0 {
		t.Errorf("%d AUTH attempts on a plain connection", n)
	}
	if len(ms.Received()) != 0 {
		t.Error("a mail was sent without TLS")
	}
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	_, otherPool := mailtest.NewCert(t)
	ms := mailtest.Start(t, mailtest.Options{StartTLS: true})
	err := client(ms, otherPool).Send(context.Background(), []string{"alice@example.com"}, "s", "t", "k")
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: %v", err)
	}
	if ms.AuthAttempts() != 0 {
		t.Error("AUTH attempted after a failed handshake")
	}
}

func TestSMTPBadPassword(t *testing.T) {
	ms := mailtest.Start(t, mailtest.Options{StartTLS: true})
	c := client(ms, ms.Pool)
	c.Password = "wrong-Pa55word-xyz"
	err := c.Send(context.Background(), []string{"alice@example.com"}, "s", "t", "k")
	e := asError(t, err)
	if !e.Permanent || e.Status != 535 || !strings.Contains(err.Error(), "AUTH") || !strings.Contains(err.Error(), "535") {
		t.Errorf("bad password: %v (%+v)", err, e)
	}
	if strings.Contains(err.Error(), c.Password) || strings.Contains(err.Error(), ms.Password) {
		t.Errorf("the error shows a password: %v", err)
	}
	if ms.AuthAttempts() != 1 || len(ms.Received()) != 0 {
		t.Errorf("%d AUTH attempts, %d mails", ms.AuthAttempts(), len(ms.Received()))
	}
}

func TestSMTPServerAnswers(t *testing.T) {
	ms := mailtest.Start(t, mailtest.Options{StartTLS: true})
	c := client(ms, ms.Pool)
	ms.RejectRecipients("nobody@example.com")
	err := c.Send(context.Background(), []string{"alice@example.com", "nobody@example.com"}, "s", "t", "k")
	if e := asError(t, err); !e.Permanent || e.Status != 550 || !strings.Contains(err.Error(), "RCPT TO <nobody@example.com>") || !strings.Contains(err.Error(), "No such user") {
		t.Errorf("rejected recipient: %v", err)
	}
	ms.RejectRecipients()
	ms.TempFail(1) // 451 4.3.0 Try again later, after DATA
	err = c.Send(context.Background(), []string{"alice@example.com"}, "s", "t", "k")
	if e := asError(t, err); e.Permanent || e.Status != 451 || !strings.Contains(err.Error(), "DATA") {
		t.Errorf("451 on DATA: %v (%+v)", err, e)
	}
	if len(ms.Received()) != 0 || len(ms.Deferred()) != 1 {
		t.Errorf("%d mails received, %d deferred", len(ms.Received()), len(ms.Deferred()))
	}
}

func TestSMTPServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c := SMTP{Host: "127.0.0.1", Port: port, From: "h@example.com", Timeout: 2 * time.Second}
	err = c.Send(context.Background(), []string{"alice@example.com"}, "s", "t", "k")
	if e := asError(t, err); e.Permanent || !strings.Contains(err.Error(), "connect") || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("server down: %v", err)
	}
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().(*net.TCPAddr).Port
}

func TestSMTPTimeouts(t *testing.T) {
	port := silentServer(t)
	c := SMTP{Host: "127.0.0.1", Port: port, From: "h@example.com", Timeout: time.Minute}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Send(ctx, []string{"alice@example.com"}, "s", "t", "k")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("ctx timeout took %s", took)
	}
	if e := asError(t, err); e.Permanent || !strings.Contains(err.Error(), "greeting") || !strings.Contains(err.Error(), "timed out") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ctx timeout: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	err = c.Send(ctx, []string{"alice@example.com"}, "s", "t", "k")
	if e := asError(t, err); e.Permanent || !strings.Contains(err.Error(), "canceled") || !errors.Is(err, context.Canceled) {
		t.Errorf("cancel: %v", err)
	}

	c.Timeout = 300 * time.Millisecond
	start = time.Now()
	err = c.Send(context.Background(), []string{"alice@example.com"}, "s", "t", "k")
	if e := asError(t, err); e.Permanent || time.Since(start) > 5*time.Second || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("Timeout: %v after %s", err, time.Since(start))
	}
}

func TestSMTPInvalidSettings(t *testing.T) {
	ok := SMTP{Host: "localhost", Port: 1, From: "h@example.com"}
	cases := []struct {
		name string
		s    SMTP
		to   []string
		key  string
	}{
		{"no host", SMTP{From: "h@example.com"}, []string{"a@example.com"}, "k"},
		{"bad security", SMTP{Host: "localhost", From: "h@example.com", Security: "ssl"}, []string{"a@example.com"}, "k"},
		{"bad port", SMTP{Host: "localhost", Port: 70000, From: "h@example.com"}, []string{"a@example.com"}, "k"},
		{"bad from", SMTP{Host: "localhost", From: "not an address"}, []string{"a@example.com"}, "k"},
		{"no recipient", ok, nil, "k"},
		{"injected recipient", ok, []string{"a@example.com\r\nRCPT TO:<evil@example.com>"}, "k"},
		{"bad recipient", ok, []string{"a@"}, "k"},
		{"unicode recipient", ok, []string{"zoë@example.com"}, "k"},
		{"no key", ok, []string{"a@example.com"}, " "},
	}
	for _, c := range cases {
		err := c.s.Send(context.Background(), c.to, "s", "t", c.key)
		if e := asError(t, err); !e.Permanent {
			t.Errorf("%s: %v is not permanent", c.name, err)
		}
	}
}

func TestMessageIDAndSubject(t *testing.T) {
	id := MessageID("k", "Hindsight <h@Mail.Example.com>")
	if !strings.HasPrefix(id, "<hindsight.") || !strings.HasSuffix(id, "@mail.example.com>") || len(id) != len("<hindsight.@mail.example.com>")+32 {
		t.Errorf("MessageID = %q", id)
	}
	if got := MessageID("k", "weird@[1.2.3.4]"); !strings.HasSuffix(got, "@hindsight.invalid>") {
		t.Errorf("MessageID = %q", got)
	}
	if got := encodeSubject("plain ascii"); got != "plain ascii" {
		t.Errorf("encodeSubject = %q", got)
	}
	long := encodeSubject(strings.Repeat("é", 300))
	for _, line := range strings.Split(long, "\r\n") {
		if len(line) > 78 {
			t.Errorf("subject line of %d bytes", len(line))
		}
	}
	if dec, _ := new(mime.WordDecoder).DecodeHeader(strings.ReplaceAll(long, "\r\n", "")); dec != strings.Repeat("é", maxSubject-1)+"…" {
		t.Errorf("long subject decodes to %q", dec)
	}
}
