package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/platform/datasets"
)

// TestReadServicesMunichIsTheDemoCatalog: re-importing the embedded Munich
// services into the demo city finds every service unchanged.
func TestReadServicesMunichIsTheDemoCatalog(t *testing.T) {
	ctx := context.Background()
	res, src, err := ReadServices(ctx, FormatMunich, nil, true)
	if err != nil || src != SourceMunich {
		t.Fatalf("ReadServices: %v, %q", err, src)
	}
	demo, _, err := DemoCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var munich []Service
	for _, s := range demo {
		if s.Source == SourceMunich {
			munich = append(munich, s)
		}
	}
	if diff := cmp.Diff(munich, res.Services); diff != "" {
		t.Errorf("embedded Munich import differs from the demo catalog (-demo +import):\n%s", diff)
	}
}

func TestReadServicesErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, format, input string
		want                error
	}{
		{"own format without a file", FormatJSON, "", nil},
		{"unknown format", "xzufi", "{}", nil},
		{"broken JSON", FormatJSON, `{"services": [`, ErrMalformed},
		{"broken Munich JSON", FormatMunich, `[{"id": "1"`, ErrMalformed},
		{"LeiKa CSV without header", FormatLeika, "a;b\n", ErrMalformed},
	}
	for _, tc := range tests {
		var r *strings.Reader
		if tc.input != "" {
			r = strings.NewReader(tc.input)
		}
		var err error
		if r == nil {
			_, _, err = ReadServices(ctx, tc.format, nil, false)
		} else {
			_, _, err = ReadServices(ctx, tc.format, r, false)
		}
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestReadServicesLeika(t *testing.T) {
	if _, err := datasets.Dir(); err != nil {
		if datasets.Required() {
			t.Fatal(err)
		}
		t.Skip("LeiKa list not at hand: ", err)
	}
	res, src, err := ReadServices(context.Background(), FormatLeika, nil, false)
	if err != nil || src != SourceLeika {
		t.Fatalf("%v, %q", err, src)
	}
	if len(res.Services) < 5000 || res.Read != len(res.Services)+len(res.Skipped) {
		t.Errorf("%d services, %d skipped of %d read", len(res.Services), len(res.Skipped), res.Read)
	}
}
