// Package notify delivers reminder digests over the three channels an
// admin can set up: e-mail through an SMTP server (SMTP), a Slack-
// compatible incoming webhook (Slack) and a generic signed webhook
// (Webhook). It does network I/O and nothing else: no database, no
// scheduling, no HTTP handlers. What to send is package reminders'; when
// to send and retry is the scheduler's, guided by the *Error each Send
// returns (Permanent, RetryAfter) and reminders.NextAttempt.
//
// # At most once, as far as the network allows
//
// No channel can promise exactly once: when the receiver's answer is lost
// after it has accepted a message, a retry delivers it again. Each channel
// therefore carries a key that stays the same across retries of one
// delivery, for the receiver to drop repeats: the Message-ID of a mail
// (MessageID), the X-Hindsight-Delivery header of a webhook. Slack has no
// such field.
//
// # The generic webhook
//
// Each delivery is one HTTP request:
//
//	POST <the configured URL>
//	Content-Type: application/json
//	User-Agent: Hindsight-Notify/1
//	X-Hindsight-Delivery: digest-42-2026-W48-webhook-3
//	X-Hindsight-Timestamp: 1795424400
//	X-Hindsight-Signature: sha256=5d6f…(64 hex digits)
//
//	<the digest document>
//
// X-Hindsight-Delivery identifies the delivery (one digest to one
// channel) and is the same on every retry: process each value once.
// X-Hindsight-Timestamp is the time of this attempt in Unix seconds; it
// changes on each retry, and so does the signature.
//
// X-Hindsight-Signature is "sha256=" followed by the lower-case hex
// HMAC-SHA256, keyed with the channel's secret, of the timestamp header's
// value, a full stop, and the raw request body, byte for byte as received
// (before any JSON parsing):
//
//	signature = "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// A receiver recomputes it, compares in constant time, and rejects
// timestamps more than a few minutes from its clock (replays).
// VerifySignature does all of that for Go receivers; in Python:
//
//	mac = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
//	ok = hmac.compare_digest("sha256=" + mac, sig) and abs(time.time() - int(ts)) <= 300
//
// The body is the JSON document of reminders.Digest.JSON (type
// "hindsight.reminder_digest", version 1; its fields are documented on
// reminders.JSONDigest): the digest key, the recipient, the period it was
// made for and the overdue and due-soon actions with ids, titles, due
// dates (YYYY-MM-DD), days until due and links. New fields may appear
// within a version; a field changes meaning only with a new version.
//
// Any 2xx answer is success. 408, 429 and 5xx answers are retried with
// back-off, after Retry-After (seconds or an HTTP date) if the receiver
// sends one. Any other answer, redirects included (they are not followed),
// is a permanent failure shown on the delivery log with its status and
// the start of the answer's body.
package notify
