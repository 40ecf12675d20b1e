package api

import (
	"crypto/rand"
	"net/http"
	"runtime"
	"strings"
	"time"

	"zengo/internal/auth"
	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// Server routes that answer from configuration or fixed data rather than
// from a resource of their own.

// resourcePoolsDisabled is the reference's answer on every resource request
// route of a server without a resource pool implementation (the default:
// ZENML_SERVER_RESOURCE_POOL_IMPLEMENTATION_SOURCE unset), given after the
// request validated.
func resourcePoolsDisabled(r *http.Request) (any, error) {
	return nil, zen.Errorf(zen.ENotImplemented, "Resource pool functionality is not enabled")
}

// resourceRequestRenewal is the reference's ResourceRequestRenewalRequest.
type resourceRequestRenewal struct {
	LeaseExpiresAt zen.Time `json:"lease_expires_at" zen:"required"`
	RuntimeState   *string  `json:"runtime_state"`
}

func (s *Server) listResourceRequests() listRoute {
	return listRoute{res: filter.ResourceRequests, serve: func(r *http.Request) (any, error) {
		if _, err := parseListQuery(r, filter.ResourceRequests); err != nil {
			return nil, err
		}
		return resourcePoolsDisabled(r)
	}}
}

func getResourceRequest(r *http.Request) (any, error) {
	if _, err := pathUUID(r, "resource_request_id"); err != nil {
		return nil, err
	}
	if _, err := hydrateParam(r, true); err != nil {
		return nil, err
	}
	return resourcePoolsDisabled(r)
}

func releaseResourceRequest(r *http.Request) (any, error) {
	if _, err := pathUUID(r, "resource_request_id"); err != nil {
		return nil, err
	}
	return resourcePoolsDisabled(r)
}

func renewResourceRequest(r *http.Request) (any, error) {
	if _, err := pathUUID(r, "resource_request_id"); err != nil {
		return nil, err
	}
	var req resourceRequestRenewal
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return resourcePoolsDisabled(r)
}

// platformEvents are the events the reference's PLATFORM_EVENT_REGISTRY
// describes per source type, in its order.
var platformEvents = map[string][]describedValue{
	"pipeline": {
		{"run_completed", "A pipeline run of the source pipeline has completed successfully."},
		{"run_failed", "A pipeline run of the source pipeline has failed."}},
	"pipeline_run": {
		{"completed", "Source pipeline run completed successfully."},
		{"failed", "Source pipeline run failed."}},
	"pipeline_snapshot": {
		{"run_completed", "A pipeline run of the source snapshot has completed successfully."},
		{"run_failed", "A pipeline run of the source snapshot has failed."}},
}

var sourceTypes = []string{"pipeline", "pipeline_run", "pipeline_snapshot"}

type describedValue struct {
	Value       string `json:"value"`
	Description string `json:"description"`
}

// supportedEvents lists the events a trigger can wait for; the reference
// serves it without authentication.
func supportedEvents(r *http.Request) (any, error) {
	source, err := queryEnum(r, "source_type", sourceTypes, true)
	if err != nil {
		return nil, err
	}
	return platformEvents[source], nil
}

// queryEnum reads a query parameter that takes one of allowed values (the
// last one given counts, as FastAPI reads scalars).
func queryEnum(r *http.Request, name string, allowed []string, required bool) (string, error) {
	v, ok := r.URL.Query()[name]
	if !ok {
		if required {
			return "", &validationError{errs: []fieldError{missingQuery(name)}}
		}
		return "", nil
	}
	if !oneOf(v[len(v)-1], allowed) {
		return "", &validationError{errs: []fieldError{enumError([]string{"query", name}, v[len(v)-1], allowed)}}
	}
	return v[len(v)-1], nil
}

func missingQuery(name string) fieldError {
	return fieldError{typ: "missing", loc: []string{"query", name}, msg: "Field required", input: nil}
}

// serverLoadInfo is the reference's ServerLoadInfo.
type serverLoadInfo struct {
	Threads               int `json:"threads"`
	DBConnectionsTotal    int `json:"db_connections_total"`
	DBConnectionsActive   int `json:"db_connections_active"`
	DBConnectionsOverflow int `json:"db_connections_overflow"`
}

// loadInfo reports the process's operating-system threads and, on a
// database server, its connection pool; on SQLite the reference reports no
// connections (it opens SQLite without a pool), and so does zengo. A Go
// pool never overflows.
func (s *Server) loadInfo(r *http.Request) (any, error) {
	threads, _ := runtime.ThreadCreateProfile(nil)
	info := serverLoadInfo{Threads: threads}
	if s.db.Engine() != "sqlite" {
		for _, pool := range s.db.PoolStats() {
			info.DBConnectionsTotal += pool.OpenConnections
			info.DBConnectionsActive += pool.InUse
		}
	}
	return info, nil
}

// emailOptIn records the answer to the dashboard's email prompt (the
// email and the choice, both replaced, absent ones by null), for the
// caller only, named by the id exactly as the reference compares it.
func (s *Server) emailOptIn(r *http.Request) (any, error) {
	req, u, err := s.userUpdateOf(r)
	if err != nil {
		return nil, err
	}
	if current(r).user.ID.String() != r.PathValue("user_name_or_id") {
		return nil, &zen.Error{Code: zen.EUnauthorized, Name: "AuthorizationException", Message: "Users can not opt in on behalf of another user."}
	}
	updated, err := s.db.UpdateUser(r.Context(), u.ID, store.UserUpdate{EmailAnswer: &store.EmailAnswer{Email: req.Email, OptedIn: req.EmailOptedIn}})
	if err != nil {
		return nil, err
	}
	return userView(updated, true, false), nil
}

var stackProviders = []string{"aws", "gcp", "azure"}

func stackDeploymentInfo(r *http.Request) (any, error) {
	provider, err := queryEnum(r, "provider", stackProviders, true)
	if err != nil {
		return nil, err
	}
	info, _ := catalog.StackDeploymentInfo(provider)
	return info, nil
}

// stackDeploymentQuery is what the config and stack routes read, checked
// in the reference's parameter order.
type stackDeploymentQuery struct {
	provider, stackName, location string
	terraform                     bool
	dateStart                     *zen.Time
}

func parseStackDeploymentQuery(r *http.Request, withDate bool) (*stackDeploymentQuery, error) {
	var q stackDeploymentQuery
	var errs []fieldError
	provider, err := queryEnum(r, "provider", stackProviders, true)
	if ve, ok := err.(*validationError); ok {
		errs = append(errs, ve.errs...)
	}
	q.provider = provider
	if v, ok := r.URL.Query()["stack_name"]; ok {
		q.stackName = v[len(v)-1]
	} else {
		errs = append(errs, missingQuery("stack_name"))
	}
	q.location = r.URL.Query().Get("location")
	if v, ok := r.URL.Query()["date_start"]; ok && withDate {
		t, err := zen.ParseTime(v[len(v)-1])
		if err != nil {
			errs = append(errs, fieldError{typ: "datetime_from_date_parsing", loc: []string{"query", "date_start"},
				msg: "Input should be a valid datetime or date, invalid character in year", input: v[len(v)-1]})
		} else {
			q.dateStart = &t
		}
	}
	terraform, err := boolParam(r, "terraform", false)
	if ve, ok := err.(*validationError); ok {
		errs = append(errs, ve.errs...)
	}
	q.terraform = terraform
	if len(errs) > 0 {
		return nil, &validationError{errs: errs}
	}
	return &q, nil
}

// stackDeploymentTokenLifetime is the reference's
// STACK_DEPLOYMENT_API_TOKEN_EXPIRATION (6 hours).
const stackDeploymentTokenLifetime = 6 * time.Hour

// stackDeploymentConfig answers the cloud console URL and configuration
// for deploying a stack, with a new API token of the caller in it.
func (s *Server) stackDeploymentConfig(r *http.Request) (any, error) {
	q, err := parseStackDeploymentQuery(r, false)
	if err != nil {
		return nil, err
	}
	url := s.cfg.ServerURL
	if url == "" {
		url = "https://" + r.Host
	}
	p := current(r)
	now := s.cfg.Now()
	exp := float64(now.Add(stackDeploymentTokenLifetime).Unix())
	claims := auth.Claims{Subject: p.user.ID.String(), Issuer: s.serverID.String(), Audience: s.serverID.String(),
		IssuedAt: auth.UnixSeconds(now), ExpiresAt: &exp}
	if p.apiKeyID != nil {
		claims.APIKeyID, claims.KeyGeneration = p.apiKeyID.String(), p.keyGeneration
	}
	token, err := auth.Sign(claims, s.secret)
	if err != nil {
		return nil, err
	}
	config, _ := catalog.StackDeploymentConfig(q.provider, catalog.StackDeploymentValues{StackName: q.stackName, Location: q.location,
		ServerURL: url, APIToken: token, ResourceSuffix: randomLetters(6), Terraform: q.terraform})
	return config, nil
}

// randomLetters is the reference's random_str(n).lower().
func randomLetters(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return strings.ToLower(string(b))
}

// deployedStack finds the stack a cloud deployment registered: the
// reference looks for a stack labelled with the provider and deployment
// whose orchestrator has a service connector. zengo keeps no service
// connectors, so no stack matches and the answer is null, as the
// reference's is for a stack not yet registered.
func deployedStack(r *http.Request) (any, error) {
	if _, err := parseStackDeploymentQuery(r, true); err != nil {
		return nil, err
	}
	return nil, nil
}
