package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
)

func TestJWTRoundTripAndRefusals(t *testing.T) {
	secret := []byte("s3cret")
	server := uuid.NewString()
	now := time.Unix(1_700_000_000, 0)
	exp := float64(now.Add(time.Minute).Unix())
	tok, err := Sign(Claims{Subject: "u1", Issuer: server, Audience: server, IssuedAt: UnixSeconds(now), ExpiresAt: &exp}, secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Verify(tok, secret, server, now)
	if err != nil || c.Subject != "u1" {
		t.Fatalf("verify: %+v %v", c, err)
	}
	refusals := map[string]struct {
		token  string
		secret []byte
		server string
		at     time.Time
	}{
		"Not enough segments":           {"garbage", secret, server, now},
		"Signature verification failed": {tok, []byte("other"), server, now},
		"Signature has expired":         {tok, secret, server, now.Add(time.Minute + Leeway + time.Second)},
		"Audience doesn't match":        {tok, secret, uuid.NewString(), now},
	}
	for want, c := range refusals {
		_, err := Verify(c.token, c.secret, c.server, c.at)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q, got %v", want, err)
		}
	}
	// Within the leeway an expired token still passes.
	if _, err := Verify(tok, secret, server, now.Add(time.Minute+Leeway/2)); err != nil {
		t.Errorf("within leeway: %v", err)
	}
}

func TestAPIKeyFormat(t *testing.T) {
	id := uuid.New()
	key := EncodeAPIKey(id, "abc")
	if !strings.HasPrefix(key, "ZENKEY_") {
		t.Fatalf("prefix: %s", key)
	}
	gotID, secret, err := DecodeAPIKey(key)
	if err != nil || gotID != id || secret != "abc" {
		t.Fatalf("decode: %v %q %v", gotID, secret, err)
	}
	for _, bad := range []string{"ZENKEY_garbage", "", "ZENKEY_e30="} {
		if _, _, err := DecodeAPIKey(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

func TestPasswords(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, pw := range []string{"", "pw", long} {
		h, err := HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		if !CheckPassword(h, pw) || CheckPassword(h, pw+"y") {
			t.Errorf("password %q", pw)
		}
	}
	// Beyond bcrypt's 72 bytes, every byte still counts.
	h, _ := HashPassword(long)
	if CheckPassword(h, long[:99]+"y") {
		t.Error("long passwords differing at the end must not match")
	}
}

// Hashes ZenML made (imported by `zengo import`): bcrypt for API keys and
// device codes, bcrypt of at most 72 bytes for passwords.
func TestZenMLHashes(t *testing.T) {
	key := NewSecret()
	h, err := bcrypt.GenerateFromPassword([]byte(key), 4)
	if err != nil {
		t.Fatal(err)
	}
	if !SecretMatches(string(h), key) || SecretMatches(string(h), key+"x") {
		t.Error("a bcrypt API key hash does not check as bcrypt")
	}
	long := strings.Repeat("p", 80)
	h, _ = bcrypt.GenerateFromPassword([]byte(long[:72]), 4)
	if !CheckPassword(string(h), long) || CheckPassword(string(h), strings.Repeat("q", 80)) {
		t.Error("a long password hashed by ZenML does not check")
	}
}
