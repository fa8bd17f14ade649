package ingest

import "testing"

func TestDeployHelpers(t *testing.T) {
	if shortSHA(" 5d41402abc4b2a76 ") != "5d41402" || shortSHA("v1.2.3") != "v1.2.3" || !IsSHA("ABCDEF0") || IsSHA("abcdef") {
		t.Error("shortSHA / IsSHA")
	}
	if got := DeployTitle("5d41402abc4b2a76", "acme/shop", "prod"); got != "Deploy 5d41402 of acme/shop to prod" {
		t.Errorf("DeployTitle = %q", got)
	}
	if got := DeployTitle("", "shop", ""); got != "Deploy shop" {
		t.Errorf("DeployTitle = %q", got)
	}
	if got := DeployDescription(" a ", "", "a", "b"); got != "a\n\nb" {
		t.Errorf("DeployDescription = %q", got)
	}
	m := Mapping{Services: map[string]string{"acme/shop": "web"}, ServiceLabels: []string{"svc"}}
	for _, c := range []struct {
		labels               map[string]string
		name, fullName, want string
	}{
		{map[string]string{"svc": "api"}, "shop", "acme/shop", "api"},
		{nil, "shop", "acme/shop", "web"},
		{nil, "cart", "acme/cart", "cart"},
		{nil, "", "acme/cart", "acme/cart"},
	} {
		if got := DeployService(m, c.labels, nil, c.name, c.fullName); got != c.want {
			t.Errorf("DeployService(%v, %q, %q) = %q, want %q", c.labels, c.name, c.fullName, got, c.want)
		}
	}
}
