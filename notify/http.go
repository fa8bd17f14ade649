package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultHTTPTimeout bounds a request when the caller gives no client.
const DefaultHTTPTimeout = 30 * time.Second

// maxAnswer is how much of a receiver's answer is read.
const maxAnswer = 64 << 10

// Slack posts to a Slack incoming webhook, or any receiver that takes the
// same JSON (Mattermost, Rocket.Chat…). The URL is a secret: errors show
// only its scheme and host.
type Slack struct {
	URL    string
	Client *http.Client // nil: the default transport; a zero Timeout becomes DefaultHTTPTimeout; redirects are never followed
}

// Send posts payload (reminders.Digest.SlackPayload) as application/json.
// A 2xx answer is success; 408, 429 and 5xx are temporary errors (with
// the Retry-After the receiver asked for), other answers permanent.
// Errors are *Error.
func (s Slack) Send(ctx context.Context, payload []byte) error {
	if !json.Valid(payload) {
		return permanent("slack: the payload is not valid JSON")
	}
	return post(ctx, "slack", s.Client, s.URL, nil, payload, time.Time{})
}

// Webhook headers.
const (
	HeaderDelivery  = "X-Hindsight-Delivery"  // the delivery key: the same on every retry
	HeaderTimestamp = "X-Hindsight-Timestamp" // Unix seconds of this attempt
	HeaderSignature = "X-Hindsight-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// Webhook posts signed JSON to a generic receiver (see the package
// documentation for the contract).
type Webhook struct {
	URL    string
	Secret []byte       // the HMAC-SHA256 key; required
	Client *http.Client // nil: the default transport; a zero Timeout becomes DefaultHTTPTimeout; redirects are never followed
}

// Send posts body (reminders.Digest.JSON) with the delivery key, the
// timestamp now and the signature in headers. The same classification of
// answers as Slack.Send; errors are *Error.
func (w Webhook) Send(ctx context.Context, deliveryKey string, body []byte, now time.Time) error {
	if len(w.Secret) == 0 {
		return permanent("webhook: no signing secret is set")
	}
	if deliveryKey == "" || len(deliveryKey) > 200 || strings.IndexFunc(deliveryKey, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
		return permanent("webhook: the delivery key must be 1 to 200 visible ASCII characters")
	}
	if !json.Valid(body) {
		return permanent("webhook: the body is not valid JSON")
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderDelivery, deliveryKey)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, Sign(w.Secret, ts, body))
	return post(ctx, "webhook", w.Client, w.URL, h, body, now)
}

// Sign is the signature header's value for a body sent at timestamp (Unix
// seconds, as in the timestamp header): "sha256=" and the lower-case hex
// HMAC-SHA256, keyed with secret, of timestamp + "." + body.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// DefaultTolerance is the clock difference VerifySignature accepts when
// given none.
const DefaultTolerance = 5 * time.Minute

// Errors of VerifySignature.
var (
	ErrNoSecret        = errors.New("webhook signature: no secret to verify with")
	ErrMalformed       = errors.New("webhook signature: missing or malformed timestamp or signature header")
	ErrBadSignature    = errors.New("webhook signature: the signature does not match the body")
	ErrStaleTimestamp  = errors.New("webhook signature: the timestamp is too far from now")
	errTimestampFormat = fmt.Errorf("%w (timestamp)", ErrMalformed)
	errSignatureFormat = fmt.Errorf("%w (signature)", ErrMalformed)
)

// VerifySignature checks a delivery as a receiver gets it: body, the
// timestamp header and the signature header. The signature must be
// Sign(secret, timestamp, body), compared in constant time, and the
// timestamp within tolerance (≤ 0: DefaultTolerance) of now, either way,
// so that a recorded delivery cannot be replayed later. Receivers should
// also drop a delivery key they have already processed.
func VerifySignature(secret, body []byte, timestamp, signature string, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if timestamp == "" || len(timestamp) > 15 || strings.Trim(timestamp, "0123456789") != "" {
		return errTimestampFormat
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errTimestampFormat
	}
	got, ok := strings.CutPrefix(signature, "sha256=")
	if !ok || len(got) != 2*sha256.Size {
		return errSignatureFormat
	}
	gotMAC, err := hex.DecodeString(got)
	if err != nil {
		return errSignatureFormat
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(Sign(secret, timestamp, body), "sha256="))
	if !hmac.Equal(gotMAC, want) {
		return ErrBadSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStaleTimestamp
	}
	return nil
}

// post sends body and classifies the outcome. Error messages show the
// URL as scheme://host only.
func post(ctx context.Context, channel string, client *http.Client, rawURL string, h http.Header, body []byte, now time.Time) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return permanent(channel + ": the URL is not an absolute http(s) URL")
	}
	where := u.Scheme + "://" + u.Host
	if u.User != nil {
		where = u.Scheme + "://" + u.Hostname()
		if p := u.Port(); p != "" {
			where += ":" + p
		}
	}
	redact := func(s string) string {
		for _, secret := range []string{rawURL, u.String(), u.EscapedPath(), u.Path, u.RawQuery, u.User.String()} {
			if len(secret) > 1 {
				s = strings.ReplaceAll(s, secret, "…")
			}
		}
		return s
	}
	fail := func(e *Error, format string, args ...any) error {
		msg := redact(fmt.Sprintf("%s POST %s: ", channel, where) + fmt.Sprintf(format, args...))
		e.Err = &safeError{msg: msg, cause: e.Err}
		return e
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return fail(&Error{Permanent: true}, "cannot build the request")
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Hindsight-Notify/1")

	c := http.Client{Timeout: DefaultHTTPTimeout}
	if client != nil {
		c = *client
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultHTTPTimeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		cause := err
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		if ctx.Err() != nil {
			return fail(&Error{Err: cause}, "%v", ctx.Err())
		}
		return fail(&Error{Err: cause}, "%s", snippet([]byte(err.Error())))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer)) // let the connection be reused
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	e := &Error{Status: code, Permanent: true}
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		e.Permanent = false
		e.RetryAfter = retryAfter(resp.Header, now)
	case code >= 300 && code <= 399:
		return fail(e, "the receiver answered %d (a redirect, not followed: set the final URL)", code)
	}
	if s := snippet(answer); s != "" {
		return fail(e, "the receiver answered %d: %s", code, s)
	}
	return fail(e, "the receiver answered %d", code)
}

// maxRetryAfter caps what a receiver may ask for.
const maxRetryAfter = 24 * time.Hour

// retryAfter reads Retry-After: seconds, or an HTTP date taken relative to
// the answer's own Date header (else now, else the clock), so clock skew
// between us and the receiver does not matter.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return min(time.Duration(min(n, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	ref := now
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		ref = d
	} else if ref.IsZero() {
		ref = time.Now()
	}
	return min(max(at.Sub(ref), 0), maxRetryAfter)
}
