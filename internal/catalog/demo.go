package catalog

import (
	"bytes"
	"context"
	"embed"
	"fmt"
)

// demoFS holds the demo catalog: the Munich services and offices (credit
// "Landeshauptstadt München", see data/SOURCE.md), the OZG life situations
// and the demo city's own services.
//
//go:embed data/*.json data/*.csv data/*.csv.gz data/SOURCE.md
var demoFS embed.FS

// Credit is the attribution to show wherever the demo catalog is displayed.
const Credit = "Leistungsdaten: Landeshauptstadt München (EUPL-1.2); Lebenslagen: OZG-Datenbank NRW (MIT)"

// Embedded files.
const (
	demoMunichServices  = "data/muenchen_services_de.json"
	demoMunichLocations = "data/muenchen_locations_de.json"
	demoLifeSituations  = "data/ozg_leistungen_lebenslagen_nrw2019.csv"
	demoLeikaOZG        = "data/leika_ozg.csv"
	demoOwnServices     = "data/demo_services.json"
)

// DemoReport tells how the demo catalog was assembled.
type DemoReport struct {
	Munich  *ImportResult
	Own     *ImportResult
	Offices int
}

// DemoCatalog returns the demo city's catalog: all Munich services with
// their offices and life situations, plus Musterstadt's own services (dog
// tax). It needs no files outside the binary.
func DemoCatalog(ctx context.Context) ([]Service, *DemoReport, error) {
	read := func(name string) ([]byte, error) {
		b, err := demoFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("demo catalog: %w", err)
		}
		return b, nil
	}
	locData, err := read(demoMunichLocations)
	if err != nil {
		return nil, nil, err
	}
	locs, err := ParseMunichLocations(ctx, bytes.NewReader(locData))
	if err != nil {
		return nil, nil, fmt.Errorf("demo catalog: %s: %w", demoMunichLocations, err)
	}
	svcData, err := read(demoMunichServices)
	if err != nil {
		return nil, nil, err
	}
	munich, err := (&MunichImporter{Locations: locs}).Import(ctx, bytes.NewReader(svcData))
	if err != nil {
		return nil, nil, fmt.Errorf("demo catalog: %s: %w", demoMunichServices, err)
	}
	ownData, err := read(demoOwnServices)
	if err != nil {
		return nil, nil, err
	}
	own, err := (&JSONImporter{}).Import(ctx, bytes.NewReader(ownData))
	if err != nil {
		return nil, nil, fmt.Errorf("demo catalog: %s: %w", demoOwnServices, err)
	}
	lsData, err := read(demoLifeSituations)
	if err != nil {
		return nil, nil, err
	}
	classes, err := ParseLifeSituations(bytes.NewReader(lsData))
	if err != nil {
		return nil, nil, fmt.Errorf("demo catalog: %s: %w", demoLifeSituations, err)
	}
	mapData, err := read(demoLeikaOZG)
	if err != nil {
		return nil, nil, err
	}
	leikaOZG, err := parseLeikaOZG(bytes.NewReader(mapData))
	if err != nil {
		return nil, nil, fmt.Errorf("demo catalog: %s: %w", demoLeikaOZG, err)
	}
	services := append(append([]Service{}, munich.Services...), own.Services...)
	AttachLifeSituations(services, leikaOZG, classes)
	return services, &DemoReport{Munich: munich, Own: own, Offices: len(locs)}, nil
}
