package api

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/auth"
	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// userRequest is the reference's UserRequest.
type userRequest struct {
	Name            string          `json:"name" zen:"required,max=255"`
	FullName        string          `json:"full_name" zen:"max=255"`
	IsAdmin         bool            `json:"is_admin" zen:"required"`
	Active          bool            `json:"active"`
	Email           *string         `json:"email" zen:"max=255"`
	EmailOptedIn    *bool           `json:"email_opted_in"`
	Password        *string         `json:"password" zen:"max=255"`
	ActivationToken *string         `json:"activation_token" zen:"max=255"`
	ExternalUserID  *uuid.UUID      `json:"external_user_id"`
	UserMetadata    json.RawMessage `json:"user_metadata"`
	AvatarURL       *string         `json:"avatar_url" zen:"max=255"`
}

// userUpdate is the reference's UserUpdate; every field is optional.
type userUpdate struct {
	Name             *string         `json:"name" zen:"max=255"`
	FullName         *string         `json:"full_name" zen:"max=255"`
	IsAdmin          *bool           `json:"is_admin"`
	Active           *bool           `json:"active"`
	Email            *string         `json:"email" zen:"max=255"`
	EmailOptedIn     *bool           `json:"email_opted_in"`
	Password         *string         `json:"password" zen:"max=255"`
	OldPassword      *string         `json:"old_password" zen:"max=255"`
	ActivationToken  *string         `json:"activation_token" zen:"max=255"`
	ExternalUserID   *uuid.UUID      `json:"external_user_id"`
	UserMetadata     json.RawMessage `json:"user_metadata"`
	AvatarURL        *string         `json:"avatar_url" zen:"max=255"`
	DefaultProjectID *uuid.UUID      `json:"default_project_id"`
}

// emailRule is the reference's email opt-in validation of a UserUpdate:
// setting an email opts in unless told otherwise, and opting in needs an
// email.
func (u *userUpdate) emailRule() error {
	if u.Email != nil && u.EmailOptedIn == nil {
		t := true
		u.EmailOptedIn = &t
	}
	if u.EmailOptedIn != nil && *u.EmailOptedIn && u.Email == nil {
		return valueErrors([]string{"body"}, "Please provide an email, when you are opting-in with your email.", map[string]any{})
	}
	return nil
}

func (s *Server) createUser(r *http.Request) (any, error) {
	var req userRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := requireAdminFor(r, "create user"); err != nil {
		return nil, err
	}
	nu := store.NewUser{User: zen.User{
		Name: req.Name, FullName: req.FullName, IsAdmin: req.IsAdmin, Email: req.Email, EmailOptedIn: req.EmailOptedIn,
		ExternalUserID: req.ExternalUserID, UserMetadata: req.UserMetadata, AvatarURL: req.AvatarURL,
	}}
	var token string
	if req.Password == nil {
		// Without a password the account waits for activation with a token
		// that is shown only in this answer.
		token = auth.NewSecret()
		hash := auth.HashSecret(token)
		nu.ActivationTokenHash = &hash
	} else {
		hash, err := auth.HashPassword(*req.Password)
		if err != nil {
			return nil, err
		}
		nu.PasswordHash = &hash
		nu.User.Active = true
	}
	u, err := s.db.CreateUser(r.Context(), nu)
	if err != nil {
		return nil, err
	}
	if token != "" {
		u.ActivationToken = &token
	}
	return userView(u, true, false), nil
}

func (s *Server) getUser(r *http.Request) (any, error) {
	hydrate, err := hydrateParam(r, true)
	if err != nil {
		return nil, err
	}
	u, err := s.db.GetUser(r.Context(), r.PathValue("user_name_or_id"), store.AnyAccount)
	if err != nil {
		return nil, err
	}
	if u.ID != current(r).user.ID {
		if err := requireAdminFor(r, "get other user"); err != nil {
			return nil, err
		}
	}
	return userView(u, hydrate, false), nil
}

// userUpdateOf reads a UserUpdate body and the account the path names.
func (s *Server) userUpdateOf(r *http.Request) (*userUpdate, *zen.User, error) {
	var req userUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, nil, err
	}
	if err := req.emailRule(); err != nil {
		return nil, nil, err
	}
	u, err := s.db.GetUser(r.Context(), r.PathValue("user_name_or_id"), store.AnyAccount)
	return &req, u, err
}

func (s *Server) updateUser(r *http.Request) (any, error) {
	req, u, err := s.userUpdateOf(r)
	if err != nil {
		return nil, err
	}
	me := current(r).user
	self := u.ID == me.ID
	if !self {
		if err := requireAdminFor(r, "update other user account"); err != nil {
			return nil, err
		}
	}
	up := store.UserUpdate{Name: req.Name, FullName: req.FullName, UserMetadata: req.UserMetadata,
		AvatarURL: req.AvatarURL, DefaultProjectID: req.DefaultProjectID}
	if req.Password != nil {
		if !self {
			return nil, forbidden("Users cannot change the password of other users. Use the account deactivation and activation flow instead.")
		}
		if err := s.setPassword(r, &up, *req); err != nil {
			return nil, err
		}
	}
	if req.IsAdmin != nil && *req.IsAdmin != u.IsAdmin {
		if self {
			return nil, forbidden("Cannot change the admin status of your own user account.")
		}
		up.IsAdmin = req.IsAdmin
	}
	if req.Active != nil && *req.Active != u.Active {
		if self {
			return nil, forbidden("Cannot change the active status of your own user account.")
		}
		up.Active = req.Active
	}
	if req.EmailOptedIn != nil || req.Email != nil {
		if !self {
			return nil, forbidden("Cannot change the private user account information for another user account.")
		}
		// The reference accepts the change here but stores neither field
		// (email is saved through PUT /current-user); so does zengo.
	}
	updated, err := s.db.UpdateUser(r.Context(), u.ID, up)
	if err != nil {
		return nil, err
	}
	return userView(updated, true, false), nil
}

// setPassword checks the old password before accepting a new one.
func (s *Server) setPassword(r *http.Request, up *store.UserUpdate, req userUpdate) error {
	if req.OldPassword == nil {
		return forbidden("The current password must be supplied when changing the password.")
	}
	me := current(r).user
	_, sec, err := s.db.GetUserSecrets(r.Context(), me.ID.String(), store.AnyAccount)
	if err != nil {
		return err
	}
	if sec.PasswordHash == nil || !auth.CheckPassword(*sec.PasswordHash, *req.OldPassword) {
		return forbidden("The current password is incorrect.")
	}
	hash, err := auth.HashPassword(*req.Password)
	if err != nil {
		return err
	}
	up.PasswordHash = &hash
	return nil
}

func (s *Server) deleteUser(r *http.Request) (any, error) {
	u, err := s.db.GetUser(r.Context(), r.PathValue("user_name_or_id"), store.AnyAccount)
	if err != nil {
		return nil, err
	}
	if u.ID == current(r).user.ID {
		return nil, forbidden("You cannot delete the user account currently used to authenticate to the ZenML server. If you wish to delete this account, please authenticate with another account or contact your ZenML administrator.")
	}
	if err := requireAdminFor(r, "delete user"); err != nil {
		return nil, err
	}
	return nil, s.db.DeleteUser(r.Context(), u.ID)
}

// deactivateUser disables an account and issues a fresh activation token.
func (s *Server) deactivateUser(r *http.Request) (any, error) {
	u, err := s.db.GetUser(r.Context(), r.PathValue("user_name_or_id"), store.AnyAccount)
	if err != nil {
		return nil, err
	}
	if u.ID == current(r).user.ID {
		return nil, forbidden("Cannot deactivate yourself.")
	}
	if err := requireAdminFor(r, "deactivate user"); err != nil {
		return nil, err
	}
	token := auth.NewSecret()
	hash := auth.HashSecret(token)
	hashPtr := &hash
	inactive := false
	updated, err := s.db.UpdateUser(r.Context(), u.ID, store.UserUpdate{Active: &inactive, ActivationTokenHash: &hashPtr})
	if err != nil {
		return nil, err
	}
	updated.ActivationToken = &token
	return userView(updated, true, false), nil
}

// activateUser is unauthenticated: the activation token is the credential.
func (s *Server) activateUser(r *http.Request) (any, error) {
	var req userUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.emailRule(); err != nil {
		return nil, err
	}
	nameOrID := r.PathValue("user_name_or_id")
	u, sec, err := s.db.GetUserSecrets(r.Context(), nameOrID, store.AnyAccount)
	if err != nil {
		return nil, err
	}
	if req.ActivationToken == nil {
		return nil, credentialsError("Authentication error: no credentials provided")
	}
	if sec.ActivationTokenHash == nil {
		// The reference's answer when the account has no token to match.
		return nil, &zen.Error{Code: zen.EUnprocessable, Message: "hash could not be identified"}
	}
	if !auth.SecretMatches(*sec.ActivationTokenHash, *req.ActivationToken) {
		return nil, credentialsError("Authentication error: invalid activation token for user %s", nameOrID)
	}
	active := true
	var noToken *string
	up := store.UserUpdate{Name: req.Name, FullName: req.FullName, Email: req.Email, EmailOptedIn: req.EmailOptedIn,
		UserMetadata: req.UserMetadata, AvatarURL: req.AvatarURL, DefaultProjectID: req.DefaultProjectID,
		Active: &active, ActivationTokenHash: &noToken}
	if req.Password != nil {
		hash, err := auth.HashPassword(*req.Password)
		if err != nil {
			return nil, err
		}
		up.PasswordHash = &hash
	}
	updated, err := s.db.UpdateUser(r.Context(), u.ID, up)
	if err != nil {
		return nil, err
	}
	return userView(updated, true, false), nil
}

func (s *Server) getCurrentUser(r *http.Request) (any, error) {
	p := current(r)
	me := *p.user
	if me.IsServiceAccount {
		// A service account seen as a user has opted out of emails; the
		// reference also shows an empty email when the key itself was sent.
		no := false
		me.EmailOptedIn = &no
		if p.rawKey {
			empty := ""
			me.Email = &empty
		}
	}
	return userView(&me, true, true), nil
}

func (s *Server) updateCurrentUser(r *http.Request) (any, error) {
	var req userUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.emailRule(); err != nil {
		return nil, err
	}
	me := current(r).user
	if me.IsServiceAccount {
		return nil, zen.NotFound("No user account with the '%s' name or ID was found", me.ID)
	}
	up := store.UserUpdate{Name: req.Name, FullName: req.FullName, Email: req.Email, EmailOptedIn: req.EmailOptedIn,
		UserMetadata: req.UserMetadata, AvatarURL: req.AvatarURL, DefaultProjectID: req.DefaultProjectID}
	if req.Password != nil {
		if err := s.setPassword(r, &up, req); err != nil {
			return nil, err
		}
	}
	updated, err := s.db.UpdateUser(r.Context(), me.ID, up)
	if err != nil {
		return nil, err
	}
	return userView(updated, true, false), nil
}

// requireAdminFor is the reference's admin check for a named action.
func requireAdminFor(r *http.Request, action string) error {
	if !current(r).user.IsAdmin {
		return forbidden("Only admin users can perform `%s` without RBAC enabled.", action)
	}
	return nil
}

// listUsers lists human users; a non-admin sees only themself.
func (s *Server) listUsers() listRoute {
	return listOf(filter.Users, func(r *http.Request, q *listQuery) (*zen.Page[*zen.User], error) {
		var only *uuid.UUID
		if me := current(r).user; !me.IsAdmin {
			only = &me.ID
		}
		return s.db.ListUsers(r.Context(), q.List, store.HumanAccount, only)
	}, func(u *zen.User, hydrate bool) envelope { return userView(u, hydrate, false) })
}
