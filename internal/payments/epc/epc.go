package epc

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Character sets of line 3.
const (
	UTF8   = 1
	Latin1 = 2
)

// Limits of EPC069-12 version 002.
const (
	MaxName        = 70
	MaxRemittance  = 140
	MaxInformation = 70
	MaxReference   = 35
	MaxPayload     = 331
	MaxVersion     = 13
)

var (
	minAmount = decimal.RequireFromString("0.01")
	maxAmount = decimal.RequireFromString("999999999.99")
)

// Payment is the content of one EPC QR code.
type Payment struct {
	BIC  string // optional inside the EEA
	Name string // beneficiary
	IBAN string
	// Amount in euros; zero leaves the amount to the payer.
	Amount decimal.Decimal
	// Purpose is an optional ISO 20022 purpose code (4 letters).
	Purpose string
	// Reference (an RF creditor reference) or Remittance (free text): at
	// most one of them.
	Reference   string
	Remittance  string
	Information string // note to the payer's app
}

// ParseAmount reads an amount in euros: "12.30", "12,30", "12" (at most
// two decimals).
func ParseAmount(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9') && r != '.' {
			return decimal.Zero, fmt.Errorf("amount %q: digits and a decimal point only", s)
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil || s == "" {
		return decimal.Zero, fmt.Errorf("amount %q is not a number", s)
	}
	if d.Exponent() < -2 && !d.Equal(d.Round(2)) {
		return decimal.Zero, fmt.Errorf("amount %q has more than two decimals", s)
	}
	return d, nil
}

// Validate checks every part and returns all problems.
func (p Payment) Validate() error {
	v := &fault.Validation{}
	if p.BIC != "" && !ValidBIC(p.BIC) {
		v.Add("bic", "invalid_bic")
	}
	switch n := utf8.RuneCountInString(p.Name); {
	case strings.TrimSpace(p.Name) == "":
		v.Add("name", "required")
	case n > MaxName:
		v.Add("name", "too_long", "max", MaxName)
	}
	if !ValidIBAN(p.IBAN) {
		v.Add("iban", "invalid_iban")
	}
	if !p.Amount.IsZero() {
		if p.Amount.LessThan(minAmount) || p.Amount.GreaterThan(maxAmount) || !p.Amount.Equal(p.Amount.Round(2)) {
			v.Add("amount", "invalid_amount", "min", "0.01", "max", "999999999.99")
		}
	}
	if p.Purpose != "" && (len(p.Purpose) != 4 || !alnum(strings.ToUpper(p.Purpose))) {
		v.Add("purpose", "invalid_purpose")
	}
	if p.Reference != "" && p.Remittance != "" {
		v.Add("remittance", "reference_or_remittance")
	}
	if p.Reference != "" && (!ValidRF(p.Reference) || len(NormalizeRF(p.Reference)) > MaxReference) {
		v.Add("reference", "invalid_rf")
	}
	if n := utf8.RuneCountInString(p.Remittance); n > MaxRemittance {
		v.Add("remittance", "too_long", "max", MaxRemittance)
	}
	if n := utf8.RuneCountInString(p.Information); n > MaxInformation {
		v.Add("information", "too_long", "max", MaxInformation)
	}
	for _, f := range []struct{ field, s string }{{"name", p.Name}, {"remittance", p.Remittance}, {"information", p.Information}} {
		if strings.ContainsAny(f.s, "\r\n") || !utf8.ValidString(f.s) {
			v.Add(f.field, "no_line_breaks")
		}
	}
	return v.Err()
}

// Text is the payload as text (UTF-8), without regard to the character
// set of line 3 other than naming it.
func (p Payment) Text() (string, int, error) {
	if err := p.Validate(); err != nil {
		return "", 0, err
	}
	amount := ""
	if !p.Amount.IsZero() {
		amount = "EUR" + p.Amount.StringFixed(2)
	}
	fields := []string{"BCD", "002", "", "SCT", p.BIC, strings.TrimSpace(p.Name), p.IBAN, amount, strings.ToUpper(p.Purpose),
		NormalizeRF(p.Reference), p.Remittance, p.Information}
	charset := Latin1
	for _, f := range fields {
		if !fitsLatin1(f) {
			charset = UTF8
		}
	}
	fields[2] = fmt.Sprint(charset)
	last := len(fields) - 1
	for last > 0 && fields[last] == "" {
		last--
	}
	return strings.Join(fields[:last+1], "\n"), charset, nil
}

// Payload returns the bytes of the QR code, in the character set named in
// line 3, and that set.
func (p Payment) Payload() ([]byte, int, error) {
	text, charset, err := p.Text()
	if err != nil {
		return nil, 0, err
	}
	var b []byte
	if charset == Latin1 {
		b = make([]byte, 0, len(text))
		for _, r := range text {
			b = append(b, byte(r))
		}
	} else {
		b = []byte(text)
	}
	if len(b) > MaxPayload {
		return nil, 0, fault.Invalid("remittance", "payload_too_long", "max", MaxPayload)
	}
	return b, charset, nil
}

func fitsLatin1(s string) bool {
	for _, r := range s {
		if r > 0xFF || (r >= 0x80 && r < 0xA0) {
			return false
		}
	}
	return true
}

// ErrTooLarge: the payload needs a QR version above 13.
var ErrTooLarge = errors.New("EPC QR code would need a version above 13")

// Code is a rendered QR symbol.
type Code struct {
	Version int
	// Modules is the symbol with its quiet zone: Modules[y][x] is dark.
	Modules [][]bool
}

// QR renders the payload at level M.
func QR(payload []byte) (*Code, error) {
	q, err := qrcode.New(string(payload), qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("EPC QR code: %w", err)
	}
	if q.VersionNumber > MaxVersion {
		return nil, fmt.Errorf("%w (needs %d)", ErrTooLarge, q.VersionNumber)
	}
	return &Code{Version: q.VersionNumber, Modules: q.Bitmap()}, nil
}

// QuietZone is the width of the white border in modules.
const QuietZone = 4

// PNG draws the code with px pixels per module (at least 4).
func (c *Code) PNG(px int) ([]byte, error) {
	px = max(px, 4)
	n := len(c.Modules)
	img := image.NewPaletted(image.Rect(0, 0, n*px, n*px), color.Palette{color.White, color.Black})
	for y, row := range c.Modules {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := 0; dy < px; dy++ {
				off := img.PixOffset(x*px, y*px+dy)
				for dx := 0; dx < px; dx++ {
					img.Pix[off+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
