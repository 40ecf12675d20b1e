package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"zengo/internal/auth"
	"zengo/internal/store"
)

// deviceServer is an in-process server on a fresh SQLite database whose
// clock the test moves.
type deviceServer struct {
	t     *testing.T
	srv   *Server
	mu    sync.Mutex
	now   time.Time
	admin string // the admin's token
}

func newDeviceServer(t *testing.T, cfg Config) *deviceServer {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:///"+filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hash, _ := auth.HashPassword("pw")
	if _, err := db.Initialise(ctx, store.Bootstrap{AdminName: "default", AdminPasswordHash: hash, ProjectName: "default"}); err != nil {
		t.Fatal(err)
	}
	ds := &deviceServer{t: t, now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	db.Now, cfg.Now = ds.clock, ds.clock
	if ds.srv, err = NewServer(ctx, db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	_, body := ds.form("/api/v1/login", url.Values{"username": {"default"}, "password": {"pw"}})
	ds.admin = body["access_token"].(string)
	return ds
}

func (ds *deviceServer) clock() time.Time {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return ds.now
}

func (ds *deviceServer) advance(d time.Duration) {
	ds.mu.Lock()
	ds.now = ds.now.Add(d)
	ds.mu.Unlock()
}

func (ds *deviceServer) do(method, path, token string, body io.Reader, contentType string) (int, map[string]any) {
	ds.t.Helper()
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = "192.0.2.7:5555"
	r.Header.Set("User-Agent", "Host/box ZenML/0.98.0 Python/3.11.9 OS/Linux")
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	ds.srv.ServeHTTP(w, r)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func (ds *deviceServer) form(path string, v url.Values) (int, map[string]any) {
	return ds.do("POST", path, "", strings.NewReader(v.Encode()), "application/x-www-form-urlencoded")
}

func (ds *deviceServer) json(method, path, token string, body any) (int, map[string]any) {
	b, _ := json.Marshal(body)
	return ds.do(method, path, token, strings.NewReader(string(b)), "application/json")
}

// authorize starts a device login and returns the device id, user code
// and device code.
func (ds *deviceServer) authorize(clientID string) (string, string, string) {
	ds.t.Helper()
	code, body := ds.form("/api/v1/device_authorization", url.Values{"client_id": {clientID}})
	if code != 200 {
		ds.t.Fatalf("device_authorization: %d %v", code, body)
	}
	complete := body["verification_uri_complete"].(string)
	q, _ := url.ParseQuery(complete[strings.Index(complete, "?")+1:])
	return q.Get("device_id"), body["user_code"].(string), body["device_code"].(string)
}

func (ds *deviceServer) verify(id, userCode string, trusted bool) (int, map[string]any) {
	return ds.json("PUT", "/api/v1/devices/"+id+"/verify", ds.admin, map[string]any{"user_code": userCode, "trusted_device": trusted})
}

func (ds *deviceServer) poll(clientID, deviceCode string) (int, map[string]any) {
	return ds.form("/api/v1/login", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {clientID}, "device_code": {deviceCode}})
}

func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	json.Unmarshal(payload, &c)
	return c
}

const (
	client1 = "0f0e0d0c-0b0a-4909-8807-060504030201"
	client2 = "0f0e0d0c-0b0a-4909-8807-060504030202"
)

// A pending device can be approved only within the device auth timeout;
// a verified one must fetch its token within it too. The client keeps
// hearing "pending" while nobody approves, as on the reference.
func TestDeviceAuthorizationExpires(t *testing.T) {
	ds := newDeviceServer(t, Config{DeviceAuthTimeout: 60})
	id, uc, dc := ds.authorize(client1)
	ds.advance(60 * time.Second)
	if code, body := ds.poll(client1, dc); code != 400 || body["error"] != "authorization_pending" {
		t.Errorf("poll: %d %v", code, body)
	}
	if code, body := ds.verify(id, uc, false); code != 400 || !strings.Contains(body["detail"].([]any)[1].(string), "device verification expired") {
		t.Errorf("verify after the timeout: %d %v", code, body)
	}

	id, uc, dc = ds.authorize(client2)
	if code, body := ds.verify(id, uc, false); code != 200 {
		t.Fatalf("verify: %d %v", code, body)
	}
	ds.advance(61 * time.Second)
	if code, body := ds.poll(client2, dc); code != 400 || body["error"] != "expired_token" ||
		body["error_description"] != "Authentication error: device for client ID "+client2+" has expired" {
		t.Errorf("token after the timeout: %d %v", code, body)
	}
}

// With login tokens that expire, an approved device (and its token) lasts
// the device expiration, longer when approved as trusted; without, it
// lasts until it is deleted or locked.
func TestDeviceLifetimes(t *testing.T) {
	ds := newDeviceServer(t, Config{TokenExpireMinutes: 60, DeviceExpirationMinutes: 30, TrustedDeviceExpirationMinutes: 600})
	for _, c := range []struct {
		client  string
		trusted bool
		minutes int
	}{{client1, false, 30}, {client2, true, 600}} {
		id, uc, dc := ds.authorize(c.client)
		if code, body := ds.verify(id, uc, c.trusted); code != 200 {
			t.Fatalf("verify: %d %v", code, body)
		}
		code, body := ds.poll(c.client, dc)
		if code != 200 || body["expires_in"] != float64(c.minutes*60) {
			t.Fatalf("token: %d %v", code, body)
		}
		claims := claimsOf(t, body["access_token"].(string))
		if claims["exp"] != float64(ds.clock().Add(time.Duration(c.minutes)*time.Minute).Unix()) || claims["device_id"] != id {
			t.Errorf("claims: %v", claims)
		}
		_, dev := ds.do("GET", "/api/v1/devices/"+id, ds.admin, nil, "")
		want := ds.clock().Add(time.Duration(c.minutes) * time.Minute).Format("2006-01-02T15:04:05")
		if dev["body"].(map[string]any)["expires"] != want {
			t.Errorf("device expires %v, want %s", dev["body"], want)
		}
	}

	ds = newDeviceServer(t, Config{DeviceExpirationMinutes: 30})
	id, uc, dc := ds.authorize(client1)
	ds.verify(id, uc, false)
	code, body := ds.poll(client1, dc)
	if code != 200 || body["expires_in"] != nil {
		t.Fatalf("token without login token expiry: %d %v", code, body)
	}
	if _, ok := claimsOf(t, body["access_token"].(string))["exp"]; ok {
		t.Errorf("the token of a device that never expires has an exp")
	}
	ds.advance(365 * 24 * time.Hour)
	if code, _ := ds.do("GET", "/api/v1/current-user", body["access_token"].(string), nil, ""); code != 200 {
		t.Errorf("a year later: %d", code)
	}
}

// Using a device's token records its last login, at most every
// activityInterval; the device's address and User-Agent are recorded.
func TestDeviceLastLogin(t *testing.T) {
	ds := newDeviceServer(t, Config{})
	id, uc, dc := ds.authorize(client1)
	ds.verify(id, uc, false)
	_, body := ds.poll(client1, dc)
	token := body["access_token"].(string)
	lastLogin := func() any {
		_, dev := ds.do("GET", "/api/v1/devices/"+id, ds.admin, nil, "")
		return dev["metadata"].(map[string]any)["last_login"]
	}
	if got := lastLogin(); got != nil {
		t.Fatalf("last login before any use: %v", got)
	}
	ds.do("GET", "/api/v1/current-user", token, nil, "")
	first := lastLogin()
	ds.advance(activityInterval / 2)
	ds.do("GET", "/api/v1/current-user", token, nil, "")
	if got := lastLogin(); got != first {
		t.Errorf("last login moved within the interval: %v -> %v", first, got)
	}
	ds.advance(activityInterval)
	ds.do("GET", "/api/v1/current-user", token, nil, "")
	if got := lastLogin(); got == first {
		t.Errorf("last login did not move after the interval: %v", got)
	}
	_, dev := ds.do("GET", "/api/v1/devices/"+id, ds.admin, nil, "")
	b, m := dev["body"].(map[string]any), dev["metadata"].(map[string]any)
	if b["ip_address"] != "192.0.2.7" || b["hostname"] != "box" || b["os"] != "Linux" || m["python_version"] != "3.11.9" || m["zenml_version"] != "0.98.0" {
		t.Errorf("device info: %v %v", b, m)
	}
}

func TestClientAddressTrustsLocalProxiesAsUvicornDoes(t *testing.T) {
	for _, c := range []struct{ peer, fwd, want string }{
		{"192.0.2.1:1", "", "192.0.2.1"},
		{"192.0.2.1:1", "1.2.3.4", "192.0.2.1"},
		{"127.0.0.1:1", "", "127.0.0.1"},
		{"127.0.0.1:1", "1.2.3.4", "1.2.3.4"},
		{"127.0.0.1:1", "1.2.3.4, 5.6.7.8", "5.6.7.8"},
		{"127.0.0.1:1", "1.2.3.4, 127.0.0.1", "1.2.3.4"},
		{"127.0.0.1:1", "127.0.0.1", "127.0.0.1"},
		{"[::1]:1", "1.2.3.4", "::1"},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = c.peer
		if c.fwd != "" {
			r.Header.Set("X-Forwarded-For", c.fwd)
		}
		if got := clientAddress(r); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.peer, c.fwd, got, c.want)
		}
	}
}

func TestDeviceInfoFromUserAgent(t *testing.T) {
	for ua, want := range map[string][4]string{
		"Host/h ZenML/1 Python/3 OS/Linux":   {"h", "1", "3", "Linux"},
		"python-requests/2.32":               {},
		"":                                   {},
		"Host/a/b  nonsense OS/Darwin Host/": {"", "", "", "Darwin"},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("User-Agent", ua)
		info := (&Server{}).deviceInfo(r)
		got := [4]string{}
		for i, p := range []*string{info.Hostname, info.ZenMLVersion, info.PythonVersion, info.OS} {
			if p != nil {
				got[i] = *p
			}
		}
		if ua == "Host/a/b  nonsense OS/Darwin Host/" && (info.Hostname == nil || *info.Hostname != "") {
			t.Errorf("the last Host counts, even empty: %v", info.Hostname)
		}
		if got != want {
			t.Errorf("%q: %v, want %v", ua, got, want)
		}
	}
}
