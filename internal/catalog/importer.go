package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Importer reads services from one source format. Implementations: the
// Munich services JSON (MunichImporter), the federal LeiKa list
// (LeikaImporter) and our own exchange format (JSONImporter); XZuFi will be
// another.
//
// An importer returns every valid entry and lists the invalid ones in
// ImportResult.Skipped; with Strict set it stops at the first invalid entry
// and returns its *ImportError instead. A file that cannot be parsed at all
// (broken JSON or CSV) is always an *ImportError wrapping ErrMalformed, and
// then no services are returned, so nothing is half-imported.
type Importer interface {
	Import(ctx context.Context, r io.Reader) (*ImportResult, error)
}

// ImportResult is what an import produced.
type ImportResult struct {
	Services []Service `json:"services"`
	Skipped  []Skipped `json:"skipped"`
	// Read counts the entries seen (valid and skipped).
	Read int `json:"read"`
}

// Skipped is one entry left out by an import.
type Skipped struct {
	Line    int    `json:"line"`    // 1-based line in the input where the entry starts
	Element string `json:"element"` // e.g. "services[12] id=1063441" or "row 5251"
	Reason  string `json:"reason"`
}

// ErrMalformed is wrapped when the input as a whole cannot be parsed.
var ErrMalformed = errors.New("malformed input")

// ImportError locates an error in an input file. It wraps ErrMalformed (the
// file is broken) or ErrInvalid (an entry is invalid, in strict mode).
type ImportError struct {
	Line    int
	Element string
	Reason  string
	Err     error
}

func (e *ImportError) Error() string {
	if e.Element != "" {
		return fmt.Sprintf("line %d (%s): %s", e.Line, e.Element, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

func (e *ImportError) Unwrap() error { return e.Err }

// maxImportBytes bounds what an importer reads into memory.
const maxImportBytes = 64 << 20

func readAllLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	if err != nil {
		return nil, &ImportError{Line: 1, Reason: "read: " + err.Error(), Err: ErrMalformed}
	}
	if len(data) > maxImportBytes {
		return nil, &ImportError{Line: 1, Reason: "input larger than 64 MiB", Err: ErrMalformed}
	}
	return data, nil
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// jsonErrorLine turns a decoding error into a line and a reason.
func jsonErrorLine(data []byte, err error, fallback int64) (int, string) {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return lineAt(data, se.Offset), err.Error()
	case errors.As(err, &te):
		return lineAt(data, te.Offset), err.Error()
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return lineAt(data, int64(len(data))), "unexpected end of JSON input"
	}
	return lineAt(data, fallback), err.Error()
}

// eachJSONElement walks the array found either at the top level of data or
// under the given key of a top-level object, calling fn with every element
// and the line it starts on. Syntax errors anywhere abort with an
// *ImportError wrapping ErrMalformed.
func eachJSONElement(ctx context.Context, data []byte, key string, fn func(i int, raw json.RawMessage, line int) error) error {
	malformed := func(err error, off int64) error {
		line, reason := jsonErrorLine(data, err, off)
		return &ImportError{Line: line, Reason: reason, Err: ErrMalformed}
	}
	// Validate the whole document first so a broken tail never leads to a
	// partial result.
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return malformed(err, 0)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return malformed(err, dec.InputOffset())
	}
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		found := false
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return malformed(err, dec.InputOffset())
			}
			if k, _ := kt.(string); k == key {
				t, err := dec.Token()
				if err != nil {
					return malformed(err, dec.InputOffset())
				}
				if t != json.Delim('[') {
					return &ImportError{Line: lineAt(data, dec.InputOffset()), Reason: fmt.Sprintf("%q is not an array", key), Err: ErrMalformed}
				}
				found = true
				break
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return malformed(err, dec.InputOffset())
			}
		}
		if !found {
			return &ImportError{Line: 1, Reason: fmt.Sprintf("no %q array in the document", key), Err: ErrMalformed}
		}
	default:
		return &ImportError{Line: 1, Reason: "expected a JSON array or object", Err: ErrMalformed}
	}
	for i := 0; dec.More(); i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		off := dec.InputOffset()
		for off < int64(len(data)) && (data[off] == ',' || data[off] == ' ' || data[off] == '\n' || data[off] == '\r' || data[off] == '\t') {
			off++
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return malformed(err, off)
		}
		if err := fn(i, raw, lineAt(data, off)); err != nil {
			return err
		}
	}
	return nil
}

// collector implements the skip-or-abort policy shared by the importers.
type collector struct {
	strict bool
	res    ImportResult
	seen   map[string]bool
}

func newCollector(strict bool) *collector {
	return &collector{strict: strict, res: ImportResult{Services: []Service{}, Skipped: []Skipped{}}, seen: map[string]bool{}}
}

// add validates s and keeps it, or records why not. It returns an error only
// in strict mode.
func (c *collector) add(s Service, line int, element string) error {
	c.res.Read++
	s.normalise()
	reason := ""
	if err := s.Validate(); err != nil {
		reason = err.Error()
	} else if c.seen[s.ID] {
		reason = fmt.Sprintf("duplicate entry (reference %s, external id %q)", s.ID, s.ExternalID)
	}
	if reason == "" {
		c.seen[s.ID] = true
		c.res.Services = append(c.res.Services, s)
		return nil
	}
	return c.skip(line, element, reason)
}

func (c *collector) skip(line int, element, reason string) error {
	if c.strict {
		return &ImportError{Line: line, Element: element, Reason: reason, Err: ErrInvalid}
	}
	c.res.Skipped = append(c.res.Skipped, Skipped{Line: line, Element: element, Reason: reason})
	return nil
}
