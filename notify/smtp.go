package notify

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SMTP security modes.
const (
	SecuritySTARTTLS = "starttls" // plain connection upgraded with STARTTLS, required (the default; port 587)
	SecurityTLS      = "tls"      // implicit TLS from the first byte (port 465)
	SecurityNone     = "none"     // no encryption: loopback hosts only (a local relay)
)

// DefaultTimeout bounds a whole send (dial to QUIT) when SMTP.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// SMTP sends mail through a submission server.
type SMTP struct {
	Host     string
	Port     int    // 0: 587 for starttls, 465 for tls, 25 for none
	Username string // "" sends without AUTH
	Password string
	From     string // "Hindsight <hindsight@example.com>"
	Security string // SecuritySTARTTLS (also ""), SecurityTLS or SecurityNone
	Timeout  time.Duration
	// TLSConfig is used for STARTTLS and implicit TLS; nil: the system's
	// roots. ServerName defaults to Host.
	TLSConfig *tls.Config
	HelloName string           // the EHLO name; "" means "localhost"
	Now       func() time.Time // the Date header's clock; nil: time.Now
}

// Send sends one plain-text mail to the recipients. The Message-ID is
// MessageID(key, From), the same for every retry of one delivery, so that
// a mailbox (or a person) can recognise a mail that arrived twice because
// the server's "250 OK" was lost. Errors are *Error.
//
// With starttls the mail is not sent, and the password never leaves, if
// the server does not offer STARTTLS. AUTH uses PLAIN, or LOGIN when the
// server offers only that, and only over TLS (or to a loopback host).
// ctx and Timeout bound the whole exchange. One rejected recipient fails
// the whole send.
func (s SMTP) Send(ctx context.Context, to []string, subject, text, key string) error {
	from, rcpts, err := s.check(to, key)
	if err != nil {
		return err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	msg := buildMessage(from, rcpts, subject, text, MessageID(key, from.Address), now())
	return s.send(ctx, from.Address, rcpts, msg)
}

// check validates the settings and the recipients before any dialling.
func (s SMTP) check(to []string, key string) (*mail.Address, []*mail.Address, error) {
	switch s.Security {
	case "", SecuritySTARTTLS, SecurityTLS:
	case SecurityNone:
		if !isLoopback(s.Host) {
			return nil, nil, permanent(fmt.Sprintf("smtp: security %q is only allowed for a loopback host (localhost, 127.0.0.1, ::1), not %q", SecurityNone, s.Host))
		}
	default:
		return nil, nil, permanent(fmt.Sprintf("smtp: unknown security %q: use starttls, tls or none", s.Security))
	}
	if s.Host == "" || strings.ContainsAny(s.Host, " /\r\n\t") {
		return nil, nil, permanent("smtp: the host is missing or invalid")
	}
	if s.Port < 0 || s.Port > 65535 {
		return nil, nil, permanent(fmt.Sprintf("smtp: port %d is out of range", s.Port))
	}
	from, err := parseAddress(s.From)
	if err != nil {
		return nil, nil, permanent(fmt.Sprintf("smtp: the From address %q is invalid: %v", oneLine(s.From), err))
	}
	if len(to) == 0 {
		return nil, nil, permanent("smtp: no recipient")
	}
	rcpts := make([]*mail.Address, 0, len(to))
	for _, t := range to {
		a, err := parseAddress(t)
		if err != nil {
			return nil, nil, permanent(fmt.Sprintf("smtp: the recipient %q is invalid: %v", oneLine(t), err))
		}
		rcpts = append(rcpts, a)
	}
	if strings.TrimSpace(key) == "" {
		return nil, nil, permanent("smtp: no idempotency key for the Message-ID")
	}
	return from, rcpts, nil
}

// parseAddress parses one address ("a@b.c" or "Name <a@b.c>") of plain
// ASCII (no SMTPUTF8), refusing line breaks outright.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, errors.New("not an e-mail address")
	}
	for _, r := range a.Address {
		if r <= ' ' || r >= 0x7f {
			return nil, errors.New("only ASCII addresses are supported")
		}
	}
	return a, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s SMTP) port() int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.Security == SecurityTLS:
		return 465
	case s.Security == SecurityNone:
		return 25
	}
	return 587
}

func (s SMTP) tlsConfig() *tls.Config {
	c := &tls.Config{}
	if s.TLSConfig != nil {
		c = s.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.Host
	}
	c.MinVersion = max(c.MinVersion, tls.VersionTLS12)
	return c
}

// send runs the SMTP exchange. Every failure is an *Error whose message
// says the server, the stage and the server's reply.
func (s SMTP) send(ctx context.Context, from string, rcpts []*mail.Address, msg []byte) (err error) {
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.port()))
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stage := "connect"
	defer func() {
		if err != nil {
			err = smtpError(ctx, addr, stage, err)
		}
	}()

	var conn net.Conn
	dialer := &net.Dialer{}
	if s.Security == SecurityTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: s.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	// The deadline covers every read and write; cancelling ctx cuts them short.
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	stage = "greeting"
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	stage = "EHLO"
	hello := s.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return err
	}
	if s.Security == "" || s.Security == SecuritySTARTTLS {
		stage = "STARTTLS"
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return permanent("the server does not offer STARTTLS; not sending without encryption (set security to tls for port 465)")
		}
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return err
		}
	}
	if s.Username != "" {
		stage = "AUTH"
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return permanent("the server does not offer AUTH, but a username is set")
		}
		var auth smtp.Auth
		switch fields := strings.Fields(strings.ToUpper(mechs)); {
		case containsWord(fields, "PLAIN"):
			auth = smtp.PlainAuth("", s.Username, s.Password, s.Host)
		case containsWord(fields, "LOGIN"):
			auth = &loginAuth{user: s.Username, pass: s.Password, host: s.Host}
		default:
			return permanent(fmt.Sprintf("the server offers no supported AUTH mechanism (it offers %q; Hindsight speaks PLAIN and LOGIN)", snippet([]byte(mechs))))
		}
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	stage = "MAIL FROM"
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range rcpts {
		stage = "RCPT TO <" + r.Address + ">"
		if err := c.Rcpt(r.Address); err != nil {
			return err
		}
	}
	stage = "DATA"
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil { // the server's answer to the message
		return err
	}
	// Accepted: a failing QUIT must not make the scheduler send it again.
	_ = c.Quit()
	return nil
}

func containsWord(ws []string, w string) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}

// smtpError turns a failure into an *Error: SMTP 5xx replies are
// permanent, 4xx replies, network errors and timeouts temporary.
func smtpError(ctx context.Context, addr, stage string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		e.Err = &safeError{msg: fmt.Sprintf("smtp %s: %s: %s", addr, stage, e.Err.Error()), cause: e.Err}
		return e
	}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return &Error{
			Permanent: tp.Code >= 500,
			Status:    tp.Code,
			Err:       &safeError{msg: fmt.Sprintf("smtp %s: %s: the server answered %d %s", addr, stage, tp.Code, snippet([]byte(tp.Msg))), cause: err},
		}
	}
	ctxErr := ctx.Err()
	if dl, ok := ctx.Deadline(); ctxErr == nil && ok && !time.Now().Before(dl) {
		ctxErr = context.DeadlineExceeded // the connection's deadline fired first
	}
	if ctxErr != nil {
		what := "timed out"
		if errors.Is(ctxErr, context.Canceled) {
			what = "canceled"
		}
		return &Error{Err: &safeError{msg: fmt.Sprintf("smtp %s: %s: %s", addr, stage, what), cause: errors.Join(ctxErr, err)}}
	}
	// net/smtp's own errors ("unencrypted connection", "wrong host name")
	// and network, TLS and certificate errors: none holds the password.
	return &Error{Err: &safeError{msg: fmt.Sprintf("smtp %s: %s: %s", addr, stage, snippet([]byte(err.Error()))), cause: err}}
}

// loginAuth is the LOGIN mechanism (Office 365 and others offer no
// PLAIN), with net/smtp's PlainAuth's guards: TLS or a loopback host, and
// the host it was made for.
type loginAuth struct{ user, pass, host string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLoopback(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", snippet(fromServer))
}

// MessageID is the Message-ID of the mail of a delivery: derived from its
// idempotency key (a hash of it, so nothing of the key leaks) and the
// domain of from (an address, "Name <address>" too),
// "<hindsight.3f2a…@example.com>".
func MessageID(key, from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		from = a.Address
	}
	sum := sha256.Sum256([]byte(key))
	domain := "hindsight.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && isDomain(from[i+1:]) {
		domain = strings.ToLower(from[i+1:])
	}
	return "<hindsight." + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

func isDomain(s string) bool {
	if s == "" || len(s) > 253 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// maxSubject is the longest subject kept, in runes.
const maxSubject = 250

// buildMessage writes an RFC 5322 message: headers (non-ASCII subject as
// RFC 2047 Q-encoded words, folded), then the text as quoted-printable
// UTF-8, all lines ending in CRLF.
func buildMessage(from *mail.Address, to []*mail.Address, subject, text, msgID string, date time.Time) []byte {
	var b strings.Builder
	header := func(name, value string) {
		b.WriteString(name + ": " + value + "\r\n")
	}
	header("Date", date.Format(time.RFC1123Z))
	header("From", from.String())
	tos := make([]string, len(to))
	for i, a := range to {
		tos[i] = a.String()
	}
	header("To", strings.Join(tos, ",\r\n "))
	header("Subject", encodeSubject(subject))
	header("Message-ID", msgID)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no vacation replies
	b.WriteString("\r\n")

	qp := quotedprintable.NewWriter(&b) // not Binary: line ends become CRLF
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	io.WriteString(qp, text)
	qp.Close()
	if !strings.HasSuffix(b.String(), "\r\n") {
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// cleanSubject is the subject on one line: control characters (CR, LF…)
// become spaces, runs of spaces one, at most maxSubject runes.
func cleanSubject(s string) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) > maxSubject {
		s = string([]rune(s)[:maxSubject-1]) + "…"
	}
	return s
}

// oneLine is s as valid UTF-8 with its control characters and runs of
// white space turned into single spaces, trimmed.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// encodeSubject is the Subject header's value: ASCII as is, anything else
// as Q-encoded words, one per folded line.
func encodeSubject(s string) string {
	enc := mime.QEncoding.Encode("utf-8", cleanSubject(s))
	if enc != cleanSubject(s) {
		// Encoded words are separated by single spaces: fold there.
		enc = strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
	}
	return enc
}
