package api

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/auth"
	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// The OAuth2 device authorization grant (RFC 8628) as the reference runs
// it for `zenml login <url>`: the client asks for a device and a user code
// (POST /device_authorization), a signed-in user approves the device with
// the user code (PUT /devices/{id}/verify, the dashboard's page), and the
// client, polling POST /login with the device code, gets a token tied to
// the device. Deleting or locking the device ends its tokens.

// The reference's defaults (ZENML_SERVER_DEVICE_AUTH_TIMEOUT, ..._POLLING,
// MAX_FAILED_DEVICE_AUTH_ATTEMPTS).
const (
	DefaultDeviceAuthTimeout           = 300
	DefaultDeviceAuthPollingInterval   = 5
	DefaultMaxFailedDeviceAuthAttempts = 3
)

// deviceAuthorizationResponse is the reference's
// OAuthDeviceAuthorizationResponse.
type deviceAuthorizationResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// deviceAuthorization is POST /api/v1/device_authorization: a new device
// for the client, or new codes for the client's device (which puts it
// back to pending, whatever it was).
func (s *Server) deviceAuthorization(r *http.Request) (any, error) {
	form, err := readForm(r)
	if err != nil {
		return nil, err
	}
	v := form["client_id"]
	if v == "" {
		return nil, &validationError{errs: []fieldError{{typ: "missing", loc: []string{"body", "client_id"}, msg: "Field required", input: nil}}}
	}
	clientID, err := uuid.Parse(v)
	if err != nil {
		return nil, &validationError{errs: []fieldError{uuidError([]string{"body", "client_id"}, v)}}
	}
	userCode, deviceCode := auth.RandomHex(16), auth.RandomHex(32)
	d, err := s.db.AuthorizeDevice(r.Context(), clientID, s.deviceInfo(r), auth.HashSecret(userCode), auth.HashSecret(deviceCode), s.cfg.DeviceAuthTimeout)
	if err != nil {
		return nil, err
	}
	verify := "/devices/verify"
	if base := cmp.Or(s.cfg.DashboardURL, s.cfg.ServerURL); base != "" {
		// Python's lstrip("/"), as the reference writes it.
		verify = strings.TrimLeft(base, "/") + verify
	}
	return deviceAuthorizationResponse{DeviceCode: deviceCode, UserCode: userCode, VerificationURI: verify,
		VerificationURIComplete: verify + "?device_id=" + d.ID.String() + "&user_code=" + userCode,
		ExpiresIn:               s.cfg.DeviceAuthTimeout, Interval: s.cfg.DeviceAuthPollingInterval}, nil
}

// deviceInfo reads what the client says about itself in its User-Agent
// ("Host/h ZenML/v Python/v OS/os", the reference's
// OAuthDeviceUserAgentHeader) and where the request comes from. The
// location of the address is left empty: zengo asks no geolocation
// service (the reference's lookup also answers nothing for local and
// private addresses).
func (s *Server) deviceInfo(r *http.Request) store.DeviceInfo {
	var info store.DeviceInfo
	for _, part := range strings.Split(strings.TrimSpace(r.Header.Get("User-Agent")), " ") {
		key, value, ok := strings.Cut(part, "/")
		if !ok {
			continue
		}
		switch key {
		case "Host":
			info.Hostname = &value
		case "ZenML":
			info.ZenMLVersion = &value
		case "Python":
			info.PythonVersion = &value
		case "OS":
			info.OS = &value
		}
	}
	ip, empty := clientAddress(r), ""
	info.IPAddress = &ip
	info.City, info.Region, info.Country = &empty, &empty, &empty
	return info
}

// clientAddress is the client's address as the reference's server
// (uvicorn) reports it: the peer's, or, when the peer is a proxy on the
// same machine (uvicorn trusts 127.0.0.1 by default), the last address of
// X-Forwarded-For that is not.
func clientAddress(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	const trusted = "127.0.0.1"
	fwd := r.Header.Get("X-Forwarded-For")
	if peer != trusted || fwd == "" {
		return peer
	}
	hosts := strings.Split(fwd, ",")
	for i := len(hosts) - 1; i >= 0; i-- {
		if h := strings.TrimSpace(hosts[i]); h != trusted {
			return h
		}
	}
	return strings.TrimSpace(hosts[0])
}

// deviceExpired says whether a device's time is up (at its expiry
// instant, as on the reference).
func deviceExpired(d *store.Device, now zen.Time) bool {
	return d.Expires != nil && !now.Std().Before(d.Expires.Std())
}

// countFailedAttempt records a wrong code on a device, which locks at the
// server's limit; it reports whether the device is now locked.
func (s *Server) countFailedAttempt(d *store.Device, now zen.Time) bool {
	d.FailedAuthAttempts++
	d.Updated = now
	if d.FailedAuthAttempts >= s.cfg.MaxFailedDeviceAuthAttempts {
		d.Status = store.DeviceLocked
		return true
	}
	return false
}

// deviceLifetime is how long an approved device (and its token) lasts, in
// seconds; 0 is forever. Devices expire only when login tokens do.
func (s *Server) deviceLifetime(d *store.Device) int {
	switch {
	case s.cfg.TokenExpireMinutes == 0:
		return 0
	case d.TrustedDevice:
		return s.cfg.TrustedDeviceExpirationMinutes * 60
	}
	return s.cfg.DeviceExpirationMinutes * 60
}

// oauthError is an OAuth2 error answer (RFC 6749 §5.2), a 400 with
// error, error_description and error_uri.
type oauthError struct{ code, description string }

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func oauthErrorf(code, format string, args ...any) *oauthError {
	return &oauthError{code, fmt.Sprintf(format, args...)}
}

// deviceLogin is the device code grant: the client's device must be
// verified, unexpired and show its device code; it becomes active, and
// this is the one time a token is issued for it. Wrong codes count
// towards locking the device.
func (s *Server) deviceLogin(ctx context.Context, clientID uuid.UUID, deviceCode string) (*principal, error) {
	d, err := s.db.ChangeDevice(ctx, store.DeviceKey{ClientID: &clientID}, func(d *store.Device, now zen.Time) error {
		if d.Status != store.DeviceVerified {
			code := "expired_token"
			switch d.Status {
			case store.DevicePending:
				code = "authorization_pending"
			case store.DeviceLocked:
				code = "access_denied"
			}
			return oauthErrorf(code, "Authentication error: device with client ID %s is %s.", clientID, d.Status)
		}
		if deviceExpired(d, now) {
			return oauthErrorf("expired_token", "Authentication error: device for client ID %s has expired", clientID)
		}
		if !auth.SecretMatches(d.DeviceCodeHash, deviceCode) {
			if s.countFailedAttempt(d, now) {
				return oauthErrorf("access_denied", "Authentication error: device for client ID %s has been locked due to too many failed authentication attempts.", clientID)
			}
			return oauthErrorf("access_denied", "Authentication error: device for client ID %s has an invalid device code.", clientID)
		}
		d.Status, d.Expires, d.Updated = store.DeviceActive, store.ExpiresIn(now, s.deviceLifetime(d)), now
		return nil
	})
	if zen.IsNotFound(err) {
		return nil, oauthErrorf("invalid_client", "Authentication error: error retrieving device with client ID %s", clientID)
	}
	if err != nil {
		return nil, err
	}
	return &principal{user: d.User, device: d}, nil
}

// checkDeviceToken is the part of a token check for tokens issued to a
// device: the device must still exist, belong to the token's user, be
// active and unexpired. Its last login is recorded (at most every
// activityInterval, so that a busy client does not write on every
// request).
func (s *Server) checkDeviceToken(ctx context.Context, deviceID string, user *zen.User) (*store.Device, error) {
	id, err := uuid.Parse(deviceID)
	if err != nil {
		return nil, credentialsError("Authentication error: error retrieving token device %s", deviceID)
	}
	d, err := s.db.GetDevice(ctx, store.DeviceKey{ID: &id})
	if zen.IsNotFound(err) {
		return nil, credentialsError("Authentication error: error retrieving token device %s", id)
	}
	if err != nil {
		return nil, err
	}
	now := zen.NewTime(s.cfg.Now())
	switch {
	case d.UserID == nil || *d.UserID != user.ID:
		return nil, credentialsError("Authentication error: device %s does not belong to user %s", id, user.Name)
	case d.Status != store.DeviceActive:
		return nil, credentialsError("Authentication error: device %s is not active", id)
	case deviceExpired(d, now):
		return nil, credentialsError("Authentication error: device %s has expired", id)
	}
	if d.LastLogin == nil || now.Std().Sub(d.LastLogin.Std()) >= activityInterval {
		_, err = s.db.ChangeDevice(ctx, store.DeviceKey{ID: &id}, func(d *store.Device, now zen.Time) error {
			d.LastLogin, d.Updated = &now, now
			return nil
		})
	}
	return d, err
}

// deviceVerification is the reference's OAuthDeviceVerificationRequest.
type deviceVerification struct {
	UserCode      string `json:"user_code" zen:"required"`
	TrustedDevice bool   `json:"trusted_device"`
}

// verifyDevice is PUT /api/v1/devices/{device_id}/verify: the signed-in
// user approves a pending device with its user code, and owns it from
// then on. Wrong codes count towards locking the device.
func (s *Server) verifyDevice() handler {
	return updateByID("device_id", func(r *http.Request, id uuid.UUID, req *deviceVerification) (*store.Device, error) {
		user := current(r).user
		d, err := s.db.ChangeDevice(r.Context(), store.DeviceKey{ID: &id}, func(d *store.Device, now zen.Time) error {
			switch {
			case d.Status != store.DevicePending:
				return zen.Errorf(zen.EInvalid, "Invalid request: device not pending verification.")
			case deviceExpired(d, now):
				return zen.Errorf(zen.EInvalid, "Invalid request: device verification expired.")
			case d.UserID != nil && *d.UserID != user.ID:
				return zen.Errorf(zen.EInvalid, "Invalid request: this device is associated with another user.")
			case !auth.SecretMatches(d.UserCodeHash, req.UserCode):
				if s.countFailedAttempt(d, now) {
					return zen.Errorf(zen.EInvalid, "Invalid request: device locked due to too many failed authentication attempts.")
				}
				return zen.Errorf(zen.EInvalid, "Invalid request: invalid user code.")
			}
			// The expiry stays until the client has fetched its token, so
			// that the device code cannot be tried for longer.
			d.Status, d.UserID, d.FailedAuthAttempts, d.TrustedDevice, d.Updated = store.DeviceVerified, &user.ID, 0, req.TrustedDevice, now
			return nil
		})
		if zen.IsNotFound(err) {
			// The reference looks the device up by a client id it does
			// not have.
			return nil, zen.NotFound("Unable to get device with client ID None: No device with this client ID found.")
		}
		return d, err
	}, deviceView)
}

// deviceNotFound is the reference's answer for a device that exists but
// is not the caller's to see.
func deviceNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get device with ID %s: No device with this ID found.", id)
}

// getDevice is GET /api/v1/devices/{device_id}: the caller's own device,
// or a device nobody has approved yet when the request shows its user
// code (the dashboard's approval page reads it so).
func (s *Server) getDevice(r *http.Request) (any, error) {
	return getByID("device_id", func(ctx context.Context, id uuid.UUID) (*store.Device, error) {
		d, err := s.db.GetDevice(ctx, store.DeviceKey{ID: &id})
		if err != nil {
			return nil, err
		}
		userCode := r.URL.Query().Get("user_code")
		switch {
		case d.UserID == nil && userCode != "" && auth.SecretMatches(d.UserCodeHash, userCode):
		case d.UserID != nil && *d.UserID == principalIn(ctx).user.ID:
		default:
			return nil, deviceNotFound(id)
		}
		return d, nil
	}, deviceView)(r)
}

// deviceUpdate is the reference's OAuthDeviceUpdate.
type deviceUpdate struct {
	Locked *bool `json:"locked"`
}

// updateDevice is PUT /api/v1/devices/{device_id}: its user locks or
// unlocks a device (unlocking makes it active, whatever it was).
func (s *Server) updateDevice() handler {
	return updateByID("device_id", func(r *http.Request, id uuid.UUID, req *deviceUpdate) (*store.Device, error) {
		return s.db.ChangeDevice(r.Context(), store.DeviceKey{ID: &id}, func(d *store.Device, now zen.Time) error {
			if d.UserID == nil || *d.UserID != current(r).user.ID {
				return deviceNotFound(id)
			}
			if req.Locked != nil {
				d.Status = map[bool]string{true: store.DeviceLocked, false: store.DeviceActive}[*req.Locked]
			}
			d.Updated = now
			return nil
		})
	}, deviceView)
}

// deleteDevice is DELETE /api/v1/devices/{device_id}: its user removes a
// device, which ends the tokens issued to it.
func (s *Server) deleteDevice() handler {
	return deleteByID("device_id", func(ctx context.Context, id uuid.UUID) error {
		d, err := s.db.GetDevice(ctx, store.DeviceKey{ID: &id})
		if err != nil {
			return err
		}
		if d.UserID == nil || *d.UserID != principalIn(ctx).user.ID {
			return deviceNotFound(id)
		}
		return s.db.DeleteDevice(ctx, id)
	})
}

// listDevices is GET /api/v1/devices: the caller's own devices only.
func (s *Server) listDevices() listRoute {
	return listOf(filter.Devices, func(r *http.Request, q *listQuery) (*zen.Page[*store.Device], error) {
		return s.db.ListDevices(r.Context(), q.List, current(r).user.ID)
	}, deviceView)
}

type deviceBody struct {
	Created       zen.Time   `json:"created"`
	Updated       zen.Time   `json:"updated"`
	UserID        *uuid.UUID `json:"user_id"`
	ClientID      uuid.UUID  `json:"client_id"`
	Expires       *zen.Time  `json:"expires"`
	TrustedDevice bool       `json:"trusted_device"`
	Status        string     `json:"status"`
	OS            *string    `json:"os"`
	IPAddress     *string    `json:"ip_address"`
	Hostname      *string    `json:"hostname"`
}

type deviceMetadata struct {
	PythonVersion      *string   `json:"python_version"`
	ZenMLVersion       *string   `json:"zenml_version"`
	City               *string   `json:"city"`
	Region             *string   `json:"region"`
	Country            *string   `json:"country"`
	FailedAuthAttempts int       `json:"failed_auth_attempts"`
	LastLogin          *zen.Time `json:"last_login"`
}

func deviceView(d *store.Device, hydrate bool) envelope {
	e := envelope{ID: d.ID,
		Body: deviceBody{Created: d.Created, Updated: d.Updated, UserID: d.UserID, ClientID: d.ClientID, Expires: d.Expires,
			TrustedDevice: d.TrustedDevice, Status: d.Status, OS: d.OS, IPAddress: d.IPAddress, Hostname: d.Hostname},
		Resources: userResources{User: embeddedUser(d.User)}}
	if hydrate {
		e.Metadata = deviceMetadata{PythonVersion: d.PythonVersion, ZenMLVersion: d.ZenMLVersion, City: d.City, Region: d.Region,
			Country: d.Country, FailedAuthAttempts: d.FailedAuthAttempts, LastLogin: d.LastLogin}
	}
	return e
}
