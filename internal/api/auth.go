package api

import (
	"context"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"zengo/internal/auth"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// principal is who a request acts as.
type principal struct {
	user          *zen.User
	apiKeyID      *uuid.UUID
	keyGeneration int
	// rawKey: the request sent the API key itself instead of a token.
	rawKey bool
	// device: the principal signed in with an OAuth2 device.
	device *store.Device
}

func current(r *http.Request) *principal { return principalIn(r.Context()) }

func principalIn(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey).(*principal)
	return p
}

func credentialsError(format string, args ...any) *zen.Error {
	return zen.Errorf(zen.EUnauthorized, format, args...)
}

// notAuthenticated is the reference's answer when no credentials came at
// all: a plain detail string, which the client still re-authenticates on
// because of the WWW-Authenticate header.
func notAuthenticated(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", "Bearer")
	writeJSON(w, http.StatusUnauthorized, plainDetail("Not authenticated"))
}

// authed wraps a route that needs a signed-in principal. The auth cookie
// wins over the Authorization header, as on the reference.
func (s *Server) authed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := jsonSyntaxCheck(r); err != nil {
			writeError(w, r, err)
			return
		}
		if pv, ok := next.(interface{ prevalidate(*http.Request) error }); ok {
			if err := pv.prevalidate(r); err != nil {
				writeError(w, r, err)
				return
			}
		}
		token := ""
		if c, err := r.Cookie(s.cfg.AuthCookieName); err == nil && c.Value != "" {
			token = c.Value
		} else if h := r.Header.Get("Authorization"); h != "" {
			scheme, value, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "bearer") {
				notAuthenticated(w)
				return
			}
			token = strings.TrimSpace(value)
		} else {
			notAuthenticated(w)
			return
		}
		p, err := s.authenticateToken(r.Context(), token, r.Header.Get("X-CSRF-Token"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.touchActivity(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
	})
}

// authenticateToken accepts a JWT this server issued or, as the reference
// does, an API key sent in its place.
func (s *Server) authenticateToken(ctx context.Context, token, csrf string) (*principal, error) {
	if strings.HasPrefix(token, auth.APIKeyPrefix) {
		p, err := s.authenticateAPIKey(ctx, token)
		if p != nil {
			p.rawKey = true
		}
		return p, err
	}
	claims, err := s.tokens.Verify(token, s.secret, s.serverID.String(), s.cfg.Now())
	if err != nil {
		return nil, credentialsError("Authentication error: error decoding access token: %s.", err)
	}
	if claims.SessionID != "" {
		// A session started from another site: the request must prove it
		// comes from that session's page.
		if csrf == "" {
			return nil, credentialsError("Authentication error: missing CSRF token")
		}
		session, err := auth.VerifyCSRF(csrf, s.secret)
		if err != nil {
			return nil, credentialsError("%s", err)
		}
		if session.String() != claims.SessionID {
			return nil, credentialsError("Authentication error: CSRF token does not match the access token")
		}
	}
	userID, err := uuid.Parse(claims.Subject)
	if err != nil {
		return nil, credentialsError("Authentication error: error decoding access token: Invalid JWT token: invalid subject.")
	}
	user, err := s.db.GetUser(ctx, userID.String(), store.AnyAccount)
	if zen.IsNotFound(err) {
		return nil, credentialsError("Authentication error: error retrieving token account %s", userID)
	}
	if err != nil {
		return nil, err
	}
	if !user.Active {
		return nil, credentialsError("Authentication error: account %s is not active", user.Name)
	}
	if user.PasswordChangedAt != nil && claims.IssuedAt < float64(user.PasswordChangedAt.Micros())/1e6 {
		return nil, credentialsError("Authentication error: access token for user %s was issued before the user's password was changed", user.Name)
	}
	p := &principal{user: user}
	if claims.APIKeyID != "" {
		keyID, err := uuid.Parse(claims.APIKeyID)
		if err != nil {
			return nil, credentialsError("Authentication error: error retrieving API key %s", claims.APIKeyID)
		}
		key, _, err := s.db.APIKeyForLogin(ctx, keyID)
		if zen.IsNotFound(err) {
			return nil, credentialsError("Authentication error: error retrieving API key %s", keyID)
		}
		if err != nil {
			return nil, err
		}
		if !key.Active {
			return nil, credentialsError("Authentication error: API key %s associated with service account %s is not active", key.Name, key.ServiceAccount.Name)
		}
		if !s.generationValid(key, claims.KeyGeneration) {
			return nil, credentialsError("Authentication error: access token for API key %s was issued for an API key generation that is no longer valid", key.Name)
		}
		p.apiKeyID, p.keyGeneration = &keyID, claims.KeyGeneration
	}
	if claims.DeviceID != "" {
		if p.device, err = s.checkDeviceToken(ctx, claims.DeviceID, user); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// authenticateAPIKey checks a ZENKEY_ key: it must decode, exist, be
// active, belong to an active service account and match the stored hash
// (or the previous one within its retain period after a rotation).
func (s *Server) authenticateAPIKey(ctx context.Context, encoded string) (*principal, error) {
	id, secret, err := auth.DecodeAPIKey(encoded)
	if err != nil {
		return nil, credentialsError("Authentication error: error decoding API key")
	}
	key, sec, err := s.db.APIKeyForLogin(ctx, id)
	if zen.IsNotFound(err) {
		return nil, credentialsError("Authentication error: error retrieving API key %s", id)
	}
	if err != nil {
		return nil, err
	}
	sa := key.ServiceAccount
	if !sa.Active {
		return nil, credentialsError("Authentication error: service account %s associated with API key %s is not active", sa.Name, key.Name)
	}
	if !key.Active {
		return nil, credentialsError("Authentication error: API key %s associated with service account %s is not active", key.Name, sa.Name)
	}
	ok := auth.SecretMatches(sec.KeyHash, secret)
	if !ok && sec.PreviousKeyHash != nil && key.LastRotated != nil {
		retainUntil := key.LastRotated.Std().Add(time.Duration(key.RetainPeriodMinutes) * time.Minute)
		ok = s.cfg.Now().Before(retainUntil) && auth.SecretMatches(*sec.PreviousKeyHash, secret)
	}
	if !ok {
		return nil, credentialsError("Authentication error: could not verify key value for API key %s", key.Name)
	}
	if err := s.db.TouchAPIKeyLogin(ctx, key.ID); err != nil {
		return nil, err
	}
	return &principal{user: sa, apiKeyID: &key.ID, keyGeneration: key.Generation}, nil
}

// generationValid says whether a token issued for key generation gen is
// still good: the current generation always, the previous one during the
// retain period after a rotation, older ones never.
func (s *Server) generationValid(key *zen.APIKey, gen int) bool {
	switch {
	case gen == 0 || gen >= key.Generation:
		return true
	case gen == key.Generation-1 && key.LastRotated != nil:
		return s.cfg.Now().Before(key.LastRotated.Std().Add(time.Duration(key.RetainPeriodMinutes) * time.Minute))
	}
	return false
}

// tokenResponse is the reference's OAuthTokenResponse.
type tokenResponse struct {
	AccessToken    string  `json:"access_token"`
	TokenType      string  `json:"token_type"`
	ExpiresIn      *int    `json:"expires_in"`
	RefreshToken   *string `json:"refresh_token"`
	CSRFToken      *string `json:"csrf_token"`
	Scope          *string `json:"scope"`
	DeviceID       *string `json:"device_id"`
	DeviceMetadata *string `json:"device_metadata"`
}

// login is POST /api/v1/login: the OAuth2 password grant, the device code
// grant and the API key grant, with the reference's inference when
// grant_type is absent.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		writeJSON(w, http.StatusForbidden, plainDetail("File uploads are not allowed on this endpoint."))
		return
	}
	form, err := readForm(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	grant, hasGrant := form["grant_type"]
	if !hasGrant || grant == "" {
		switch {
		case form["username"] != "":
			grant = "password"
		case form["password"] != "":
			grant = "zenml-api-key"
		case form["device_code"] != "":
			grant = "urn:ietf:params:oauth:grant-type:device_code"
		default:
			grant = "password"
		}
	}
	var p *principal
	switch grant {
	case "password":
		if form["username"] == "" {
			writeJSON(w, http.StatusBadRequest, plainDetail("Invalid request: username is required."))
			return
		}
		p, err = s.passwordLogin(r.Context(), form["username"], form["password"])
	case "zenml-api-key":
		if form["password"] == "" {
			writeJSON(w, http.StatusBadRequest, plainDetail("API key is required."))
			return
		}
		p, err = s.authenticateAPIKey(r.Context(), form["password"])
	case "urn:ietf:params:oauth:grant-type:device_code":
		if form["device_code"] == "" || form["client_id"] == "" {
			writeJSON(w, http.StatusBadRequest, plainDetail("Invalid request: device code and client ID are required."))
			return
		}
		clientID, perr := uuid.Parse(form["client_id"])
		if perr != nil {
			writeJSON(w, http.StatusBadRequest, plainDetail("Invalid request: invalid client ID."))
			return
		}
		p, err = s.deviceLogin(r.Context(), clientID, form["device_code"])
	case "zenml-external":
		writeJSON(w, http.StatusBadRequest, plainDetail("Unsupported grant type: zenml-external."))
		return
	default:
		writeJSON(w, http.StatusBadRequest, plainDetail("Unsupported grant type: "+grant))
		return
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.touchActivity(r)

	now := s.cfg.Now()
	claims := auth.Claims{Subject: p.user.ID.String(), Issuer: s.serverID.String(), Audience: s.serverID.String(), IssuedAt: auth.UnixSeconds(now)}
	if p.apiKeyID != nil {
		claims.APIKeyID, claims.KeyGeneration = p.apiKeyID.String(), p.keyGeneration
	}
	resp := tokenResponse{TokenType: "bearer"}
	// Browsers log in with passwords; API-key and device logins are for
	// other clients and get no cookie, so no cross-site session either.
	withCookie := p.apiKeyID == nil && p.device == nil
	sameSite, secure := true, true
	if withCookie {
		sameSite, secure = s.sameSiteLogin(r)
	}
	if !sameSite {
		session := uuid.New()
		claims.SessionID = session.String()
		csrf := auth.SignCSRF(session, s.secret)
		resp.CSRFToken = &csrf
	}
	switch {
	case p.device != nil:
		// A device's token ends with the device.
		claims.DeviceID = p.device.ID.String()
		if exp := p.device.Expires; exp != nil {
			at := float64(exp.Std().Unix())
			seconds := max(int(exp.Std().Sub(now).Seconds()), 0)
			claims.ExpiresAt, resp.ExpiresIn = &at, &seconds
		}
	case s.cfg.TokenExpireMinutes > 0:
		seconds := s.cfg.TokenExpireMinutes * 60
		exp := float64(now.Add(time.Duration(seconds) * time.Second).Unix())
		claims.ExpiresAt = &exp
		resp.ExpiresIn = &seconds
	}
	token, err := auth.Sign(claims, s.secret)
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp.AccessToken = token
	if withCookie {
		cookie := &http.Cookie{Name: s.cfg.AuthCookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
		if !sameSite && secure {
			cookie.SameSite, cookie.Secure = http.SameSiteNoneMode, true
		}
		if resp.ExpiresIn != nil {
			cookie.MaxAge = *resp.ExpiresIn
		}
		http.SetCookie(w, cookie)
	}
	writeJSON(w, http.StatusOK, resp)
}

// passwordLogin checks a user's name (or id) and password. Unknown users
// and wrong passwords get the same answer, after the same bcrypt work.
func (s *Server) passwordLogin(ctx context.Context, nameOrID, password string) (*principal, error) {
	user, sec, err := s.db.GetUserSecrets(ctx, nameOrID, store.HumanAccount)
	if err != nil && !zen.IsNotFound(err) {
		return nil, err
	}
	hash := dummyHash
	if user != nil && sec.PasswordHash != nil {
		hash = *sec.PasswordHash
	}
	if !auth.CheckPassword(hash, password) || user == nil || sec.PasswordHash == nil {
		return nil, credentialsError("Authentication error: invalid username or password")
	}
	if !user.Active {
		return nil, credentialsError("Authentication error: user %s is not active", user.Name)
	}
	return &principal{user: user}, nil
}

// dummyHash is checked against when the user does not exist, so that the
// answer takes as long as for a wrong password.
var dummyHash, _ = auth.HashPassword("zengo-no-such-user")

// logout is GET /api/v1/logout: it clears the auth cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	// Written by hand: the standard cookie writer cannot send the quoted
	// empty value the reference sends.
	w.Header().Add("Set-Cookie", s.cfg.AuthCookieName+`=""; expires=`+s.cfg.Now().UTC().Format(http.TimeFormat)+`; HttpOnly; Max-Age=0; Path=/; SameSite=lax`)
	writeJSON(w, http.StatusOK, nil)
}

// apiToken is GET /api/v1/api_token: a short-lived token for the caller,
// answered as a bare JSON string.
func (s *Server) apiToken(r *http.Request) (any, error) {
	q := r.URL.Query()
	var perr []fieldError
	tokenType := "generic"
	if v := q.Get("token_type"); v != "" {
		if v != "generic" && v != "workload" {
			perr = append(perr, fieldError{typ: "enum", loc: []string{"query", "token_type"}, msg: "Input should be 'generic' or 'workload'", input: v, ctx: `{'expected': "'generic' or 'workload'"}`})
		}
		tokenType = v
	}
	expiresIn := 0
	if v := q.Get("expires_in"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			perr = append(perr, fieldError{typ: "int_parsing", loc: []string{"query", "expires_in"}, msg: "Input should be a valid integer, unable to parse string as an integer", input: v})
		}
		expiresIn = n
	}
	scopes := map[string]*uuid.UUID{}
	for _, name := range []string{"schedule_id", "pipeline_run_id", "deployment_id"} {
		if v := q.Get(name); v != "" {
			id, err := uuid.Parse(v)
			if err != nil {
				perr = append(perr, uuidError([]string{"query", name}, v))
				continue
			}
			scopes[name] = &id
		}
	}
	if len(perr) > 0 {
		return nil, &validationError{errs: perr}
	}
	if tokenType == "generic" && len(scopes) > 0 {
		return nil, zen.Errorf(zen.EInvalid, "Generic API tokens cannot be scoped to a schedule, pipeline run or deployment.")
	}
	if tokenType == "workload" && len(scopes) == 0 {
		return nil, zen.Errorf(zen.EInvalid, "Workload API tokens must be scoped to a schedule, pipeline run or deployment.")
	}
	if err := s.checkWorkloadScope(r, scopes); err != nil {
		return nil, err
	}
	lifetime := s.cfg.GenericTokenLifetime
	if expiresIn != 0 {
		lifetime = time.Duration(expiresIn) * time.Second
	}
	if tokenType == "generic" && lifetime > s.cfg.GenericTokenMaxLifetime {
		return nil, zen.Errorf(zen.EInvalid, "The maximum expiration time for generic API tokens allowed by this server is %d seconds.", int(s.cfg.GenericTokenMaxLifetime.Seconds()))
	}
	p := current(r)
	now := s.cfg.Now()
	claims := auth.Claims{Subject: p.user.ID.String(), Issuer: s.serverID.String(), Audience: s.serverID.String(), IssuedAt: auth.UnixSeconds(now)}
	if tokenType == "generic" || expiresIn != 0 {
		exp := float64(now.Add(lifetime).Unix())
		claims.ExpiresAt = &exp
	}
	if p.apiKeyID != nil {
		claims.APIKeyID, claims.KeyGeneration = p.apiKeyID.String(), p.keyGeneration
	}
	if p.device != nil {
		// Tokens made from a device's token end with the device too.
		claims.DeviceID = p.device.ID.String()
	}
	if id := scopes["pipeline_run_id"]; id != nil {
		claims.PipelineRunID = id.String()
	}
	if id := scopes["schedule_id"]; id != nil {
		claims.ScheduleID = id.String()
	}
	if id := scopes["deployment_id"]; id != nil {
		claims.DeploymentID = id.String()
	}
	return auth.Sign(claims, s.secret)
}

// checkWorkloadScope refuses tokens for runs that do not exist or have
// finished, and for schedules and deployments (zengo keeps none yet).
func (s *Server) checkWorkloadScope(r *http.Request, scopes map[string]*uuid.UUID) error {
	if id := scopes["schedule_id"]; id != nil {
		return zen.Errorf(zen.EInvalid, "Schedule %s does not exist and API tokens cannot be generated for non-existent schedules for security reasons.", id)
	}
	if id := scopes["deployment_id"]; id != nil {
		return zen.Errorf(zen.EInvalid, "Deployment %s does not exist and API tokens cannot be generated for non-existent deployments for security reasons.", id)
	}
	if id := scopes["pipeline_run_id"]; id != nil {
		run, err := s.db.GetRun(r.Context(), *id)
		if zen.IsNotFound(err) {
			return zen.Errorf(zen.EInvalid, "Pipeline run %s does not exist and API tokens cannot be generated for non-existent pipeline runs for security reasons.", id)
		}
		if err != nil {
			return err
		}
		if !run.InProgress {
			return zen.Errorf(zen.EInvalid, "The execution of pipeline run %s has already concluded and API tokens can no longer be generated for it for security reasons.", id)
		}
	}
	return nil
}

// activityInterval is how often a process records user activity, as the
// reference does (at most every 30 seconds).
const activityInterval = 30 * time.Second

// touchActivity records user activity, at most once per interval per
// process, so that authenticated requests do not each cost a write.
func (s *Server) touchActivity(r *http.Request) {
	now := s.cfg.Now().UnixNano()
	last := s.lastActivity.Load()
	if now-last < int64(activityInterval) || !s.lastActivity.CompareAndSwap(last, now) {
		return
	}
	if err := s.db.TouchUserActivity(r.Context()); err != nil {
		logger(r).Warn("record user activity", "err", err)
	}
}

// sameSiteLogin tells whether a login comes from the server's own site (or
// a subdomain), judged by Origin or Referer, and whether its cookie may be
// marked Secure (not when the server is configured with an http URL).
func (s *Server) sameSiteLogin(r *http.Request) (sameSite, secure bool) {
	secure = true
	serverHost := r.Host
	if s.cfg.ServerURL != "" {
		if u, err := url.Parse(s.cfg.ServerURL); err == nil {
			serverHost = u.Host
			secure = u.Scheme != "http"
		}
	} else if fwd := r.Header.Get("X-Forwarded-Host"); fwd != "" {
		serverHost = fwd
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = r.Header.Get("Referer")
	}
	if origin == "" {
		return true, secure
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true, secure
	}
	return isSameOrSubdomain(hostOnly(u.Host), hostOnly(serverHost)), secure
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func isSameOrSubdomain(source, target string) bool {
	target = strings.TrimPrefix(target, ".")
	return strings.EqualFold(source, target) || strings.HasSuffix(strings.ToLower(source), "."+strings.ToLower(target))
}

// readForm reads an application/x-www-form-urlencoded body (any other body
// has no form fields) as the reference's framework does: of repeated
// fields the last counts.
func readForm(r *http.Request) (map[string]string, error) {
	form := map[string]string{}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		return form, nil
	}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	values, _ := url.ParseQuery(string(body))
	for k, v := range values {
		form[k] = v[len(v)-1]
	}
	return form, nil
}
