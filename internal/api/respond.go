package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// writeJSON answers with a JSON body. Every success carries one: the client
// refuses a 2xx without JSON, so a delete answers `null`.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode response", "err", err)
		status, body = 500, []byte(`{"detail":["RuntimeError","failed to encode the response"]}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// With its length given the answer goes out in one piece, not in
	// chunks, as the reference sends it.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// detail is the reference's error body: {"detail": [exception, message]}.
func detail(name, message string) map[string]any {
	return map[string]any{"detail": []string{name, message}}
}

// plainDetail is the other shape the reference uses at the HTTP layer:
// {"detail": "text"}.
func plainDetail(message string) map[string]any {
	return map[string]any{"detail": message}
}

// writeError turns any error into the reference's answer for it. Errors
// that are not application errors are logged and reported as a 500 without
// their internals.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ze *zen.Error
	var ve *validationError
	var pe filter.ParamErrors
	var me *filter.ModelError
	var be *bodyReadError
	var pl *plainError
	var oe *oauthError
	switch {
	case errors.As(err, &ze):
		if ze.Code == zen.EUnauthorized {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		writeJSON(w, ze.Status(), detail(ze.ExceptionName(), ze.Message))
	case errors.As(err, &pl):
		writeJSON(w, pl.status, plainDetail(pl.detail))
	case errors.As(err, &oe):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": oe.code, "error_description": oe.description, "error_uri": nil})
	case errors.As(err, &ve):
		writeJSON(w, http.StatusUnprocessableEntity, []string{"ValueError", ve.Error()})
	case errors.As(err, &pe):
		writeJSON(w, http.StatusUnprocessableEntity, []string{"ValueError", paramError(pe).Error()})
	case errors.As(err, &me):
		writeJSON(w, http.StatusUnprocessableEntity, detail("ValueError", me.Error()))
	case errors.Is(err, errBodyTooLarge):
		w.WriteHeader(http.StatusRequestEntityTooLarge)
	case errors.As(err, &be):
		if be.timedOut() {
			writeJSON(w, http.StatusRequestTimeout, plainDetail("Request Timeout"))
		} else {
			writeJSON(w, http.StatusBadRequest, plainDetail("There was an error parsing the body"))
		}
	case errors.Is(err, errBodyUnusable):
		writeJSON(w, http.StatusBadRequest, plainDetail("There was an error parsing the body"))
	default:
		logger(r).Error("request failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, unexpectedError(r))
	}
}

// plainError is answered as {"detail": text}, the shape of the
// reference's HTTP-layer refusals.
type plainError struct {
	status int
	detail string
}

func (e *plainError) Error() string { return e.detail }

// handler adapts a function that returns a value to serve as JSON, or an
// error to answer in the reference's shape.
type handler func(r *http.Request) (any, error)

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v, err := h(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// unexpectedError is the reference's answer to a crash: no internals, only
// the request id to find it in the log.
func unexpectedError(r *http.Request) map[string]any {
	return map[string]any{"detail": "An unexpected error occurred.", "request_id": requestID(r)}
}
