// Package api serves the ZenML REST API over HTTP: routes, handlers per
// resource, the wire shapes (body / metadata / resources), authentication
// and the reference's error answers.
package api

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/semaphore"

	"zengo/internal/auth"
	"zengo/internal/store"
)

// Version is the ZenML release whose API zengo serves.
const Version = "0.98.0"

// Config holds the server's settings that are not in the database.
type Config struct {
	// JWTSecret overrides the secret stored in the database.
	JWTSecret string
	// TokenExpireMinutes bounds login tokens; 0 means they do not expire,
	// the reference's default.
	TokenExpireMinutes int
	// GenericTokenLifetime is the default lifetime of /api_token tokens;
	// GenericTokenMaxLifetime their limit.
	GenericTokenLifetime    time.Duration
	GenericTokenMaxLifetime time.Duration
	ServerURL               string
	DashboardURL            string
	DeploymentType          string

	// DeviceAuthTimeout is how long a user has to approve a device login,
	// in seconds; DeviceAuthPollingInterval how often the client asks.
	DeviceAuthTimeout         int
	DeviceAuthPollingInterval int
	// MaxFailedDeviceAuthAttempts wrong codes lock a device.
	MaxFailedDeviceAuthAttempts int
	// DeviceExpirationMinutes and TrustedDeviceExpirationMinutes bound how
	// long an approved device (and its token) lasts; 0 is forever. They
	// apply only when TokenExpireMinutes is set, as on the reference.
	DeviceExpirationMinutes        int
	TrustedDeviceExpirationMinutes int
	// AuthCookieName overrides the cookie name (default zenml-server-<id>).
	AuthCookieName string
	// DefaultProjectName is the project that cannot be deleted or renamed.
	DefaultProjectName string
	// MaxBodyBytes bounds one request body (a bare 413 beyond it).
	MaxBodyBytes int64
	// BodyBytesInFlight bounds the bytes of all request bodies being read
	// or held at once; a request waits while they are spent.
	BodyBytesInFlight int64
	// DashboardDir holds a build of the ZenML dashboard to serve (none
	// when it has no index.html).
	DashboardDir string
	// AllowLocalFileAccess lets the log routes read files of local
	// artifact stores (ZENML_SERVER_ALLOW_LOCAL_FILE_ACCESS).
	AllowLocalFileAccess bool
	// LocalStoresPath is the directory whose <component id> subdirectory
	// is the root of a local artifact store without a configured path.
	LocalStoresPath string
	// LogsMaxEntries bounds the entries of one log read (default 50000).
	LogsMaxEntries int
	// Metrics says who may read GET /metrics: "public" (the default),
	// "token" (an authenticated user) or "off" (no such route).
	Metrics string
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// The defaults of the body limits. The largest request a real client sends
// is a snapshot of a large pipeline (a few MB for hundreds of steps); the
// reference's 256 MiB limit would let one request take gigabytes once
// decoded.
const (
	DefaultMaxBodyBytes      = 64 << 20
	DefaultBodyBytesInFlight = 256 << 20
)

// DefaultLogsMaxEntries is the reference's LOGS_MAX_ENTRIES_PER_REQUEST.
const DefaultLogsMaxEntries = 50000

// Server is the HTTP API.
type Server struct {
	db       *store.DB
	cfg      Config
	log      *slog.Logger
	serverID uuid.UUID
	secret   []byte
	handler  http.Handler
	// bodyBudget holds BodyBytesInFlight.
	bodyBudget *semaphore.Weighted
	dashboard  *dashboard
	metrics    *metrics
	// routeTable is every route, as routes() registers them; openAPI is
	// the document made from it.
	routeTable []routeInfo
	openAPI    []byte
	// tokens remembers the tokens whose signature was checked.
	tokens auth.TokenCache
	// lastActivity is when this process last recorded user activity.
	lastActivity atomic.Int64
}

// NewServer builds the API over an initialised store.
func NewServer(ctx context.Context, db *store.DB, cfg Config, log *slog.Logger) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.GenericTokenLifetime == 0 {
		cfg.GenericTokenLifetime = time.Hour
	}
	if cfg.GenericTokenMaxLifetime == 0 {
		cfg.GenericTokenMaxLifetime = 7 * 24 * time.Hour
	}
	if cfg.DeviceAuthTimeout == 0 {
		cfg.DeviceAuthTimeout = DefaultDeviceAuthTimeout
	}
	if cfg.DeviceAuthPollingInterval == 0 {
		cfg.DeviceAuthPollingInterval = DefaultDeviceAuthPollingInterval
	}
	if cfg.MaxFailedDeviceAuthAttempts == 0 {
		cfg.MaxFailedDeviceAuthAttempts = DefaultMaxFailedDeviceAuthAttempts
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.BodyBytesInFlight < cfg.MaxBodyBytes {
		cfg.BodyBytesInFlight = max(DefaultBodyBytesInFlight, cfg.MaxBodyBytes)
	}
	if cfg.LogsMaxEntries <= 0 {
		cfg.LogsMaxEntries = DefaultLogsMaxEntries
	}
	if cfg.DeploymentType == "" {
		cfg.DeploymentType = "other"
	}
	settings, storedSecret, err := db.Settings(ctx)
	if err != nil {
		return nil, fmt.Errorf("read server settings: %w", err)
	}
	s := &Server{db: db, cfg: cfg, log: log, serverID: settings.ServerID, bodyBudget: semaphore.NewWeighted(cfg.BodyBytesInFlight), metrics: newMetrics()}
	if cfg.JWTSecret != "" {
		s.secret = []byte(cfg.JWTSecret)
	} else if s.secret, err = hex.DecodeString(storedSecret); err != nil {
		return nil, fmt.Errorf("stored JWT secret: %w", err)
	}
	if s.dashboard, err = loadDashboard(cfg.DashboardDir); err != nil {
		return nil, fmt.Errorf("dashboard files in %s: %w", cfg.DashboardDir, err)
	}
	if s.cfg.AuthCookieName == "" {
		s.cfg.AuthCookieName = "zenml-server-" + s.serverID.String()
	}
	routes := s.routes()
	if s.openAPI, err = s.openAPIDocument(); err != nil {
		return nil, err
	}
	s.handler = s.withRequestLog(log, s.withRequestLimits(withSecurityHeaders(withCORS(routes))))
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// ServerID is the server's stable identity.
func (s *Server) ServerID() uuid.UUID { return s.serverID }
