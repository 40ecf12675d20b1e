package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/google/uuid"
)

// CSRF tokens protect browser sessions started from another site: the
// access token of such a session carries a session id, and every request
// must also send this token, which signs the same id.

// SignCSRF makes the CSRF token of a session.
func SignCSRF(sessionID uuid.UUID, secret []byte) string {
	payload, _ := json.Marshal(sessionID.String())
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(csrfMAC(p, secret))
}

func csrfMAC(payload string, secret []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("zengo-csrf."))
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// CSRF errors, in the reference's words.
var (
	ErrCSRFSignature = errors.New("Invalid CSRF token: signature mismatch")
	ErrCSRFPayload   = errors.New("Invalid CSRF token")
)

// VerifyCSRF checks a CSRF token and returns the session id it signs.
func VerifyCSRF(token string, secret []byte) (uuid.UUID, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok {
		return uuid.Nil, ErrCSRFSignature
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, csrfMAC(payload, secret)) {
		return uuid.Nil, ErrCSRFSignature
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return uuid.Nil, ErrCSRFPayload
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return uuid.Nil, ErrCSRFPayload
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, errors.New("Invalid CSRF token: the session ID is not a valid UUID")
	}
	return id, nil
}
