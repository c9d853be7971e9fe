package web

import (
	"sort"
	"strings"
)

// Operation documents one JSON API route for the OpenAPI document.
type Operation struct {
	Method  string
	Path    string // ServeMux pattern path, e.g. /api/v1/tokens/{ref}
	ID      string // operationId
	Summary string
	Tag     string
	// Auth: "public" (no token), or the roles allowed ("admin", ...);
	// empty means any valid token of the tenant.
	Auth    []string
	Public  bool
	Query   []Param
	Request any // example request body, or nil
	// RequestTypes documents a body that is not JSON (its media types,
	// e.g. application/xml and application/pdf); Request is then unused.
	RequestTypes []string
	// Response is an example of the success body; Status defaults to 200.
	Response any
	// ResponseType documents a success body that is not JSON (e.g.
	// application/xml); Response is then unused.
	ResponseType string
	Status       int
	// MaxBody lets the operation read bodies above DefaultBodyLimit
	// (uploads); documented as x-max-body-bytes.
	MaxBody int64
}

// Param is a documented query parameter.
type Param struct {
	Name, Description string
	Type              string // string, integer, boolean
	Required          bool
}

// OpenAPI builds an OpenAPI 3.1 document from the router's API routes.
func (rt *Router) OpenAPI(title, version string) map[string]any {
	paths := map[string]map[string]any{}
	var tags []string
	seen := map[string]bool{}
	for _, r := range rt.Routes() {
		if r.API == nil {
			continue
		}
		op := r.API
		p := paths[op.Path]
		if p == nil {
			p = map[string]any{}
			paths[op.Path] = p
		}
		status := op.Status
		if status == 0 {
			status = 200
		}
		o := map[string]any{
			"operationId": op.ID,
			"summary":     op.Summary,
			"tags":        []string{op.Tag},
			"responses": map[string]any{
				itoa(status): responseDocOf(op),
				"default":    map[string]any{"description": "Problem", "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}},
			},
		}
		if op.Public {
			o["security"] = []any{}
		} else {
			o["security"] = []any{map[string]any{"bearer": []string{}}}
			if len(op.Auth) > 0 {
				o["x-roles"] = op.Auth
			}
		}
		var params []any
		for _, name := range pathParams(op.Path) {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range op.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required, "description": q.Description, "schema": map[string]any{"type": q.Type}})
		}
		if params != nil {
			o["parameters"] = params
		}
		if len(op.RequestTypes) > 0 {
			content := map[string]any{}
			for _, t := range op.RequestTypes {
				content[t] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
			o["requestBody"] = map[string]any{"required": true, "content": content}
		} else if op.Request != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"example": op.Request}}}
			o["responses"].(map[string]any)["422"] = map[string]any{"description": "Invalid fields: errors lists each with field, code and detail",
				"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
		}
		if op.MaxBody > 0 {
			o["x-max-body-bytes"] = op.MaxBody
		}
		p[strings.ToLower(op.Method)] = o
		if !seen[op.Tag] {
			seen[op.Tag] = true
			tags = append(tags, op.Tag)
		}
	}
	sort.Strings(tags)
	tagDocs := []any{}
	for _, t := range tags {
		tagDocs = append(tagDocs, map[string]any{"name": t})
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": title, "version": version},
		"paths":   paths,
		"tags":    tagDocs,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "API token from `rathaus token create`"}},
			"schemas": map[string]any{
				"Problem": map[string]any{
					"type":        "object",
					"description": "RFC 9457 problem document. Every problem has a detail in the request's language; a 422 lists every invalid field in errors, in field order; a 429 comes with Retry-After.",
					"required":    []string{"type", "title", "status", "detail"},
					"properties": map[string]any{
						"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
						"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"},
						"request_id": map[string]any{"type": "string", "description": "names the log line of the request"},
						"errors":     map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/FieldError"}},
					},
				},
				"FieldError": map[string]any{
					"type":        "object",
					"description": "One invalid field of a 422: the field's JSON name (nested with dots, list items by index: fees.0), a stable snake_case code to match on (required, too_long, invalid_iban, ...), and a sentence for people.",
					"required":    []string{"field", "code", "detail"},
					"properties": map[string]any{
						"field":  map[string]any{"type": "string", "examples": []string{"creditor.iban"}},
						"code":   map[string]any{"type": "string", "examples": []string{"invalid_iban"}},
						"detail": map[string]any{"type": "string", "examples": []string{"Diese IBAN ist ungültig: Bitte Länderkennung, Prüfziffer und Länge prüfen."}},
						"args":   map[string]any{"type": "object", "description": "the code's named values, e.g. max for too_long", "additionalProperties": true},
					},
				},
			},
		},
	}
}

func responseDocOf(op *Operation) map[string]any {
	if op.ResponseType != "" {
		return map[string]any{"description": "OK", "content": map[string]any{op.ResponseType: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
	}
	return responseDoc("OK", op.Response)
}

func responseDoc(desc string, example any) map[string]any {
	d := map[string]any{"description": desc}
	if example != nil {
		d["content"] = map[string]any{"application/json": map[string]any{"example": example}}
	}
	return d
}

func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(strings.Trim(seg, "{}"), "..."))
		}
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
