package web

import (
	"net/url"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Form is the state of an HTML form shown again after a failed submission:
// the values as entered and one message key per invalid field, in the order
// of the fields on the page (the error summary lists them in that order and
// links to each field).
type Form struct {
	Values url.Values
	Errors []FieldError
}

// FieldError is one invalid field. Message is a catalog key; ID is the
// field's HTML id, the target of the summary's link.
type FieldError struct {
	Field, ID, Message string
	// Args are the named values of a fault code's sentence ({max}).
	Args map[string]any
}

// Value is the submitted value of a field.
func (f Form) Value(name string) string { return f.Values.Get(name) }

// Error is the message key of a field, or "".
func (f Form) Error(name string) string {
	for _, e := range f.Errors {
		if e.Field == name {
			return e.Message
		}
	}
	return ""
}

// ErrorArgs are the named values of a field's message ({max}), or nil.
func (f Form) ErrorArgs(name string) map[string]any {
	for _, e := range f.Errors {
		if e.Field == name {
			return e.Args
		}
	}
	return nil
}

// Invalid reports whether any field is invalid.
func (f Form) Invalid() bool { return len(f.Errors) > 0 }

// Fail records an invalid field.
func (f *Form) Fail(field, id, messageKey string) {
	f.Errors = append(f.Errors, FieldError{Field: field, ID: id, Message: messageKey})
}

// AddFault records every field of a use case's validation failure: the
// message key is "fault.CODE", the HTML id is idPrefix + the field name with
// dots replaced by dashes (the convention of the pages' input ids).
func (f *Form) AddFault(v *fault.Validation, idPrefix string) {
	if v == nil {
		return
	}
	for _, e := range v.Errors {
		id := idPrefix
		for _, c := range e.Field {
			if c == '.' {
				c = '-'
			}
			id += string(c)
		}
		f.Errors = append(f.Errors, FieldError{Field: e.Field, ID: id, Message: "fault." + e.Code, Args: e.Args})
	}
}
