package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c, err := FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite:data/hindsight.db" || c.Addr != ":8080" || c.BaseURL.String() != "http://localhost:8080" ||
		!c.AutoMigrate || c.LogFormat != "text" || c.MaxBodyBytes != 1<<20 || c.SecureCookies || c.LoginWindow != 15*time.Minute {
		t.Errorf("defaults = %+v", c)
	}
}

func TestValues(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": "postgres://u:p@db:5432/h?sslmode=disable", "HINDSIGHT_BASE_URL": "https://pm.example.com/",
		"HINDSIGHT_AUTO_MIGRATE": "false", "HINDSIGHT_LOG_LEVEL": "debug", "HINDSIGHT_LOG_FORMAT": "json",
	}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.AutoMigrate || !c.SecureCookies || c.BaseURL.String() != "https://pm.example.com" || c.LogLevel.String() != "DEBUG" {
		t.Errorf("config = %+v", c)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	for name, value := range map[string]string{
		"DATABASE_URL":                 "mysql://x",
		"HINDSIGHT_ADDR":               "8080",
		"HINDSIGHT_BASE_URL":           "localhost:8080",
		"HINDSIGHT_AUTO_MIGRATE":       "sometimes",
		"HINDSIGHT_LOG_FORMAT":         "xml",
		"HINDSIGHT_LOG_LEVEL":          "chatty",
		"HINDSIGHT_MAX_BODY_BYTES":     "-1",
		"HINDSIGHT_SHUTDOWN_TIMEOUT":   "soon",
		"HINDSIGHT_SESSION_LIFETIME":   "0s",
		"HINDSIGHT_LOGIN_MAX_FAILURES": "ten",
		"HINDSIGHT_LOGIN_WINDOW":       "-5m",
	} {
		_, err := FromEnv(func(k string) string {
			if k == name {
				return value
			}
			return ""
		})
		if err == nil || !strings.HasPrefix(err.Error(), name+":") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=%q: err = %v; want one line starting with the variable", name, value, err)
		}
	}
}

func TestDatabaseURLPasswordNotEchoed(t *testing.T) {
	_, err := FromEnv(func(k string) string {
		if k == "DATABASE_URL" {
			return "mysql://root:hunter2@db/x"
		}
		return ""
	})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v", err)
	}
}

// TestREADMEDocumentsEveryVariable keeps the README's table in step with
// the code.
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Variables {
		row := "| `" + v.Name + "` | `" + v.Default + "` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md lacks the row %q", row)
		}
	}
}
