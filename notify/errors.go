package notify

import (
	"errors"
	"strings"
	"time"
	"unicode"
)

// Error is a failed send. Its message is safe to show an admin on the
// delivery log: it names the channel, the stage that failed and the
// receiver's answer (HTTP status or SMTP reply and the start of its text),
// never a password, an HMAC key or a webhook URL's path or query (Slack
// webhook URLs are secrets: only their scheme and host are shown).
//
// Permanent errors will fail again as they are (a rejected password or
// recipient, a 4xx answer, a server without STARTTLS, an invalid
// setting): retrying is pointless until an admin changes something. The
// others (network, TLS and certificate errors, timeouts, cancellations,
// HTTP 408, 429 and 5xx, SMTP 4xx) are worth a retry, after RetryAfter if
// the receiver said so.
type Error struct {
	Permanent  bool
	RetryAfter time.Duration // the receiver's Retry-After (HTTP 429, 503); 0 if none
	Status     int           // the HTTP status or SMTP reply code; 0 if none came
	Err        error         // what happened; its message is safe to show
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err is an *Error that retrying cannot fix.
// Other non-nil errors count as temporary.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// RetryAfter is the wait the receiver asked for, if err is an *Error that
// carries one; else 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// safeError has a message chosen to be shown, and unwraps to the cause
// (which may itself print more, e.g. a *url.Error with the whole URL).
type safeError struct {
	msg   string
	cause error
}

func (e *safeError) Error() string { return e.msg }
func (e *safeError) Unwrap() error { return e.cause }

func permanent(msg string) *Error {
	return &Error{Permanent: true, Err: &safeError{msg: msg}}
}

// maxSnippet is how much of a receiver's answer an error quotes, in runes.
const maxSnippet = 200

// snippet makes a receiver's answer fit one short log line: valid UTF-8,
// no control characters, single spaces, at most maxSnippet runes.
func snippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	var out strings.Builder
	n, space := 0, false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			space = out.Len() > 0
			continue
		}
		if n == maxSnippet {
			out.WriteString("…")
			break
		}
		if space {
			out.WriteByte(' ')
			space = false
		}
		out.WriteRune(r)
		n++
	}
	return out.String()
}
