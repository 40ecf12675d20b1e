package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
)

// HashPassword hashes a password with bcrypt. The empty password is a real
// password too (the reference allows it for the first admin on loopback).
func HashPassword(password string) (string, error) {
	// bcrypt reads at most 72 bytes; longer inputs are pre-hashed so that
	// every byte counts.
	b, err := bcrypt.GenerateFromPassword(bcryptInput(password), bcrypt.DefaultCost)
	return string(b), err
}

// CheckPassword reports whether password matches hash. A hash imported
// from ZenML (`zengo import`) was made from at most the password's first
// 72 bytes, which bcrypt reads.
func CheckPassword(hash, password string) bool {
	if bcrypt.CompareHashAndPassword([]byte(hash), bcryptInput(password)) == nil {
		return true
	}
	return len(password) > 72 && bcrypt.CompareHashAndPassword([]byte(hash), []byte(password[:72])) == nil
}

func bcryptInput(password string) []byte {
	if len(password) <= 72 {
		return []byte(password)
	}
	sum := sha256.Sum256([]byte(password))
	return []byte(hex.EncodeToString(sum[:]))
}

// APIKeyPrefix starts every encoded API key.
const APIKeyPrefix = "ZENKEY_"

// NewSecret returns a random secret as 64 hex characters (API keys,
// activation tokens, device codes).
func NewSecret() string { return RandomHex(32) }

// RandomHex returns n random bytes as hex (the reference's token_hex).
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's randomness source failed
	}
	return hex.EncodeToString(b)
}

// HashSecret hashes a high-entropy secret for storage. A random 256-bit
// secret needs no slow hash: SHA-256 keeps API-key logins cheap.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares a presented secret with a stored hash in
// constant time. A bcrypt hash is one ZenML made (API keys, device codes
// and activation tokens brought over by `zengo import`): it is checked as
// bcrypt, so that existing keys keep working.
func SecretMatches(hash, secret string) bool {
	if strings.HasPrefix(hash, "$2") {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(secret)) == nil
	}
	return subtle.ConstantTimeCompare([]byte(hash), []byte(HashSecret(secret))) == 1
}

// EncodeAPIKey renders the key the client is shown once: the prefix and the
// base64 of a JSON object with the key's id and secret.
func EncodeAPIKey(id uuid.UUID, secret string) string {
	payload, _ := json.Marshal(struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}{id.String(), secret})
	return APIKeyPrefix + base64.StdEncoding.EncodeToString(payload)
}

// ErrBadAPIKey is an API key that does not decode.
var ErrBadAPIKey = errors.New("error decoding API key")

// DecodeAPIKey splits an encoded key into its id and secret.
func DecodeAPIKey(encoded string) (uuid.UUID, string, error) {
	encoded = strings.TrimPrefix(encoded, APIKeyPrefix)
	raw, err := base64.StdEncoding.DecodeString(lenientBase64(encoded))
	if err != nil {
		return uuid.Nil, "", ErrBadAPIKey
	}
	var k struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if err := json.Unmarshal(raw, &k); err != nil || k.Key == "" {
		return uuid.Nil, "", ErrBadAPIKey
	}
	id, err := uuid.Parse(k.ID)
	if err != nil {
		return uuid.Nil, "", ErrBadAPIKey
	}
	return id, k.Key, nil
}

// lenientBase64 reads base64 as Python's non-strict decoder does: it skips
// characters outside the alphabet and ignores whatever follows the padding.
func lenientBase64(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '=':
			goto done
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			b.WriteRune(c)
		}
	}
done:
	out := b.String()
	if r := len(out) % 4; r != 0 {
		out += strings.Repeat("=", 4-r)
	}
	return out
}
