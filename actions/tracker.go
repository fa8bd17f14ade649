package actions

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tracker is where an action is tracked, recognised from its link.
type Tracker struct {
	System string // "github", "gitlab", "jira", "linear", or "link" for any other web page
	Key    string // "owner/repo#123", "group/sub/proj#45", "group/proj!12", "OPS-123", "ENG-42"; for "link" the host
	URL    string // the normalised link (scheme and host lowercased); what to store and link to
}

// Tracker systems.
const (
	SystemGitHub = "github"
	SystemGitLab = "gitlab"
	SystemJira   = "jira"
	SystemLinear = "linear"
	SystemLink   = "link"
)

// MaxTrackerURLLength is the longest link accepted, in bytes, both as given
// (after trimming) and once normalised.
const MaxTrackerURLLength = 2000

// trackerField is the form field ParseTrackerURL's errors are about.
const trackerField = "tracker_url"

// ParseTrackerURL recognises the tracker behind a link. Surrounding white
// space is trimmed; an empty link is no tracker (zero Tracker, nil error).
//
// Recognised, on any port and with any query or fragment:
//
//   - GitHub: github.com/OWNER/REPO/issues/N and /pull/N (and anything after
//     N, like /files) → "github", "OWNER/REPO#N".
//   - GitLab: gitlab.com/GROUP/…/PROJECT/-/issues/N (also /-/work_items/N and
//     /-/issues/incident/N) → "gitlab", "GROUP/…/PROJECT#N";
//     /-/merge_requests/N → "GROUP/…/PROJECT!N". Nested groups are kept;
//     the old form without "/-/" is accepted on gitlab.com too.
//   - Self-hosted GitLab and GitHub Enterprise, on any other host, by the
//     shape of the path: …/-/issues/N and …/-/merge_requests/N are GitLab;
//     /OWNER/REPO/issues/N or /OWNER/REPO/pull/N (a two-part project path
//     at the root) is GitHub Enterprise, unless a label of the host name contains "gitlab" or the
//     project path is nested (three or more parts), which is GitLab's older
//     form. Gitea and Forgejo share GitHub's shape and come out as "github";
//     their key is right all the same.
//   - Jira: HOST/browse/KEY-N (on any host, also below a context path like
//     /jira/browse/KEY-N) and, on *.atlassian.net,
//     /jira/software/[c/]projects/P/issues/KEY-N and any page with
//     ?selectedIssue=KEY-N → "jira", "KEY-N". Keys are uppercase on
//     self-hosted hosts; on atlassian.net lowercase is accepted and
//     uppercased.
//   - Linear: linear.app/WORKSPACE/issue/KEY-N[/slug] → "linear", "KEY-N"
//     (uppercased).
//
// Issue numbers are positive, without leading zeros, at most 12 digits; a
// link that is almost but not quite one of the above is a plain "link".
// Any other absolute http or https URL is System "link" with Key its host
// name (lowercased, without port). Errors are *FieldError with Field
// "tracker_url" and a message for the user: not an absolute http(s) URL
// (relative, javascript:, mailto: …), spaces or control characters inside,
// a user name or password in it, a bad host name or port, or longer than
// MaxTrackerURLLength.
func ParseTrackerURL(raw string) (Tracker, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Tracker{}, nil
	}
	if len(s) > MaxTrackerURLLength {
		return Tracker{}, trackerErr("The link is too long (at most " + strconv.Itoa(MaxTrackerURLLength) + " characters).")
	}
	if !utf8.ValidString(s) {
		return Tracker{}, trackerErr("The link contains invalid characters.")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return Tracker{}, trackerErr("The link must not contain spaces, line breaks or invisible characters.")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		if scheme, _, ok := strings.Cut(s, ":"); ok && scheme != "" && !strings.ContainsAny(scheme, "/?#") && !isWebScheme(scheme) {
			return Tracker{}, schemeErr(scheme)
		}
		return Tracker{}, trackerErr("This is not a valid web address. Paste the full link, starting with https://.")
	}
	if u.Scheme == "" {
		return Tracker{}, trackerErr("Paste the full link, starting with https:// (or http://).")
	}
	if !isWebScheme(u.Scheme) {
		return Tracker{}, schemeErr(u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return Tracker{}, trackerErr("The link has no host name. Paste the full link, like https://example.com/….")
	}
	if u.User != nil {
		return Tracker{}, trackerErr("The link must not contain a user name or password.")
	}
	host, ok := checkHost(u.Hostname())
	if !ok {
		return Tracker{}, trackerErr("The link's host name is not valid.")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Tracker{}, trackerErr("The link's port is not valid.")
		}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = asciiLower(u.Host)
	norm := u.String()
	if len(norm) > MaxTrackerURLLength {
		return Tracker{}, trackerErr("The link is too long (at most " + strconv.Itoa(MaxTrackerURLLength) + " characters).")
	}
	t := recognise(host, u)
	if t.System == "" {
		t = Tracker{System: SystemLink, Key: host}
	}
	t.URL = norm
	return t, nil
}

func trackerErr(msg string) error { return &FieldError{Field: trackerField, Message: msg} }

func schemeErr(scheme string) error {
	if len(scheme) > 20 || !isSchemeName(scheme) {
		return trackerErr("Only web links (https:// or http://) can be used.")
	}
	return trackerErr("Only web links (https:// or http://) can be used, not " + strings.ToLower(scheme) + ": links.")
}

func isWebScheme(s string) bool { return strings.EqualFold(s, "https") || strings.EqualFold(s, "http") }

func isSchemeName(s string) bool {
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return s != ""
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// checkHost validates a host name as url.URL.Hostname returns it and gives
// it back lowercased (ASCII only) without a trailing dot. IP addresses are
// allowed; so are internationalised names (letters of any script).
func checkHost(h string) (string, bool) {
	if h == "" {
		return "", false
	}
	if strings.Contains(h, ":") { // only an IPv6 literal has a colon here
		a, err := netip.ParseAddr(h)
		return asciiLower(h), err == nil && a.Is6()
	}
	h = strings.TrimSuffix(asciiLower(h), ".")
	if h == "" || len(h) > 253 {
		return "", false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", false
		}
		for _, r := range label {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '-' || r == '_') {
				return "", false
			}
		}
	}
	return h, true
}

// recognise returns the tracker for a valid web URL, or a zero Tracker.
func recognise(host string, u *url.URL) Tracker {
	segs, ok := pathSegments(u.EscapedPath())
	if !ok {
		return Tracker{}
	}
	switch host {
	case "github.com", "www.github.com":
		return githubPath(segs)
	case "gitlab.com", "www.gitlab.com":
		return gitlabPath(segs, true)
	case "linear.app", "www.linear.app":
		return linearPath(segs)
	}
	atlassian := strings.HasSuffix(host, ".atlassian.net")
	if t := jiraPath(segs, u.Query(), atlassian); t.System != "" || atlassian {
		return t
	}
	// Self-hosted GitLab and GitHub Enterprise, by the shape of the path.
	if t := gitlabPath(segs, false); t.System != "" {
		return t
	}
	if t := githubPath(segs); t.System != "" {
		for label := range strings.SplitSeq(host, ".") {
			if strings.Contains(label, "gitlab") {
				return gitlabPath(segs, true)
			}
		}
		return t
	}
	if t := gitlabPath(segs, true); t.System != "" && strings.Count(t.Key, "/") >= 2 {
		return t // the older GitLab form with a nested project path
	}
	return Tracker{}
}

// pathSegments splits an escaped path into its segments, ignoring one
// trailing slash. An empty segment elsewhere makes it unrecognisable.
func pathSegments(p string) ([]string, bool) {
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil, true
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		if s == "" {
			return nil, false
		}
	}
	return segs, true
}

// githubPath: OWNER/REPO/(issues|pull)/N[/…].
func githubPath(segs []string) Tracker {
	if len(segs) < 4 || !isGitHubOwner(segs[0]) || !isRepoName(segs[1]) || !isNumber(segs[3]) {
		return Tracker{}
	}
	if segs[2] != "issues" && segs[2] != "pull" {
		return Tracker{}
	}
	return Tracker{System: SystemGitHub, Key: segs[0] + "/" + segs[1] + "#" + segs[3]}
}

// gitlabPath: PROJECT-PATH/-/(issues|issues/incident|work_items|merge_requests)/N[/…];
// with legacy also PROJECT-PATH/(issues|merge_requests)/N[/…]. The project
// path has at least two parts (a group or user, then the project). Every
// position is tried, so a project named "issues" still works.
func gitlabPath(segs []string, legacy bool) Tracker {
	for i, s := range segs {
		var rest []string
		switch {
		case s == "-":
			rest = segs[i+1:]
		case legacy && (s == "issues" || s == "merge_requests"):
			rest = segs[i:]
		default:
			continue
		}
		if t := gitlabRef(segs[:i], rest); t.System != "" {
			return t
		}
	}
	return Tracker{}
}

// gitlabRef: proj is the project path, rest what follows "/-/".
func gitlabRef(proj, rest []string) Tracker {
	if len(proj) < 2 || len(rest) < 2 {
		return Tracker{}
	}
	for _, p := range proj {
		if !isRepoName(p) {
			return Tracker{}
		}
	}
	sep := "#"
	switch rest[0] {
	case "issues", "work_items":
		if rest[0] == "issues" && rest[1] == "incident" && len(rest) >= 3 {
			rest = rest[1:]
		}
	case "merge_requests":
		sep = "!"
	default:
		return Tracker{}
	}
	if !isNumber(rest[1]) {
		return Tracker{}
	}
	return Tracker{System: SystemGitLab, Key: strings.Join(proj, "/") + sep + rest[1]}
}

// jiraPath: …/browse/KEY-N anywhere; on atlassian.net also
// /jira/software/[c/]projects/P/issues/KEY-N and ?selectedIssue=KEY-N.
func jiraPath(segs []string, q url.Values, atlassian bool) Tracker {
	if n := len(segs); n >= 2 && segs[n-2] == "browse" {
		if k, ok := jiraKey(segs[n-1], atlassian); ok {
			return Tracker{System: SystemJira, Key: k}
		}
	}
	if !atlassian {
		return Tracker{}
	}
	if n := len(segs); n >= 5 && segs[0] == "jira" && segs[n-2] == "issues" && segs[n-4] == "projects" {
		if k, ok := jiraKey(segs[n-1], true); ok {
			return Tracker{System: SystemJira, Key: k}
		}
	}
	if k, ok := jiraKey(q.Get("selectedIssue"), true); ok {
		return Tracker{System: SystemJira, Key: k}
	}
	return Tracker{}
}

// jiraKey checks PROJECT-N: a letter, then letters, digits or underscores
// (two to 255 in all), a hyphen and an issue number.
func jiraKey(s string, anyCase bool) (string, bool) {
	proj, num, ok := strings.Cut(s, "-")
	if !ok || len(proj) < 2 || len(proj) > 255 || !isNumber(num) {
		return "", false
	}
	if anyCase {
		proj = strings.ToUpper(proj)
	}
	for i := 0; i < len(proj); i++ {
		c := proj[i]
		if !(c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '_')) {
			return "", false
		}
	}
	return proj + "-" + num, true
}

// linearPath: WORKSPACE/issue/KEY-N[/slug].
func linearPath(segs []string) Tracker {
	if len(segs) < 3 || !isRepoName(segs[0]) || segs[1] != "issue" {
		return Tracker{}
	}
	team, num, ok := strings.Cut(segs[2], "-")
	if !ok || team == "" || len(team) > 10 || !isNumber(num) {
		return Tracker{}
	}
	team = strings.ToUpper(team)
	for i := 0; i < len(team); i++ {
		c := team[i]
		if !(c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return Tracker{}
		}
	}
	return Tracker{System: SystemLinear, Key: team + "-" + num}
}

// isNumber: 1 to 12 digits, no leading zero.
func isNumber(s string) bool {
	if s == "" || len(s) > 12 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isGitHubOwner: letters, digits and hyphens, at most 39.
func isGitHubOwner(s string) bool {
	if s == "" || len(s) > 39 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isRepoName: letters, digits, '.', '-' and '_', at most 255, not "." or
// "..". Escaped characters (%xx) make a path unrecognisable.
func isRepoName(s string) bool {
	if s == "" || len(s) > 255 || s == "." || s == ".." || s == "-" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
