package postmortem

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

var testFields = []CustomField{
	{Key: "region", Label: "Region", Kind: CustomSelect, Options: []string{"eu-west", "us-east"}},
	{Key: "revenue_lost", Label: "Revenue lost (EUR)", Kind: CustomNumber, Internal: true},
	{Key: "contract_review", Label: "Contract review by", Kind: CustomDate},
	{Key: "account_manager", Label: "Account manager", Kind: CustomText, Internal: true},
}

func TestCustomFieldValidate(t *testing.T) {
	good := CustomField{Key: "region", Label: "Region", Kind: CustomSelect, Options: []string{"eu", "us"}}
	with := func(f func(*CustomField)) CustomField {
		c := good
		c.Options = append([]string(nil), good.Options...)
		f(&c)
		return c
	}
	tests := []struct {
		name string
		in   CustomField
		want []string
	}{
		{"select", good, nil},
		{"text", CustomField{Key: "account_manager", Label: "Account manager", Kind: CustomText}, nil},
		{"number", CustomField{Key: "n2", Label: "N", Kind: CustomNumber, Internal: true}, nil},
		{"date", CustomField{Key: "d", Label: "D", Kind: CustomDate}, nil},
		{"key 40 chars", with(func(c *CustomField) { c.Key = "a" + strings.Repeat("b", 39) }), nil},

		{"empty key", with(func(c *CustomField) { c.Key = "" }), []string{"key"}},
		{"key 41 chars", with(func(c *CustomField) { c.Key = "a" + strings.Repeat("b", 40) }), []string{"key"}},
		{"key uppercase", with(func(c *CustomField) { c.Key = "Region" }), []string{"key"}},
		{"key starts with digit", with(func(c *CustomField) { c.Key = "1region" }), []string{"key"}},
		{"key with dash", with(func(c *CustomField) { c.Key = "re-gion" }), []string{"key"}},
		{"key with dot", with(func(c *CustomField) { c.Key = "a.b" }), []string{"key"}},
		{"blank label", with(func(c *CustomField) { c.Label = "  " }), []string{"label"}},
		{"two-line label", with(func(c *CustomField) { c.Label = "a\nb" }), []string{"label"}},
		{"long label", with(func(c *CustomField) { c.Label = strings.Repeat("é", 101) }), []string{"label"}},
		{"unknown kind", with(func(c *CustomField) { c.Kind = "checkbox"; c.Options = nil }), []string{"kind"}},
		{"select with one option", with(func(c *CustomField) { c.Options = []string{"eu"} }), []string{"options"}},
		{"select without options", with(func(c *CustomField) { c.Options = nil }), []string{"options"}},
		{"text with options", CustomField{Key: "t", Label: "T", Kind: CustomText, Options: []string{"a", "b"}}, []string{"options"}},
		{"blank option", with(func(c *CustomField) { c.Options = []string{"eu", " "} }), []string{"options[1]"}},
		{"padded option", with(func(c *CustomField) { c.Options = []string{" eu", "us"} }), []string{"options[0]"}},
		{"duplicate option", with(func(c *CustomField) { c.Options = []string{"eu", "us", "EU"} }), []string{"options[2]"}},
		{"too many options", with(func(c *CustomField) {
			c.Options = nil
			for i := range 51 {
				c.Options = append(c.Options, "o"+strings.Repeat("x", i))
			}
		}), []string{"options"}},
	}
	for _, tt := range tests {
		checkPaths(t, tt.name, tt.in.Validate(), tt.want...)
	}
}

func TestValidateCustomFields(t *testing.T) {
	checkPaths(t, "defaults", ValidateCustomFields(testFields))
	checkPaths(t, "none", ValidateCustomFields(nil))
	dup := append(append([]CustomField(nil), testFields...), CustomField{Key: "region", Label: "Again", Kind: CustomText})
	checkPaths(t, "duplicate key", ValidateCustomFields(dup), "fields[4].key")
	bad := []CustomField{testFields[0], {Key: "X", Label: "", Kind: "x"}}
	checkPaths(t, "bad second", ValidateCustomFields(bad), "fields[1].key", "fields[1].label", "fields[1].kind")
	many := make([]CustomField, 31)
	for i := range many {
		many[i] = CustomField{Key: "f" + strings.Repeat("x", i), Label: "F", Kind: CustomText}
	}
	checkPaths(t, "too many", ValidateCustomFields(many), "fields")
}

func TestCheckValue(t *testing.T) {
	sel, num, date, text := testFields[0], testFields[1], testFields[2], testFields[3]
	tests := []struct {
		f    CustomField
		v    any
		want bool // accepted
	}{
		{sel, "eu-west", true},
		{sel, "EU-west", false},
		{sel, "asia", false},
		{sel, 1.0, false},
		{num, 1500.0, true},
		{num, -2.5, true},
		{num, 3, true},
		{num, int64(-7), true},
		{num, uint8(7), true},
		{num, float32(1.5), true},
		{num, json.Number("12.5"), true},
		{num, json.Number("x"), false},
		{num, math.NaN(), false},
		{num, math.Inf(1), false},
		{num, "12", false},
		{num, true, false},
		{date, "2024-03-15", true},
		{date, "2024-02-30", false},
		{date, "2024-3-15", false},
		{date, "15/03/2024", false},
		{date, "2024-03-15T10:00:00Z", false},
		{date, 20240315.0, false},
		{text, "Alice", true},
		{text, strings.Repeat("é", 2000), true},
		{text, strings.Repeat("é", 2001), false},
		{text, 1.0, false},
		{text, map[string]any{}, false},
		{text, nil, true},
		{CustomField{Kind: "weird"}, "x", false},
	}
	for _, tt := range tests {
		msg := tt.f.CheckValue(tt.v)
		if (msg == "") != tt.want {
			t.Errorf("%s field, value %#v: message %q, want accepted=%v", tt.f.Kind, tt.v, msg, tt.want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, ""},
		{"eu-west", "eu-west"},
		{1500.0, "1500"},
		{0.25, "0.25"},
		{1e21, "1000000000000000000000"},
		{7, "7"},
		{json.Number("12.50"), "12.50"},
		{true, "true"},
		{math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v); got != tt.want {
			t.Errorf("FormatValue(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
