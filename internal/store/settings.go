package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"zengo/internal/catalog"
	"zengo/internal/zen"
)

// Bootstrap describes the first start: who the admin is and what the
// default project is called.
type Bootstrap struct {
	AdminName         string
	AdminPasswordHash string
	ProjectName       string
}

// Settings returns the server settings together with the JWT signing
// secret kept beside them.
func (db *DB) Settings(ctx context.Context) (*zen.Settings, string, error) {
	var s zen.Settings
	var secret string
	err := db.read(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, `SELECT server_id, jwt_secret, server_name, logo_url, active, enable_analytics,
			display_announcements, display_updates, last_user_activity, updated FROM server_settings WHERE id = 1`).
			Scan(dbID{&s.ServerID}, &secret, &s.ServerName, &s.LogoURL, &s.Active, &s.EnableAnalytics,
				&s.DisplayAnnouncements, &s.DisplayUpdates, dbTime{&s.LastUserActivity}, dbTime{&s.Updated})
		if errors.Is(err, sql.ErrNoRows) {
			return errors.New("the database has not been initialised")
		}
		return err
	})
	return &s, secret, err
}

// SettingsUpdate carries the settings an update changes.
type SettingsUpdate struct {
	ServerName           *string
	LogoURL              *string
	EnableAnalytics      *bool
	DisplayAnnouncements *bool
	DisplayUpdates       *bool
}

// UpdateSettings changes the server settings.
func (db *DB) UpdateSettings(ctx context.Context, up SettingsUpdate) error {
	return db.write(ctx, func(tx *Tx) error {
		var set conditions
		if up.ServerName != nil {
			set.addSQL("server_name = ?", *up.ServerName)
		}
		if up.LogoURL != nil {
			set.addSQL("logo_url = ?", *up.LogoURL)
		}
		if up.EnableAnalytics != nil {
			set.addSQL("enable_analytics = ?", *up.EnableAnalytics)
		}
		if up.DisplayAnnouncements != nil {
			set.addSQL("display_announcements = ?", *up.DisplayAnnouncements)
		}
		if up.DisplayUpdates != nil {
			set.addSQL("display_updates = ?", *up.DisplayUpdates)
		}
		set.addSQL("updated = ?", tx.now.Micros())
		_, err := tx.exec(ctx, "UPDATE server_settings SET "+joinComma(set.parts)+" WHERE id = 1", set.args...)
		return err
	})
}

// TouchUserActivity records that a user did something (the settings'
// last_user_activity); callers throttle it.
func (db *DB) TouchUserActivity(ctx context.Context) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE server_settings SET last_user_activity = ? WHERE id = 1 AND last_user_activity < ?`,
			tx.now.Micros(), tx.now.Micros())
		return err
	})
}

// Initialise sets up an empty database as the reference does on its first
// start: the server identity and JWT secret, the default project, the admin
// user, the flavor catalogue and the default stack. Replicas that start at
// once on one empty database race here; exactly one wins, the others find
// the settings row and leave.
func (db *DB) Initialise(ctx context.Context, b Bootstrap) (created bool, err error) {
	flavors, err := catalog.Flavors()
	if err != nil {
		return false, fmt.Errorf("read flavor catalogue: %w", err)
	}
	err = db.withSchemaLock(ctx, func() error {
		return db.write(ctx, func(tx *Tx) error {
			var n int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM server_settings`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			secret := make([]byte, 32)
			if _, err := rand.Read(secret); err != nil {
				return err
			}
			now := tx.now.Micros()
			_, err := tx.exec(ctx, `INSERT INTO server_settings (id, server_id, jwt_secret, server_name, active,
			enable_analytics, display_announcements, display_updates, last_user_activity, created, updated)
			VALUES (1, ?, ?, 'default', TRUE, FALSE, TRUE, TRUE, ?, ?, ?)`, hexID(uuid.New()), hex.EncodeToString(secret), now, now, now)
			if err != nil {
				return err
			}
			project := zen.Project{Name: b.ProjectName, DisplayName: b.ProjectName}
			if err := tx.createProject(ctx, &project); err != nil {
				return err
			}
			hash := b.AdminPasswordHash
			if _, err := tx.createUser(ctx, NewUser{
				User:         zen.User{Name: b.AdminName, Active: true, IsAdmin: true},
				PasswordHash: &hash,
			}); err != nil {
				return err
			}
			// Distinct stamps keep the catalogue's order under the default
			// sort by creation time, as on the reference.
			for i, f := range flavors {
				if err := tx.insertCatalogueFlavor(ctx, f, now+int64(i)); err != nil {
					return err
				}
			}
			stackID := hexID(uuid.New())
			stackAt := now + int64(len(flavors)+len(catalog.DefaultStackComponents))
			if _, err := tx.exec(ctx, `INSERT INTO stacks (id, name, description, created, updated) VALUES (?, 'default', '', ?, ?)`, stackID, stackAt, stackAt); err != nil {
				return err
			}
			for i, typ := range catalog.DefaultStackComponents {
				at := now + int64(len(flavors)+i)
				componentID := hexID(uuid.New())
				if _, err := tx.exec(ctx, `INSERT INTO components (id, name, type, flavor_name, created, updated)
				VALUES (?, 'default', ?, 'local', ?, ?)`, componentID, typ, at, at); err != nil {
					return err
				}
				if _, err := tx.exec(ctx, `INSERT INTO stack_components (stack_id, component_id, default_for_type, list_index) VALUES (?, ?, ?, ?)`,
					stackID, componentID, typ, i); err != nil {
					return err
				}
			}
			created = true
			return nil
		})
	})
	if err != nil && db.dialect.isUniqueViolation(err) {
		// Another replica initialised the database first.
		return false, nil
	}
	return created, err
}

// Initialised reports whether the database has been set up.
func (db *DB) Initialised(ctx context.Context) (bool, error) {
	var n int
	err := db.read(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM server_settings`).Scan(&n)
	})
	return n > 0, err
}

// ServerStatistics counts stacks, components and projects.
func (db *DB) ServerStatistics(ctx context.Context) ([3]int, error) {
	var out [3]int
	err := db.read(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM stacks), (SELECT COUNT(*) FROM components), (SELECT COUNT(*) FROM projects)`).
			Scan(&out[0], &out[1], &out[2])
	})
	return out, err
}

// OnboardingState lists the onboarding steps done, in the order they were.
func (db *DB) OnboardingState(ctx context.Context) ([]string, error) {
	var raw string
	err := db.read(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT onboarding_state FROM server_settings WHERE id = 1`).Scan(&raw)
	})
	steps := []string{}
	if err == nil {
		err = json.Unmarshal([]byte(raw), &steps)
	}
	return steps, err
}

// markOnboarding records onboarding steps, each once.
func (tx *Tx) markOnboarding(ctx context.Context, done ...string) error {
	var raw string
	if err := tx.queryRow(ctx, `SELECT onboarding_state FROM server_settings WHERE id = 1`).Scan(&raw); err != nil {
		return err
	}
	var steps []string
	json.Unmarshal([]byte(raw), &steps)
	added := false
	for _, step := range done {
		if !slices.Contains(steps, step) {
			steps, added = append(steps, step), true
		}
	}
	if !added {
		return nil
	}
	b, _ := json.Marshal(steps)
	_, err := tx.exec(ctx, `UPDATE server_settings SET onboarding_state = ? WHERE id = 1`, string(b))
	return err
}
