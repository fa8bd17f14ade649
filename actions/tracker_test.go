package actions

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseTrackerURL(t *testing.T) {
	tests := []struct {
		name, in      string
		system, key   string
		url           string // "" means the input, trimmed
		wantErrSubstr string
	}{
		// Empty.
		{name: "empty", in: ""},
		{name: "blank", in: " \t\n "},

		// GitHub.
		{name: "github issue", in: "https://github.com/owner/repo/issues/123", system: "github", key: "owner/repo#123"},
		{name: "github pull", in: "https://github.com/owner/repo/pull/7", system: "github", key: "owner/repo#7"},
		{name: "github pull files", in: "https://github.com/owner/repo/pull/7/files", system: "github", key: "owner/repo#7"},
		{name: "github comment fragment", in: "https://github.com/owner/repo/issues/123#issuecomment-42", system: "github", key: "owner/repo#123"},
		{name: "github trailing slash", in: "https://github.com/owner/repo/issues/123/", system: "github", key: "owner/repo#123"},
		{name: "github query", in: "https://github.com/o/r.js/issues/5?x=1", system: "github", key: "o/r.js#5"},
		{name: "github www and case", in: "  HTTPS://WWW.GitHub.com/Owner/Repo_x/issues/9  ", system: "github", key: "Owner/Repo_x#9",
			url: "https://www.github.com/Owner/Repo_x/issues/9"},
		{name: "github http", in: "http://github.com/a/b/issues/1", system: "github", key: "a/b#1"},
		{name: "github list is a link", in: "https://github.com/owner/repo/issues", system: "link", key: "github.com"},
		{name: "github repo is a link", in: "https://github.com/owner/repo", system: "link", key: "github.com"},
		{name: "github pulls is a link", in: "https://github.com/owner/repo/pulls/3", system: "link", key: "github.com"},
		{name: "github zero", in: "https://github.com/owner/repo/issues/0", system: "link", key: "github.com"},
		{name: "github leading zero", in: "https://github.com/owner/repo/issues/012", system: "link", key: "github.com"},
		{name: "github not a number", in: "https://github.com/owner/repo/issues/12a", system: "link", key: "github.com"},
		{name: "github too many digits", in: "https://github.com/owner/repo/issues/1234567890123", system: "link", key: "github.com"},
		{name: "github nested", in: "https://github.com/a/b/c/issues/1", system: "link", key: "github.com"},
		{name: "github escaped owner", in: "https://github.com/a%2Fb/c/issues/1", system: "link", key: "github.com"},
		{name: "github double slash", in: "https://github.com//repo/issues/1", system: "link", key: "github.com"},
		{name: "github owner with dot", in: "https://github.com/a.b/c/issues/1", system: "link", key: "github.com"},
		{name: "github repo dotdot", in: "https://github.com/a/../issues/1", system: "link", key: "github.com"},

		// GitLab.
		{name: "gitlab nested issue", in: "https://gitlab.com/group/sub/proj/-/issues/45", system: "gitlab", key: "group/sub/proj#45"},
		{name: "gitlab mr", in: "https://gitlab.com/group/sub/proj/-/merge_requests/12", system: "gitlab", key: "group/sub/proj!12"},
		{name: "gitlab mr diffs", in: "https://gitlab.com/group/proj/-/merge_requests/12/diffs?commit_id=abc", system: "gitlab", key: "group/proj!12"},
		{name: "gitlab user project", in: "https://gitlab.com/alice/dotfiles/-/issues/3#note_99", system: "gitlab", key: "alice/dotfiles#3"},
		{name: "gitlab incident", in: "https://gitlab.com/g/p/-/issues/incident/8", system: "gitlab", key: "g/p#8"},
		{name: "gitlab work item", in: "https://gitlab.com/g/p/-/work_items/8", system: "gitlab", key: "g/p#8"},
		{name: "gitlab legacy issue", in: "https://gitlab.com/g/p/issues/8", system: "gitlab", key: "g/p#8"},
		{name: "gitlab legacy mr", in: "https://gitlab.com/g/s/p/merge_requests/8", system: "gitlab", key: "g/s/p!8"},
		{name: "gitlab project named issues", in: "https://gitlab.com/g/issues/-/issues/8", system: "gitlab", key: "g/issues#8"},
		{name: "gitlab single-part path", in: "https://gitlab.com/p/-/issues/8", system: "link", key: "gitlab.com"},
		{name: "gitlab pipelines", in: "https://gitlab.com/g/p/-/pipelines/8", system: "link", key: "gitlab.com"},
		{name: "gitlab bad number", in: "https://gitlab.com/g/p/-/issues/new", system: "link", key: "gitlab.com"},

		// Self-hosted GitLab and GitHub Enterprise.
		{name: "self-hosted gitlab dash form", in: "https://code.acme.io/platform/infra/db/-/issues/77", system: "gitlab", key: "platform/infra/db#77"},
		{name: "self-hosted gitlab mr", in: "https://git.acme.io:8443/a/b/-/merge_requests/5", system: "gitlab", key: "a/b!5"},
		{name: "self-hosted gitlab host name", in: "https://gitlab.acme.io/a/b/issues/5", system: "gitlab", key: "a/b#5"},
		{name: "self-hosted gitlab legacy nested", in: "https://git.acme.io/a/b/c/issues/5", system: "gitlab", key: "a/b/c#5"},
		{name: "github enterprise issue", in: "https://ghe.acme.io/team/service/issues/5", system: "github", key: "team/service#5"},
		{name: "github enterprise pull", in: "https://github.acme.io/team/service/pull/6/commits", system: "github", key: "team/service#6"},
		{name: "self-hosted gitlab pull is a link", in: "https://gitlab.acme.io/a/b/pull/5", system: "link", key: "gitlab.acme.io"},
		{name: "self-hosted one-part path", in: "https://blog.acme.io/issues/5", system: "link", key: "blog.acme.io"},
		{name: "self-hosted no number", in: "https://ghe.acme.io/team/service/issues/", system: "link", key: "ghe.acme.io"},

		// Jira.
		{name: "jira cloud browse", in: "https://acme.atlassian.net/browse/OPS-123", system: "jira", key: "OPS-123"},
		{name: "jira cloud browse lowercase", in: "https://acme.atlassian.net/browse/ops-123", system: "jira", key: "OPS-123"},
		{name: "jira cloud software", in: "https://acme.atlassian.net/jira/software/projects/OPS/issues/OPS-123", system: "jira", key: "OPS-123"},
		{name: "jira cloud company-managed", in: "https://acme.atlassian.net/jira/software/c/projects/OPS/issues/OPS-123", system: "jira", key: "OPS-123"},
		{name: "jira cloud selected issue", in: "https://acme.atlassian.net/jira/software/projects/OPS/boards/1?selectedIssue=OPS-9", system: "jira", key: "OPS-9"},
		{name: "jira key with digits", in: "https://acme.atlassian.net/browse/A1_B-5", system: "jira", key: "A1_B-5"},
		{name: "jira self-hosted", in: "https://jira.acme.io/browse/OPS-123", system: "jira", key: "OPS-123"},
		{name: "jira self-hosted context path", in: "https://tools.acme.io/jira/browse/OPS-1?focusedId=1", system: "jira", key: "OPS-1"},
		{name: "jira self-hosted lowercase is a link", in: "https://blog.acme.io/browse/page-2", system: "link", key: "blog.acme.io"},
		{name: "jira one-letter project", in: "https://acme.atlassian.net/browse/A-1", system: "link", key: "acme.atlassian.net"},
		{name: "jira confluence page", in: "https://acme.atlassian.net/wiki/spaces/OPS/pages/1", system: "link", key: "acme.atlassian.net"},
		{name: "jira bad number", in: "https://acme.atlassian.net/browse/OPS-0", system: "link", key: "acme.atlassian.net"},

		// Linear.
		{name: "linear", in: "https://linear.app/acme/issue/ENG-42/some-slug", system: "linear", key: "ENG-42"},
		{name: "linear no slug", in: "https://linear.app/acme/issue/ENG-42", system: "linear", key: "ENG-42"},
		{name: "linear lowercase", in: "https://linear.app/acme/issue/eng-42/x", system: "linear", key: "ENG-42"},
		{name: "linear project is a link", in: "https://linear.app/acme/project/foo-1", system: "link", key: "linear.app"},

		// Other links.
		{name: "plain link", in: "https://wiki.acme.io/postmortems/2024-03", system: "link", key: "wiki.acme.io"},
		{name: "link with port", in: "http://LocalHost:8080/x", system: "link", key: "localhost", url: "http://localhost:8080/x"},
		{name: "link root", in: "https://example.com", system: "link", key: "example.com"},
		{name: "link ipv4", in: "http://10.0.0.1/x", system: "link", key: "10.0.0.1"},
		{name: "link ipv6", in: "http://[2001:db8::1]:8080/x", system: "link", key: "2001:db8::1"},
		{name: "link trailing dot", in: "https://example.com./x", system: "link", key: "example.com"},
		{name: "link unicode host", in: "https://bücher.example/x", system: "link", key: "bücher.example", url: "https://b%C3%BCcher.example/x"},
		{name: "link unicode path", in: "https://example.com/ä", system: "link", key: "example.com", url: "https://example.com/%C3%A4"},

		// Errors.
		{name: "relative", in: "/browse/OPS-1", wantErrSubstr: "starting with https://"},
		{name: "no scheme", in: "github.com/owner/repo/issues/1", wantErrSubstr: "starting with https://"},
		{name: "javascript", in: "javascript:alert(1)", wantErrSubstr: "not javascript: links"},
		{name: "javascript uppercase", in: "JavaScript:alert(document.cookie)", wantErrSubstr: "not javascript: links"},
		{name: "javascript slashes", in: "javascript://github.com/%0aalert(1)", wantErrSubstr: "not javascript: links"},
		{name: "data", in: "data:text/html,<b>x</b>", wantErrSubstr: "not data: links"},
		{name: "mailto", in: "mailto:ops@acme.io", wantErrSubstr: "not mailto: links"},
		{name: "ftp", in: "ftp://files.acme.io/x", wantErrSubstr: "not ftp: links"},
		{name: "opaque http", in: "http:example.com", wantErrSubstr: "no host name"},
		{name: "no host", in: "https:///issues/1", wantErrSubstr: "no host name"},
		{name: "scheme only", in: "https://", wantErrSubstr: "no host name"},
		{name: "inner space", in: "https://example.com/a b", wantErrSubstr: "spaces"},
		{name: "newline", in: "https://example.com/a\nb", wantErrSubstr: "spaces"},
		{name: "nul", in: "https://example.com/\x00", wantErrSubstr: "spaces"},
		{name: "bidi override", in: "https://example.com/\u202egnp.exe", wantErrSubstr: "invisible"},
		{name: "invalid utf-8", in: "https://example.com/\xff", wantErrSubstr: "invalid characters"},
		{name: "credentials", in: "https://user:secret@github.com/a/b/issues/1", wantErrSubstr: "user name or password"},
		{name: "bad host", in: "https://exa$mple.com/", wantErrSubstr: "host name is not valid"},
		{name: "bad host hyphen", in: "https://-example.com/", wantErrSubstr: "host name is not valid"},
		{name: "bad host empty label", in: "https://a..b/", wantErrSubstr: "host name is not valid"},
		{name: "bad port", in: "https://example.com:99999/", wantErrSubstr: "port is not valid"},
		{name: "port zero", in: "https://example.com:0/", wantErrSubstr: "port is not valid"},
		{name: "bad escape", in: "https://example.com/%zz", wantErrSubstr: "not a valid web address"},
		{name: "too long", in: "https://example.com/" + strings.Repeat("a", 2000), wantErrSubstr: "too long"},
		{name: "too long once escaped", in: "https://example.com/" + strings.Repeat("ä", 500), wantErrSubstr: "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTrackerURL(tt.in)
			if tt.wantErrSubstr != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != "tracker_url" {
					t.Fatalf("ParseTrackerURL(%q) = %+v, %v; want a tracker_url *FieldError", tt.in, got, err)
				}
				if !strings.Contains(fe.Message, tt.wantErrSubstr) {
					t.Errorf("message %q does not contain %q", fe.Message, tt.wantErrSubstr)
				}
				if got != (Tracker{}) {
					t.Errorf("tracker %+v with an error; want zero", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTrackerURL(%q): %v", tt.in, err)
			}
			want := Tracker{System: tt.system, Key: tt.key}
			if tt.system != "" {
				want.URL = tt.url
				if want.URL == "" {
					want.URL = strings.TrimSpace(tt.in)
				}
			}
			if got != want {
				t.Errorf("ParseTrackerURL(%q)\n got %+v\nwant %+v", tt.in, got, want)
			}
		})
	}
}

func TestParseTrackerURLLengthLimit(t *testing.T) {
	base := "https://example.com/"
	ok := base + strings.Repeat("a", MaxTrackerURLLength-len(base))
	if _, err := ParseTrackerURL("  " + ok + "  "); err != nil {
		t.Errorf("%d bytes: %v", len(ok), err)
	}
	if _, err := ParseTrackerURL(ok + "a"); err == nil {
		t.Errorf("%d bytes: no error", len(ok)+1)
	}
}

// checkTracker is the contract every successful parse meets; the fuzz
// target and the table share it.
func checkTracker(t *testing.T, in string, got Tracker) {
	t.Helper()
	if got == (Tracker{}) {
		if strings.TrimSpace(in) != "" {
			t.Fatalf("ParseTrackerURL(%q): zero tracker for a non-empty link", in)
		}
		return
	}
	if got.System == "" || got.Key == "" {
		t.Fatalf("ParseTrackerURL(%q) = %+v: empty System or Key", in, got)
	}
	if len(got.URL) > MaxTrackerURLLength {
		t.Fatalf("ParseTrackerURL(%q): URL of %d bytes", in, len(got.URL))
	}
	u, err := url.Parse(got.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" || u.User != nil {
		t.Fatalf("ParseTrackerURL(%q).URL = %q: not an absolute http(s) URL (%v)", in, got.URL, err)
	}
	again, err := ParseTrackerURL(got.URL)
	if err != nil || again != got {
		t.Fatalf("ParseTrackerURL(%q) = %+v, but its URL parses to %+v, %v", in, got, again, err)
	}
}

func TestParseTrackerURLRoundTrip(t *testing.T) {
	for _, in := range trackerSeeds {
		got, err := ParseTrackerURL(in)
		if err == nil {
			checkTracker(t, in, got)
		}
	}
}

var trackerSeeds = []string{
	"",
	"https://github.com/owner/repo/issues/123",
	"https://github.com/owner/repo/pull/7/files#diff",
	"https://gitlab.com/group/sub/proj/-/issues/45",
	"https://gitlab.com/group/sub/proj/-/merge_requests/12",
	"https://code.acme.io/a/b/-/issues/1",
	"https://ghe.acme.io/a/b/issues/1",
	"https://acme.atlassian.net/browse/OPS-123",
	"https://acme.atlassian.net/jira/software/projects/OPS/issues/OPS-123",
	"https://acme.atlassian.net/jira/software/projects/OPS/boards/1?selectedIssue=ops-9",
	"https://linear.app/acme/issue/ENG-42/some-slug",
	"http://[::1]:80/x?y#z",
	"https://bücher.example/ä?ö#ü",
	"https://example.com/a%2Fb/%zz",
	"javascript:alert(1)",
	"HTTP://EXAMPLE.COM:8080/",
	"https://u:p@example.com/",
}
