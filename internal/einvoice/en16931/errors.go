package en16931

import "errors"

// Errors of the parsers (packages ubl and cii), wrapped with detail. A parse
// error means there is no invoice to judge; a merely rule-breaking invoice
// parses without error.
var (
	ErrTooLarge        = errors.New("document too large")
	ErrTooDeep         = errors.New("document nested too deeply")
	ErrDTD             = errors.New("DTD or entity declarations are not allowed")
	ErrNotWellFormed   = errors.New("not well-formed XML")
	ErrUnknownDocument = errors.New("unknown document type")
)
