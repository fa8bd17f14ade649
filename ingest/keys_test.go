package ingest

import (
	"strings"
	"testing"
)

// The keys below are pinned: stored events are found again by them, so a
// change in their derivation would split events in two.

func TestDedupKey(t *testing.T) {
	if got := DedupKey("incident:", "Q1"); got != "incident:Q1" {
		t.Errorf("short key = %q", got)
	}
	long := DedupKey("issue:", strings.Repeat("x", 400))
	if long != "issue:#7b0bd700ce066ef35190fde2dd7a0bcce426b8e10e4d32613ab550105545faad" {
		t.Errorf("long key = %q", long)
	}
	if DedupKey("issue:", strings.Repeat("x", 401)) == long {
		t.Error("two long ids share a key")
	}
	if got := DedupKey(strings.Repeat("p", 400), "1"); len(got) != MaxDedupKey {
		t.Errorf("a long prefix gives %d bytes", len(got))
	}
}

func TestBoundDedupKey(t *testing.T) {
	if got := BoundDedupKey("deployment:1"); got != "deployment:1" {
		t.Errorf("short key = %q", got)
	}
	long := BoundDedupKey("deployment:" + strings.Repeat("x", 400))
	want := "deployment:" + strings.Repeat("x", MaxDedupKey-65-len("deployment:")) +
		"#04c0772385dcd1179711e15531b5471e723ffdbae30979171c443f38c7c0515f"
	if long != want || len(long) != MaxDedupKey {
		t.Errorf("long key = %q (%d bytes)", long, len(long))
	}
	if got := BoundDedupKey(strings.Repeat("é", 200)); len(got) > MaxDedupKey || !strings.HasPrefix(got, "é") {
		t.Errorf("multi-byte key = %q", got)
	}
}

func TestLabelSetFingerprint(t *testing.T) {
	if got := LabelSetFingerprint(nil); got != "e3b0c44298fc1c149afbf4c8996fb924" {
		t.Errorf("LabelSetFingerprint(nil) = %s", got)
	}
	if got := LabelSetFingerprint(map[string]string{"job": "j", "alertname": "A"}); got != "8bd8495e2c12b5292969e956d141d2a7" {
		t.Errorf("LabelSetFingerprint = %s", got)
	}
	if LabelSetFingerprint(map[string]string{"a": "b=c"}) == LabelSetFingerprint(map[string]string{"a=b": "c"}) {
		t.Error("fingerprints collide")
	}
}
