package reminders

import "time"

// Retry schedule of failed deliveries: the wait after the n-th failed
// attempt is BackoffBase·2^(n−1), at most BackoffMax; after MaxAttempts
// failed attempts a delivery is given up. That is 1, 2, 4, 8, 16, 32, 64,
// 128 and 256 minutes: ten attempts spread over about 8½ hours.
const (
	BackoffBase = time.Minute
	BackoffMax  = 6 * time.Hour
	MaxAttempts = 10
)

// Backoff is the wait after the attempt-th failed attempt (1 for the
// first) before the next one; attempt < 1 counts as 1. Deterministic: any
// jitter is the caller's.
func Backoff(attempt int) time.Duration {
	attempt = max(attempt, 1)
	if attempt > 20 { // 2^19 minutes is far past the cap; shifting further overflows
		return BackoffMax
	}
	return min(BackoffBase<<(attempt-1), BackoffMax)
}

// NextAttempt is when to try again after attempts failed attempts, the
// last at failedAt: after Backoff(attempts), or after retryAfter (the
// receiver's Retry-After, capped at BackoffMax) if that is longer. ok is
// false once attempts reaches MaxAttempts: give up.
func NextAttempt(attempts int, failedAt time.Time, retryAfter time.Duration) (at time.Time, ok bool) {
	if attempts >= MaxAttempts {
		return time.Time{}, false
	}
	return failedAt.Add(max(Backoff(attempts), min(retryAfter, BackoffMax))), true
}
