package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/storetest"
	"zengo/internal/zen"
)

func strp(s string) *string { return &s }

// codeHash stands for a stored code hash (always 64 hex characters).
func codeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// A device's life on every engine: authorized, authorized again (same
// row, new codes, what the client does not tell kept), approved, listed
// for its user only, and gone with its user, who may be deleted even
// though devices name them.
func TestDeviceLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := newFixture(t, url)
		client := uuid.New()
		info := DeviceInfo{Hostname: strp("box"), OS: strp("Linux"), IPAddress: strp("10.0.0.1"), City: strp("")}
		d, err := f.db.AuthorizeDevice(ctx, client, info, codeHash("uc1"), codeHash("dc1"), 300)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != DevicePending || d.Expires == nil || d.Expires.Micros()-d.Created.Micros() != 300e6 || d.UserID != nil {
			t.Fatalf("new device: %+v", d)
		}
		again, err := f.db.AuthorizeDevice(ctx, client, DeviceInfo{Hostname: strp("box2"), IPAddress: strp("10.0.0.2")}, codeHash("uc2"), codeHash("dc2"), 300)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != d.ID || again.UserCodeHash != codeHash("uc2") || again.DeviceCodeHash != codeHash("dc2") || *again.Hostname != "box2" ||
			again.OS == nil || *again.OS != "Linux" || *again.IPAddress != "10.0.0.2" {
			t.Fatalf("authorized again: %+v", again)
		}

		// A refused change is still written: a wrong code counts.
		wrong := errors.New("wrong code")
		got, err := f.db.ChangeDevice(ctx, DeviceKey{ID: &d.ID}, func(d *Device, now zen.Time) error {
			d.FailedAuthAttempts++
			return wrong
		})
		if !errors.Is(err, wrong) || got.FailedAuthAttempts != 1 {
			t.Fatalf("failed attempt: %+v %v", got, err)
		}
		got, err = f.db.ChangeDevice(ctx, DeviceKey{ClientID: &client}, func(d *Device, now zen.Time) error {
			d.Status, d.UserID, d.Updated = DeviceVerified, &f.admin.ID, now
			return nil
		})
		if err != nil || got.Status != DeviceVerified || got.User == nil || got.User.ID != f.admin.ID {
			t.Fatalf("verify: %+v %v", got, err)
		}
		steps, err := f.db.OnboardingState(ctx)
		if err != nil || !slices.Contains(steps, "device_verified") {
			t.Fatalf("onboarding: %v %v", steps, err)
		}

		other, err := f.db.CreateUser(ctx, NewUser{User: zen.User{Name: "other", Active: true}})
		if err != nil {
			t.Fatal(err)
		}
		od, err := f.db.AuthorizeDevice(ctx, uuid.New(), info, codeHash("u"), codeHash("d"), 300)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.ChangeDevice(ctx, DeviceKey{ID: &od.ID}, func(d *Device, now zen.Time) error {
			d.Status, d.UserID = DeviceActive, &other.ID
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		unowned, err := f.db.AuthorizeDevice(ctx, uuid.New(), info, codeHash("u"), codeHash("d"), 300)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			query string
			want  []uuid.UUID
		}{
			{"", []uuid.UUID{d.ID}},
			{"status=verified", []uuid.UUID{d.ID}},
			{"status=active", nil},
			{"failed_auth_attempts=gte:1", []uuid.UUID{d.ID}},
			{"trusted_device=false&sort_by=desc:last_login", []uuid.UUID{d.ID}},
		} {
			page, err := f.db.ListDevices(ctx, mustList(t, filter.Devices, c.query), f.admin.ID)
			if err != nil {
				t.Fatalf("%q: %v", c.query, err)
			}
			var ids []uuid.UUID
			for _, it := range page.Items {
				ids = append(ids, it.ID)
			}
			if !slices.Equal(ids, c.want) || page.Total != len(c.want) {
				t.Errorf("%q: %v (total %d), want %v", c.query, ids, page.Total, c.want)
			}
		}

		if err := f.db.DeleteUser(ctx, other.ID); err != nil {
			t.Fatalf("a user with a device is deleted: %v", err)
		}
		if _, err := f.db.GetDevice(ctx, DeviceKey{ID: &od.ID}); !zen.IsNotFound(err) {
			t.Errorf("the deleted user's device: %v", err)
		}
		if err := f.db.DeleteDevice(ctx, unowned.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.db.DeleteDevice(ctx, unowned.ID); !zen.IsNotFound(err) {
			t.Errorf("deleted twice: %v", err)
		}
		if _, err := f.db.ChangeDevice(ctx, DeviceKey{ID: &unowned.ID}, func(*Device, zen.Time) error { return nil }); !zen.IsNotFound(err) {
			t.Errorf("change of a missing device: %v", err)
		}
	})
}

// Concurrent wrong codes are all counted: a change reads its device under
// a row lock, so the attempts that lock a device cannot be lost.
func TestConcurrentDeviceChangesAreSerialised(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := newFixture(t, url)
		d, err := f.db.AuthorizeDevice(ctx, uuid.New(), DeviceInfo{}, codeHash("u"), codeHash("d"), 300)
		if err != nil {
			t.Fatal(err)
		}
		const n = 12
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.db.ChangeDevice(ctx, DeviceKey{ID: &d.ID}, func(d *Device, now zen.Time) error {
					d.FailedAuthAttempts++
					return nil
				})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.db.GetDevice(ctx, DeviceKey{ID: &d.ID})
		if err != nil || got.FailedAuthAttempts != n {
			t.Fatalf("attempts: %v %v, want %d", got.FailedAuthAttempts, err, n)
		}
	})
}
