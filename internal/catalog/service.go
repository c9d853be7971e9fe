package catalog

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Availability is how far a service can be done online (the OZG maturity
// levels as the city reports them).
type Availability string

// Online availability levels, from least to most digital.
const (
	AvailabilityInformation  Availability = "information"   // only information online
	AvailabilityDownload     Availability = "download"      // a form to download and print
	AvailabilityOnlineForm   Availability = "online_form"   // an online form, decision on paper or in person
	AvailabilityFullyDigital Availability = "fully_digital" // application, payment and decision online
)

// Valid reports whether a is one of the four levels.
func (a Availability) Valid() bool {
	switch a {
	case AvailabilityInformation, AvailabilityDownload, AvailabilityOnlineForm, AvailabilityFullyDigital:
		return true
	}
	return false
}

// Online reports whether the application itself can be made online.
func (a Availability) Online() bool {
	return a == AvailabilityOnlineForm || a == AvailabilityFullyDigital
}

// FeeKind says how a Fee is expressed.
type FeeKind string

// Fee kinds.
const (
	FeeFree  FeeKind = "free"  // explicitly no charge
	FeeFixed FeeKind = "fixed" // Amount
	FeeRange FeeKind = "range" // Min and/or Max ("ab 12 Euro", "50 bis 60 Euro")
	FeeRule  FeeKind = "rule"  // only a text rule ("nach Aufwand")
)

// Fee is one line of a service's fees. Amounts are euros as decimals, never
// floats.
type Fee struct {
	Kind   FeeKind          `json:"kind"`
	Label  string           `json:"label,omitempty"` // who or what the line applies to
	Amount *decimal.Decimal `json:"amount,omitempty"`
	Min    *decimal.Decimal `json:"min,omitempty"`
	Max    *decimal.Decimal `json:"max,omitempty"`
	Text   string           `json:"text,omitempty"` // the rule or the original line
}

func (f Fee) validate() error {
	neg := func(d *decimal.Decimal) bool { return d != nil && d.IsNegative() }
	switch f.Kind {
	case FeeFree:
	case FeeFixed:
		if f.Amount == nil {
			return errors.New("fixed fee without amount")
		}
	case FeeRange:
		if f.Min == nil && f.Max == nil {
			return errors.New("fee range without min or max")
		}
		if f.Min != nil && f.Max != nil && f.Min.GreaterThan(*f.Max) {
			return errors.New("fee range min above max")
		}
	case FeeRule:
		if strings.TrimSpace(f.Text) == "" {
			return errors.New("fee rule without text")
		}
	default:
		return fmt.Errorf("unknown fee kind %q", f.Kind)
	}
	if neg(f.Amount) || neg(f.Min) || neg(f.Max) {
		return errors.New("negative fee")
	}
	return nil
}

// Office is a place where a service is handled (a Munich "location").
type Office struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Unit         string `json:"unit,omitempty"`         // e.g. Kreisverwaltungsreferat
	Organization string `json:"organization,omitempty"` // e.g. Landeshauptstadt München
	Street       string `json:"street,omitempty"`
	HouseNumber  string `json:"house_number,omitempty"`
	PostalCode   string `json:"postal_code,omitempty"`
	City         string `json:"city,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Lat          string `json:"lat,omitempty"`
	Lon          string `json:"lon,omitempty"`
	// AppointmentMinutes is the duration this office plans for the service
	// (0 if unknown).
	AppointmentMinutes int `json:"appointment_minutes,omitempty"`
	// PostalCodes is the area the office is responsible for; empty means
	// the whole municipality.
	PostalCodes []string `json:"postal_codes,omitempty"`
}

// Link is an external page: an online service, a form to download, further
// information.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
	// Kind is "online_service", "form" or "info".
	Kind string `json:"kind,omitempty"`
}

// Service is one administrative service (Leistung) of a municipality.
type Service struct {
	// ID is the public reference ("L-XXXX-XXXX"), stable for a given
	// source and external id; never an internal integer.
	ID string `json:"id"`
	// ExternalID is the id in the source catalog (Munich id, LeiKa key).
	ExternalID string `json:"external_id,omitempty"`
	// Source names where the entry came from: "muenchen", "leika", "demo",
	// "rathaus" (our own format) — free text for later importers.
	Source string `json:"source,omitempty"`
	// LeikaKeys are 14-digit federal keys; may be empty.
	LeikaKeys []string `json:"leika_keys"`
	Name      string   `json:"name"`
	// Summary is one or two sentences in plain language.
	Summary string `json:"summary,omitempty"`
	// Description is plain text (paragraphs separated by blank lines).
	Description string `json:"description,omitempty"`
	// DescriptionHTML is the sanitised HTML of the source (allow-listed
	// tags only); safe to render as template.HTML.
	DescriptionHTML   string   `json:"description_html,omitempty"`
	Prerequisites     []string `json:"prerequisites,omitempty"`
	RequiredDocuments []string `json:"required_documents,omitempty"`
	Fees              []Fee    `json:"fees,omitempty"`
	// FeeText is the fee section as plain text, as the source wrote it.
	FeeText        string       `json:"fee_text,omitempty"`
	LegalBasis     string       `json:"legal_basis,omitempty"`
	ProcessingTime string       `json:"processing_time,omitempty"`
	Availability   Availability `json:"online_availability"`
	// Bookable says whether appointments can be booked online (Munich's
	// "public" flag). It never hides the service from the finder.
	Bookable           bool `json:"bookable"`
	AppointmentMinutes int  `json:"appointment_minutes,omitempty"`
	// Units are the responsible organisational units.
	Units   []string `json:"units,omitempty"`
	Offices []Office `json:"offices,omitempty"`
	// TargetGroups: "citizens", "businesses", "administration".
	TargetGroups     []string `json:"target_groups,omitempty"`
	YearlyCaseVolume int      `json:"yearly_case_volume,omitempty"`
	LifeSituations   []string `json:"life_situations,omitempty"`
	Topics           []string `json:"topics,omitempty"`
	Keywords         []string `json:"keywords,omitempty"`
	Links            []Link   `json:"links,omitempty"`
}

var leikaKeyRE = regexp.MustCompile(`^[0-9]{14}$`)

// ValidLeikaKey reports whether k has the form of a LeiKa key (14 digits).
func ValidLeikaKey(k string) bool { return leikaKeyRE.MatchString(k) }

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid service")

// Validate checks the invariants of a service (see doc.go).
func (s *Service) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	if len(s.ID) > 64 || strings.ContainsFunc(s.ID, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fail("reference %q is longer than 64 bytes or contains spaces or control characters", s.ID)
	}
	if strings.TrimSpace(s.Name) == "" {
		return fail("name is empty")
	}
	if len(s.Name) > 500 {
		return fail("name longer than 500 bytes")
	}
	for _, k := range s.LeikaKeys {
		if !ValidLeikaKey(k) {
			return fail("LeiKa key %q is not 14 digits", k)
		}
	}
	if !s.Availability.Valid() {
		return fail("unknown online availability %q", s.Availability)
	}
	if s.AppointmentMinutes < 0 || s.AppointmentMinutes > 24*60 {
		return fail("appointment duration %d out of range", s.AppointmentMinutes)
	}
	if s.YearlyCaseVolume < 0 {
		return fail("negative yearly case volume")
	}
	for i, f := range s.Fees {
		if err := f.validate(); err != nil {
			return fail("fee %d: %v", i+1, err)
		}
	}
	return nil
}

// normalise fills defaults so that stored and exported services look alike.
func (s *Service) normalise() {
	s.DescriptionHTML = sanitizeHTML(s.DescriptionHTML)
	if s.LeikaKeys == nil {
		s.LeikaKeys = []string{}
	}
	if s.Availability == "" {
		s.Availability = AvailabilityInformation
	}
	if s.ID == "" {
		s.ID = Ref(s.Source, s.ExternalID, s.Name)
	}
}

// refAlphabet is Crockford's base32 without I, L, O, U: easy to read aloud.
const refAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Ref derives the public reference of a service from its source and
// external id ("L-7K3M-Q9TX"). It is deterministic, so re-importing the same
// catalog yields the same references, and it carries no sequence number.
func Ref(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	n := new(big.Int).SetBytes(h[:5]) // 40 bits = 8 base32 digits
	var b [8]byte
	for i := 7; i >= 0; i-- {
		m := new(big.Int)
		n.DivMod(n, big.NewInt(32), m)
		b[i] = refAlphabet[m.Int64()]
	}
	return "L-" + string(b[:4]) + "-" + string(b[4:])
}

// OfficesFor returns the offices of s ordered for a citizen with the given
// postcode: offices responsible for that postcode first, then by numeric
// distance of the office's own postcode (a cheap proximity proxy), then by
// name. An empty postcode keeps the catalog order.
func (s *Service) OfficesFor(postcode string) []Office {
	out := append([]Office(nil), s.Offices...)
	pc, err := strconv.Atoi(strings.TrimSpace(postcode))
	if err != nil {
		return out
	}
	responsible := func(o Office) bool {
		for _, p := range o.PostalCodes {
			if p == postcode {
				return true
			}
		}
		return false
	}
	dist := func(o Office) int {
		v, err := strconv.Atoi(o.PostalCode)
		if err != nil {
			return 1 << 30
		}
		if v > pc {
			return v - pc
		}
		return pc - v
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := responsible(out[i]), responsible(out[j])
		if ri != rj {
			return ri
		}
		di, dj := dist(out[i]), dist(out[j])
		if di != dj {
			return di < dj
		}
		return out[i].Name < out[j].Name
	})
	return out
}
