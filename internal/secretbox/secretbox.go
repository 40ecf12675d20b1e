// Package secretbox seals secret values for storage: AES-256-GCM under a
// key derived from the operator's ZENML_SECRETS_STORE_ENCRYPTION_KEY, or a
// plain (base64) form when no key is configured, as the reference does.
//
// A sealed value is the base64 (standard alphabet) of
//
//	version (1 byte) | rest
//
// version 0: rest is the plaintext (no key configured);
// version 1: rest is a 12-byte random nonce and the AES-GCM ciphertext
// with its 16-byte tag; the additional data is the version byte and the
// 16 bytes of the id the value belongs to, so a sealed value copied onto
// another row does not open.
//
// The key is SHA-256 of the configured string, the derivation of the
// reference's AesGcmEngine: an operator keeps the key they used with ZenML.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"

	"github.com/google/uuid"
)

const (
	versionPlain  = 0
	versionAESGCM = 1
)

// ErrWrongKey is a sealed value that does not open with the box's key
// (another key, or encrypted where the box has none, or the reverse).
var ErrWrongKey = errors.New("the secret values do not open with the configured encryption key")

// Box seals and opens values. The zero Box (no key) stores them plainly.
type Box struct {
	aead cipher.AEAD
}

// New returns a box for key; an empty key gives the plain box.
func New(key string) *Box {
	if key == "" {
		return &Box{}
	}
	sum := sha256.Sum256([]byte(key))
	block, err := aes.NewCipher(sum[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Box{aead: aead}
}

// Encrypted reports whether the box has a key.
func (b *Box) Encrypted() bool { return b.aead != nil }

// Seal returns the stored form of plaintext, bound to id.
func (b *Box) Seal(id uuid.UUID, plaintext []byte) string {
	if b.aead == nil {
		return base64.StdEncoding.EncodeToString(append([]byte{versionPlain}, plaintext...))
	}
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	out[0] = versionAESGCM
	if _, err := rand.Read(out[1:]); err != nil {
		panic(err) // the system's randomness source failed
	}
	return base64.StdEncoding.EncodeToString(b.aead.Seal(out, out[1:], plaintext, additional(id)))
}

// Open returns the plaintext of a stored value bound to id. A value that
// the box cannot open is ErrWrongKey; the error never carries content.
func (b *Box) Open(id uuid.UUID, stored string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(stored)
	if err != nil || len(raw) == 0 {
		return nil, errors.New("the stored secret values are not in zengo's format")
	}
	switch raw[0] {
	case versionPlain:
		if b.aead != nil {
			return nil, ErrWrongKey
		}
		return raw[1:], nil
	case versionAESGCM:
		if b.aead == nil || len(raw) < 1+b.aead.NonceSize()+b.aead.Overhead() {
			return nil, ErrWrongKey
		}
		nonce, ct := raw[1:1+b.aead.NonceSize()], raw[1+b.aead.NonceSize():]
		pt, err := b.aead.Open(nil, nonce, ct, additional(id))
		if err != nil {
			return nil, ErrWrongKey
		}
		return pt, nil
	}
	return nil, errors.New("the stored secret values have an unknown format version")
}

func additional(id uuid.UUID) []byte {
	return append([]byte{versionAESGCM}, id[:]...)
}
