package ingest

// Dedup keys and fingerprints: an event's identity within its source, which
// must stay the same for every delivery about the event and fit in
// MaxDedupKey bytes. Stored events are found again by these keys, so their
// derivations must not change.

import (
	"crypto/sha256"
	"encoding/hex"
)

// DedupKey joins prefix and id into a dedup key ("incident:" + id). When
// that would be longer than MaxDedupKey, the id is replaced by "#" and its
// SHA-256 in hex, so the key stays stable and within bounds.
func DedupKey(prefix, id string) string {
	if key := prefix + id; len(key) <= MaxDedupKey {
		return key
	}
	return hashedKey(prefix, id)
}

// BoundDedupKey bounds a whole dedup key to MaxDedupKey bytes: a longer key
// keeps its start and ends in "#" and the SHA-256 of the whole key in hex,
// so it stays stable and distinct.
func BoundDedupKey(key string) string {
	if len(key) <= MaxDedupKey {
		return key
	}
	return hashedKey(key, key)
}

// hashedKey is head, cut so that "#" and the SHA-256 of hashed in hex
// follow within MaxDedupKey bytes.
func hashedKey(head, hashed string) string {
	sum := sha256.Sum256([]byte(hashed))
	tail := "#" + hex.EncodeToString(sum[:])
	return Truncate(head, MaxDedupKey-len(tail)) + tail
}

// LabelSetFingerprint is a stable identity for a label set, for alerts that
// come without the tool's own fingerprint: the first 16 bytes of the
// SHA-256 of the sorted name=value pairs, in hex.
func LabelSetFingerprint(labels map[string]string) string {
	h := sha256.New()
	for _, k := range sortedKeys(labels) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
