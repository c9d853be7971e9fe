package web

import (
	"errors"
	"net/http"
	"sort"
)

// Error kinds every domain maps its failures to. Domains wrap them with %w
// and the operation; the adapter turns them into responses.
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("authentication required")
	ErrConflict     = errors.New("conflict")
	ErrTooLarge     = errors.New("request too large")
	ErrBadRequest   = errors.New("bad request")
)

// ValidationError carries messages per field for a 422 answer. Field names
// are the JSON/form names; messages are user-facing (already translated).
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
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity
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
