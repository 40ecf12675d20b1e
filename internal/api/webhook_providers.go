package api

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"zengo/internal/zen"
)

// webhookProvider is one provider's intake, the reference's
// BaseWebhookProvider: an optional check of the headers before the webhook
// is looked up, the signature check over the exact body, and the parse of
// a delivery into the answer intake gives (the event goes to no handler on
// a self-hosted server, so only its validity matters here).
type webhookProvider struct {
	preValidate  func(h http.Header) error
	authenticate func(body []byte, h http.Header, secret string, now time.Time) error
	parse        func(body []byte, h http.Header) (intakeAnswer, error)
}

// intakeAnswer is the success answer of intake.
type intakeAnswer struct {
	status    int
	body      string
	mediaType string
}

var accepted = intakeAnswer{status: http.StatusAccepted}

// webhookProviders are the reference's bundled providers, by type.
var webhookProviders = map[string]webhookProvider{
	"custom": {
		authenticate: hmacSHA256("x-zenml-signature-256", true),
		parse:        jsonEvent(headerEventType("x-zenml-event", "Missing required x-zenml-event header.")),
	},
	"github": {
		preValidate: func(h http.Header) error {
			if h.Get("x-github-event") == "" {
				return errors.New("Missing or empty x-github-event header.")
			}
			return nil
		},
		authenticate: hmacSHA256("x-hub-signature-256", true),
		parse:        jsonEvent(headerEventType("x-github-event", "Missing required x-github-event header.")),
	},
	"clickup": {
		authenticate: hmacSHA256("x-signature", false),
		parse:        jsonEvent(clickUpEvent),
	},
	"slack": {
		authenticate: slackSignature,
		parse:        slackDelivery,
	},
}

// hmacSHA256 checks an HMAC-SHA256 of the body in header: "sha256=<hex>"
// (GitHub style) when prefixed, the bare hex digest in any case otherwise
// (ClickUp style).
func hmacSHA256(header string, prefixed bool) func([]byte, http.Header, string, time.Time) error {
	return func(body []byte, h http.Header, secret string, _ time.Time) error {
		signature := h.Get(header)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		digest := hex.EncodeToString(mac.Sum(nil))
		if prefixed {
			if !strings.HasPrefix(signature, "sha256=") {
				return errors.New("Missing or malformed " + header + " header.")
			}
			if !hmac.Equal([]byte(signature), []byte("sha256="+digest)) {
				return errors.New("Invalid webhook signature.")
			}
			return nil
		}
		if signature == "" {
			return errors.New("Missing " + header + " header.")
		}
		if !hmac.Equal([]byte(strings.ToLower(signature)), []byte(digest)) {
			return errors.New("Invalid webhook signature.")
		}
		return nil
	}
}

// slackToleranceSeconds is how far a Slack request's timestamp may be from
// the server's clock.
const slackToleranceSeconds = 5 * 60

// slackSignature checks Slack's v0 signature: HMAC-SHA256 of
// "v0:<timestamp>:<body>", with the timestamp within five minutes.
func slackSignature(body []byte, h http.Header, secret string, now time.Time) error {
	signature := h.Get("x-slack-signature")
	if !strings.HasPrefix(signature, "v0=") {
		return errors.New("Missing or malformed x-slack-signature header.")
	}
	ts := h.Get("x-slack-request-timestamp")
	digits := ts != "" && len(ts) <= 20 && strings.Trim(ts, "0123456789") == ""
	if !digits {
		return errors.New("Missing or malformed x-slack-request-timestamp header.")
	}
	sent, err := strconv.ParseFloat(ts, 64)
	if err != nil || math.Abs(float64(now.UnixNano())/1e9-sent) > slackToleranceSeconds {
		return errors.New("Slack request timestamp is outside the allowed tolerance.")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if !hmac.Equal([]byte(signature), []byte("v0="+hex.EncodeToString(mac.Sum(nil)))) {
		return errors.New("Invalid webhook signature.")
	}
	return nil
}

// jsonObjectBody reads a delivery's body as the reference does: JSON, and
// an object.
func jsonObjectBody(body []byte) (map[string]any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, errors.New("Request body must be valid JSON.")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("Request body must contain a top-level JSON object.")
	}
	return obj, nil
}

// jsonEvent parses a JSON-object delivery whose event type eventType
// finds; it is accepted with a 202 and no body.
func jsonEvent(eventType func(map[string]any, http.Header) error) func([]byte, http.Header) (intakeAnswer, error) {
	return func(body []byte, h http.Header) (intakeAnswer, error) {
		payload, err := jsonObjectBody(body)
		if err != nil {
			return intakeAnswer{}, err
		}
		return accepted, eventType(payload, h)
	}
}

func headerEventType(header, missing string) func(map[string]any, http.Header) error {
	return func(_ map[string]any, h http.Header) error {
		if h.Get(header) == "" {
			return errors.New(missing)
		}
		return nil
	}
}

// nonEmptyString is a payload member that is a non-empty string.
func nonEmptyString(obj map[string]any, key string) bool {
	s, ok := obj[key].(string)
	return ok && s != ""
}

// clickUpEvent checks ClickUp's event name and webhook id in the body.
func clickUpEvent(payload map[string]any, _ http.Header) error {
	if !nonEmptyString(payload, "event") {
		return errors.New("Missing or empty ClickUp 'event' field.")
	}
	if !nonEmptyString(payload, "webhook_id") {
		return errors.New("Missing or empty ClickUp 'webhook_id' field.")
	}
	return nil
}

// slackDelivery parses Slack's envelopes: an event callback, the URL
// verification (answered with its challenge as text) and the rate-limit
// notice, all answered 200.
func slackDelivery(body []byte, _ http.Header) (intakeAnswer, error) {
	payload, err := jsonObjectBody(body)
	if err != nil {
		return intakeAnswer{}, err
	}
	ok := intakeAnswer{status: http.StatusOK}
	switch payload["type"] {
	case "event_callback":
		event, isObject := payload["event"].(map[string]any)
		switch {
		case !isObject:
			return ok, errors.New("Slack event callback requires an event object.")
		case !nonEmptyString(event, "type"):
			return ok, errors.New("Slack event callback requires a non-empty event type.")
		case !nonEmptyString(payload, "event_id"):
			return ok, errors.New("Slack event callback requires a non-empty event_id.")
		}
		return ok, nil
	case "url_verification":
		if !nonEmptyString(payload, "challenge") {
			return ok, errors.New("Slack URL verification requires a non-empty challenge.")
		}
		return intakeAnswer{status: http.StatusOK, body: payload["challenge"].(string), mediaType: "text/plain"}, nil
	case "app_rate_limited":
		switch {
		case !nonEmptyString(payload, "team_id"):
			return ok, errors.New("Slack rate-limit notification requires a non-empty team_id.")
		case !nonEmptyString(payload, "api_app_id"):
			return ok, errors.New("Slack rate-limit notification requires a non-empty api_app_id.")
		}
		if n, isNumber := payload["minute_rate_limited"].(json.Number); !isNumber || strings.ContainsAny(n.String(), ".eE") {
			return ok, errors.New("Slack rate-limit notification requires an integer minute_rate_limited.")
		}
		return ok, nil
	}
	if nonEmptyString(payload, "type") {
		return ok, errors.New("Unsupported Slack delivery type.")
	}
	return ok, errors.New("Slack delivery requires a non-empty type.")
}

// webhookConfiguration normalizes a webhook trigger's configuration for
// its webhook's provider, as the provider's configuration model dumps it:
// target_events (null when absent), other keys dropped. The custom
// provider's targets are checked and completed; the other providers' typed
// targets are kept as given (docs/differences.md).
func webhookConfiguration(webhookType string, raw json.RawMessage) (json.RawMessage, error) {
	var cfg struct {
		TargetEvents []map[string]json.RawMessage `json:"target_events"`
	}
	var shape map[string]json.RawMessage
	json.Unmarshal(raw, &shape)
	targets, given := shape["target_events"]
	if !given || string(targets) == "null" {
		return json.RawMessage(`{"target_events":null}`), nil
	}
	if webhookType != "custom" {
		return json.Marshal(map[string]json.RawMessage{"target_events": targets})
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, zen.Errorf(zen.EUnprocessable, "1 validation error for CustomWebhookConfiguration\ntarget_events\n  Input should be a valid list [type=list_type, input_value=%s, input_type=%s]\n    For further information visit https://errors.pydantic.dev/2.12/v/list_type",
			string(targets), "list")
	}
	type dynamicTarget struct {
		Type      string          `json:"type"`
		EventType json.RawMessage `json:"event_type"`
		Filters   json.RawMessage `json:"filters"`
	}
	var lines []string
	out := make([]dynamicTarget, 0, len(cfg.TargetEvents))
	for i, target := range cfg.TargetEvents {
		loc := "target_events." + strconv.Itoa(i)
		errorLine := func(field, msg, typ string, input json.RawMessage, inputType string) {
			lines = append(lines, loc+"."+field+"\n  "+msg+" [type="+typ+", input_value="+string(input)+", input_type="+inputType+"]\n    For further information visit https://errors.pydantic.dev/2.12/v/"+typ)
		}
		if t, ok := target["type"]; ok && string(t) != `"dynamic"` {
			errorLine("type", "Input should be 'dynamic'", "literal_error", t, pyTypeName(t))
		}
		eventType, ok := target["event_type"]
		if !ok {
			errorLine("event_type", "Field required", "missing", nil, "dict")
		}
		for key, v := range target {
			if key != "type" && key != "event_type" && key != "filters" {
				errorLine(key, "Extra inputs are not permitted", "extra_forbidden", v, pyTypeName(v))
			}
		}
		filters := target["filters"]
		if filters == nil {
			filters = json.RawMessage("{}")
		}
		out = append(out, dynamicTarget{Type: "dynamic", EventType: eventType, Filters: filters})
	}
	if len(lines) > 0 {
		head := "1 validation error"
		if len(lines) > 1 {
			head = strconv.Itoa(len(lines)) + " validation errors"
		}
		return nil, zen.Errorf(zen.EUnprocessable, "%s for CustomWebhookConfiguration\n%s", head, strings.Join(lines, "\n"))
	}
	return json.Marshal(map[string]any{"target_events": out})
}

// pyTypeName is the Python type name of a JSON value, as pydantic's
// errors name an input's type.
func pyTypeName(raw json.RawMessage) string {
	switch t := strings.TrimSpace(string(raw)); {
	case strings.HasPrefix(t, `"`):
		return "str"
	case strings.HasPrefix(t, "{"):
		return "dict"
	case strings.HasPrefix(t, "["):
		return "list"
	case t == "true" || t == "false":
		return "bool"
	case t == "null":
		return "NoneType"
	case strings.ContainsAny(t, ".eE"):
		return "float"
	}
	return "int"
}
