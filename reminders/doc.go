// Package reminders is the pure logic of the reminder digests that tell
// each owner about their overdue and due-soon corrective actions: when
// digests go out (Cadence), what a digest holds (Build), how it reads in
// each channel (Digest.Email, Digest.SlackPayload, Digest.JSON) and how
// failed deliveries are retried (Backoff, NextAttempt).
//
// No HTTP, no database and no wall clock: every function that depends on
// the time takes it as an argument. Sending is package notify; storing
// digests and deliveries and running the schedule are the server's.
//
// Exactly once per period: a digest is identified by its owner and the
// Cadence's period key (DigestKey), which stays the same all period long,
// so a scheduler that stores digests under a unique (user, period) key
// builds each one once however often it wakes up, and after a restart.
package reminders
