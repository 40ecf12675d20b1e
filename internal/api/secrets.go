package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// secretValues is a request's values: an object of strings (null: no
// value), kept in the client's key order. Null as the whole object is
// refused, as the reference's SecretRequest refuses it.
type secretValues struct{ values store.SecretValues }

func (v *secretValues) decodeRaw(raw json.RawMessage, loc []string, errs *[]fieldError) {
	v.values = parseSecretValues(raw, loc, errs)
}

// optionalSecretValues are an update's values: null leaves them as they
// are.
type optionalSecretValues struct{ values store.SecretValues }

func (v *optionalSecretValues) decodeRaw(raw json.RawMessage, loc []string, errs *[]fieldError) {
	if string(raw) != "null" {
		v.values = parseSecretValues(raw, loc, errs)
	}
}

func parseSecretValues(raw json.RawMessage, loc []string, errs *[]fieldError) store.SecretValues {
	obj, err := jsonobj.Parse(raw)
	if err != nil {
		*errs = append(*errs, fieldError{typ: "dict_type", loc: loc, msg: "Input should be a valid dictionary", input: raw})
		return nil
	}
	out := store.SecretValues{}
	for _, k := range obj.Keys() {
		member, _ := obj.Get(k)
		e := store.SecretValue{Key: k}
		if string(member) != "null" {
			var s string
			if json.Unmarshal(member, &s) != nil {
				*errs = append(*errs, fieldError{typ: "string_type", loc: append(append([]string{}, loc...), k), msg: "Input should be a valid string", input: member})
				continue
			}
			e.Value = &s
		}
		out = append(out, e)
	}
	return out
}

// secretRequest is the reference's SecretRequest (its user is the caller).
type secretRequest struct {
	Name    string       `json:"name" zen:"required,max=255"`
	Private bool         `json:"private"`
	Values  secretValues `json:"values"`
}

// secretUpdate is the reference's SecretUpdate; a null name or visibility
// is taken as not given.
type secretUpdate struct {
	Name    *string              `json:"name" zen:"max=255"`
	Private *bool                `json:"private"`
	Values  optionalSecretValues `json:"values"`
}

func (*secretRequest) carriesSecrets() {}
func (*secretUpdate) carriesSecrets()  {}

func (s *Server) createSecret(r *http.Request) (any, error) {
	var req secretRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	sec, err := s.db.CreateSecret(r.Context(), store.Secret{UserID: current(r).user.ID, Name: req.Name, Private: req.Private, Values: req.Values.values})
	if err != nil {
		return nil, err
	}
	return secretView(sec, true), nil
}

func (s *Server) listSecrets() listRoute {
	return listOf(filter.Secrets, func(r *http.Request, q *listQuery) (*zen.Page[*store.Secret], error) {
		return s.db.ListSecrets(r.Context(), q.List, current(r).user.ID)
	}, secretView)
}

// caller is the id of the user a request acts as.
func caller(ctx context.Context) uuid.UUID {
	return ctx.Value(principalKey).(*principal).user.ID
}

func (s *Server) getSecret() handler {
	return getByID("secret_id", func(ctx context.Context, id uuid.UUID) (*store.Secret, error) {
		return s.db.GetSecret(ctx, id, caller(ctx))
	}, secretView)
}

// updateSecret replaces the values unless patch_values merges them; a
// null value removes its key either way.
func (s *Server) updateSecret() handler {
	return updateByID("secret_id", func(r *http.Request, id uuid.UUID, req *secretUpdate) (*store.Secret, error) {
		patch, err := boolParam(r, "patch_values", false)
		if err != nil {
			return nil, err
		}
		return s.db.UpdateSecret(r.Context(), id, caller(r.Context()),
			store.SecretUpdate{Name: req.Name, Private: req.Private, Values: req.Values.values, ReplaceValues: !patch})
	}, secretView)
}

func (s *Server) deleteSecret() handler {
	return deleteByID("secret_id", func(ctx context.Context, id uuid.UUID) error { return s.db.DeleteSecret(ctx, id, caller(ctx)) })
}

// secretsOperation answers backup and restore: zengo keeps secrets in its
// database and has no backup secrets store, which the reference answers
// with a 501 once the caller is found to be an admin.
func secretsOperation(verb string, ignoreErrorsDefault bool) handler {
	return func(r *http.Request) (any, error) {
		if _, err := boolParam(r, "ignore_errors", ignoreErrorsDefault); err != nil {
			return nil, err
		}
		if _, err := boolParam(r, "delete_secrets", false); err != nil {
			return nil, err
		}
		if err := requireAdminFor(r, verb+" secrets"); err != nil {
			return nil, err
		}
		return nil, zen.Errorf(zen.ENotImplemented, "Unable to %s secrets: No backup secrets store is configured.", verb)
	}
}

type secretBody struct {
	Created zen.Time           `json:"created"`
	Updated zen.Time           `json:"updated"`
	UserID  uuid.UUID          `json:"user_id"`
	Private bool               `json:"private"`
	Values  store.SecretValues `json:"values"`
}

// secretView renders a secret; its values are those the store read (none
// in lists, which answer an empty object as the reference does).
func secretView(sec *store.Secret, hydrate bool) envelope {
	e := envelope{ID: sec.ID, Name: named(sec.Name),
		Body:      secretBody{Created: sec.Created, Updated: sec.Updated, UserID: sec.UserID, Private: sec.Private, Values: sec.Values},
		Resources: userResources{User: embeddedUser(sec.User)}}
	if hydrate {
		e.Metadata = struct{}{}
	}
	return e
}
