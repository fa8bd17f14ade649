package ingest

// The parts every deploy event has, for the deploy tools (github, gitlab,
// argocd): a title, a description, a service and commit ids.

import "strings"

// shortSHA shortens a hexadecimal commit id to 7 characters, the way Git
// shows it; anything else (a tag, a chart version) is kept as it is.
func shortSHA(commit string) string {
	commit = strings.TrimSpace(commit)
	if len(commit) > 7 && isHex(commit) {
		return commit[:7]
	}
	return commit
}

// IsSHA reports whether s looks like a Git commit id (7 to 64 hexadecimal
// digits).
func IsSHA(s string) bool {
	return len(s) >= 7 && len(s) <= 64 && isHex(s)
}

func isHex(s string) bool {
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
	if c := shortSHA(commit); c != "" {
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
