package ingest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
)

// ErrUnauthenticated is answered with 401; its message is safe to show.
var ErrUnauthenticated = errors.New("missing or wrong webhook credentials")

// AuthError explains a refused webhook without revealing the secret.
type AuthError struct{ Msg string }

func (e *AuthError) Error() string { return e.Msg }
func (e *AuthError) Unwrap() error { return ErrUnauthenticated }

// Refuse builds an AuthError.
func Refuse(msg string) error { return &AuthError{Msg: msg} }

// VerifyOptions are per-integration settings of a signature scheme.
type VerifyOptions struct {
	// SignatureHeader overrides the header a tool signs in (Grafana lets the
	// operator choose it).
	SignatureHeader string `json:"signature_header,omitempty"`
	// TimestampHeader, when set, names the header with the signing time,
	// which is then part of the signed text (Grafana's optional timestamp).
	TimestampHeader string `json:"timestamp_header,omitempty"`
}

// BearerOrBasic accepts "Authorization: Bearer <secret>" or basic auth whose
// password is the secret: the scheme for tools that cannot sign.
func BearerOrBasic(h http.Header, secret string) bool {
	auth := h.Get("Authorization")
	scheme, value, ok := strings.Cut(auth, " ")
	if !ok || secret == "" {
		return false
	}
	switch strings.ToLower(scheme) {
	case "bearer":
		return Equal(strings.TrimSpace(value), secret)
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
		if err != nil {
			return false
		}
		_, password, ok := strings.Cut(string(raw), ":")
		return ok && Equal(password, secret)
	}
	return false
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// HMACSHA256 returns the HMAC-SHA256 of message under secret.
func HMACSHA256(secret string, message ...[]byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	for _, m := range message {
		mac.Write(m)
	}
	return mac.Sum(nil)
}

// HMACSHA1 returns the HMAC-SHA1 of message under secret (older schemes).
func HMACSHA1(secret string, message []byte) []byte {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(message)
	return mac.Sum(nil)
}

// HexEqual compares a hex signature with the expected MAC in constant time;
// malformed hex never matches.
func HexEqual(sigHex string, want []byte) bool {
	got, err := hex.DecodeString(strings.TrimSpace(sigHex))
	return err == nil && hmac.Equal(got, want)
}
