package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"zengo/internal/filter"
)

// GET /openapi.json describes the API from zengo's own route table (what
// routes() registers) and filter declarations: every route, its path
// parameters, the query language of each list, whether it takes a body,
// and the error shapes. /docs and /redoc show it.

// routeInfo is one registered route.
type routeInfo struct {
	pattern string // "METHOD /path" (no method: every method)
	public  bool
	list    *filter.Resource
}

var pathParam = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

// openAPIDocument builds the document once, when the server starts.
func (s *Server) openAPIDocument() ([]byte, error) {
	paths := map[string]map[string]any{}
	for _, rt := range s.routeTable {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			method, path = "GET", rt.pattern
		}
		path = pathParam.ReplaceAllString(path, "{$1}")
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = operation(method, path, rt)
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "zengo",
			"version":     Version,
			"description": "The ZenML " + Version + " REST API, served by zengo.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"OAuth2PasswordBearer": map[string]any{"type": "oauth2",
					"flows": map[string]any{"password": map[string]any{"tokenUrl": "/api/v1/login", "scopes": map[string]any{}}}},
			},
			"schemas": map[string]any{
				"ErrorDetail": map[string]any{
					"description": "An error: the exception's name and its message, or one message.",
					"type":        "object",
					"properties": map[string]any{"detail": map[string]any{"anyOf": []any{
						map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
						map[string]any{"type": "string"},
					}}},
				},
			},
		},
	}
	return json.Marshal(doc)
}

func operation(method, path string, rt routeInfo) map[string]any {
	op := map[string]any{
		"operationId": operationID(method, path),
		"tags":        []string{routeTag(path)},
		"summary":     method + " " + path,
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	if rt.list != nil {
		params = append(params, listParameters(rt.list)...)
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if !rt.public {
		op["security"] = []any{map[string]any{"OAuth2PasswordBearer": []string{}}}
	}
	if method == "POST" || method == "PUT" || method == "PATCH" {
		contentType := "application/json"
		if path == "/api/v1/login" || path == "/api/v1/device_authorization" {
			contentType = "application/x-www-form-urlencoded"
		}
		op["requestBody"] = map[string]any{"content": map[string]any{contentType: map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	errorAnswer := func(what string) map[string]any {
		return map[string]any{"description": what, "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/ErrorDetail"}}}}
	}
	responses := map[string]any{
		"200": map[string]any{"description": "Successful Response", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{}}}},
		"422": errorAnswer("Validation Error"),
	}
	if !rt.public {
		responses["401"] = errorAnswer("Unauthorized")
	}
	if len(params) > 0 && strings.Contains(path, "{") {
		responses["404"] = errorAnswer("Not Found")
	}
	op["responses"] = responses
	return op
}

// listParameters are a list route's query parameters: paging, sorting,
// hydration and each filter field of its resource.
func listParameters(res *filter.Resource) []any {
	str := map[string]any{"type": "string"}
	params := []any{
		map[string]any{"name": "hydrate", "in": "query", "schema": map[string]any{"type": "boolean", "default": false}},
		map[string]any{"name": "sort_by", "in": "query", "schema": map[string]any{"type": "string", "default": "created"}},
		map[string]any{"name": "logical_operator", "in": "query", "schema": map[string]any{"type": "string", "enum": []string{"and", "or"}, "default": "and"}},
		map[string]any{"name": "page", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "default": 1}},
		map[string]any{"name": "size", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 10000, "default": 20}},
	}
	fields := append([]filter.Field(nil), res.Fields...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.Name] {
			continue
		}
		seen[f.Name] = true
		schema := str
		if f.Type == filter.PlainBool {
			schema = map[string]any{"type": "boolean"}
		}
		params = append(params, map[string]any{"name": f.Name, "in": "query", "schema": schema,
			"description": "A value, or an operator and a value (`contains:abc`, `gte:2026-01-01 00:00:00`, `oneof:[\"a\",\"b\"]`)."})
	}
	return params
}

var nonWord = regexp.MustCompile(`[^a-zA-Z0-9]+`)

func operationID(method, path string) string {
	return strings.Trim(nonWord.ReplaceAllString(strings.ToLower(method)+"_"+path, "_"), "_")
}

// routeTag groups a route by the resource it serves.
func routeTag(path string) string {
	rest, ok := strings.CutPrefix(path, "/api/v1/")
	if !ok {
		return "server"
	}
	first, _, _ := strings.Cut(rest, "/")
	if first == "workspaces" {
		return "projects"
	}
	return first
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openAPI)
}

// The interactive pages load their viewers' scripts from a CDN, as the
// reference's do.
const swaggerPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>zengo API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});</script>
</body></html>
`

const redocPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>zengo API</title></head>
<body><redoc spec-url="/openapi.json"></redoc>
<script src="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"></script>
</body></html>
`

func serveSwaggerUI(w http.ResponseWriter, _ *http.Request) { serveHTML(w, swaggerPage) }
func serveRedoc(w http.ResponseWriter, _ *http.Request)     { serveHTML(w, redocPage) }

func serveHTML(w http.ResponseWriter, page string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(page))
}
