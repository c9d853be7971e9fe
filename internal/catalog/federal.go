package catalog

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"sync"
)

// demoFederal is the federal LeiKa/OZG list (kdn-nrw/OZG-Datenbank-NRW,
// state 2019, MIT; names and keys from the federal LeiKa catalogue),
// embedded gzip-compressed and unchanged (see data/SOURCE.md).
const demoFederal = "data/leika_federal.csv.gz"

// FederalCredit is shown wherever federal entries are displayed.
const FederalCredit = "Bundesweite Leistungen: LeiKa/OZG-Umsetzungskatalog (OZG-Datenbank NRW, MIT)"

// FederalCatalog returns the services of the embedded federal LeiKa list
// (about 5,250), parsed anew on each call (~0.1 s): it is needed for
// seeding and benchmarks, and a process should not keep a second copy of
// thousands of services beside its index.
func FederalCatalog(ctx context.Context) (*ImportResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return parseFederal()
}

// embeddedFederalNames maps the LeiKa objects of the embedded federal list
// to their names (see federalNames), computed once.
var embeddedFederalNames = sync.OnceValue(func() map[string][]string {
	res, err := parseFederal()
	if err != nil {
		return map[string][]string{}
	}
	return namesByObject(res.Services)
})

func parseFederal() (*ImportResult, error) {
	data, err := demoFS.ReadFile(demoFederal)
	if err != nil {
		return nil, fmt.Errorf("federal catalogue: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("federal catalogue: %w", err)
	}
	res, err := (&LeikaImporter{}).Import(context.Background(), zr)
	if err != nil {
		return nil, fmt.Errorf("federal catalogue: %w", err)
	}
	return res, nil
}

// IsFederal reports whether s is an entry of the federal list rather than a
// service the city itself offers.
func (s *Service) IsFederal() bool { return s.Source == SourceLeika }

// WithFederal returns the city's services followed by the federal entries
// whose LeiKa key none of the city's services carries: the citizen finds
// the city's own service, not the federal line of the same key as well.
func WithFederal(city, federal []Service) []Service {
	own := ownKeys(city)
	out := make([]Service, 0, len(city)+len(federal))
	out = append(out, city...)
	for _, s := range federal {
		if s.IsFederal() && coveredBy(own, s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// ownKeys are the LeiKa keys of the services the city offers itself.
func ownKeys(services []Service) map[string]bool {
	own := map[string]bool{}
	for i := range services {
		if services[i].IsFederal() {
			continue
		}
		for _, k := range services[i].LeikaKeys {
			own[k] = true
		}
	}
	return own
}

func coveredBy(own map[string]bool, s Service) bool {
	for _, k := range s.LeikaKeys {
		if own[k] {
			return true
		}
	}
	return false
}
