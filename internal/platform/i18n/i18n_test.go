package i18n

import (
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// TestPlatformCatalogComplete: every key of the platform's catalogs exists in
// both languages with the same arguments.
func TestPlatformCatalogComplete(t *testing.T) {
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(); err != nil {
		t.Error(err)
	}
	if n := len(c.Keys()); n < 50 {
		t.Errorf("only %d keys: are the catalogs embedded?", n)
	}
}

func TestCheckFindsGaps(t *testing.T) {
	tests := []struct {
		name   string
		de, en string
		want   []string // substrings of the error, nil for none
	}{
		{"complete", `{"a": "Hallo %s"}`, `{"a": "Hello %s"}`, nil},
		{"missing in en", `{"a": "Hallo", "b": "Tschüss"}`, `{"a": "Hello"}`, []string{"b: missing in en"}},
		{"empty in de", `{"a": " "}`, `{"a": "Hello"}`, []string{"a: missing in de"}},
		{"arguments differ", `{"a": "%d Anträge"}`, `{"a": "%s applications"}`, []string{"a: arguments differ"}},
		{"percent sign is no argument", `{"a": "100 %% sicher"}`, `{"a": "100%% safe"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Catalog{msgs: map[Lang]map[string]string{De: {}, En: {}}}
			if err := c.Load(fstest.MapFS{"de.json": {Data: []byte(tt.de)}, "en.json": {Data: []byte(tt.en)}}); err != nil {
				t.Fatal(err)
			}
			err := c.Check()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Check() = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check() = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadRejectsDuplicateKeys(t *testing.T) {
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"de.json": {Data: []byte(`{"nav.home": "x"}`)}, "en.json": {Data: []byte(`{"nav.home": "x"}`)}}
	if err := c.Load(fsys); err == nil {
		t.Error("loading a key twice succeeded")
	}
}

func TestT(t *testing.T) {
	c := &Catalog{msgs: map[Lang]map[string]string{
		De: {"greet": "Hallo %s", "only.de": "Nur deutsch"},
		En: {"greet": "Hello %s"},
	}}
	tests := []struct {
		lang Lang
		key  string
		args []any
		want string
	}{
		{De, "greet", []any{"Paul"}, "Hallo Paul"},
		{En, "greet", []any{"Paul"}, "Hello Paul"},
		{En, "only.de", nil, "Nur deutsch"},
		{En, "nowhere", nil, "[nowhere]"},
		{"fr", "greet", []any{"Paul"}, "Hallo Paul"},
	}
	for _, tt := range tests {
		if got := c.Printer(tt.lang).T(tt.key, tt.args...); got != tt.want {
			t.Errorf("%s T(%q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
}

func TestFormats(t *testing.T) {
	c := &Catalog{msgs: map[Lang]map[string]string{De: {}, En: {}}}
	de, en := c.Printer(De), c.Printer(En)
	day := time.Date(2026, 11, 22, 14, 5, 0, 0, time.UTC)
	d := decimal.RequireFromString
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"date de", de.Date(day), "22.11.2026"},
		{"date en", en.Date(day), "22 Nov 2026"},
		{"date de padded", de.Date(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), "01.03.2026"},
		{"date en unpadded", en.Date(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), "1 Mar 2026"},
		{"long date de", de.DateLong(day), "22. November 2026"},
		{"long date en", en.DateLong(day), "22 November 2026"},
		{"date time de", de.DateTime(day), "22.11.2026, 14:05 Uhr"},
		{"date time en", en.DateTime(day), "22 Nov 2026, 14:05"},
		{"money de", de.Money(d("1234.5"), "EUR"), "1.234,50\u00a0€"},
		{"money en", en.Money(d("1234.5"), "EUR"), "€1,234.50"},
		{"money de millions", de.Money(d("1234567.891"), "EUR"), "1.234.567,89\u00a0€"},
		{"money en negative", en.Money(d("-30.5"), "EUR"), "-€30.50"},
		{"money de negative", de.Money(d("-30.5"), "EUR"), "-30,50\u00a0€"},
		{"money de small", de.Money(d("0.5"), "EUR"), "0,50\u00a0€"},
		{"money other currency de", de.Money(d("1000"), "USD"), "1.000,00\u00a0USD"},
		{"money other currency en", en.Money(d("1000"), "USD"), "USD\u00a01,000.00"},
		{"money string", de.MoneyString("30.50", "EUR"), "30,50\u00a0€"},
		{"money string unparsable", de.MoneyString("abc", "EUR"), "abc"},
		{"negative zero", de.Number(d("-0.001"), 2), "0,00"},
		{"number no decimals", en.Number(d("123456"), 0), "123,456"},
		{"number three digits", de.Number(d("999.999"), 2), "1.000,00"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	tests := []struct {
		header string
		want   Lang
	}{
		{"", De},
		{"en", En},
		{"en-GB,en;q=0.9", En},
		{"fr-FR,fr;q=0.9,en;q=0.8,de;q=0.7", En},
		{"de-DE,de;q=0.9,en;q=0.8", De},
		{"en;q=0.5,de;q=0.9", De},
		{"fr", De},
		{"en;q=0", De},
		{"en;q=abc,de", De},
		{"*", De},
	}
	for _, tt := range tests {
		if got := FromAcceptLanguage(tt.header); got != tt.want {
			t.Errorf("FromAcceptLanguage(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

func TestFromRequestPrecedence(t *testing.T) {
	tests := []struct {
		name, target, cookie, accept string
		want                         Lang
	}{
		{"default", "/", "", "", De},
		{"accept", "/", "", "en-US", En},
		{"cookie over accept", "/", "de", "en-US", De},
		{"query over cookie", "/?lang=en", "de", "", En},
		{"unknown query ignored", "/?lang=xx", "en", "", En},
		{"unknown cookie ignored", "/", "xx", "en", En},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			if tt.cookie != "" {
				r.Header.Set("Cookie", CookieName+"="+tt.cookie)
			}
			if tt.accept != "" {
				r.Header.Set("Accept-Language", tt.accept)
			}
			if got := FromRequest(r); got != tt.want {
				t.Errorf("FromRequest = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	var got []string
	for _, s := range []string{"de", "EN", "en-GB", "de_AT", "fr", "", "english"} {
		l, ok := Parse(s)
		got = append(got, string(l)+"/"+map[bool]string{true: "ok", false: "no"}[ok])
	}
	want := []string{"de/ok", "en/ok", "en/ok", "de/ok", "/no", "/no", "/no"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}
