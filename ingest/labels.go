package ingest

// Label sets: an event keeps at most MaxLabels labels, with names and
// values of bounded length, chosen deterministically when a tool sends
// more.

import (
	"sort"
	"strings"
)

// Limits on one label, in bytes.
const (
	MaxLabelName  = 128
	MaxLabelValue = 1024
)

// LabelBag collects an event's labels, bounded to MaxLabels entries: names
// are trimmed and cut to MaxLabelName bytes, empty names dropped, and
// values cut to MaxLabelValue bytes (ending in "…" when cut). Put the
// tool's own fields first and its free-form tags last, so that the fields
// that matter are the ones kept when there are too many.
type LabelBag map[string]string

// Set stores v, trimmed, under k, replacing an earlier value; it drops the
// pair when v is blank or the bag is full.
func (l LabelBag) Set(k, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	l.put(k, v, true)
}

// Add stores v under k as it is, unless v is empty or k is already set.
func (l LabelBag) Add(k, v string) {
	if v == "" {
		return
	}
	l.put(k, v, false)
}

// AddAll adds every entry of more in sorted key order, so that the choice
// is deterministic when the bag fills up.
func (l LabelBag) AddAll(more map[string]string) {
	for _, k := range sortedKeys(more) {
		l.Add(k, more[k])
	}
}

// SetTag stores one "key:value" (or "key=value") tag without replacing an
// earlier value; a bare tag is stored with an empty value.
func (l LabelBag) SetTag(tag string) {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return
	}
	k, v := tag, ""
	if i := strings.IndexAny(tag, ":="); i > 0 {
		k, v = tag[:i], strings.TrimSpace(tag[i+1:])
	}
	l.put(k, v, false)
}

func (l LabelBag) put(k, v string, replace bool) {
	k = Truncate(strings.TrimSpace(k), MaxLabelName)
	if k == "" {
		return
	}
	if len(v) > MaxLabelValue {
		v = Truncate(v, MaxLabelValue-len("…")) + "…"
	}
	if _, ok := l[k]; ok {
		if replace {
			l[k] = v
		}
		return
	}
	if len(l) >= MaxLabels {
		return
	}
	l[k] = v
}

// Map returns the labels, nil when there are none.
func (l LabelBag) Map() map[string]string {
	if len(l) == 0 {
		return nil
	}
	return map[string]string(l)
}

// BoundLabelSet copies labels, empty values included, into a LabelBag: the
// keys in keep first (in their order), then the others in sorted order. nil
// for an empty set.
func BoundLabelSet(labels map[string]string, keep []string) map[string]string {
	bag := LabelBag{}
	for _, k := range keep {
		if v, ok := labels[k]; ok {
			bag.put(k, v, false)
		}
	}
	for _, k := range sortedKeys(labels) {
		bag.put(k, labels[k], false)
	}
	return bag.Map()
}

// FirstLabel returns the first of labels' values under keys that is not
// blank, trimmed: the environment from env, else environment.
func FirstLabel(labels map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(labels[k]); v != "" {
			return v
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
