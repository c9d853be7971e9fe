package identity

import (
	"context"
	"fmt"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/leitweg"
	"math/big"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
)

// Tenant is one municipality.
type Tenant struct {
	ID   int64  `json:"-"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	// IsDefault: the tenant CLI commands use without --tenant when there
	// are several (it answers no host it is not configured for).
	IsDefault bool `json:"is_default"`
	// IsDemo marks the demo city: its passwords and tokens are published,
	// so `rathaus serve` refuses a database holding one (unless
	// RATHAUS_DEMO=1), and its staff need no TOTP.
	IsDemo bool     `json:"is_demo"`
	Hosts  []string `json:"hosts"`
	// PublicURL (https://service.musterstadt.de) is where links in mails
	// and the eID callback point; empty: https:// and the first host.
	PublicURL string   `json:"public_url"`
	Settings  Settings `json:"settings"`
}

// Settings are what a tenant configures about itself.
type Settings struct {
	FederalState string         `json:"federal_state"` // ISO 3166-2:DE code without prefix: BY, NW, ...
	Address      Address        `json:"address"`
	Creditor     Creditor       `json:"creditor"`
	LeitwegID    string         `json:"leitweg_id"`
	MailFrom     string         `json:"mail_from"`
	OIDC         []OIDCProvider `json:"oidc_providers"`
	Legal        Legal          `json:"legal"`
}

// Address of the town hall.
type Address struct {
	Street   string `json:"street"`
	Postcode string `json:"postcode"`
	City     string `json:"city"`
}

// Creditor is the account citizens pay fees to.
type Creditor struct {
	Name string `json:"name"`
	IBAN string `json:"iban"`
	BIC  string `json:"bic"`
}

// OIDCProvider is an eID login (BundID, BayernID, Servicekonto.NRW ...).
// The client secret is not part of the settings document; it comes from
// the environment (RATHAUS_OIDC_SECRET_<TENANT>_<NAME>, see OIDCSecretVar).
type OIDCProvider struct {
	Name     string   `json:"name"` // short, URL-safe: "bayernid"
	Label    string   `json:"label"`
	Issuer   string   `json:"issuer"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
	// ACR maps the provider's acr values to trust levels; unmapped or
	// missing acr means TrustLow. Defaults cover the eIDAS LoA URIs and
	// the STORK QAA levels that German eID services send.
	ACR map[string]TrustLevel `json:"acr"`
}

// Legal texts shown in the footer (plain text with paragraphs).
type Legal struct {
	Imprint       string `json:"imprint"`
	Privacy       string `json:"privacy"`
	Accessibility string `json:"accessibility"`
}

// FederalStates are the 16 German states.
var FederalStates = map[string]string{
	"BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin", "BB": "Brandenburg", "HB": "Bremen",
	"HH": "Hamburg", "HE": "Hessen", "MV": "Mecklenburg-Vorpommern", "NI": "Niedersachsen",
	"NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz", "SL": "Saarland", "SN": "Sachsen",
	"ST": "Sachsen-Anhalt", "SH": "Schleswig-Holstein", "TH": "Thüringen",
}

var (
	slugRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
	postcodeRe = regexp.MustCompile(`^[0-9]{5}$`)
	bicRe      = regexp.MustCompile(`^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	hostRe     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
)

// NormalizeHost turns a Host header or a configured name into the stored
// form: lower case, without port, brackets or a trailing dot
// ("[::1]:8080" → "::1", "Rathaus.Example.DE." → "rathaus.example.de").
func NormalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(h, ".")
}

// ValidHost reports whether h is a host name or IP address a tenant can be
// configured for (no port: every port of the name reaches the tenant).
func ValidHost(h string) bool {
	n := NormalizeHost(h)
	if n == "" || len(n) > 253 || strings.Contains(strings.TrimSpace(h), "/") {
		return false
	}
	if _, _, err := net.SplitHostPort(strings.TrimSpace(h)); err == nil {
		return false
	}
	return hostRe.MatchString(n) || net.ParseIP(n) != nil
}

// ValidPublicURL reports whether u is a base address for links: http(s),
// a host, no path, query or fragment.
func ValidPublicURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != "" && (p.Path == "" || p.Path == "/") &&
		p.RawQuery == "" && p.Fragment == "" && p.User == nil
}

// Validate returns every invalid field with its code (fault codes; the
// field names are the JSON names, nested with dots), or nil.
func (s Settings) Validate() *fault.Validation {
	v := &fault.Validation{}
	if _, ok := FederalStates[s.FederalState]; !ok {
		v.Add("federal_state", "invalid_choice")
	}
	if s.Address.Postcode != "" && !postcodeRe.MatchString(s.Address.Postcode) {
		v.Add("address.postcode", "invalid_postcode")
	}
	if s.Creditor.IBAN != "" && !ValidIBAN(s.Creditor.IBAN) {
		v.Add("creditor.iban", "invalid_iban")
	}
	if s.Creditor.BIC != "" && !bicRe.MatchString(s.Creditor.BIC) {
		v.Add("creditor.bic", "invalid_bic")
	}
	if s.LeitwegID != "" && !ValidLeitwegID(s.LeitwegID) {
		v.Add("leitweg_id", "invalid_leitweg_id")
	}
	if s.MailFrom != "" {
		if a, err := mail.ParseAddress(s.MailFrom); err != nil || a.Address != s.MailFrom {
			v.Add("mail_from", "invalid_email")
		}
	}
	for i, p := range s.OIDC {
		if p.Name == "" || !strings.HasPrefix(p.Issuer, "https://") && !strings.HasPrefix(p.Issuer, "http://127.0.0.1") && !strings.HasPrefix(p.Issuer, "http://localhost") || p.ClientID == "" {
			v.Add(fmt.Sprintf("oidc_providers.%d", i), "invalid_oidc_provider")
		}
	}
	if len(v.Errors) == 0 {
		return nil
	}
	return v
}

// ValidIBAN checks length and the ISO 13616 mod-97 check digits.
func ValidIBAN(iban string) bool {
	s := strings.ToUpper(strings.ReplaceAll(iban, " ", ""))
	if len(s) < 15 || len(s) > 34 || (strings.HasPrefix(s, "DE") && len(s) != 22) {
		return false
	}
	return mod97(s[4:]+s[:4]) == 1
}

// ValidLeitwegID checks a Leitweg-ID (the routing id of e-invoices to a
// public body) as the e-invoice inbox does: structure, Grobadressierung
// length and state code, and the ISO 7064 MOD 97-10 check digits
// (platform/leitweg).
func ValidLeitwegID(id string) bool { return leitweg.Valid(id) }

func mod97(s string) int64 {
	var digits strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			fmt.Fprintf(&digits, "%d", c-'A'+10)
		default:
			return -1
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	if !ok {
		return -1
	}
	return new(big.Int).Mod(n, big.NewInt(97)).Int64()
}

type ctxKey int

const keyTenant ctxKey = 0

// WithTenant stores the request's tenant in ctx.
func WithTenant(ctx context.Context, t *Tenant) context.Context {
	return context.WithValue(ctx, keyTenant, t)
}

// TenantFrom returns the request's tenant (nil outside a tenant request).
func TenantFrom(ctx context.Context) *Tenant {
	t, _ := ctx.Value(keyTenant).(*Tenant)
	return t
}

func urlPathEscape(s string) string  { return url.PathEscape(s) }
func urlQueryEscape(s string) string { return url.QueryEscape(s) }
