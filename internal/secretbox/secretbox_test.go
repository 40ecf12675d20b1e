package secretbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/google/uuid"
)

func TestSealOpen(t *testing.T) {
	id, other := uuid.New(), uuid.New()
	plain := []byte(`{"password":"hunter2"}`)
	for _, key := range []string{"", "k1"} {
		b := New(key)
		sealed := b.Seal(id, plain)
		raw, _ := base64.StdEncoding.DecodeString(sealed)
		if key != "" && bytes.Contains(raw, []byte("hunter2")) {
			t.Fatalf("key %q: plaintext in the sealed form", key)
		}
		got, err := b.Open(id, sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("key %q: open = %q, %v", key, got, err)
		}
		if key != "" {
			if _, err := b.Open(other, sealed); !errors.Is(err, ErrWrongKey) {
				t.Fatalf("a value moved to another id opened: %v", err)
			}
			if b.Seal(id, plain) == sealed {
				t.Fatal("two seals with the same nonce")
			}
		}
	}
	enc := New("k1").Seal(id, plain)
	for name, b := range map[string]*Box{"wrong key": New("k2"), "no key": New("")} {
		if _, err := b.Open(id, enc); !errors.Is(err, ErrWrongKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := New("k1").Open(id, New("").Seal(id, plain)); !errors.Is(err, ErrWrongKey) {
		t.Errorf("a plain value opened with a key: %v", err)
	}
}
