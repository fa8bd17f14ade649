package ingest

// Helpers shared by the deploy parsers (github, gitlab, argocd): decoding a
// JSON body one field at a time so that an error names the field's full
// path, bounded labels, truthy flags, and the parts every deploy event has
// (title, dedup key, service, end time).

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Limits on what a deploy parser keeps of a tool's labels.
const (
	DeployLabelKeyLimit   = 128
	DeployLabelValueLimit = 1024
)

// DeployObject is one JSON object of a payload, decoded field by field.
// Absent and null fields read as zero values; a field of the wrong JSON type
// is an *Error (Index -1) naming its path, e.g. "deployment.id".
type DeployObject struct {
	path   string
	fields map[string]json.RawMessage
}

// DecodeDeployBody reads a body that must be one JSON object; what names the
// expected payload in the error ("a GitHub deployment event").
func DecodeDeployBody(body []byte, what string) (DeployObject, error) {
	s := strings.TrimSpace(string(body))
	if s == "" {
		return DeployObject{}, &Error{Index: -1, Msg: "empty body: expected " + what}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &fields); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return DeployObject{}, &Error{Index: -1, Msg: fmt.Sprintf("malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())}
		}
		return DeployObject{}, &Error{Index: -1, Msg: fmt.Sprintf("expected a JSON object (%s), not %s", what, deployKindOf(json.RawMessage(s)))}
	}
	if fields == nil { // the body was null
		return DeployObject{}, &Error{Index: -1, Msg: "expected a JSON object (" + what + "), not null"}
	}
	return DeployObject{fields: fields}, nil
}

// Path is the full path of the field key.
func (o DeployObject) Path(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// Has reports whether key is present and not null.
func (o DeployObject) Has(key string) bool {
	return !deployIsNull(o.fields[key])
}

// Raw is the field's JSON text, nil when absent.
func (o DeployObject) Raw(key string) json.RawMessage { return o.fields[key] }

// Keys are the object's field names, sorted.
func (o DeployObject) Keys() []string {
	keys := make([]string, 0, len(o.fields))
	for k := range o.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Object reads a nested object; ok is false when it is absent or null.
func (o DeployObject) Object(key string) (obj DeployObject, ok bool, err error) {
	raw := o.fields[key]
	if deployIsNull(raw) {
		return DeployObject{path: o.Path(key)}, false, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return DeployObject{}, false, errorf(-1, o.Path(key), "must be an object, not %s", deployKindOf(raw))
	}
	return DeployObject{path: o.Path(key), fields: fields}, true, nil
}

// String reads a string field.
func (o DeployObject) String(key string) (string, error) {
	raw := o.fields[key]
	if deployIsNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errorf(-1, o.Path(key), "must be a string, not %s", deployKindOf(raw))
	}
	return s, nil
}

// Flex reads a string, number or boolean field (ids, versions) as text.
func (o DeployObject) Flex(key string) (string, error) {
	raw := o.fields[key]
	if deployIsNull(raw) {
		return "", nil
	}
	var f FlexString
	if err := json.Unmarshal(raw, &f); err != nil {
		return "", errorf(-1, o.Path(key), "must be a string or a number, not %s", deployKindOf(raw))
	}
	return string(f), nil
}

// Time reads an RFC 3339 time, GitLab's "2006-01-02 15:04:05 -0700" or a
// Unix epoch; the zero time when absent, null or a zero value.
func (o DeployObject) Time(key string) (time.Time, error) {
	raw := o.fields[key]
	if deployIsNull(raw) {
		return time.Time{}, nil
	}
	t, err := ParseTime(raw)
	if err != nil {
		return time.Time{}, errorf(-1, o.Path(key), "must be an RFC 3339 time or a Unix timestamp: %s", Truncate(err.Error(), 120))
	}
	return t, nil
}

// StringMap reads an object of scalars (Kubernetes labels, tags): strings,
// numbers and booleans as their text, null values skipped. Any other value
// is an *Error naming path.key.
func (o DeployObject) StringMap(key string) (map[string]string, error) {
	obj, ok, err := o.Object(key)
	if err != nil || !ok {
		return nil, err
	}
	out := make(map[string]string, len(obj.fields))
	for _, k := range obj.Keys() {
		v, err := obj.Flex(k)
		if err != nil {
			return nil, errorf(-1, obj.path+"."+Truncate(k, DeployLabelKeyLimit), "must be a string, not %s", deployKindOf(obj.fields[k]))
		}
		if !deployIsNull(obj.fields[k]) {
			out[k] = v
		}
	}
	return out, nil
}

// Scalars returns the object's top-level string, number and boolean fields
// as text (nested objects, arrays and nulls are skipped): a deploy payload's
// own keys, taken as labels.
func (o DeployObject) Scalars() map[string]string {
	out := map[string]string{}
	for _, k := range o.Keys() {
		raw := o.fields[k]
		if deployIsNull(raw) {
			continue
		}
		switch deployKindOf(raw) {
		case "a string", "a number", "a boolean":
			if v, err := o.Flex(k); err == nil {
				out[k] = v
			}
		}
	}
	return out
}

// DeployFlag reads a yes/no payload value leniently: true, "true", "yes",
// "y", "on", "1", or a number other than 0; for lists and objects, being
// non-empty ("migrations": ["0042_add_index"]).
func DeployFlag(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return false
	}
	switch s[0] {
	case '"':
		var str string
		if json.Unmarshal(raw, &str) != nil {
			return false
		}
		return DeployFlagString(str)
	case '[':
		var list []json.RawMessage
		return json.Unmarshal(raw, &list) == nil && len(list) > 0
	case '{':
		var obj map[string]json.RawMessage
		return json.Unmarshal(raw, &obj) == nil && len(obj) > 0
	}
	return DeployFlagString(s)
}

// DeployFlagString is DeployFlag for a label value.
func DeployFlagString(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "on", "1":
		return true
	case "", "false", "no", "n", "off", "0":
		return false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil && f != 0
}

// PutDeployLabel adds key=value unless the value is empty, the key is
// already set, or the set already has MaxLabels entries; long keys and
// values are cut (values end in "…" when cut). Callers add their most
// useful labels first.
func PutDeployLabel(labels map[string]string, key, value string) {
	key = Truncate(strings.TrimSpace(key), DeployLabelKeyLimit)
	if key == "" || value == "" || len(labels) >= MaxLabels {
		return
	}
	if _, ok := labels[key]; ok {
		return
	}
	if len(value) > DeployLabelValueLimit {
		value = Truncate(value, DeployLabelValueLimit-len("…")) + "…"
	}
	labels[key] = value
}

// PutDeployLabels adds every entry of more in sorted key order (so that the
// choice is deterministic when the set fills up).
func PutDeployLabels(labels, more map[string]string) {
	keys := make([]string, 0, len(more))
	for k := range more {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		PutDeployLabel(labels, k, more[k])
	}
}

// DeployDedupKey bounds a dedup key to MaxDedupKey bytes: a longer key keeps
// its start and ends in the SHA-256 of the whole key, so it stays stable and
// distinct.
func DeployDedupKey(key string) string {
	if len(key) <= MaxDedupKey {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	tail := "#" + hex.EncodeToString(sum[:])
	return Truncate(key, MaxDedupKey-len(tail)) + tail
}

// DeployShortSHA shortens a hexadecimal commit id to 7 characters, the way
// Git shows it; anything else (a tag, a chart version) is kept as it is.
func DeployShortSHA(commit string) string {
	commit = strings.TrimSpace(commit)
	if len(commit) > 7 && deployIsHex(commit) {
		return commit[:7]
	}
	return commit
}

// DeployIsSHA reports whether s looks like a Git commit id (7 to 64
// hexadecimal digits).
func DeployIsSHA(s string) bool {
	return len(s) >= 7 && len(s) <= 64 && deployIsHex(s)
}

func deployIsHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// DeployTitle is "Deploy <short commit> of <subject> to <environment>",
// leaving out the parts that are unknown, within MaxTitle.
func DeployTitle(commit, subject, environment string) string {
	var b strings.Builder
	b.WriteString("Deploy")
	if c := DeployShortSHA(commit); c != "" {
		b.WriteString(" " + Truncate(c, 64))
	}
	if subject = strings.TrimSpace(subject); subject != "" {
		if b.Len() > len("Deploy") {
			b.WriteString(" of")
		}
		b.WriteString(" " + Truncate(subject, 200))
	}
	if environment = strings.TrimSpace(environment); environment != "" {
		b.WriteString(" to " + Truncate(environment, 200))
	}
	return Truncate(b.String(), MaxTitle)
}

// DeployService picks a deploy's service: the mapping's service labels and
// the tool's conventional label keys first; otherwise the project, renamed
// through the mapping by its full name ("acme/shop") or, failing that, its
// short name ("shop").
func DeployService(m Mapping, labels map[string]string, conventional []string, name, fullName string) string {
	if svc := m.ServiceFrom(labels, conventional, ""); svc != "" {
		return svc
	}
	if fullName = strings.TrimSpace(fullName); fullName != "" {
		if renamed, ok := m.Services[fullName]; ok {
			return renamed
		}
	}
	if strings.TrimSpace(name) == "" {
		name = fullName
	}
	return m.ServiceFrom(nil, nil, name)
}

// DeployEnd is the end time of a finished deploy: nil when unknown, and
// never before start (tools' clocks and fields disagree; the event must
// still validate).
func DeployEnd(start, end time.Time) *time.Time {
	if end.IsZero() {
		return nil
	}
	if end.Before(start) {
		end = start
	}
	return &end
}

// DeployDescription joins the non-empty, distinct parts with a blank line,
// within MaxDescription.
func DeployDescription(parts ...string) string {
	var kept []string
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		dup := false
		for _, k := range kept {
			dup = dup || k == p
		}
		if !dup {
			kept = append(kept, p)
		}
	}
	return Truncate(strings.Join(kept, "\n\n"), MaxDescription)
}

func deployIsNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func deployKindOf(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "":
		return "nothing"
	case s == "null":
		return "null"
	case s[0] == '"':
		return "a string"
	case s[0] == '{':
		return "an object"
	case s[0] == '[':
		return "an array"
	case s == "true" || s == "false":
		return "a boolean"
	default:
		return "a number"
	}
}
