package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"zengo/internal/api"
	"zengo/internal/auth"
	"zengo/internal/store"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s := newSettings("serve", stderr)
	listen := s.add("listen", "ZENGO_LISTEN", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	ss := addStoreSettings(s, getenv)
	ss.secretsKey = s.add("secrets-encryption-key", secretsKeyEnv, "", "key that encrypts secret values in the database (empty: stored unencrypted)")
	jwtSecret := s.add("jwt-secret", "ZENML_SERVER_JWT_SECRET_KEY", "", "JWT signing secret (empty: generated once and kept in the database)")
	expire := s.add("jwt-expire-minutes", "ZENML_SERVER_JWT_TOKEN_EXPIRE_MINUTES", "", "lifetime of login tokens in minutes (empty: they do not expire)")
	deviceTimeout := s.add("device-auth-timeout", "ZENML_SERVER_DEVICE_AUTH_TIMEOUT", "300", "seconds a user has to approve a device login (zenml login)")
	devicePolling := s.add("device-auth-polling-interval", "ZENML_SERVER_DEVICE_AUTH_POLLING_INTERVAL", "5", "seconds between a device's polls for its token")
	deviceAttempts := s.add("max-failed-device-auth-attempts", "ZENML_SERVER_MAX_FAILED_DEVICE_AUTH_ATTEMPTS", "3", "wrong user or device codes that lock a device")
	deviceExpire := s.add("device-expiration-minutes", "ZENML_SERVER_DEVICE_EXPIRATION_MINUTES", "", "lifetime of a device login and its token (empty: forever; only with --jwt-expire-minutes)")
	trustedExpire := s.add("trusted-device-expiration-minutes", "ZENML_SERVER_TRUSTED_DEVICE_EXPIRATION_MINUTES", "", "the same for devices approved as trusted")
	adminName := s.add("default-user-name", "ZENML_DEFAULT_USER_NAME", "default", "name of the admin user created on first start")
	adminPassword := s.add("default-user-password", "ZENML_DEFAULT_USER_PASSWORD", "", "password of that admin user (empty only on a loopback address)")
	projectName := s.add("default-project-name", "ZENML_DEFAULT_PROJECT_NAME", "default", "name of the project created on first start")
	serverURL := s.add("server-url", "ZENML_SERVER_SERVER_URL", "", "public URL of the server, reported by /api/v1/info")
	dashboardURL := s.add("dashboard-url", "ZENML_SERVER_DASHBOARD_URL", "", "dashboard URL, reported by /api/v1/info")
	deployment := s.add("deployment-type", "ZENML_SERVER_DEPLOYMENT_TYPE", "other", "deployment type reported by /api/v1/info")
	dashboardFiles := addDashboardSetting(s)
	cookie := s.add("auth-cookie-name", "ZENML_SERVER_AUTH_COOKIE_NAME", "", "auth cookie name (empty: zenml-server-<server id>)")
	ls := addLogSettings(s, getenv)
	metricsAccess := s.add("metrics", "ZENGO_METRICS", "public", "who may read GET /metrics (Prometheus): public, token (a logged-in user) or off")
	logFormat := s.add("log-format", "ZENGO_LOG_FORMAT", "text", "log format: text or json")
	logLevel := s.add("log-level", "ZENGO_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	hs := addHTTPSettings(s)
	shutdownTimeout := s.add("shutdown-timeout", "ZENGO_SHUTDOWN_TIMEOUT", "30s", "how long in-flight requests may take to finish on shutdown")
	pprofAddr := s.add("pprof", "ZENGO_PPROF", "", "address of a separate listener serving Go's /debug/pprof/ profiles (empty: none; keep it on a loopback address)")
	if err := s.parse(args, getenv); err != nil {
		return err
	}

	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	cfg := api.Config{
		JWTSecret: *jwtSecret, ServerURL: *serverURL, DashboardURL: *dashboardURL,
		DeploymentType: *deployment, AuthCookieName: *cookie, DefaultProjectName: *projectName,
		DashboardDir: dashboardDir(*dashboardFiles, *ss.dataDir), Metrics: *metricsAccess,
	}
	switch cfg.Metrics {
	case "public", "token", "off":
	default:
		return fmt.Errorf("ZENGO_METRICS must be public, token or off, got %q", cfg.Metrics)
	}
	for _, n := range []struct {
		dst        *int
		value, env string
		positive   bool
	}{
		{&cfg.TokenExpireMinutes, *expire, "ZENML_SERVER_JWT_TOKEN_EXPIRE_MINUTES", false},
		{&cfg.DeviceAuthTimeout, *deviceTimeout, "ZENML_SERVER_DEVICE_AUTH_TIMEOUT", true},
		{&cfg.DeviceAuthPollingInterval, *devicePolling, "ZENML_SERVER_DEVICE_AUTH_POLLING_INTERVAL", true},
		{&cfg.MaxFailedDeviceAuthAttempts, *deviceAttempts, "ZENML_SERVER_MAX_FAILED_DEVICE_AUTH_ATTEMPTS", true},
		{&cfg.DeviceExpirationMinutes, *deviceExpire, "ZENML_SERVER_DEVICE_EXPIRATION_MINUTES", false},
		{&cfg.TrustedDeviceExpirationMinutes, *trustedExpire, "ZENML_SERVER_TRUSTED_DEVICE_EXPIRATION_MINUTES", false},
	} {
		if n.value == "" {
			continue
		}
		v, err := strconv.Atoi(n.value)
		if err != nil || v < 0 || (n.positive && v == 0) {
			kind := "a non-negative"
			if n.positive {
				kind = "a positive"
			}
			return fmt.Errorf("%s must be %s integer, got %q", n.env, kind, n.value)
		}
		*n.dst = v
	}
	if err := ls.apply(&cfg); err != nil {
		return err
	}
	limits, err := hs.limits()
	if err != nil {
		return err
	}
	cfg.MaxBodyBytes, cfg.BodyBytesInFlight = limits.maxBody, limits.bodyInFlight
	grace, err := time.ParseDuration(*shutdownTimeout)
	if err != nil {
		return fmt.Errorf("ZENGO_SHUTDOWN_TIMEOUT: %w", err)
	}

	tcp, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	ln := newLimitListener(tcp, limits.maxConns)
	defer ln.Close()

	db, err := openStore(ctx, ss)
	if err != nil {
		return err
	}
	defer db.Close()
	if *ss.secretsKey == "" {
		log.Warn(secretsKeyEnv + " is not set: secret values are stored unencrypted in the database")
	}
	if err := db.CheckSecretsKey(ctx); err != nil {
		return fmt.Errorf("%s: %w", secretsKeyEnv, err)
	}
	if err := initialise(ctx, db, *adminName, *adminPassword, *projectName, isLoopback(ln.Addr()), log); err != nil {
		return err
	}
	srv, err := api.NewServer(ctx, db, cfg, log)
	if err != nil {
		return err
	}

	httpServer := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: limits.readHeader,
		ReadTimeout:       limits.read,
		WriteTimeout:      limits.write,
		IdleTimeout:       limits.idle,
		MaxHeaderBytes:    limits.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	if *pprofAddr != "" {
		stopProfiles, err := serveProfiles(*pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopProfiles()
	}
	fmt.Fprintf(stdout, "zengo listening on http://%s (store: %s)\n", ln.Addr(), db.Engine())
	log.Info("zengo started", "addr", ln.Addr().String(), "engine", db.Engine(), "server_id", srv.ServerID().String())

	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: waiting for in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// openStore opens (and migrates) the configured database.
func openStore(ctx context.Context, ss storeSettings) (*store.DB, error) {
	opts, err := ss.options()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, ss.resolvedURL(), opts)
}

// initialise sets up an empty database (admin user, default project and
// stack); on an initialised one it does nothing.
func initialise(ctx context.Context, db *store.DB, adminName, adminPassword, projectName string, loopback bool, log *slog.Logger) error {
	done, err := db.Initialised(ctx)
	if err != nil || done {
		return err
	}
	if adminPassword == "" && !loopback {
		return fmt.Errorf("refusing to create the admin user %q with an empty password on a server reachable from other machines: set ZENML_DEFAULT_USER_PASSWORD (or --default-user-password), or listen on a loopback address", adminName)
	}
	hash, err := auth.HashPassword(adminPassword)
	if err != nil {
		return err
	}
	created, err := db.Initialise(ctx, store.Bootstrap{AdminName: adminName, AdminPasswordHash: hash, ProjectName: projectName})
	if err != nil {
		return fmt.Errorf("initialise the database: %w", err)
	}
	if created {
		log.Info("initialised a new database", "admin_user", adminName, "project", projectName)
	}
	return nil
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("ZENGO_LOG_LEVEL: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(format) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("ZENGO_LOG_FORMAT must be text or json, got %q", format)
}
