package postmortem

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CustomField is an admin-defined field of the impact step. Its values live
// in Impact.Custom under Key and appear in the impact step and in exports.
type CustomField struct {
	Key     string   `json:"key"`     // a slug: "region", "revenue_lost"; never changes once used
	Label   string   `json:"label"`   // what people read: "Region"
	Kind    string   `json:"kind"`    // CustomText, CustomNumber, CustomSelect or CustomDate
	Options []string `json:"options"` // the choices of a select field, in display order
	// Internal fields are left out of public exports (Impact.Public).
	Internal bool `json:"internal"`
}

// Kinds of custom field, and the JSON value each one holds.
const (
	CustomText   = "text"   // a string of at most MaxTextLength characters
	CustomNumber = "number" // a finite JSON number
	CustomSelect = "select" // a string, one of Options exactly
	CustomDate   = "date"   // a string "YYYY-MM-DD" (a calendar date, no zone)
)

// CustomKinds lists the kinds in the order an admin form offers them.
var CustomKinds = []string{CustomText, CustomNumber, CustomSelect, CustomDate}

// Limits on custom field definitions.
const (
	MaxCustomFields  = 30
	MaxCustomOptions = 50
	MaxLabelLength   = 100
)

// keyRule is the message for a bad admin-defined key.
const keyRule = "use a lowercase letter, then lowercase letters, digits or underscores (at most 40)"

// Validate checks one definition. Paths: "key", "label", "kind",
// "options", "options[2]".
func (f CustomField) Validate() FieldErrors {
	var fe FieldErrors
	if !validKey(f.Key) {
		fe.add("key", keyRule)
	}
	switch {
	case blank(f.Label):
		fe.add("label", "enter a label")
	case hasControl(f.Label) || strings.ContainsAny(f.Label, "\r\n"):
		fe.add("label", "use a single line")
	}
	checkLength(&fe, "label", f.Label, MaxLabelLength)
	if !slices.Contains(CustomKinds, f.Kind) {
		fe.add("kind", "choose text, number, select or date")
	}
	switch {
	case f.Kind == CustomSelect && len(f.Options) < 2:
		fe.add("options", "give a select field at least two options")
	case f.Kind == CustomSelect && len(f.Options) > MaxCustomOptions:
		fe.add("options", fmt.Sprintf("use at most %d options", MaxCustomOptions))
	case f.Kind != CustomSelect && len(f.Options) > 0:
		fe.add("options", "only a select field has options")
	}
	marked := map[string]bool{}
	for i, o := range f.Options {
		p := indexPath("options", i)
		switch {
		case blank(o):
			fe.add(p, "enter the option")
		case o != strings.TrimSpace(o) || hasControl(o) || strings.ContainsAny(o, "\r\n"):
			fe.add(p, "use a single line without surrounding spaces")
		case repeated(marked, strings.ToLower(o)):
			fe.add(p, "this option is already listed")
		}
		checkLength(&fe, p, o, MaxLabelLength)
	}
	return fe.orNil()
}

// ValidateCustomFields checks the admin's whole list: each definition, at
// most MaxCustomFields, and keys unique. Paths: "fields", "fields[1].key".
func ValidateCustomFields(fields []CustomField) FieldErrors {
	var fe FieldErrors
	if len(fields) > MaxCustomFields {
		fe.add("fields", fmt.Sprintf("use at most %d custom fields", MaxCustomFields))
	}
	keys := map[string]bool{}
	for i, f := range fields {
		prefix := indexPath("fields", i) + "."
		for p, msg := range f.Validate() {
			fe.add(prefix+p, msg)
		}
		if repeated(keys, f.Key) {
			fe.add(prefix+"key", "another field already uses this key")
		}
	}
	return fe.orNil()
}

// findField returns the definition with this key.
func findField(fields []CustomField, key string) (CustomField, bool) {
	i := slices.IndexFunc(fields, func(f CustomField) bool { return f.Key == key })
	if i < 0 {
		return CustomField{}, false
	}
	return fields[i], true
}

// CheckValue returns a message when v is not a value of this field, "" when
// it is. nil is "not set" and always fits. Numbers may be any Go integer or
// float type or a json.Number (encoding/json gives float64); they must be
// finite.
func (f CustomField) CheckValue(v any) string {
	if v == nil {
		return ""
	}
	switch f.Kind {
	case CustomText:
		s, ok := v.(string)
		if !ok {
			return "enter text"
		}
		if utf8.RuneCountInString(s) > MaxTextLength {
			return fmt.Sprintf("use at most %d characters", MaxTextLength)
		}
	case CustomNumber:
		if _, ok := number(v); !ok {
			return "enter a number"
		}
	case CustomSelect:
		s, ok := v.(string)
		if !ok || !slices.Contains(f.Options, s) {
			return "choose one of: " + strings.Join(f.Options, ", ")
		}
	case CustomDate:
		s, ok := v.(string)
		if !ok {
			return "enter a date as YYYY-MM-DD"
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != len(time.DateOnly) {
			return "enter a date as YYYY-MM-DD"
		}
	default:
		return "this field has an unknown kind; ask an admin to fix it"
	}
	return ""
}

// number returns v as a finite float64.
func number(v any) (float64, bool) {
	var x float64
	switch n := v.(type) {
	case float64:
		x = n
	case float32:
		x = float64(n)
	case int:
		x = float64(n)
	case int8:
		x = float64(n)
	case int16:
		x = float64(n)
	case int32:
		x = float64(n)
	case int64:
		x = float64(n)
	case uint:
		x = float64(n)
	case uint8:
		x = float64(n)
	case uint16:
		x = float64(n)
	case uint32:
		x = float64(n)
	case uint64:
		x = float64(n)
	case json.Number:
		f, err := n.Float64()
		if err != nil {
			return 0, false
		}
		x = f
	default:
		return 0, false
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}

// FormatValue writes a custom value for exports and the history page:
// strings as they are, numbers in their shortest exact decimal form
// ("1500", "0.25"), nil as "". A value of the wrong type is written with
// %v rather than dropped, so that nothing disappears silently.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	if f, ok := number(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
