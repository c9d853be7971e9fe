package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Problem is an RFC 9457 problem document (application/problem+json).
// Every 422 carries Errors: one entry per invalid field, in field order.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one invalid field of a 422 answer: the field's JSON name,
// the stable code (fault.FieldError.Code) and a sentence in the request's
// language. Args are the code's named values (e.g. "max"), when it has any.
type ProblemField struct {
	Field  string         `json:"field"`
	Code   string         `json:"code"`
	Detail string         `json:"detail"`
	Args   map[string]any `json:"args,omitempty"`
}

// WriteJSON writes v as JSON with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// WriteProblem writes a problem document. Detail must be safe to show; the
// adapter never puts internal error text here. fields may be nil.
func WriteProblem(w http.ResponseWriter, r *http.Request, status int, detail string, fields []ProblemField) {
	if detail == "" {
		detail = defaultDetail(status)
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="rathaus"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: detail, RequestID: RequestID(r.Context()), Errors: fields,
	})
}

// defaultDetail is the detail of a problem whose writer gave none (the
// router translates its own; this is the English fallback), so every
// problem document has one.
func defaultDetail(status int) string {
	switch status {
	case http.StatusNotFound:
		return "there is nothing at this address"
	case http.StatusMethodNotAllowed:
		return "this method is not allowed here; Allow lists the methods"
	case http.StatusUnauthorized:
		return "send a valid token (Authorization: Bearer …) or sign in"
	case http.StatusInternalServerError:
		return "an internal error occurred; the request id names the log line"
	}
	return strings.ToLower(http.StatusText(status))
}

// DecodeJSON reads a JSON body into v: only application/json; the body
// must be valid UTF-8, without duplicate keys and without control
// characters in strings (tab, line feed and carriage return allowed), with
// no unknown fields and nothing after the document. Every refusal is a 400
// whose detail names the problem and where it is ("$.fees[0].amount"). The
// size is already limited by the route.
func DecodeJSON(r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("%w: Content-Type must be application/json", ErrBadRequest)
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return fmt.Errorf("%w: the body could not be read", ErrBadRequest)
	}
	return DecodeJSONBytes(b, v)
}

// DecodeJSONBytes applies DecodeJSON's rules to a document in memory.
func DecodeJSONBytes(b []byte, v any) error {
	if err := CheckJSON(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body is not valid JSON for this resource: %s", ErrBadRequest, jsonReason(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the JSON document", ErrBadRequest)
	}
	return nil
}

// CheckJSON checks what encoding/json lets pass silently: invalid UTF-8
// (replaced by U+FFFD), duplicate keys (the last one wins) and control
// characters escaped in strings. It also reports syntax errors.
func CheckJSON(b []byte) error {
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return fmt.Errorf("%w: the body is not valid UTF-8 (at byte %d)", ErrBadRequest, i)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := checkValue(dec, "$", 0); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the JSON document", ErrBadRequest)
	}
	return nil
}

// maxJSONDepth bounds nesting (encoding/json allows 10,000 levels).
const maxJSONDepth = 64

func checkValue(dec *json.Decoder, path string, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("%w: the document is nested deeper than %d levels at %s", ErrBadRequest, maxJSONDepth, path)
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: body is not valid JSON: %s", ErrBadRequest, jsonReason(err))
	}
	switch t := tok.(type) {
	case string:
		return checkString(t, path)
	case json.Delim:
		switch t {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return fmt.Errorf("%w: body is not valid JSON: %s", ErrBadRequest, jsonReason(err))
				}
				key, _ := kt.(string)
				if err := checkString(key, path); err != nil {
					return err
				}
				if seen[key] {
					return fmt.Errorf("%w: duplicate key %q at %s", ErrBadRequest, key, path)
				}
				seen[key] = true
				if err := checkValue(dec, path+"."+key, depth+1); err != nil {
					return err
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				if err := checkValue(dec, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
					return err
				}
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return fmt.Errorf("%w: body is not valid JSON: %s", ErrBadRequest, jsonReason(err))
		}
	}
	return nil
}

// checkString refuses control characters other than tab, line feed and
// carriage return (C0, DEL and C1), which no form field holds and which
// break logs, CSV exports and terminals.
func checkString(s, path string) error {
	for i, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f) {
			return fmt.Errorf("%w: control character U+%04X in a string at %s (position %d)", ErrBadRequest, r, path, i)
		}
	}
	return nil
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	return "malformed"
}
