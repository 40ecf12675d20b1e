package api

import (
	"net/http"

	"zengo/internal/auth"
	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

type serviceAccountRequest struct {
	Name        string  `json:"name" zen:"required,max=255"`
	FullName    string  `json:"full_name" zen:"max=255"`
	Description *string `json:"description" zen:"max=65535"`
	Active      bool    `json:"active" zen:"required"`
	AvatarURL   *string `json:"avatar_url" zen:"max=255"`
}

type serviceAccountUpdate struct {
	Name        *string `json:"name" zen:"max=255"`
	FullName    *string `json:"full_name" zen:"max=255"`
	Description *string `json:"description" zen:"max=65535"`
	Active      *bool   `json:"active"`
	AvatarURL   *string `json:"avatar_url" zen:"max=255"`
}

func (s *Server) createServiceAccount(r *http.Request) (any, error) {
	var req serviceAccountRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := requireAdminFor(r, "create service account"); err != nil {
		return nil, err
	}
	desc := deref(req.Description)
	optedIn := false // as the reference stores service accounts
	u, err := s.db.CreateUser(r.Context(), store.NewUser{User: zen.User{Name: req.Name, IsServiceAccount: true,
		FullName: req.FullName, Description: &desc, Active: req.Active, AvatarURL: req.AvatarURL, EmailOptedIn: &optedIn}})
	if err != nil {
		return nil, err
	}
	return serviceAccountView(u, true), nil
}

func (s *Server) getServiceAccount(r *http.Request) (any, error) {
	hydrate, err := hydrateParam(r, true)
	if err != nil {
		return nil, err
	}
	u, err := s.db.GetUser(r.Context(), r.PathValue("account"), store.ServiceAccount)
	if err != nil {
		return nil, err
	}
	return serviceAccountView(u, hydrate), nil
}

func (s *Server) updateServiceAccount(r *http.Request) (any, error) {
	var req serviceAccountUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := requireAdminFor(r, "update service account"); err != nil {
		return nil, err
	}
	u, err := s.db.GetUser(r.Context(), r.PathValue("account"), store.ServiceAccount)
	if err != nil {
		return nil, err
	}
	updated, err := s.db.UpdateUser(r.Context(), u.ID, store.UserUpdate{Name: req.Name, FullName: req.FullName,
		Description: req.Description, Active: req.Active, AvatarURL: req.AvatarURL})
	if err != nil {
		return nil, err
	}
	return serviceAccountView(updated, true), nil
}

func (s *Server) deleteServiceAccount(r *http.Request) (any, error) {
	if err := requireAdminFor(r, "delete service account"); err != nil {
		return nil, err
	}
	u, err := s.db.GetUser(r.Context(), r.PathValue("account"), store.ServiceAccount)
	if err != nil {
		return nil, err
	}
	return nil, s.db.DeleteUser(r.Context(), u.ID)
}

// serviceAccountFromPath resolves the {account} segment of the API key
// routes, which the reference types as a UUID.
func (s *Server) serviceAccountFromPath(r *http.Request) (*zen.User, error) {
	id, err := pathUUID(r, "service_account_id")
	if err != nil {
		return nil, err
	}
	return s.db.GetUser(r.Context(), id.String(), store.ServiceAccount)
}

type apiKeyRequest struct {
	Name        string `json:"name" zen:"required,max=255"`
	Description string `json:"description" zen:"max=65535"`
}

type apiKeyUpdate struct {
	Name        *string `json:"name" zen:"max=255"`
	Description *string `json:"description" zen:"max=65535"`
	Active      *bool   `json:"active"`
}

type apiKeyRotate struct {
	RetainPeriodMinutes int `json:"retain_period_minutes" zen:"min=0"`
}

func (s *Server) createAPIKey(r *http.Request) (any, error) {
	var req apiKeyRequest
	if err := s.withServiceAccountBody(r, &req); err != nil {
		return nil, err
	}
	sa, err := s.serviceAccountFromPath(r)
	if err != nil {
		return nil, err
	}
	secret := auth.NewSecret()
	k, err := s.db.CreateAPIKey(r.Context(), sa.ID, req.Name, req.Description, auth.HashSecret(secret))
	if zen.ErrorCode(err) == zen.EConflict {
		return nil, zen.Errorf(zen.EConflict, "Unable to register API key with name '%s': Found an existing API key with the same name configured for the same '%s' service account.", req.Name, sa.Name)
	}
	if err != nil {
		return nil, err
	}
	key := auth.EncodeAPIKey(k.ID, secret)
	k.Key = &key
	return apiKeyView(k, true), nil
}

// withServiceAccountBody validates the path and body of an API key write in
// the reference's order: the path UUID, then the body, then permissions.
func (s *Server) withServiceAccountBody(r *http.Request, dst any) error {
	if _, err := pathUUID(r, "service_account_id"); err != nil {
		return err
	}
	if err := decodeBody(r, dst); err != nil {
		return err
	}
	return requireAdminFor(r, "create API key")
}

func (s *Server) getAPIKey(r *http.Request) (any, error) {
	hydrate, err := hydrateParam(r, true)
	if err != nil {
		return nil, err
	}
	if err := requireAdminFor(r, "get API key"); err != nil {
		return nil, err
	}
	sa, err := s.serviceAccountFromPath(r)
	if err != nil {
		return nil, err
	}
	k, err := s.db.GetAPIKey(r.Context(), sa.ID, r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	return apiKeyView(k, hydrate), nil
}

func (s *Server) updateAPIKey(r *http.Request) (any, error) {
	var req apiKeyUpdate
	if err := s.withServiceAccountBody(r, &req); err != nil {
		return nil, err
	}
	sa, k, err := s.apiKeyFromPath(r)
	if err != nil {
		return nil, err
	}
	updated, err := s.db.UpdateAPIKey(r.Context(), sa.ID, k.ID, store.APIKeyUpdate{Name: req.Name, Description: req.Description, Active: req.Active})
	if zen.ErrorCode(err) == zen.EConflict {
		return nil, zen.Errorf(zen.EConflict, "Unable to update API key with name '%s': Found an existing API key with the same name configured for the same '%s' service account.", deref(req.Name), sa.Name)
	}
	if err != nil {
		return nil, err
	}
	return apiKeyView(updated, true), nil
}

func (s *Server) apiKeyFromPath(r *http.Request) (*zen.User, *zen.APIKey, error) {
	sa, err := s.serviceAccountFromPath(r)
	if err != nil {
		return nil, nil, err
	}
	k, err := s.db.GetAPIKey(r.Context(), sa.ID, r.PathValue("key"))
	return sa, k, err
}

func (s *Server) rotateAPIKey(r *http.Request) (any, error) {
	var req apiKeyRotate
	if err := s.withServiceAccountBody(r, &req); err != nil {
		return nil, err
	}
	sa, k, err := s.apiKeyFromPath(r)
	if err != nil {
		return nil, err
	}
	secret := auth.NewSecret()
	rotated, err := s.db.RotateAPIKey(r.Context(), sa.ID, k.ID, auth.HashSecret(secret), req.RetainPeriodMinutes)
	if err != nil {
		return nil, err
	}
	key := auth.EncodeAPIKey(rotated.ID, secret)
	rotated.Key = &key
	return apiKeyView(rotated, false), nil
}

func (s *Server) deleteAPIKey(r *http.Request) (any, error) {
	if _, err := pathUUID(r, "service_account_id"); err != nil {
		return nil, err
	}
	if err := requireAdminFor(r, "delete API key"); err != nil {
		return nil, err
	}
	_, k, err := s.apiKeyFromPath(r)
	if err != nil {
		return nil, err
	}
	return nil, s.db.DeleteAPIKey(r.Context(), k.ID)
}

func (s *Server) listServiceAccounts() listRoute {
	return listOf(filter.ServiceAccounts, func(r *http.Request, q *listQuery) (*zen.Page[*zen.User], error) {
		return s.db.ListUsers(r.Context(), q.List, store.ServiceAccount, nil)
	}, serviceAccountView)
}

func (s *Server) listAPIKeys() listRoute {
	return listOf(filter.APIKeys, func(r *http.Request, q *listQuery) (*zen.Page[*zen.APIKey], error) {
		sa, err := s.serviceAccountFromPath(r)
		if err != nil {
			return nil, err
		}
		return s.db.ListAPIKeys(r.Context(), sa.ID, q.List)
	}, apiKeyView)
}
