// Package cli holds the conventions every rathaus subcommand follows: how a
// command reports a negative verdict or a usage error so that the composition
// root can turn it into the documented exit code.
//
// Exit codes (ARCHITECTURE.md, "Conventions"): 0 success, 1 a negative verdict
// (rejected, lost, double-booked, not found), 2 usage error or unreadable input.
package cli

import (
	"errors"
	"fmt"
)

// ErrNegative marks a command that ran correctly but whose verdict is
// negative (an invoice rejected, an audit chain broken). Commands have
// already printed their result; the caller only sets exit code 1.
var ErrNegative = errors.New("negative verdict")

// UsageError is a bad flag, a missing argument or unreadable input (exit 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return 2
	}
	if errors.Is(err, ErrNegative) {
		return 1
	}
	return 1
}
