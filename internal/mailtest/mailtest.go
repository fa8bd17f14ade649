// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) on
// a loopback port for tests that send mail: STARTTLS or implicit TLS with a
// self-signed certificate, required AUTH (PLAIN, LOGIN), rejected
// recipients and temporary 451 answers, recording every mail as the server
// got it.
//
// It exists so that mail-sending code is tested against a real receiver
// speaking the protocol, not against a mock of our own code: a fake of our
// SMTP client would agree with whatever that client does, while a real
// server undoes the dot-stuffing, offers AUTH only after TLS and refuses
// a bad password as a mail provider would. Package notify (the SMTP
// sender) and package scheduler (digests delivered end to end) share it.
// It is for tests only: nothing outside _test.go files imports it.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The account AUTH accepts unless Options say otherwise.
const (
	DefaultUser     = "hindsight"
	DefaultPassword = "s3cret-Pa55"
)

// AUTH mechanisms the server can offer.
const (
	Plain = "PLAIN"
	Login = "LOGIN"
)

// Options configure a server. The zero value is a plain-text server that
// offers no STARTTLS, and requires AUTH (PLAIN) over TLS before MAIL FROM:
// set StartTLS or ImplicitTLS (or InsecureAuth) for a usable one.
type Options struct {
	StartTLS     bool // offer STARTTLS, with Cert
	ImplicitTLS  bool // speak TLS from the first byte (port 465 style)
	InsecureAuth bool // accept AUTH on a connection without TLS
	AuthOptional bool // accept MAIL FROM without AUTH (default: 530 until authenticated)
	// User and Password are the one account AUTH accepts ("": DefaultUser,
	// DefaultPassword).
	User, Password string
	// Mechanisms are the AUTH mechanisms offered, Plain and/or Login
	// (nil: Plain only).
	Mechanisms []string
	// Cert is the server's certificate (nil: a fresh one from NewCert,
	// trusted by Server.Pool).
	Cert *tls.Certificate
	// RejectRecipients are answered 550 5.1.1 at RCPT TO.
	RejectRecipients []string
	// TempFailures is how many messages, from the first, are answered
	// 451 4.3.0 after their DATA (and recorded by Deferred).
	TempFailures int
}

// Message is one mail as the server got it.
type Message struct {
	From      string   // envelope MAIL FROM
	To        []string // envelope RCPT TO, in order
	Data      []byte   // the message as sent, headers and body, CRLF line ends
	Header    mail.Header
	TLS       bool   // the session ran over TLS
	User      string // the authenticated user ("" without AUTH)
	Mechanism string // the AUTH mechanism used
	Helo      string // the EHLO/HELO name
}

// Subject is the Subject header with RFC 2047 encoded words decoded.
func (m Message) Subject() (string, error) {
	return new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
}

// Body is the message body, quoted-printable decoded when the message says
// it is, with CRLF line ends turned into LF.
func (m Message) Body() (string, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return "", err
	}
	r := msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	return strings.ReplaceAll(string(b), "\r\n", "\n"), err
}

// Server is a running server, closed when the test ends.
type Server struct {
	Host     string // "127.0.0.1"
	Port     int
	Addr     string // Host:Port
	User     string // the account AUTH accepts
	Password string
	// Pool trusts the server's certificate, for the client's RootCAs.
	Pool *x509.CertPool

	mechanisms []string
	authReq    bool

	mu        sync.Mutex
	mails     []Message
	deferred  []Message
	auths     int
	rejectTo  []string
	tempFails int
}

// Start starts a server on a loopback port.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	ms := &Server{Host: "127.0.0.1", User: o.User, Password: o.Password, mechanisms: o.Mechanisms,
		authReq: !o.AuthOptional, rejectTo: slices.Clone(o.RejectRecipients), tempFails: o.TempFailures}
	if ms.User == "" {
		ms.User = DefaultUser
	}
	if ms.Password == "" {
		ms.Password = DefaultPassword
	}
	if len(ms.mechanisms) == 0 {
		ms.mechanisms = []string{Plain}
	}
	for _, m := range ms.mechanisms {
		if m != Plain && m != Login {
			t.Fatalf("mailtest: unknown AUTH mechanism %q (use mailtest.Plain or mailtest.Login)", m)
		}
	}
	var cert tls.Certificate
	if o.Cert != nil {
		cert = *o.Cert
		leaf := cert.Leaf
		if leaf == nil {
			var err error
			if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
				t.Fatalf("mailtest: %v", err)
			}
		}
		ms.Pool = x509.NewCertPool()
		ms.Pool.AddCert(leaf)
	} else {
		cert, ms.Pool = NewCert(t)
	}

	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{ms: ms, c: c, rec: Message{TLS: isTLS, Helo: c.Hostname()}}, nil
	}))
	s.Domain = "localhost"
	s.AllowInsecureAuth = o.InsecureAuth
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}}
	if o.StartTLS {
		s.TLSConfig = tlsConf
	}
	var l net.Listener
	var err error
	if o.ImplicitTLS {
		l, err = tls.Listen("tcp", "127.0.0.1:0", tlsConf)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	ms.Addr = l.Addr().String()
	ms.Port = l.Addr().(*net.TCPAddr).Port
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return ms
}

// NewCert returns a fresh self-signed certificate for localhost, 127.0.0.1
// and ::1, valid for an hour either side of now, and a pool that trusts it.
func NewCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hindsight test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// Received returns the mails the server accepted, in order.
func (ms *Server) Received() []Message {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return slices.Clone(ms.mails)
}

// Deferred returns the mails the server answered 451 after their DATA, in
// order: a retry of one of them should be the same mail.
func (ms *Server) Deferred() []Message {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return slices.Clone(ms.deferred)
}

// AuthAttempts counts AUTH exchanges that reached a user and password,
// right or wrong.
func (ms *Server) AuthAttempts() int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.auths
}

// RejectRecipients makes RCPT TO answer 550 5.1.1 for these addresses
// from now on, instead of the previous ones (none: accept everyone).
func (ms *Server) RejectRecipients(addrs ...string) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.rejectTo = slices.Clone(addrs)
}

// TempFail makes the server answer the next n messages 451 4.3.0 after
// their DATA.
func (ms *Server) TempFail(n int) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.tempFails = n
}

// session is one SMTP session; go-smtp starts a new one at EHLO and again
// after STARTTLS.
type session struct {
	ms     *Server
	c      *smtp.Conn
	rec    Message
	authed bool
}

func (s *session) AuthMechanisms() []string { return s.ms.mechanisms }

func (s *session) check(user, pass, mech string) error {
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	s.ms.auths++
	if user != s.ms.User || pass != s.ms.Password {
		return smtp.ErrAuthFailed // 535 5.7.8
	}
	s.authed, s.rec.User, s.rec.Mechanism = true, user, mech
	_, s.rec.TLS = s.c.TLSConnectionState()
	return nil
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if !slices.Contains(s.ms.mechanisms, mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	if mech == Login {
		return &loginServer{check: func(u, p string) error { return s.check(u, p, Login) }}, nil
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error { return s.check(user, pass, Plain) }), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.ms.authReq && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.rec.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	if slices.Contains(s.ms.rejectTo, to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	s.rec.To = append(s.rec.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.rec
	m.To = slices.Clone(m.To)
	m.Data = b
	if msg, err := mail.ReadMessage(bytes.NewReader(b)); err == nil {
		m.Header = msg.Header
	}
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	if s.ms.tempFails > 0 {
		s.ms.tempFails--
		s.ms.deferred = append(s.ms.deferred, m)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	s.ms.mails = append(s.ms.mails, m)
	return nil
}

// Reset ends a mail transaction; the session's TLS, AUTH and HELO stay.
func (s *session) Reset() {
	s.rec = Message{TLS: s.rec.TLS, User: s.rec.User, Mechanism: s.rec.Mechanism, Helo: s.rec.Helo}
}

func (s *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl no longer has.
type loginServer struct {
	user  string
	step  int
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(resp))
}
