package web

import (
	"errors"
	"net/http"

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

// StatusOf maps an error to its HTTP status.
func StatusOf(err error) int {
	var fv *fault.Validation
	var rl *fault.RateLimited
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &fv):
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
