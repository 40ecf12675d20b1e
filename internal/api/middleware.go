package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"
)

type ctxKey int

const (
	loggerKey ctxKey = iota
	principalKey
	requestIDKey
	routeKey
)

// logger returns the request's logger (carrying its request id).
func logger(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// withRequestLog gives each request an id (the client's X-Request-ID when
// it sends a usable one), sends it back in X-Request-ID, logs one line when
// the request ends and counts it in the metrics, and turns a panic into a
// 500 answer. Query strings are not logged: they may carry API tokens.
func (s *Server) withRequestLog(base *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !usableRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		l := base.With("request_id", id)
		route := &routeLabel{pattern: "unmatched"}
		ctx := context.WithValue(r.Context(), loggerKey, l)
		ctx = context.WithValue(ctx, routeKey, route)
		r = r.WithContext(context.WithValue(ctx, requestIDKey, id))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				l.Error("panic while handling request", "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeJSON(rec, http.StatusInternalServerError, unexpectedError(r))
				}
			}
			elapsed := time.Since(start)
			s.metrics.observe(route.pattern, rec.status, elapsed)
			l.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration_ms", float64(elapsed.Microseconds())/1000)
		}()
		next.ServeHTTP(rec, r)
	})
}

// usableRequestID accepts a client's request id of at most 64 letters,
// digits and -_.:, which is safe in a header and a log line.
func usableRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// withRequestLimits refuses, before routing, what the reference refuses
// there: a declared body over the size limit (a bare 413) and multipart
// uploads, which no route accepts. It bounds what a body may cost: no body
// is read past the limit, and the bytes of all bodies being read at once
// are held within a budget, taken as the bytes arrive (so a client that
// trickles its body holds only what it sent) and given back when the
// request ends.
func (s *Server) withRequestLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" || r.URL.Path == "/ready" {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > s.cfg.MaxBodyBytes {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			writeJSON(w, http.StatusForbidden, plainDetail("File uploads are not allowed on this endpoint."))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			b := &budgetedBody{rc: http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes), budget: s.bodyBudget, ctx: r.Context()}
			defer b.release()
			r.Body = b
		}
		next.ServeHTTP(w, r)
	})
}

// budgetedBody takes from the server's budget of body bytes in flight as
// its bytes are read, waiting while the budget is spent.
type budgetedBody struct {
	rc     io.ReadCloser
	budget *semaphore.Weighted
	ctx    context.Context
	held   int64
}

func (b *budgetedBody) Read(p []byte) (int, error) {
	// Ask for no more than the chunk about to be read.
	if len(p) > bodyBudgetChunk {
		p = p[:bodyBudgetChunk]
	}
	if err := b.budget.Acquire(b.ctx, int64(len(p))); err != nil {
		return 0, err
	}
	n, err := b.rc.Read(p)
	b.held += int64(n)
	if unused := int64(len(p) - n); unused > 0 {
		b.budget.Release(unused)
	}
	return n, err
}

func (b *budgetedBody) Close() error { return b.rc.Close() }

func (b *budgetedBody) release() {
	if b.held > 0 {
		b.budget.Release(b.held)
		b.held = 0
	}
}

// bodyBudgetChunk is the most one read asks of the budget.
const bodyBudgetChunk = 256 << 10

// securityHeaders are sent with every API answer, as the reference does.
var securityHeaders = map[string]string{
	"Cache-Control":             "no-store, no-cache, must-revalidate",
	"Strict-Transport-Security": "max-age=63072000; includeSubdomains",
	"Referrer-Policy":           "no-referrer-when-downgrade",
	"X-Content-Type-Options":    "nosniff",
	"X-Frame-Options":           "SAMEORIGIN",
	// The dashboard's policy: its scripts, and the widgets it embeds.
	"Content-Security-Policy": "default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval' https://widgets-v3.featureos.app https://static.reo.dev; " +
		"connect-src 'self' *; img-src 'self' data: *; style-src 'self' 'unsafe-inline'; base-uri 'self'; form-action 'self'; font-src 'self';" +
		"frame-src https://zenml.hellonext.co https://sdkdocs.zenml.io https://widgets-v3.hellonext.co https://widgets-v3.featureos.app https://zenml.portal.trainn.co",
	"Permissions-Policy": "accelerometer=(), autoplay=(), camera=(), encrypted-media=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), sync-xhr=(), usb=()",
}

func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" && r.URL.Path != "/ready" {
			h := w.Header()
			for k, v := range securityHeaders {
				h.Set(k, v)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// corsMethods are the methods Starlette's allow_methods=["*"] stands for.
var corsMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY"}

// withCORS allows browsers on any origin, with credentials, as the
// reference does by default, and answers preflight requests.
func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network")
			h.Set("Access-Control-Allow-Methods", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY")
			h.Set("Access-Control-Max-Age", "600")
			if hdrs, ok := r.Header["Access-Control-Request-Headers"]; ok {
				h.Set("Access-Control-Allow-Headers", hdrs[0])
			}
			// Starlette's CORSMiddleware refuses what it does not allow,
			// with every preflight header still set.
			var failures []string
			if !slices.Contains(corsMethods, r.Header.Get("Access-Control-Request-Method")) {
				failures = append(failures, "method")
			}
			if _, ok := r.Header["Access-Control-Request-Private-Network"]; ok {
				failures = append(failures, "private-network")
			}
			h.Set("Content-Type", "text/plain; charset=utf-8")
			if len(failures) > 0 {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte("Disallowed CORS " + strings.Join(failures, ", ")))
				return
			}
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("OK"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
