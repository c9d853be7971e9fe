// Package fault holds the error values every use case returns, independent
// of HTTP and of language. A use case wraps a kind with %w and the operation
// ("assign case C-…: %w"); a validation failure lists each invalid field with
// a stable code. The edges translate: the web adapter maps kinds to status
// codes and codes to sentences in the request's language (message key
// "fault.CODE" in the i18n catalogs); the CLI prints the code and the German
// sentence. Tests match kinds with errors.Is and codes with Has — never the
// sentences.
package fault

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The kinds of failure. Every error a use case returns is one of these (or a
// *Validation, or a *RateLimited), wrapped; anything else is an internal
// failure (500).
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("authentication required")
	ErrConflict     = errors.New("conflict")
	ErrTooLarge     = errors.New("request too large")
	ErrBadRequest   = errors.New("bad request")
	// ErrUnavailable: a dependency (object store, mail server) cannot be
	// reached; nothing was stored; the request may be repeated (503).
	ErrUnavailable = errors.New("temporarily unavailable")
)

// FieldError is one invalid field. Field is the name in the API's JSON (or
// the form's input name; nested fields with dots, list items with their
// index: "children.0.birth_date"); Code is a stable snake_case code such as
// "required", "invalid_iban", "too_long"; Args fill the translated sentence
// ("max" for too_long) and are also shown to API clients.
type FieldError struct {
	Field string
	Code  string
	Args  map[string]any
}

// Validation is a refused input with every problem found, in the order the
// fields appear (the error summary lists them in that order).
type Validation struct {
	Errors []FieldError
}

// Invalid returns a Validation for one field. args alternate name, value:
// Invalid("name", "too_long", "max", 100).
func Invalid(field, code string, args ...any) *Validation {
	v := &Validation{}
	v.Add(field, code, args...)
	return v
}

// Add records one more invalid field.
func (v *Validation) Add(field, code string, args ...any) {
	fe := FieldError{Field: field, Code: code}
	if len(args) > 0 {
		fe.Args = map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			fe.Args[fmt.Sprint(args[i])] = args[i+1]
		}
	}
	v.Errors = append(v.Errors, fe)
}

// Merge appends the errors of another validation (with a field prefix, e.g.
// "address.") and returns v.
func (v *Validation) Merge(prefix string, o *Validation) *Validation {
	if o == nil {
		return v
	}
	for _, e := range o.Errors {
		e.Field = prefix + e.Field
		v.Errors = append(v.Errors, e)
	}
	return v
}

// Err returns v when it holds errors, else nil — so that
// `return v.Err()` works after collecting.
func (v *Validation) Err() error {
	if v == nil || len(v.Errors) == 0 {
		return nil
	}
	return v
}

// Has reports whether field has the code (tests use it instead of sentences).
func (v *Validation) Has(field, code string) bool {
	if v == nil {
		return false
	}
	for _, e := range v.Errors {
		if e.Field == field && e.Code == code {
			return true
		}
	}
	return false
}

// Code returns the first code recorded for field, or "".
func (v *Validation) Code(field string) string {
	if v == nil {
		return ""
	}
	for _, e := range v.Errors {
		if e.Field == field {
			return e.Code
		}
	}
	return ""
}

func (v *Validation) Error() string {
	parts := make([]string, 0, len(v.Errors))
	for _, e := range v.Errors {
		parts = append(parts, e.Field+": "+e.Code)
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// AsValidation finds a *Validation in err's chain.
func AsValidation(err error) (*Validation, bool) {
	var v *Validation
	if errors.As(err, &v) && v != nil {
		return v, true
	}
	return nil, false
}

// HasCode reports whether err holds a Validation with field and code.
func HasCode(err error, field, code string) bool {
	v, ok := AsValidation(err)
	return ok && v.Has(field, code)
}

// RateLimited says the caller must wait (429 with Retry-After).
type RateLimited struct {
	RetryAfter time.Duration
	// Scope names what was limited ("login", "mail", "booking"), for logs
	// and the message; never personal data.
	Scope string
}

func (e *RateLimited) Error() string {
	return fmt.Sprintf("rate limited (%s): retry after %s", e.Scope, e.RetryAfter.Round(time.Second))
}

// RetryAfterSeconds is the Retry-After value: whole seconds, at least 1.
func (e *RateLimited) RetryAfterSeconds() int {
	s := int((e.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

// Args returns a field error's argument names in a stable order.
func (e FieldError) ArgNames() []string {
	names := make([]string, 0, len(e.Args))
	for k := range e.Args {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
