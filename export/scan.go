package export

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A match is a piece of one text that redaction replaces.
type match struct {
	start, end int
	kind       string
	repl       string
}

// Replacements, in plain words so that the sentence around them still
// reads. Roles replace people ("the on-call engineer").
const (
	replEmail    = "an e-mail address"
	replCustomer = "a customer"
	replHost     = "an internal host"
	replIP       = "an internal address"
	replURL      = "an internal link"
	replLinkDest = "#redacted" // a Markdown link's destination: the link text stays
	replTerm     = "(redacted)"
	replMember   = "a team member" // a first name shared by people with different roles
)

// builtinSuffixes are top-level names that never resolve on the public
// internet, so hosts under them are internal.
var builtinSuffixes = []string{"internal", "local", "corp", "lan", "intranet", "localdomain", "home.arpa", "localhost"}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// wordBefore reports whether the rune before i is a letter, digit or mark.
func wordBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isWordRune(r)
}

// wordAfter reports whether the rune at i is a letter, digit or mark.
func wordAfter(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

// internalHost reports whether a host name (any case, no trailing dot)
// is internal: under one of the built-in suffixes or the author's
// domains.
func (r *redactor) internalHost(h string) bool {
	return underAny(h, builtinSuffixes) || underAny(h, r.domains)
}

// underAny reports whether h is one of the lowercase domains or a
// subdomain of one, ignoring case.
func underAny(h string, domains []string) bool {
	for _, d := range domains {
		if len(h) == len(d) && strings.EqualFold(h, d) ||
			len(h) > len(d) && h[len(h)-len(d)-1] == '.' && strings.EqualFold(h[len(h)-len(d):], d) {
			return true
		}
	}
	return false
}

// privateAddr reports whether an address is not on the public internet:
// RFC 1918 and unique local (IsPrivate), loopback, link-local, IPv6
// site-local and the shared address space of carrier-grade NAT.
func privateAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() {
		return true
	}
	if a.Is4() {
		b := a.As4()
		return b[0] == 100 && b[1]&0xc0 == 64 // 100.64.0.0/10
	}
	b := a.As16()
	return b[0] == 0xfe && b[1]&0xc0 == 0xc0 // fec0::/10
}

// urlEnd returns where a URL or a path that starts at i ends: at white
// space, "<", ">", a quote or a backtick, without trailing punctuation
// and without a closing parenthesis that it did not open (the one of a
// Markdown link).
func urlEnd(s string, i int) int {
	j := i
	for j < len(s) {
		c := s[j]
		if c <= ' ' || c == '<' || c == '>' || c == '"' || c == '`' || c == 0x7f {
			break
		}
		if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) || isMark(r) {
				break
			}
			j += n
			continue
		}
		j++
	}
	for j > i {
		c := s[j-1]
		if strings.IndexByte(".,:;!?'*_~]}", c) >= 0 {
			j--
			continue
		}
		if c == ')' && strings.Count(s[i:j], "(") < strings.Count(s[i:j], ")") {
			j--
			continue
		}
		break
	}
	return j
}

// scanURLs finds URLs (any scheme://) whose host is internal, private,
// a single label ("http://grafana/") or missing ("file:///").
func (r *redactor) scanURLs(s string, ms []match) []match {
	from := 0
	for {
		k := strings.Index(s[from:], "://")
		if k < 0 {
			return ms
		}
		k += from
		from = k + 3
		start := k
		for start > 0 && (isAlnum(s[start-1]) || s[start-1] == '+' || s[start-1] == '-' || s[start-1] == '.') {
			start--
		}
		for start < k && !(s[start] >= 'a' && s[start] <= 'z' || s[start] >= 'A' && s[start] <= 'Z') {
			start++ // a scheme starts with a letter
		}
		if start == k || wordBefore(s, start) {
			continue
		}
		end := urlEnd(s, k+3)
		if !r.internalURL(s[start:end]) {
			continue
		}
		m := match{start: start, end: end, kind: KindURL, repl: replURL}
		switch {
		case start > 0 && s[start-1] == '<' && end < len(s) && s[end] == '>':
			m.start, m.end = start-1, end+1
		case start >= 2 && s[start-2:start] == "](":
			m.repl = replLinkDest
		}
		ms = append(ms, m)
		from = end
	}
}

// internalURL reports whether a URL points at an internal or private
// host. It expects scheme://authority…; anything else is not internal.
func (r *redactor) internalURL(u string) bool {
	k := strings.Index(u, "://")
	if k < 0 {
		return false
	}
	auth := u[k+3:]
	if e := strings.IndexAny(auth, "/?#\\"); e >= 0 {
		auth = auth[:e]
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	host := auth
	if strings.HasPrefix(host, "[") {
		e := strings.IndexByte(host, ']')
		if e < 0 {
			return true // unparseable: better left out
		}
		a, err := netip.ParseAddr(host[1:e])
		return err != nil || privateAddr(a)
	}
	if c := strings.IndexByte(host, ':'); c >= 0 {
		host = host[:c]
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || !strings.Contains(host, ".") {
		return true // no host (file:///…) or a single label only an intranet resolves
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return privateAddr(a)
	}
	return r.internalHost(host)
}

func isLocalByte(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// scanEmails finds e-mail addresses: a user part, "@" and a domain of two
// or more labels ending in two or more letters. A "mailto:" before it,
// or angle brackets around it, go with it.
func (r *redactor) scanEmails(s string, ms []match) []match {
	for from := 0; ; {
		k := strings.IndexByte(s[from:], '@')
		if k < 0 {
			return ms
		}
		at := from + k
		from = at + 1
		start := at
		for start > 0 && isLocalByte(s[start-1]) {
			start--
		}
		for start < at && (s[start] == '.' || s[start] == '-') {
			start++
		}
		if start == at || wordBefore(s, start) {
			continue
		}
		end, labels, lastAlpha := at+1, 0, false
		for {
			j := end
			for j < len(s) && (isAlnum(s[j]) || s[j] == '-') {
				j++
			}
			if j == end {
				break
			}
			labels++
			lastAlpha = true
			for _, c := range []byte(s[end:j]) {
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
					lastAlpha = false
				}
			}
			lastAlpha = lastAlpha && j-end >= 2
			end = j
			if end+1 < len(s) && s[end] == '.' && isAlnum(s[end+1]) {
				end++
				continue
			}
			break
		}
		if labels < 2 || !lastAlpha || wordAfter(s, end) {
			continue
		}
		addr := s[start:end]
		repl := r.emails[strings.ToLower(addr)]
		if repl == "" {
			repl = replEmail
		}
		m := match{start: start, end: end, kind: KindEmail, repl: repl}
		if start >= 7 && strings.EqualFold(s[start-7:start], "mailto:") {
			m.start -= 7
		}
		if m.start > 0 && s[m.start-1] == '<' && end < len(s) && s[end] == '>' {
			m.start--
			m.end++
		}
		ms = append(ms, m)
		from = end
	}
}

// scanIPs finds private IPv4 and IPv6 addresses, with a prefix length or
// a port when one follows.
func (r *redactor) scanIPs(s string, ms []match) []match {
	for i := 0; i < len(s); {
		c := s[i]
		if !isHex(c) && c != ':' {
			i++
			continue
		}
		// A candidate starts at a boundary: not inside a word, a number
		// or a dotted name.
		if i > 0 && (isAlnum(s[i-1]) || s[i-1] == '.' || s[i-1] == ':' || s[i-1] == '_' || s[i-1] == '-' || s[i-1] >= 0x80 && wordBefore(s, i)) {
			i++
			continue
		}
		j := i
		colons := 0
		for j < len(s) && (isHex(s[j]) || s[j] == ':' || s[j] == '.') {
			if s[j] == ':' {
				colons++
			}
			j++
		}
		if m, ok := ipMatch(s, i, j, colons); ok {
			ms = append(ms, m)
			i = m.end
			continue
		}
		i = j
	}
	return ms
}

// ipMatch tries the candidate s[i:j] as an address.
func ipMatch(s string, i, j, colons int) (match, bool) {
	cand := s[i:j]
	end := j
	if colons < 2 && strings.Count(cand, ".") < 3 {
		return match{}, false // neither form: most candidates are hex-looking words
	}
	if colons < 2 { // IPv4: the dotted part only; a ":port" may follow
		if c := strings.IndexByte(cand, ':'); c >= 0 {
			cand, end = cand[:c], i+c
		}
	} else if end < len(s) && s[end] == '%' { // an IPv6 zone
		z := end + 1
		for z < len(s) && (isAlnum(s[z]) || s[z] == '_' || s[z] == '-' || s[z] == '.') {
			z++
		}
		if z > end+1 {
			cand, end = s[i:z], z
		}
	}
	for {
		a, err := netip.ParseAddr(cand)
		if err == nil {
			if !privateAddr(a) || wordAfter(s, end) || end < len(s) && s[end] == '.' && end+1 < len(s) && isAlnum(s[end+1]) {
				return match{}, false
			}
			m := match{start: i, end: end, kind: KindIP, repl: replIP}
			m.end = suffixDigits(s, m.end, '/', 3)
			if a.Is4() {
				m.end = suffixDigits(s, m.end, ':', 5)
			}
			return m, true
		}
		// "10.0.0.1." or "fe80::1:" at the end of a sentence or a label.
		t := strings.TrimRight(cand, ".:")
		if t == cand || t == "" {
			return match{}, false
		}
		end -= len(cand) - len(t)
		cand = t
	}
}

// suffixDigits extends end over sep and 1 to max digits, when they follow.
func suffixDigits(s string, end int, sep byte, max int) int {
	if end >= len(s) || s[end] != sep {
		return end
	}
	j := end + 1
	for j < len(s) && j-end-1 < max && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == end+1 || j < len(s) && isAlnum(s[j]) {
		return end
	}
	return j
}

func isHostByte(c byte) bool { return isAlnum(c) || c == '-' || c == '.' || c == '_' }

// scanHosts finds dotted host names under an internal suffix, with a
// port and a path when they follow (then it is a link).
func (r *redactor) scanHosts(s string, ms []match) []match {
	if strings.IndexByte(s, '.') < 0 {
		return ms
	}
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) || i > 0 && (isHostByte(s[i-1]) || s[i-1] == '@' || s[i-1] >= 0x80 && wordBefore(s, i)) {
			i++
			continue
		}
		j := i
		dots := false
		for j < len(s) && isHostByte(s[j]) {
			dots = dots || s[j] == '.'
			j++
		}
		end := j
		for end > i && (s[end-1] == '.' || s[end-1] == '-' || s[end-1] == '_') {
			end--
		}
		if !dots || wordAfter(s, j) || !strings.Contains(s[i:end], ".") {
			i = j
			continue
		}
		if !r.internalHost(s[i:end]) {
			i = j
			continue
		}
		m := match{start: i, end: end, kind: KindHost, repl: replHost}
		m.end = suffixDigits(s, m.end, ':', 5)
		if m.end < len(s) && s[m.end] == '/' {
			m.end = urlEnd(s, m.end)
			m.kind, m.repl = KindURL, replURL
		}
		ms = append(ms, m)
		i = max(m.end, j)
	}
	return ms
}
