package zen

import (
	"encoding/json"

	"github.com/google/uuid"
)

// User is a person or a service account (IsServiceAccount) known to the
// server. Password and token hashes stay in the store; they are never part
// of this type.
type User struct {
	ID                uuid.UUID
	Name              string
	IsServiceAccount  bool
	FullName          string
	Description       *string
	Email             *string
	EmailOptedIn      *bool
	Active            bool
	IsAdmin           bool
	ExternalUserID    *uuid.UUID
	UserMetadata      json.RawMessage
	AvatarURL         *string
	DefaultProjectID  *uuid.UUID
	PasswordChangedAt *Time
	Created, Updated  Time

	// ActivationToken is the plain token, known only in the answer to the
	// request that issued it.
	ActivationToken *string
}

// Project is a namespace for pipelines, runs and the rest.
type Project struct {
	ID               uuid.UUID
	Name             string
	DisplayName      string
	Description      string
	Metadata         json.RawMessage
	Created, Updated Time
}

// Settings are the server-wide settings and identity.
type Settings struct {
	ServerID             uuid.UUID
	ServerName           string
	LogoURL              *string
	Active               bool
	EnableAnalytics      bool
	DisplayAnnouncements *bool
	DisplayUpdates       *bool
	LastUserActivity     Time
	Updated              Time
}

// PageInfo is the paging part of a list answer.
type PageInfo struct {
	Index      int
	MaxSize    int
	TotalPages int
	Total      int
}

// Page is one page of a list.
type Page[T any] struct {
	PageInfo
	Items []T
}

// APIKey is a service account's credential. The secret itself is shown
// only once, in Key, right after it is made or rotated.
type APIKey struct {
	ID                  uuid.UUID
	Name                string
	Description         string
	Active              bool
	RetainPeriodMinutes int
	// Generation counts rotations; tokens name the generation they came
	// from, so old ones can be refused.
	Generation       int
	LastLogin        *Time
	LastRotated      *Time
	Created, Updated Time
	ServiceAccount   *User
	Key              *string
}
