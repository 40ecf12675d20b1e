// Package auth holds zengo's credentials: password hashing, the JWT access
// tokens the reference issues, and the ZENKEY_ API key format.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"time"
)

// Claims are the JWT claims the reference puts in its access tokens.
// Subject is the user id; issuer and audience are the server id.
type Claims struct {
	Subject       string   `json:"sub"`
	Issuer        string   `json:"iss"`
	Audience      string   `json:"aud"`
	IssuedAt      float64  `json:"iat"`
	ExpiresAt     *float64 `json:"exp,omitempty"`
	DeviceID      string   `json:"device_id,omitempty"`
	APIKeyID      string   `json:"api_key_id,omitempty"`
	KeyGeneration int      `json:"key_gen,omitempty"`
	PipelineRunID string   `json:"pipeline_run_id,omitempty"`
	ScheduleID    string   `json:"schedule_id,omitempty"`
	DeploymentID  string   `json:"deployment_id,omitempty"`
	SessionID     string   `json:"session_id,omitempty"`
}

// Leeway is how far past its expiry a token is still accepted, as on the
// reference.
const Leeway = 10 * time.Second

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// Sign encodes and signs claims with HS256.
func Sign(c Claims, secret []byte) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac(signing, secret)), nil
}

func mac(msg string, secret []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// TokenError explains why a token was refused, in the words of the
// reference's JWT library, which reach the client.
type TokenError struct{ Reason string }

func (e *TokenError) Error() string { return "Invalid JWT token: " + e.Reason }

// Verify checks the signature, issuer, audience and expiry of a token and
// returns its claims.
func Verify(token string, secret []byte, serverID string, now time.Time) (*Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		if len(parts) > 3 {
			return nil, &TokenError{"Too many segments"}
		}
		return nil, &TokenError{"Not enough segments"}
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, &TokenError{"Invalid header padding"}
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(header, &h) != nil {
		return nil, &TokenError{"Invalid header string: must be a json object"}
	}
	if h.Alg != "HS256" {
		return nil, &TokenError{"The specified alg value is not allowed"}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, &TokenError{"Invalid crypto padding"}
	}
	if !hmac.Equal(sig, mac(parts[0]+"."+parts[1], secret)) {
		return nil, &TokenError{"Signature verification failed"}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, &TokenError{"Invalid payload padding"}
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, &TokenError{"Invalid payload string: must be a json object"}
	}
	if expired(&c, now) {
		return nil, &TokenError{"Signature has expired"}
	}
	if c.Audience != serverID {
		return nil, &TokenError{"Audience doesn't match"}
	}
	if c.Issuer != serverID {
		return nil, &TokenError{"Invalid issuer"}
	}
	if c.Subject == "" {
		return nil, &TokenError{`Token is missing the "sub" claim`}
	}
	return &c, nil
}

// UnixSeconds renders t as the reference's float claim value.
func UnixSeconds(t time.Time) float64 {
	return math.Round(float64(t.UnixMicro())) / 1e6
}

// TokenCache remembers tokens that passed Verify, so that a client's
// every request does not decode and check the same signature again. For
// a given secret and server the answer of Verify can change only with
// time (expiry), which is checked on every use. It holds tokens, not
// accounts: whether the account, key or device is still good is read
// from the database on every request. Safe for concurrent use.
type TokenCache struct {
	mu     sync.Mutex
	tokens map[string]*Claims
}

// tokenCacheSize bounds a TokenCache; when full it starts over.
const tokenCacheSize = 512

// Verify is Verify through the cache. The claims returned are shared:
// callers must not change them.
func (tc *TokenCache) Verify(token string, secret []byte, serverID string, now time.Time) (*Claims, error) {
	tc.mu.Lock()
	c, ok := tc.tokens[token]
	tc.mu.Unlock()
	if ok {
		if expired(c, now) {
			return nil, &TokenError{"Signature has expired"}
		}
		return c, nil
	}
	c, err := Verify(token, secret, serverID, now)
	if err != nil {
		return nil, err
	}
	tc.mu.Lock()
	if tc.tokens == nil || len(tc.tokens) >= tokenCacheSize {
		tc.tokens = make(map[string]*Claims)
	}
	tc.tokens[token] = c
	tc.mu.Unlock()
	return c, nil
}

func expired(c *Claims, now time.Time) bool {
	if c.ExpiresAt == nil {
		return false
	}
	exp := time.Unix(0, int64(*c.ExpiresAt*float64(time.Second)))
	return now.After(exp.Add(Leeway))
}
