package catalog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rathaus/rathaus/internal/platform/datasets"
)

// Import formats accepted by ReadServices (`rathaus import services
// --source`).
const (
	FormatMunich = "munich" // the Munich services JSON (offices from the embedded locations)
	FormatLeika  = "leika"  // the federal LeiKa list (CSV)
	FormatJSON   = "json"   // our own exchange format (Export)
)

// ReadServices reads services in format from r. With r nil it reads the
// default input of the format: the embedded Munich services, or the LeiKa
// list in the data set directory (datasets.Dir); our own format needs r.
// Munich services get their offices from the embedded Munich locations and
// their life situations from the embedded OZG tables. It returns the
// source name to record with the import.
func ReadServices(ctx context.Context, format string, r io.Reader, strict bool) (*ImportResult, string, error) {
	switch format {
	case FormatMunich:
		if r == nil {
			data, err := demoFS.ReadFile(demoMunichServices)
			if err != nil {
				return nil, "", err
			}
			r = bytes.NewReader(data)
		}
		locData, err := demoFS.ReadFile(demoMunichLocations)
		if err != nil {
			return nil, "", err
		}
		locs, err := ParseMunichLocations(ctx, bytes.NewReader(locData))
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", demoMunichLocations, err)
		}
		res, err := (&MunichImporter{Locations: locs, Strict: strict}).Import(ctx, r)
		if err != nil {
			return nil, "", err
		}
		if err := attachEmbeddedLifeSituations(res.Services); err != nil {
			return nil, "", err
		}
		return res, SourceMunich, nil
	case FormatLeika:
		if r == nil {
			dir, err := datasets.Dir()
			if err != nil {
				return nil, "", err
			}
			f, err := os.Open(filepath.Join(dir, filepath.FromSlash(LeikaFile)))
			if err != nil {
				return nil, "", err
			}
			defer f.Close()
			r = f
		}
		res, err := (&LeikaImporter{Strict: strict}).Import(ctx, r)
		return res, SourceLeika, err
	case FormatJSON:
		if r == nil {
			return nil, "", fmt.Errorf("our own format needs a file")
		}
		res, err := (&JSONImporter{Strict: strict}).Import(ctx, r)
		return res, SourceRathaus, err
	}
	return nil, "", fmt.Errorf("unknown format %q (munich, leika, json)", format)
}

func attachEmbeddedLifeSituations(services []Service) error {
	lsData, err := demoFS.ReadFile(demoLifeSituations)
	if err != nil {
		return err
	}
	classes, err := ParseLifeSituations(bytes.NewReader(lsData))
	if err != nil {
		return fmt.Errorf("%s: %w", demoLifeSituations, err)
	}
	mapData, err := demoFS.ReadFile(demoLeikaOZG)
	if err != nil {
		return err
	}
	leikaOZG, err := parseLeikaOZG(bytes.NewReader(mapData))
	if err != nil {
		return fmt.Errorf("%s: %w", demoLeikaOZG, err)
	}
	AttachLifeSituations(services, leikaOZG, classes)
	return nil
}
