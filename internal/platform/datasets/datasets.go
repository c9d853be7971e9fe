// Package datasets locates the large public conformance data sets that stay
// outside the repository (../shared/data beside the clone, or
// RATHAUS_DATASETS). Only `make conformance` and benchmarks need them; the
// binary embeds the small demo data it uses.
package datasets

import (
	"errors"
	"os"
	"path/filepath"
)

// ErrNotFound is returned when no data set directory can be found.
var ErrNotFound = errors.New("data sets not found: set RATHAUS_DATASETS or place shared/data beside the repository")

// Dir returns the data set root: $RATHAUS_DATASETS if set, else the first
// "../shared/data" found walking up from the working directory (so it works
// from any package directory in tests).
func Dir() (string, error) {
	if d := os.Getenv("RATHAUS_DATASETS"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
		return "", ErrNotFound
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "..", "shared", "data")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return filepath.Clean(cand), nil
		}
		if filepath.Dir(dir) == dir {
			return "", ErrNotFound
		}
	}
}

// Required reports whether the conformance data must be present (set by
// `make conformance` and CI): tests then fail instead of skipping.
func Required() bool { return os.Getenv("RATHAUS_CONFORMANCE") == "1" }
