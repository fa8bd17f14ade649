// Package config reads Hindsight's settings from the environment. Every
// setting is typed and validated once at start-up so that a bad value stops
// the boot with one line that names the variable.
package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of a Hindsight process.
type Config struct {
	DatabaseURL      string
	Addr             string
	BaseURL          *url.URL
	AutoMigrate      bool
	LogFormat        string // "text" or "json"
	LogLevel         slog.Level
	MaxBodyBytes     int64
	ShutdownTimeout  time.Duration
	SessionLifetime  time.Duration
	SecureCookies    bool // true when BaseURL is https
	LoginMaxFailures int  // failed sign-ins per e-mail or address within LoginWindow
	LoginWindow      time.Duration
	PayloadRetention time.Duration // raw webhook payloads older than this are pruned
	SuspectWindow    time.Duration // how far before impact deploys are suspects
	ReminderTick     time.Duration // how often the reminder scheduler looks for work
	InternalDomains  []string      // lowercase domains whose hosts public exports remove
}

// Variable documents one environment variable: it is the source of truth for
// both parsing and the README table.
type Variable struct {
	Name    string
	Default string
	Meaning string
}

// Variables lists every setting Hindsight reads.
var Variables = []Variable{
	{"DATABASE_URL", "sqlite:data/hindsight.db", "`postgres://…` or `postgresql://…` for PostgreSQL, `sqlite:PATH` for the embedded SQLite"},
	{"HINDSIGHT_ADDR", ":8080", "listen address"},
	{"HINDSIGHT_BASE_URL", "http://localhost:8080", "public URL, used in links, webhook URLs and exports; `https://` turns on `Secure` cookies"},
	{"HINDSIGHT_AUTO_MIGRATE", "true", "`serve` applies pending migrations at start; `false` when `hindsight migrate` runs as a release step"},
	{"HINDSIGHT_LOG_FORMAT", "text", "`text` or `json`"},
	{"HINDSIGHT_LOG_LEVEL", "info", "`debug`, `info`, `warn` or `error`"},
	{"HINDSIGHT_MAX_BODY_BYTES", "1048576", "largest accepted request body in bytes; larger ones get 413"},
	{"HINDSIGHT_SHUTDOWN_TIMEOUT", "20s", "how long SIGTERM waits for in-flight requests"},
	{"HINDSIGHT_SESSION_LIFETIME", "336h", "how long a browser session lasts without use"},
	{"HINDSIGHT_LOGIN_MAX_FAILURES", "10", "failed sign-ins allowed per e-mail and per client address within the window"},
	{"HINDSIGHT_LOGIN_WINDOW", "15m", "the window for the sign-in limit"},
	{"HINDSIGHT_SUSPECT_WINDOW", "120m", "how long before impact started a deploy or change counts as a suspect (each incident page can widen it)"},
	{"HINDSIGHT_PAYLOAD_RETENTION", "720h", "how long raw webhook payloads are kept for audit and re-parsing; the events themselves stay"},
	{"HINDSIGHT_REMINDER_TICK", "1m", "how often each replica looks for reminder digests to compose and deliveries to send or retry (each digest still goes out once); the cadence itself is set on the Reminders settings page"},
	{"HINDSIGHT_INTERNAL_DOMAINS", "", "comma-separated domains whose host names (with their subdomains) public exports remove, such as `corp.example.com,example.net`; names under `.internal`, `.local`, `.corp`, `.lan` and the like always are (docs/export.md)"},
}

// FromEnv reads the configuration through getenv (os.Getenv in production,
// a map in tests).
func FromEnv(getenv func(string) string) (*Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, v := range Variables {
			if v.Name == name {
				return v.Default
			}
		}
		panic("config: undocumented variable " + name)
	}
	var c Config
	var err error

	c.DatabaseURL = get("DATABASE_URL")
	if _, _, err := SplitDatabaseURL(c.DatabaseURL); err != nil {
		return nil, err
	}
	c.Addr = get("HINDSIGHT_ADDR")
	if !strings.Contains(c.Addr, ":") {
		return nil, fmt.Errorf("HINDSIGHT_ADDR: expected host:port or :port, got %q", c.Addr)
	}
	base := get("HINDSIGHT_BASE_URL")
	c.BaseURL, err = url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (c.BaseURL.Scheme != "http" && c.BaseURL.Scheme != "https") || c.BaseURL.Host == "" {
		return nil, fmt.Errorf("HINDSIGHT_BASE_URL: expected an absolute http(s) URL, got %q", base)
	}
	c.SecureCookies = c.BaseURL.Scheme == "https"
	if c.AutoMigrate, err = strconv.ParseBool(get("HINDSIGHT_AUTO_MIGRATE")); err != nil {
		return nil, fmt.Errorf("HINDSIGHT_AUTO_MIGRATE: expected true or false, got %q", getenv("HINDSIGHT_AUTO_MIGRATE"))
	}
	c.LogFormat = get("HINDSIGHT_LOG_FORMAT")
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, fmt.Errorf("HINDSIGHT_LOG_FORMAT: expected text or json, got %q", c.LogFormat)
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("HINDSIGHT_LOG_LEVEL"))); err != nil {
		return nil, fmt.Errorf("HINDSIGHT_LOG_LEVEL: expected debug, info, warn or error, got %q", getenv("HINDSIGHT_LOG_LEVEL"))
	}
	if c.MaxBodyBytes, err = positiveInt("HINDSIGHT_MAX_BODY_BYTES", get("HINDSIGHT_MAX_BODY_BYTES")); err != nil {
		return nil, err
	}
	if c.ShutdownTimeout, err = positiveDuration("HINDSIGHT_SHUTDOWN_TIMEOUT", get("HINDSIGHT_SHUTDOWN_TIMEOUT")); err != nil {
		return nil, err
	}
	if c.SessionLifetime, err = positiveDuration("HINDSIGHT_SESSION_LIFETIME", get("HINDSIGHT_SESSION_LIFETIME")); err != nil {
		return nil, err
	}
	failures, err := positiveInt("HINDSIGHT_LOGIN_MAX_FAILURES", get("HINDSIGHT_LOGIN_MAX_FAILURES"))
	if err != nil {
		return nil, err
	}
	c.LoginMaxFailures = int(failures)
	if c.LoginWindow, err = positiveDuration("HINDSIGHT_LOGIN_WINDOW", get("HINDSIGHT_LOGIN_WINDOW")); err != nil {
		return nil, err
	}
	if c.SuspectWindow, err = positiveDuration("HINDSIGHT_SUSPECT_WINDOW", get("HINDSIGHT_SUSPECT_WINDOW")); err != nil {
		return nil, err
	}
	if c.PayloadRetention, err = positiveDuration("HINDSIGHT_PAYLOAD_RETENTION", get("HINDSIGHT_PAYLOAD_RETENTION")); err != nil {
		return nil, err
	}
	if c.ReminderTick, err = positiveDuration("HINDSIGHT_REMINDER_TICK", get("HINDSIGHT_REMINDER_TICK")); err != nil {
		return nil, err
	}
	if c.InternalDomains, err = domainList("HINDSIGHT_INTERNAL_DOMAINS", get("HINDSIGHT_INTERNAL_DOMAINS")); err != nil {
		return nil, err
	}
	return &c, nil
}

// domainList parses comma-separated domain names, lowercased, without a
// leading "*." or "."; empty items are skipped.
func domainList(name, raw string) ([]string, error) {
	var out []string
	for _, d := range strings.Split(raw, ",") {
		d = strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "*."), ".")
		if d == "" {
			continue
		}
		if !isDomain(d) {
			return nil, fmt.Errorf("%s: expected comma-separated domain names such as corp.example.com, got %q", name, d)
		}
		out = append(out, d)
	}
	return out, nil
}

// isDomain accepts host names: dot-separated labels of letters, digits and
// inner hyphens, at most 253 characters.
func isDomain(d string) bool {
	if len(d) > 253 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// SplitDatabaseURL tells the dialect ("postgres" or "sqlite") of a
// DATABASE_URL and returns the DSN the driver expects.
func SplitDatabaseURL(raw string) (dialect, dsn string, err error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return "", "", fmt.Errorf("DATABASE_URL: not a valid PostgreSQL URL: %v", err)
		}
		return "postgres", raw, nil
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if path == "" {
			return "", "", fmt.Errorf("DATABASE_URL: sqlite: needs a file path, as in sqlite:data/hindsight.db")
		}
		return "sqlite", path, nil
	}
	return "", "", fmt.Errorf("DATABASE_URL: expected postgres://…, postgresql://… or sqlite:PATH, got %q", redact(raw))
}

// redact hides a password that may sit in a malformed URL before it is logged.
func redact(raw string) string {
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		return "…" + raw[at:]
	}
	return raw
}

func positiveInt(name, raw string) (int64, error) {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: expected a positive whole number, got %q", name, raw)
	}
	return n, nil
}

func positiveDuration(name, raw string) (time.Duration, error) {
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: expected a positive duration such as 30s or 15m, got %q", name, raw)
	}
	return d, nil
}
