package catalog

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// SourceLeika marks services imported from the federal LeiKa list.
const SourceLeika = "leika"

// LeikaFile is the federal LeiKa list inside the data set directory.
const LeikaFile = "service_catalog/ozg_umsetzungskatalog_leika_nrw2019.csv"

// noLeikaKey is how the LeiKa list marks services without a key.
const noLeikaKey = "nicht im LeiKa"

var leikaHeader = []string{"leika_key", "leistung_name", "typisierung", "rechtsgrundlage", "gesetze", "gesetz_kuerzel", "ozg_id", "ozg_leistung", "lebenslage", "themenfeld"}

// LeikaImporter reads the federal LeiKa/OZG list (CSV with the columns of
// leikaHeader, as published by the OZG database NRW). Rows marked "nicht im
// LeiKa" become services without a key; external_id is the LeiKa key.
type LeikaImporter struct {
	Strict bool
}

// LeikaRow is one parsed row of the LeiKa list; kept for the life
// situation mapping.
type LeikaRow struct {
	Key, Name, OZGID, OZGService, LifeSituation, Topic string
}

// readCSV returns the records of a CSV file with the header checked, the
// header's line being 1. A parse error is an *ImportError with its line.
func readCSV(r io.Reader, header []string, each func(rec []string, line int) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(header)
	cr.ReuseRecord = true
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			if first {
				return &ImportError{Line: 1, Reason: "empty file", Err: ErrMalformed}
			}
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &ImportError{Line: pe.Line, Reason: pe.Err.Error(), Err: ErrMalformed}
			}
			return &ImportError{Line: 1, Reason: err.Error(), Err: ErrMalformed}
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			got := append([]string(nil), rec...)
			if len(got) > 0 {
				got[0] = strings.TrimPrefix(got[0], "\ufeff")
			}
			for i := range header {
				if strings.TrimSpace(got[i]) != header[i] {
					return &ImportError{Line: line, Reason: fmt.Sprintf("column %d is %q, want %q", i+1, got[i], header[i]), Err: ErrMalformed}
				}
			}
			continue
		}
		if err := each(rec, line); err != nil {
			return err
		}
	}
}

var urlInBracketsRE = regexp.MustCompile(`\s*\[https?://[^\]]*\]`)

// Import implements Importer. The whole file is parsed before anything is
// returned, so a broken row yields an error and no services.
func (l *LeikaImporter) Import(ctx context.Context, r io.Reader) (*ImportResult, error) {
	c := newCollector(l.Strict)
	n := 0
	err := readCSV(r, leikaHeader, func(rec []string, line int) error {
		n++
		if n%512 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		element := fmt.Sprintf("row %d", n)
		key := strings.TrimSpace(rec[0])
		name := strings.Join(strings.Fields(rec[1]), " ")
		s := Service{Source: SourceLeika, Name: name, LeikaKeys: []string{}, Availability: AvailabilityInformation}
		switch {
		case key == noLeikaKey:
			s.ID = Ref(SourceLeika, "", name, rec[6])
		case ValidLeikaKey(key):
			s.ExternalID = key
			s.LeikaKeys = []string{key}
			s.ID = Ref(SourceLeika, key)
			element += " key=" + key
		default:
			c.res.Read++
			return c.skip(line, element, fmt.Sprintf("LeiKa key %q is neither 14 digits nor %q", key, noLeikaKey))
		}
		s.LegalBasis = strings.TrimSpace(urlInBracketsRE.ReplaceAllString(rec[3], ""))
		if ozg := strings.TrimSpace(rec[7]); ozg != "" && ozg != name {
			s.Summary = "Gehört zur OZG-Leistung „" + ozg + "“."
			s.Keywords = append(s.Keywords, ozg)
		}
		if ls := strings.TrimSpace(rec[8]); ls != "" {
			s.LifeSituations = []string{ls}
		}
		if t := strings.TrimSpace(rec[9]); t != "" {
			s.Topics = []string{t}
		}
		if strings.Contains(rec[9], "Unternehm") || strings.Contains(rec[8], "Unternehm") || strings.Contains(rec[8], "Arbeitgeber") {
			s.TargetGroups = []string{"businesses"}
		} else {
			s.TargetGroups = []string{"citizens"}
		}
		return c.add(s, line, element)
	})
	if err != nil {
		return nil, err
	}
	return &c.res, nil
}

// LoadLeika imports the LeiKa list from the data set directory dir (see
// datasets.Dir); it is too large to embed.
func LoadLeika(ctx context.Context, dir string) (*ImportResult, error) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(LeikaFile)))
	if err != nil {
		return nil, fmt.Errorf("load LeiKa list: %w", err)
	}
	defer f.Close()
	res, err := (&LeikaImporter{}).Import(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("load LeiKa list: %w", err)
	}
	return res, nil
}

// Classification is the life situation and topic of an OZG service.
type Classification struct {
	LifeSituation, Topic string
}

var lebenslagenHeader = []string{"ozg_id", "ozg_leistung", "lebenslage", "themenfeld"}

// ParseLifeSituations reads the OZG services → life situations → topics
// CSV (ozg_id, ozg_leistung, lebenslage, themenfeld).
func ParseLifeSituations(r io.Reader) (map[string]Classification, error) {
	out := map[string]Classification{}
	err := readCSV(r, lebenslagenHeader, func(rec []string, line int) error {
		id := strings.TrimSpace(rec[0])
		if id == "" {
			return &ImportError{Line: line, Reason: "empty ozg_id", Err: ErrMalformed}
		}
		out[id] = Classification{LifeSituation: strings.TrimSpace(rec[2]), Topic: strings.TrimSpace(rec[3])}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var leikaOZGHeader = []string{"leika_key", "ozg_id"}

// parseLeikaOZG reads the derived leika_key → ozg_id table.
func parseLeikaOZG(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	err := readCSV(r, leikaOZGHeader, func(rec []string, line int) error {
		out[rec[0]] = rec[1]
		return nil
	})
	return out, err
}

// ozgFor finds the OZG service of a LeiKa key: the exact key, else the
// nearest more general key of the same service object (trailing groups of
// the key replaced by zeros), else the first key sharing the first eight
// digits.
func ozgFor(key string, leikaOZG map[string]string) (string, bool) {
	if id, ok := leikaOZG[key]; ok {
		return id, true
	}
	for _, n := range []int{11, 8} {
		general := key[:n] + strings.Repeat("0", 14-n)
		if id, ok := leikaOZG[general]; ok {
			return id, true
		}
	}
	best := ""
	for k := range leikaOZG {
		if strings.HasPrefix(k, key[:8]) && (best == "" || k < best) {
			best = k
		}
	}
	if best != "" {
		return leikaOZG[best], true
	}
	return "", false
}

// AttachLifeSituations sets LifeSituations and Topics of services that have
// none: through their LeiKa keys (leikaOZG maps keys to OZG services,
// classes maps OZG services to life situations); services without a usable
// key inherit the most frequent classification of the services offered at
// the same first office, which in practice is the same authority.
func AttachLifeSituations(services []Service, leikaOZG map[string]string, classes map[string]Classification) {
	add := func(s *Service, c Classification) {
		if c.LifeSituation != "" && !contains(s.LifeSituations, c.LifeSituation) {
			s.LifeSituations = append(s.LifeSituations, c.LifeSituation)
		}
		if t := strings.TrimSpace(c.Topic); t != "" && !contains(s.Topics, t) {
			s.Topics = append(s.Topics, t)
		}
	}
	byOffice := map[string]map[Classification]int{}
	var pending []int
	for i := range services {
		s := &services[i]
		if len(s.LifeSituations) > 0 {
			continue
		}
		for _, k := range s.LeikaKeys {
			if id, ok := ozgFor(k, leikaOZG); ok {
				if c, ok := classes[id]; ok {
					add(s, c)
				}
			}
		}
		if len(s.LifeSituations) == 0 {
			pending = append(pending, i)
			continue
		}
		if len(s.Offices) > 0 {
			m := byOffice[s.Offices[0].ID]
			if m == nil {
				m = map[Classification]int{}
				byOffice[s.Offices[0].ID] = m
			}
			topic := ""
			if len(s.Topics) > 0 {
				topic = s.Topics[0]
			}
			m[Classification{s.LifeSituations[0], topic}]++
		}
	}
	for _, i := range pending {
		s := &services[i]
		if len(s.Offices) == 0 {
			continue
		}
		var best Classification
		n := 0
		for c, k := range byOffice[s.Offices[0].ID] {
			if k > n || (k == n && c.LifeSituation < best.LifeSituation) {
				best, n = c, k
			}
		}
		if n > 0 {
			add(s, best)
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
