package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/secretbox"
	"zengo/internal/storetest"
	"zengo/internal/zen"
)

func secretValues(kv ...string) SecretValues {
	out := SecretValues{}
	for i := 0; i < len(kv); i += 2 {
		v := kv[i+1]
		out = append(out, SecretValue{Key: kv[i], Value: &v})
	}
	return out
}

func (v SecretValues) String() string {
	var parts []string
	for _, e := range v {
		val := "<nil>"
		if e.Value != nil {
			val = *e.Value
		}
		parts = append(parts, e.Key+"="+val)
	}
	return strings.Join(parts, ",")
}

func openWithKey(t *testing.T, url, key string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url, Options{SecretsKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// With a key, the database holds no plaintext value (neither as text nor
// under the base64 of the stored form); another key, or none, opens
// nothing and says so; rotation re-encrypts every secret or none.
func TestSecretsEncryptedAtRestAndRotated(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := newFixture(t, url)
		k1 := openWithKey(t, url, "key-one")
		const plain = "hunter2-plaintext-value"
		var ids []uuid.UUID
		for i := 0; i < 3; i++ {
			s, err := k1.CreateSecret(ctx, Secret{UserID: f.admin.ID, Name: fmt.Sprintf("s%d", i), Values: secretValues("password", plain, "user", "alice")})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, s.ID)
		}
		var stored string
		if err := f.db.reader.QueryRow(k1.dialect.rebind(`SELECT secret_values FROM secrets WHERE id = ?`), hexID(ids[0])).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(stored)
		if strings.Contains(stored, plain) || strings.Contains(string(raw), plain) || strings.Contains(string(raw), "alice") || raw[0] != 1 {
			t.Fatalf("the stored form shows the value (or is not version 1): %q", raw)
		}
		if s, err := k1.GetSecret(ctx, ids[0], f.admin.ID); err != nil || s.Values.String() != "password="+plain+",user=alice" {
			t.Fatalf("get with the key: %v %v", s, err)
		}

		for _, other := range []string{"key-two", ""} {
			db := openWithKey(t, url, other)
			if err := db.CheckSecretsKey(ctx); !errors.Is(err, secretbox.ErrWrongKey) {
				t.Errorf("key %q: check = %v", other, err)
			}
			_, err := db.GetSecret(ctx, ids[0], f.admin.ID)
			if zen.ErrorCode(err) != zen.ENotFound || !strings.Contains(err.Error(), "could not be decoded") || strings.Contains(err.Error(), plain) {
				t.Errorf("key %q: get = %v", other, err)
			}
		}

		if _, err := f.db.RotateSecretsKey(ctx, "wrong-old", "key-two"); err == nil || strings.Contains(err.Error(), plain) {
			t.Fatalf("rotation from a wrong key: %v", err)
		}
		if err := k1.CheckSecretsKey(ctx); err != nil {
			t.Fatalf("a failed rotation changed something: %v", err)
		}
		if n, err := f.db.RotateSecretsKey(ctx, "key-one", "key-two"); err != nil || n != 3 {
			t.Fatalf("rotate: %d %v", n, err)
		}
		k2 := openWithKey(t, url, "key-two")
		for _, id := range ids {
			if s, err := k2.GetSecret(ctx, id, f.admin.ID); err != nil || s.Values.String() != "password="+plain+",user=alice" {
				t.Fatalf("after rotation: %v %v", s, err)
			}
		}
		if err := k1.CheckSecretsKey(ctx); err == nil {
			t.Fatal("the old key still opens the secrets")
		}
		// Back to unencrypted, which the keyless store reads.
		if _, err := f.db.RotateSecretsKey(ctx, "key-two", ""); err != nil {
			t.Fatal(err)
		}
		if err := f.db.CheckSecretsKey(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSecretRules(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := newFixture(t, url)
		h := "x"
		bob, err := f.db.CreateUser(ctx, NewUser{User: zen.User{Name: "bob", Active: true}, PasswordHash: &h})
		if err != nil {
			t.Fatal(err)
		}
		create := func(owner uuid.UUID, name string, private bool) (*Secret, error) {
			return f.db.CreateSecret(ctx, Secret{UserID: owner, Name: name, Private: private, Values: secretValues("k", "v")})
		}
		pub, err := create(f.admin.ID, "shared", false)
		if err != nil {
			t.Fatal(err)
		}
		mine, err := create(f.admin.ID, "shared", true)
		if err != nil {
			t.Fatal(err)
		}
		bobs, err := create(bob.ID, "shared", true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := create(bob.ID, "shared", false); zen.ErrorCode(err) != zen.EConflict {
			t.Fatalf("a second public name: %v", err)
		}
		if _, err := create(bob.ID, "shared", true); err == nil || err.Error() != "Found an existing private secret with the same 'shared' name for the same 'bob' user" {
			t.Fatalf("a second private name: %v", err)
		}

		visible := func(viewer uuid.UUID, query string) string {
			page, err := f.db.ListSecrets(ctx, mustList(t, filter.Secrets, query), viewer)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range page.Items {
				if s.Values != nil {
					t.Errorf("a list carries values")
				}
				out = append(out, fmt.Sprintf("%s/%s/%t", s.User.Name, s.Name, s.Private))
			}
			return strings.Join(out, ",")
		}
		for _, c := range []struct {
			viewer      uuid.UUID
			query, want string
		}{
			{f.admin.ID, "", "default/shared/false,default/shared/true"},
			{bob.ID, "", "default/shared/false,bob/shared/true"},
			{bob.ID, "private=true", "bob/shared/true"},
			{bob.ID, "private=true&name=nothing&logical_operator=or", "bob/shared/true"},
			{bob.ID, "user=default&scope_user=" + f.admin.ID.String(), "default/shared/false"},
			{bob.ID, "sort_by=desc:user", "default/shared/false,bob/shared/true"},
		} {
			if got := visible(c.viewer, c.query); got != c.want {
				t.Errorf("%s sees %q: %q, want %q", c.viewer, c.query, got, c.want)
			}
		}
		if _, err := f.db.GetSecret(ctx, mine.ID, bob.ID); zen.ErrorCode(err) != zen.ENotFound {
			t.Fatalf("bob reads the admin's private secret: %v", err)
		}
		if err := f.db.DeleteSecret(ctx, bobs.ID, f.admin.ID); zen.ErrorCode(err) != zen.ENotFound {
			t.Fatalf("the admin deletes bob's private secret: %v", err)
		}
		if _, err := f.db.UpdateSecret(ctx, pub.ID, bob.ID, SecretUpdate{Private: new(bool)}); zen.ErrorCode(err) != zen.EForbidden {
			t.Fatalf("bob changes the visibility of the admin's secret: %v", err)
		}

		// Values: replace by default, merge when patching; nil removes.
		up := func(values SecretValues, replace bool) string {
			s, err := f.db.UpdateSecret(ctx, pub.ID, bob.ID, SecretUpdate{Values: values, ReplaceValues: replace})
			if err != nil {
				t.Fatal(err)
			}
			return s.Values.String()
		}
		if got := up(secretValues("a", "1", "b", "2", "c", "3"), true); got != "a=1,b=2,c=3" {
			t.Fatal(got)
		}
		if got := up(append(secretValues("c", "30", "d", "4"), SecretValue{Key: "a"}), false); got != "b=2,c=30,d=4" {
			t.Fatal(got)
		}
		if got := up(secretValues("d", "40", "e", "5"), true); got != "d=40,e=5" {
			t.Fatal(got)
		}
		if got := up(nil, true); got != "d=40,e=5" {
			t.Fatalf("no values given changed them: %s", got)
		}
		big := strings.Repeat("€", 21846)
		if _, err := f.db.UpdateSecret(ctx, pub.ID, bob.ID, SecretUpdate{Name: &big, Values: secretValues("a", big)}); zen.ErrorCode(err) != zen.EInvalid {
			t.Fatalf("64 KiB: %v", err)
		}
		if s, _ := f.db.GetSecret(ctx, pub.ID, bob.ID); s.Name != "shared" {
			t.Fatal("a refused update changed the name")
		}

		// A list costs the same statements for 1 and 1,000 rows.
		for i := 0; i < 30; i++ {
			if _, err := create(bob.ID, fmt.Sprintf("many-%d", i), i%2 == 0); err != nil {
				t.Fatal(err)
			}
		}
		count := func(size int) int64 {
			before := f.db.Statements()
			if _, err := f.db.ListSecrets(ctx, mustList(t, filter.Secrets, fmt.Sprintf("size=%d&sort_by=user", size)), bob.ID); err != nil {
				t.Fatal(err)
			}
			return f.db.Statements() - before
		}
		if a, b := count(1), count(1000); a != b {
			t.Fatalf("secret list statements: %d vs %d", a, b)
		}

		// Their owner cannot be deleted while they exist.
		if err := f.db.DeleteUser(ctx, bob.ID); zen.ErrorCode(err) != zen.EForbidden {
			t.Fatalf("deleting an owner of secrets: %v", err)
		}
	})
}
