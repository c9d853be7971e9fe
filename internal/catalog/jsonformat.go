package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// FormatName identifies our own exchange format in its "format" field.
const FormatName = "rathaus-catalog"

// FormatVersion is the current version of the exchange format.
const FormatVersion = 1

// Document is the top level of our exchange format.
type Document struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Services []Service `json:"services"`
}

// Export writes services in our exchange format (indented JSON, one
// service per array element, stable field order).
func Export(w io.Writer, services []Service) error {
	doc := Document{Format: FormatName, Version: FormatVersion, Services: make([]Service, 0, len(services))}
	for _, s := range services {
		s.normalise()
		doc.Services = append(doc.Services, s)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("export services: %w", err)
	}
	return nil
}

// JSONImporter reads our exchange format (a Document, or a bare array of
// services). Services keep their id; a missing id is derived from source
// and external id.
type JSONImporter struct {
	Strict bool
}

// Import implements Importer.
func (j *JSONImporter) Import(ctx context.Context, r io.Reader) (*ImportResult, error) {
	data, err := readAllLimited(r)
	if err != nil {
		return nil, err
	}
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if len(data) > 0 && firstNonSpace(data) == '{' {
		if err := json.Unmarshal(data, &head); err == nil {
			if head.Format != "" && head.Format != FormatName {
				return nil, &ImportError{Line: 1, Reason: fmt.Sprintf("format %q is not %q", head.Format, FormatName), Err: ErrMalformed}
			}
			if head.Version > FormatVersion {
				return nil, &ImportError{Line: 1, Reason: fmt.Sprintf("format version %d is newer than %d", head.Version, FormatVersion), Err: ErrMalformed}
			}
		}
	}
	c := newCollector(j.Strict)
	err = eachJSONElement(ctx, data, "services", func(i int, raw json.RawMessage, line int) error {
		element := fmt.Sprintf("services[%d]", i)
		var s Service
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			c.res.Read++
			return c.skip(line, element, err.Error())
		}
		if s.ExternalID != "" {
			element += " external_id=" + s.ExternalID
		}
		return c.add(s, line, element)
	})
	if err != nil {
		return nil, err
	}
	return &c.res, nil
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\n', '\r', '\t':
			continue
		}
		return c
	}
	return 0
}
