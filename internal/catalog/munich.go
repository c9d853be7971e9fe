package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// SourceMunich marks services imported from the Munich service database.
const SourceMunich = "muenchen"

// MunichImporter reads the Munich services JSON (the export of the Munich
// service database as published with the Berlin/Munich appointment system:
// {"meta":…,"services":[…]}). Locations, if set, turn the services'
// location ids into offices with addresses and postcodes.
type MunichImporter struct {
	Strict    bool
	Locations map[string]MunichLocation
}

type munichService struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Leika           *string  `json:"leika"`
	DescriptionHTML string   `json:"description_html"`
	Keywords        []string `json:"keywords"`
	DurationMin     int      `json:"duration_min"`
	FeesHTML        string   `json:"fees_html"`
	Public          bool     `json:"public"`
	Forms           []Link   `json:"forms"`
	Links           []Link   `json:"links"`
	LocationIDs     []string `json:"location_ids"`
}

// MunichLocation is one office of the Munich locations JSON.
type MunichLocation struct {
	Office   Office
	Duration map[string]int // service id → minutes
}

type munichLocationJSON struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	DisplayName      string `json:"display_name"`
	Organization     string `json:"organization"`
	OrganizationUnit string `json:"organization_unit"`
	Address          struct {
		HouseNumber string `json:"house_number"`
		City        string `json:"city"`
		PostalCode  string `json:"postal_code"`
		Street      string `json:"street"`
	} `json:"address"`
	Geo struct {
		Lat string `json:"lat"`
		Lon string `json:"lon"`
	} `json:"geo"`
	Contact struct {
		Email string `json:"email"`
		Phone string `json:"phone"`
	} `json:"contact"`
	Services []struct {
		ServiceID   string `json:"service_id"`
		DurationMin int    `json:"duration_min"`
	} `json:"services"`
}

// ParseMunichLocations reads the Munich locations JSON
// ({"meta":…,"locations":[…]}). Invalid elements are an error: offices are
// reference data, a broken one would silently misdirect citizens.
func ParseMunichLocations(ctx context.Context, r io.Reader) (map[string]MunichLocation, error) {
	data, err := readAllLimited(r)
	if err != nil {
		return nil, err
	}
	out := map[string]MunichLocation{}
	err = eachJSONElement(ctx, data, "locations", func(i int, raw json.RawMessage, line int) error {
		var l munichLocationJSON
		if err := json.Unmarshal(raw, &l); err != nil {
			return &ImportError{Line: line, Element: fmt.Sprintf("locations[%d]", i), Reason: err.Error(), Err: ErrMalformed}
		}
		if l.ID == "" || l.Name == "" {
			return &ImportError{Line: line, Element: fmt.Sprintf("locations[%d]", i), Reason: "location without id or name", Err: ErrMalformed}
		}
		name := l.DisplayName
		if name == "" {
			name = l.Name
		}
		ml := MunichLocation{
			Office: Office{
				ID: l.ID, Name: name, Unit: l.OrganizationUnit, Organization: l.Organization,
				Street: l.Address.Street, HouseNumber: l.Address.HouseNumber,
				PostalCode: l.Address.PostalCode, City: l.Address.City,
				Email: l.Contact.Email, Phone: l.Contact.Phone,
				Lat: l.Geo.Lat, Lon: l.Geo.Lon,
			},
			Duration: map[string]int{},
		}
		for _, s := range l.Services {
			ml.Duration[s.ServiceID] = s.DurationMin
		}
		out[l.ID] = ml
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Import implements Importer.
func (m *MunichImporter) Import(ctx context.Context, r io.Reader) (*ImportResult, error) {
	data, err := readAllLimited(r)
	if err != nil {
		return nil, err
	}
	c := newCollector(m.Strict)
	err = eachJSONElement(ctx, data, "services", func(i int, raw json.RawMessage, line int) error {
		element := fmt.Sprintf("services[%d]", i)
		var ms munichService
		if err := json.Unmarshal(raw, &ms); err != nil {
			c.res.Read++
			return c.skip(line, element, err.Error())
		}
		if ms.ID != "" {
			element += " id=" + ms.ID
		}
		s, reason := m.convert(ms)
		if reason != "" {
			c.res.Read++
			return c.skip(line, element, reason)
		}
		return c.add(s, line, element)
	})
	if err != nil {
		return nil, err
	}
	return &c.res, nil
}

var digitsRE = regexp.MustCompile(`^[0-9]+$`)

var (
	onlineTextRE   = regexp.MustCompile(`(?i)(online[- ]?(antrag|anmeldung|beantrag|formular|dienst|service)|online (beantragen|anmelden|abmelden|ummelden|stellen|bestellen|melden|einreichen)|so funktioniert die online)`)
	onlineLinkRE   = regexp.MustCompile(`(?i)(online[- ]?(beantrag|antrag|anmeld|abmeld|ummeld|bestell|meld|service|dienst|formular|terminvereinbarung)|^(jetzt |hier )?(online )?(beantragen|antrag stellen|anmelden|abmelden|bestellen)\b)`)
	formLinkRE     = regexp.MustCompile(`(?i)(formular|antrag|vollmacht|erklärung|vordruck|anmeldung|abmeldung|fragebogen)`)
	fullDigitalRE  = regexp.MustCompile(`(?i)(vollständig online|komplett online|vollständig digital|ohne persönliche vorsprache)`)
	businessNameRE = regexp.MustCompile(`(?i)(gewerbe|unternehm|betrieb|handel|firma|fahrschul|taxi|mietwagen|güterkraft|werkstätt|hersteller|autohäuser|bewachung|pfandleih|versteiger)`)
)

// convert maps one Munich entry; a non-empty reason means it is invalid.
func (m *MunichImporter) convert(ms munichService) (Service, string) {
	ms.ID = strings.TrimSpace(ms.ID)
	if ms.ID == "" {
		return Service{}, "missing id"
	}
	if !digitsRE.MatchString(ms.ID) {
		return Service{}, fmt.Sprintf("id %q is not numeric", ms.ID)
	}
	name := strings.Join(strings.Fields(ms.Name), " ")
	if name == "" {
		return Service{}, "missing name"
	}
	s := Service{
		ExternalID:         ms.ID,
		Source:             SourceMunich,
		Name:               name,
		Description:        htmlToText(ms.DescriptionHTML),
		DescriptionHTML:    sanitizeHTML(ms.DescriptionHTML),
		FeeText:            htmlToText(ms.FeesHTML),
		Bookable:           ms.Public,
		AppointmentMinutes: ms.DurationMin,
		LeikaKeys:          []string{},
	}
	s.ID = Ref(SourceMunich, ms.ID)
	if ms.Leika != nil {
		for _, k := range strings.Split(*ms.Leika, ",") {
			if k = strings.TrimSpace(k); k != "" {
				if !ValidLeikaKey(k) {
					return Service{}, fmt.Sprintf("LeiKa key %q is not 14 digits", k)
				}
				s.LeikaKeys = append(s.LeikaKeys, k)
			}
		}
	}
	s.Summary = summarize(s.Description, 220)
	s.Fees = parseFees(s.FeeText)
	seenKW := map[string]bool{}
	for _, k := range ms.Keywords {
		k = strings.Join(strings.Fields(k), " ")
		if k != "" && !seenKW[strings.ToLower(k)] {
			seenKW[strings.ToLower(k)] = true
			s.Keywords = append(s.Keywords, k)
		}
	}
	seenURL := map[string]bool{}
	for _, l := range append(append([]Link(nil), ms.Links...), ms.Forms...) {
		l.URL = strings.TrimSpace(l.URL)
		l.Label = strings.TrimSpace(l.Label)
		if l.URL == "" || seenURL[l.URL] || !(strings.HasPrefix(l.URL, "https://") || strings.HasPrefix(l.URL, "http://")) {
			continue
		}
		seenURL[l.URL] = true
		low := strings.ToLower(l.Label + " " + l.URL)
		switch {
		case strings.Contains(strings.ToLower(l.Label), "kontakt"):
			l.Kind = "info"
		case strings.Contains(low, "intelliform") || onlineLinkRE.MatchString(l.Label):
			l.Kind = "online_service"
		case formLinkRE.MatchString(l.Label):
			l.Kind = "form"
		default:
			l.Kind = "info"
		}
		s.Links = append(s.Links, l)
	}
	s.Availability = AvailabilityInformation
	hasForm, hasOnline := false, false
	for _, l := range s.Links {
		hasForm = hasForm || l.Kind == "form"
		hasOnline = hasOnline || l.Kind == "online_service"
	}
	switch {
	case fullDigitalRE.MatchString(s.Description):
		s.Availability = AvailabilityFullyDigital
	case hasOnline || onlineTextRE.MatchString(s.Description):
		s.Availability = AvailabilityOnlineForm
	case hasForm:
		s.Availability = AvailabilityDownload
	}
	// Responsibility: the offices that offer the service.
	units := map[string]bool{}
	for _, id := range ms.LocationIDs {
		loc, ok := m.Locations[id]
		if !ok {
			continue
		}
		o := loc.Office
		o.AppointmentMinutes = loc.Duration[ms.ID]
		s.Offices = append(s.Offices, o)
		if o.Unit != "" && !units[o.Unit] {
			units[o.Unit] = true
			s.Units = append(s.Units, o.Unit)
		}
	}
	if businessNameRE.MatchString(name) {
		s.TargetGroups = []string{"businesses"}
	} else {
		s.TargetGroups = []string{"citizens"}
	}
	return s, ""
}

// sortedKeys returns the keys of m in order (deterministic output).
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
