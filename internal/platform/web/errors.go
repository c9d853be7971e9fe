package web

import (
	"errors"
	"net/http"
	"sort"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Error kinds every domain maps its failures to: the values of package
// fault, which new code uses directly (use cases need not import web).
var (
	ErrNotFound     = fault.ErrNotFound
	ErrForbidden    = fault.ErrForbidden
	ErrUnauthorized = fault.ErrUnauthorized
	ErrConflict     = fault.ErrConflict
	ErrTooLarge     = fault.ErrTooLarge
	ErrBadRequest   = fault.ErrBadRequest
	ErrUnavailable  = fault.ErrUnavailable
)

// ValidationError carries messages per field for a 422 answer. Field names
// are the JSON/form names; messages are user-facing (already translated).
//
// Deprecated: use cases return *fault.Validation (codes, translated at the
// edge); this older form remains until every caller has moved.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := "invalid input:"
	for _, k := range keys {
		s += " " + k + ": " + e.Fields[k] + ";"
	}
	return s
}

// Invalid returns a ValidationError for one field.
func Invalid(field, msg string) *ValidationError {
	return &ValidationError{Fields: map[string]string{field: msg}}
}

// StatusOf maps an error to its HTTP status.
func StatusOf(err error) int {
	var ve *ValidationError
	var fv *fault.Validation
	var rl *fault.RateLimited
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &ve), errors.As(err, &fv):
		return http.StatusUnprocessableEntity
	case errors.As(err, &rl):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.As(err, &mb), errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
