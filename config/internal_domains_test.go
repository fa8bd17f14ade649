package config

import (
	"slices"
	"strings"
	"testing"
)

func TestInternalDomains(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "HINDSIGHT_INTERNAL_DOMAINS" {
				return v
			}
			return ""
		}
	}
	c, err := FromEnv(env(""))
	if err != nil || c.InternalDomains != nil {
		t.Fatalf("default: %v %v", c.InternalDomains, err)
	}
	c, err = FromEnv(env(" Corp.Example.com, *.example.net,,.intra.example.org "))
	if err != nil || !slices.Equal(c.InternalDomains, []string{"corp.example.com", "example.net", "intra.example.org"}) {
		t.Errorf("parsed: %q %v", c.InternalDomains, err)
	}
	for _, bad := range []string{"corp example.com", "-corp.example.com", "corp..example.com", "https://corp.example.com", "exämple.com"} {
		_, err := FromEnv(env(bad))
		if err == nil || !strings.HasPrefix(err.Error(), "HINDSIGHT_INTERNAL_DOMAINS:") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}
