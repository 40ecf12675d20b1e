package api

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// Webhooks: a provider's signed deliveries reach intake, which
// authenticates them with the webhook's signing secret and counts them.
// The reference hands an accepted event to the webhook event handlers a
// server is configured with; a self-hosted server has none, so nothing
// runs and no raw event is kept (see webhookProviders for the schemes).

type webhookRequest struct {
	Project     uuid.UUID `json:"project" zen:"required"`
	Name        string    `json:"name" zen:"required,max=255"`
	WebhookType string    `json:"webhook_type" zen:"required,min=1,max=255"`
	Active      *bool     `json:"active"`
	Secret      *string   `json:"secret"`
}

func (webhookRequest) carriesSecrets() {}

type webhookUpdate struct {
	Name   *string `json:"name" zen:"max=255"`
	Active *bool   `json:"active"`
}

type webhookSecretRequest struct {
	Secret *string `json:"secret"`
}

func (webhookSecretRequest) carriesSecrets() {}

// emptySecretError is the reference's refusal of an empty signing secret.
func emptySecretError() error {
	return &validationError{errs: []fieldError{{typ: "value_error", loc: []string{"body", "secret"},
		msg: "Value error, Secret must not be empty.", input: "", ctx: "{'error': ValueError('Secret must not be empty.')}"}}}
}

// newWebhookSecret is Python's secrets.token_urlsafe(32).
func newWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) createWebhook(r *http.Request) (any, error) {
	var req webhookRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Secret != nil && *req.Secret == "" {
		return nil, emptySecretError()
	}
	if _, ok := webhookProviders[req.WebhookType]; !ok {
		return nil, &plainError{status: http.StatusUnprocessableEntity, detail: "Unsupported webhook type: " + req.WebhookType + "."}
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	secret, generated := newWebhookSecret(), true
	if req.Secret != nil {
		secret, generated = *req.Secret, false
	}
	active := req.Active == nil || *req.Active
	w, err := s.db.CreateWebhook(r.Context(), store.Webhook{ProjectID: project.ID, UserID: &current(r).user.ID, Name: req.Name,
		Type: req.WebhookType, Active: active}, secret)
	if err != nil {
		return nil, err
	}
	// The generated secret is shown once, here.
	created := struct {
		envelope
		Secret *string `json:"secret"`
	}{envelope: webhookView(w, true)}
	if generated {
		created.Secret = &secret
	}
	return created, nil
}

func (s *Server) listWebhooks() listRoute {
	return listOf(filter.Webhooks, func(r *http.Request, q *listQuery) (*zen.Page[*store.Webhook], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListWebhooks(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, webhookView)
}

func (s *Server) getWebhook() handler { return getByID("webhook_id", s.db.GetWebhook, webhookView) }

func (s *Server) updateWebhook() handler {
	return updateByID("webhook_id", func(r *http.Request, id uuid.UUID, req *webhookUpdate) (*store.Webhook, error) {
		return s.db.UpdateWebhook(r.Context(), id, store.WebhookUpdate{Name: req.Name, Active: req.Active})
	}, webhookView)
}

func (s *Server) deleteWebhook() handler { return deleteByID("webhook_id", s.db.DeleteWebhook) }

// rotateWebhookSecret replaces a webhook's signing secret with the given
// one or a generated one, and shows it once.
func (s *Server) rotateWebhookSecret(r *http.Request) (any, error) {
	id, err := pathUUID(r, "webhook_id")
	if err != nil {
		return nil, err
	}
	var req webhookSecretRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Secret != nil && *req.Secret == "" {
		return nil, emptySecretError()
	}
	secret := newWebhookSecret()
	if req.Secret != nil {
		secret = *req.Secret
	}
	if err := s.db.RotateWebhookSecret(r.Context(), id, secret); err != nil {
		return nil, err
	}
	return map[string]string{"secret": secret}, nil
}

// getRawWebhookEvent answers the raw body kept for a consumed event. Only
// event handlers keep them, and a self-hosted server runs none: there is
// never one to find.
func (s *Server) getRawWebhookEvent(r *http.Request) (any, error) {
	id, err := pathUUID(r, "webhook_id")
	if err != nil {
		return nil, err
	}
	delivery, ok := r.URL.Query()["delivery_id"]
	if !ok {
		return nil, &validationError{errs: []fieldError{{typ: "missing", loc: []string{"query", "delivery_id"}, msg: "Field required", input: nil}}}
	}
	if _, err := s.db.GetWebhook(r.Context(), id); err != nil {
		return nil, err
	}
	return nil, zen.NotFound("Raw webhook event %s/%s not found.", id, delivery[len(delivery)-1])
}

type webhookBody struct {
	Created     zen.Time   `json:"created"`
	Updated     zen.Time   `json:"updated"`
	UserID      *uuid.UUID `json:"user_id"`
	ProjectID   uuid.UUID  `json:"project_id"`
	WebhookType string     `json:"webhook_type"`
	Active      bool       `json:"active"`
	// EndpointURL needs the server's external URL, which a self-hosted
	// server does not configure by default: null, as on the reference.
	EndpointURL *string `json:"endpoint_url"`
}

type webhookStats struct {
	ReceivedCount       int64     `json:"received_count"`
	AcceptedCount       int64     `json:"accepted_count"`
	AuthFailedCount     int64     `json:"auth_failed_count"`
	InvalidPayloadCount int64     `json:"invalid_payload_count"`
	LastReceivedAt      *zen.Time `json:"last_received_at"`
	LastAcceptedAt      *zen.Time `json:"last_accepted_at"`
	LastErrorAt         *zen.Time `json:"last_error_at"`
	LastErrorSummary    *string   `json:"last_error_summary"`
}

type webhookMetadata struct {
	Stats webhookStats `json:"stats"`
}

func webhookBodyOf(w *store.Webhook) webhookBody {
	return webhookBody{Created: w.Created, Updated: w.Updated, UserID: w.UserID, ProjectID: w.ProjectID, WebhookType: w.Type, Active: w.Active}
}

func webhookView(w *store.Webhook, hydrate bool) envelope {
	e := envelope{ID: w.ID, Name: named(w.Name), Body: webhookBodyOf(w), Resources: userResources{User: embeddedUser(w.User)}}
	if hydrate {
		st := w.Stats
		e.Metadata = webhookMetadata{Stats: webhookStats{ReceivedCount: st.Received, AcceptedCount: st.Accepted, AuthFailedCount: st.AuthFailed,
			InvalidPayloadCount: st.InvalidPayload, LastReceivedAt: st.LastReceived, LastAcceptedAt: st.LastAccepted, LastErrorAt: st.LastError,
			LastErrorSummary: st.LastErrorSummary}}
	}
	return e
}

// embeddedWebhook is a webhook inside another resource: body only.
func embeddedWebhook(w *store.Webhook) *envelope {
	if w == nil {
		return nil
	}
	return &envelope{ID: w.ID, Name: named(w.Name), Body: webhookBodyOf(w)}
}

// receiveWebhookEvent is the public intake, in the reference's order:
// the provider's header checks, the webhook (of that type), the signature
// over the exact body, active, the payload. Every outcome after the lookup
// is counted on an active webhook; an accepted event is handed to no one
// (a self-hosted server has no event handlers).
func (s *Server) receiveWebhookEvent(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, text string) { writeError(w, r, &plainError{status: status, detail: text}) }
	id, err := pathUUID(r, "webhook_id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	provider, ok := webhookProviders[r.PathValue("webhook_type")]
	if !ok {
		fail(http.StatusNotFound, "Not Found")
		return
	}
	if provider.preValidate != nil {
		if err := provider.preValidate(r.Header); err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
	}
	body, err := readBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ctx := r.Context()
	cfg, found, err := s.db.WebhookIntakeConfig(ctx, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if !found || cfg.Type != r.PathValue("webhook_type") {
		fail(http.StatusNotFound, "Not Found")
		return
	}
	record := func(outcome store.WebhookOutcome, summary *string) bool {
		if err := s.db.RecordWebhookEvent(ctx, id, outcome, summary); err != nil {
			writeError(w, r, err)
			return false
		}
		return true
	}
	if err := provider.authenticate(body, r.Header, cfg.Secret, s.cfg.Now()); err != nil {
		summary := err.Error()
		if cfg.Active && !record(store.WebhookAuthFailed, &summary) {
			return
		}
		fail(http.StatusUnauthorized, "Invalid webhook authentication.")
		return
	}
	if !cfg.Active {
		fail(http.StatusConflict, "Webhook is inactive.")
		return
	}
	answer, err := provider.parse(body, r.Header)
	if err != nil {
		summary := err.Error()
		if record(store.WebhookInvalidPayload, &summary) {
			fail(http.StatusBadRequest, summary)
		}
		return
	}
	if !record(store.WebhookAccepted, nil) {
		return
	}
	if answer.mediaType != "" {
		w.Header().Set("Content-Type", answer.mediaType+"; charset=utf-8")
	}
	w.WriteHeader(answer.status)
	w.Write([]byte(answer.body))
}
