package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// The states of an OAuth2 device, as the reference names them: pending
// until a user approves it with its user code, verified until the client
// exchanges its device code for a token, then active; locked after too
// many wrong codes or by its user.
const (
	DevicePending  = "pending"
	DeviceVerified = "verified"
	DeviceActive   = "active"
	DeviceLocked   = "locked"
)

// Device is a client that logs in with the OAuth2 device authorization
// grant. Its codes are kept only as hashes.
type Device struct {
	ID, ClientID       uuid.UUID
	UserID             *uuid.UUID
	Status             string
	FailedAuthAttempts int
	Expires, LastLogin *zen.Time
	TrustedDevice      bool
	DeviceInfo
	UserCodeHash, DeviceCodeHash string
	Created, Updated             zen.Time

	User *zen.User
}

// DeviceInfo is what a device tells about itself (its User-Agent) and
// where its request came from.
type DeviceInfo struct {
	OS, IPAddress, Hostname, PythonVersion, ZenMLVersion, City, Region, Country *string
}

const deviceSelect = `d.id, d.client_id, d.user_id, d.status, d.failed_auth_attempts, d.expires, d.last_login, d.trusted_device,
	d.os, d.ip_address, d.hostname, d.python_version, d.zenml_version, d.city, d.region, d.country,
	d.user_code_hash, d.device_code_hash, d.created, d.updated`

func scanDevice(row interface{ Scan(...any) error }) (*Device, error) {
	d := &Device{}
	err := row.Scan(dbID{&d.ID}, dbID{&d.ClientID}, dbIDPtr{&d.UserID}, &d.Status, &d.FailedAuthAttempts, dbTimePtr{&d.Expires},
		dbTimePtr{&d.LastLogin}, &d.TrustedDevice, &d.OS, &d.IPAddress, &d.Hostname, &d.PythonVersion, &d.ZenMLVersion,
		&d.City, &d.Region, &d.Country, &d.UserCodeHash, &d.DeviceCodeHash, dbTime{&d.Created}, dbTime{&d.Updated})
	return d, err
}

var deviceRelations = []relation[*Device]{
	withUsers(ref[*Device, *zen.User]{func(d *Device) *uuid.UUID { return d.UserID }, func(d *Device, u *zen.User) { d.User = u }}),
}

// DeviceKey names a device by its id or by its client's id.
type DeviceKey struct {
	ID, ClientID *uuid.UUID
}

func (k DeviceKey) where() (string, any) {
	if k.ID != nil {
		return "d.id = ?", hexID(*k.ID)
	}
	return "d.client_id = ?", hexID(*k.ClientID)
}

func deviceNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get authorized device with ID '%s': No authorized device with this ID found", id)
}

func (tx *Tx) getDevice(ctx context.Context, key DeviceKey, lock bool) (*Device, error) {
	where, arg := key.where()
	q := `SELECT ` + deviceSelect + ` FROM auth_devices d WHERE ` + where
	if lock {
		q += tx.db.dialect.forUpdate()
	}
	d, err := scanDevice(tx.queryRow(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		if key.ID != nil {
			return nil, deviceNotFound(*key.ID)
		}
		return nil, zen.NotFound("Unable to get device with client ID %s: No device with this client ID found.", *key.ClientID)
	}
	if err != nil {
		return nil, err
	}
	return d, loadRelations(ctx, tx, []*Device{d}, deviceRelations)
}

// GetDevice finds a device by its id or its client's id.
func (db *DB) GetDevice(ctx context.Context, key DeviceKey) (*Device, error) {
	var out *Device
	err := db.read(ctx, func(tx *Tx) (err error) {
		out, err = tx.getDevice(ctx, key, false)
		return err
	})
	return out, err
}

// AuthorizeDevice starts a device authorization for a client: a new
// pending device, or, for a client seen before, its device put back to
// pending with new codes (the old ones stop working), as the reference
// does. expiresIn is the time the user has to approve it, in seconds.
func (db *DB) AuthorizeDevice(ctx context.Context, clientID uuid.UUID, info DeviceInfo, userCodeHash, deviceCodeHash string, expiresIn int) (*Device, error) {
	var out *Device
	err := db.write(ctx, func(tx *Tx) error {
		now := tx.now
		d, err := tx.getDevice(ctx, DeviceKey{ClientID: &clientID}, true)
		if zen.IsNotFound(err) {
			// A new device expires even for a timeout of 0 (the
			// reference's creation path does not test it).
			expires := zen.NewTime(now.Std().Add(time.Duration(expiresIn) * time.Second))
			id := uuid.New()
			if _, err := tx.exec(ctx, `INSERT INTO auth_devices (id, client_id, user_code_hash, device_code_hash, status, failed_auth_attempts,
				expires, trusted_device, os, ip_address, hostname, python_version, zenml_version, city, region, country, created, updated)
				VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				hexID(id), hexID(clientID), userCodeHash, deviceCodeHash, DevicePending, expires.Micros(), false,
				info.OS, info.IPAddress, info.Hostname, info.PythonVersion, info.ZenMLVersion, info.City, info.Region, info.Country,
				now.Micros(), now.Micros()); err != nil {
				return err
			}
			out, err = tx.getDevice(ctx, DeviceKey{ID: &id}, false)
			return err
		}
		if err != nil {
			return err
		}
		d.TrustedDevice, d.Status, d.FailedAuthAttempts = false, DevicePending, 0
		d.Expires = ExpiresIn(now, expiresIn)
		d.UserCodeHash, d.DeviceCodeHash = userCodeHash, deviceCodeHash
		// What the request does not tell is kept (the reference updates
		// only the fields it has).
		for _, f := range []struct{ dst, src **string }{
			{&d.OS, &info.OS}, {&d.IPAddress, &info.IPAddress}, {&d.Hostname, &info.Hostname},
			{&d.PythonVersion, &info.PythonVersion}, {&d.ZenMLVersion, &info.ZenMLVersion},
			{&d.City, &info.City}, {&d.Region, &info.Region}, {&d.Country, &info.Country},
		} {
			if *f.src != nil {
				*f.dst = *f.src
			}
		}
		d.Updated = now
		if err := tx.saveDevice(ctx, d); err != nil {
			return err
		}
		out, err = tx.getDevice(ctx, DeviceKey{ID: &d.ID}, false)
		return err
	})
	return out, err
}

// ExpiresIn is the expiry of something that lasts seconds from now; none
// for zero or less (the reference's "never expires").
func ExpiresIn(now zen.Time, seconds int) *zen.Time {
	if seconds <= 0 {
		return nil
	}
	t := zen.NewTime(now.Std().Add(time.Duration(seconds) * time.Second))
	return &t
}

// ChangeDevice reads a device, locked against concurrent changes, lets
// change edit it, and writes the edit back in the same transaction.
// change's error is returned after the edit is committed: a wrong code
// counts as a failed attempt even though the request fails. A device that
// becomes verified completes the onboarding step "device_verified".
func (db *DB) ChangeDevice(ctx context.Context, key DeviceKey, change func(d *Device, now zen.Time) error) (*Device, error) {
	var out *Device
	var changeErr error
	err := db.write(ctx, func(tx *Tx) error {
		d, err := tx.getDevice(ctx, key, true)
		if err != nil {
			return err
		}
		before := *d
		changeErr = change(d, tx.now)
		if *d == before {
			out = d
			return nil
		}
		if err := tx.saveDevice(ctx, d); err != nil {
			return err
		}
		if d.Status == DeviceVerified && before.Status != DeviceVerified {
			if err := tx.markOnboarding(ctx, "device_verified"); err != nil {
				return err
			}
		}
		out, err = tx.getDevice(ctx, DeviceKey{ID: &d.ID}, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, changeErr
}

// saveDevice writes every changeable column of a device.
func (tx *Tx) saveDevice(ctx context.Context, d *Device) error {
	_, err := tx.exec(ctx, `UPDATE auth_devices SET user_id = ?, status = ?, failed_auth_attempts = ?, expires = ?, last_login = ?,
		trusted_device = ?, os = ?, ip_address = ?, hostname = ?, python_version = ?, zenml_version = ?, city = ?, region = ?, country = ?,
		user_code_hash = ?, device_code_hash = ?, updated = ? WHERE id = ?`,
		hexIDPtr(d.UserID), d.Status, d.FailedAuthAttempts, timePtr(d.Expires), timePtr(d.LastLogin), d.TrustedDevice,
		d.OS, d.IPAddress, d.Hostname, d.PythonVersion, d.ZenMLVersion, d.City, d.Region, d.Country,
		d.UserCodeHash, d.DeviceCodeHash, d.Updated.Micros(), hexID(d.ID))
	return err
}

// DeleteDevice removes a device; the tokens issued to it stop working.
func (db *DB) DeleteDevice(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		n, err := tx.deleteCascading(ctx, "auth_devices", "id = ?", hexID(id))
		if err == nil && n == 0 {
			return deviceNotFound(id)
		}
		return err
	})
}

var deviceFilterColumns = func() map[string]column {
	cols := baseColumns("d")
	cols["client_id"] = column{expr: "d.client_id", typ: filter.UUID}
	cols["status"] = column{expr: "d.status", typ: filter.String}
	cols["trusted_device"] = column{expr: "d.trusted_device", typ: filter.Bool}
	cols["failed_auth_attempts"] = column{expr: "d.failed_auth_attempts", typ: filter.Int}
	cols["expires"] = column{expr: "d.expires", typ: filter.Datetime, nullable: true}
	cols["last_login"] = column{expr: "d.last_login", typ: filter.Datetime, nullable: true}
	return cols
}()

// ListDevices lists the devices of one user (the reference shows each user
// only their own).
func (db *DB) ListDevices(ctx context.Context, l *filter.List, owner uuid.UUID) (*zen.Page[*Device], error) {
	spec := &listSpec{from: "auth_devices d", alias: "d", columns: deviceFilterColumns,
		custom:   db.dialect.userScopedCustom("d.user_id", nil),
		sortKeys: map[string]sortKey{"user": userSortKey("d.user_id")}}
	return listRows(ctx, db, spec, l, scopeUserClause("d.user_id", &owner), deviceSelect, scanDevice, func(ctx context.Context, tx *Tx, items []*Device) error {
		return loadRelations(ctx, tx, items, deviceRelations)
	})
}
