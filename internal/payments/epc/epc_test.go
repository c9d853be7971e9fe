package epc

import (
	"bytes"
	"encoding/hex"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"

	"github.com/rathaus/rathaus/internal/platform/datasets"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

func TestRF(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"RF18539007547034", true}, {"RF18 5390 0754 7034", true}, {"rf18539007547034", true},
		{"RF19539007547034", false}, {"RF18539007547035", false}, {"RF1853900754703X", false},
		{"RF18", false}, {"XX18539007547034", false}, {"RF18-5390", false},
		{"RF" + strings.Repeat("9", 24), false},
	} {
		if got := ValidRF(tc.in); got != tc.want {
			t.Errorf("ValidRF(%q) = %v", tc.in, got)
		}
	}
	rf, err := NewRF("539007547034")
	if err != nil || rf != "RF18539007547034" {
		t.Errorf("NewRF = %q, %v", rf, err)
	}
	if _, err := NewRF("ÄB"); err == nil {
		t.Error("NewRF accepted a non-alphanumeric body")
	}
	for i := 0; i < 200; i++ {
		if r := RandomRF(12); !ValidRF(r) || len(r) != 16 {
			t.Fatalf("RandomRF gave %q", r)
		}
	}
	if g := GroupRF("RF18539007547034"); g != "RF18 5390 0754 7034" {
		t.Errorf("GroupRF = %q", g)
	}
}

func TestIBAN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"DE89370400440532013000", true}, {"DE89 3704 0044 0532 0130 00", true}, {"NL26VAYB8060476890", true},
		{"CH2801234000123456789", true}, {"CH2901234000123456789", false},
		{"DE89370400440532013001", false}, {"DE8937040044053201300", false}, {"ZZ89370400440532013000", false}, {"de89370400440532013000", true},
	} {
		if got := ValidIBAN(NormalizeIBAN(tc.in)); got != tc.want {
			t.Errorf("ValidIBAN(%q) = %v", tc.in, got)
		}
	}
}

func amount(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestPayload(t *testing.T) {
	cases := []struct {
		name    string
		p       Payment
		want    string
		charset int
	}{
		{"reference, latin-1 umlauts", Payment{BIC: "COBADEFFXXX", Name: "Stadtkasse Müßstadt", IBAN: "DE89370400440532013000", Amount: amount("30.5"), Reference: "RF18 5390 0754 7034"},
			"BCD\n002\n2\nSCT\nCOBADEFFXXX\nStadtkasse Müßstadt\nDE89370400440532013000\nEUR30.50\n\nRF18539007547034", Latin1},
		{"remittance without BIC", Payment{Name: "Stadt Musterstadt", IBAN: "DE89370400440532013000", Amount: amount("12"), Remittance: "Hundesteuer 2026 Bello"},
			"BCD\n002\n2\nSCT\n\nStadt Musterstadt\nDE89370400440532013000\nEUR12.00\n\n\nHundesteuer 2026 Bello", Latin1},
		{"euro sign needs UTF-8", Payment{Name: "Stadt Musterstadt", IBAN: "DE89370400440532013000", Amount: amount("1.23"), Remittance: "Gebühr 1,23 €"},
			"BCD\n002\n1\nSCT\n\nStadt Musterstadt\nDE89370400440532013000\nEUR1.23\n\n\nGebühr 1,23 €", UTF8},
		{"Polish name needs UTF-8", Payment{Name: "Miasto Łódź", IBAN: "DE89370400440532013000", Amount: amount("999999999.99"), Reference: "RF18539007547034", Information: "Danke"},
			"BCD\n002\n1\nSCT\n\nMiasto Łódź\nDE89370400440532013000\nEUR999999999.99\n\nRF18539007547034\n\nDanke", UTF8},
		{"no amount, no text", Payment{Name: "Stadt", IBAN: "DE89370400440532013000"},
			"BCD\n002\n2\nSCT\n\nStadt\nDE89370400440532013000", Latin1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text, cs, err := tc.p.Text()
			if err != nil {
				t.Fatal(err)
			}
			if text != tc.want || cs != tc.charset {
				t.Errorf("text %q (charset %d), want %q (%d)", text, cs, tc.want, tc.charset)
			}
			b, cs2, err := tc.p.Payload()
			if err != nil || cs2 != cs {
				t.Fatal(err)
			}
			if got := decodeCharset(t, b, cs); got != tc.want {
				t.Errorf("payload bytes read as charset %d: %q", cs, got)
			}
			if cs == Latin1 && strings.ContainsAny(tc.want, "äöüß") && bytes.Equal(b, []byte(tc.want)) {
				t.Error("latin-1 payload holds UTF-8 bytes")
			}
		})
	}
}

func TestPayloadRefuses(t *testing.T) {
	ok := Payment{Name: "Stadt", IBAN: "DE89370400440532013000", Amount: amount("10")}
	for _, tc := range []struct {
		mod   func(*Payment)
		field string
		code  string
	}{
		{func(p *Payment) { p.IBAN = "DE89370400440532013001" }, "iban", "invalid_iban"},
		{func(p *Payment) { p.BIC = "COBA" }, "bic", "invalid_bic"},
		{func(p *Payment) { p.Name = "" }, "name", "required"},
		{func(p *Payment) { p.Name = strings.Repeat("x", 71) }, "name", "too_long"},
		{func(p *Payment) { p.Name = "Stadt\nBCD" }, "name", "no_line_breaks"},
		{func(p *Payment) { p.Amount = amount("0.001") }, "amount", "invalid_amount"},
		{func(p *Payment) { p.Amount = amount("1000000000") }, "amount", "invalid_amount"},
		{func(p *Payment) { p.Amount = amount("-5") }, "amount", "invalid_amount"},
		{func(p *Payment) { p.Reference = "RF19539007547034" }, "reference", "invalid_rf"},
		{func(p *Payment) { p.Reference = "RF18539007547034"; p.Remittance = "x" }, "remittance", "reference_or_remittance"},
		{func(p *Payment) { p.Remittance = strings.Repeat("ü", 141) }, "remittance", "too_long"},
		{func(p *Payment) { p.Information = strings.Repeat("i", 71) }, "information", "too_long"},
	} {
		p := ok
		tc.mod(&p)
		_, _, err := p.Payload()
		if !fault.HasCode(err, tc.field, tc.code) {
			t.Errorf("%+v: %v, want %s %s", p, err, tc.field, tc.code)
		}
	}
	for _, s := range []string{"1.234", "abc", "", "1,2,3", "-1", "1e3"} {
		if _, err := ParseAmount(s); err == nil {
			t.Errorf("ParseAmount(%q) accepted", s)
		}
	}
	for s, want := range map[string]string{"12,30": "12.3", "12.30": "12.3", "7": "7", "0.10": "0.1"} {
		if d, err := ParseAmount(s); err != nil || d.String() != want {
			t.Errorf("ParseAmount(%q) = %s, %v", s, d, err)
		}
	}
}

func decodeCharset(t *testing.T, b []byte, cs int) string {
	t.Helper()
	if cs == Latin1 {
		s, err := charmap.ISO8859_1.NewDecoder().Bytes(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(s)
	}
	return string(b)
}

// charsetOfLine3 reads line 3 of decoded bytes (ASCII in either set).
func charsetOfLine3(t *testing.T, b []byte) int {
	t.Helper()
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) < 3 {
		t.Fatalf("decoded %q has no line 3", b)
	}
	n, err := strconv.Atoi(string(lines[2]))
	if err != nil {
		t.Fatalf("line 3 %q", lines[2])
	}
	return n
}

var decodeCases = []Payment{
	{BIC: "COBADEFFXXX", Name: "Stadtkasse Musterstadt – Kämmerei", IBAN: "DE89370400440532013000", Amount: amount("30.50"), Reference: RandomRF(21), Information: "Bewohnerparkausweis Größe Ä"},
	{Name: "Stadtkasse Müßstadt", IBAN: "DE89370400440532013000", Amount: amount("12.00"), Remittance: "Hundesteuer 2026 für Bello, Bärbel Öztürk-Weiß"},
	{Name: "Ville de Besançon €", IBAN: "FR7630006000011234567890189", Amount: amount("0.01"), Remittance: strings.Repeat("ä€", 45)},
	{Name: "Stadt", IBAN: "DE89370400440532013000", Amount: amount("999999999.99"), Remittance: strings.Repeat("Ü", 140), Information: strings.Repeat("ö", 70)},
	// the largest payload (330 bytes): version 13
	{BIC: "COBADEFFXXX", Name: strings.Repeat("N", 70), IBAN: "DE89370400440532013000", Amount: amount("999999999.99"), Purpose: "GOVT", Remittance: strings.Repeat("ä", 140), Information: strings.Repeat("I", 48)},
}

// TestQRDecodeGo decodes the PNGs with an independent Go decoder (gozxing,
// characters read as ISO 8859-1 so that every byte comes back as itself),
// reads the bytes in the set line 3 names and compares byte for byte.
func TestQRDecodeGo(t *testing.T) {
	for i, p := range decodeCases {
		payload, cs, err := p.Payload()
		if err != nil {
			t.Fatal(err)
		}
		img, code := render(t, payload)
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_CHARACTER_SET: "ISO-8859-1", gozxing.DecodeHintType_PURE_BARCODE: false})
		if err != nil {
			t.Fatalf("case %d: gozxing: %v", i, err)
		}
		var got []byte
		for _, r := range res.GetText() {
			if r > 0xFF {
				t.Fatalf("case %d: decoded rune %U outside ISO 8859-1", i, r)
			}
			got = append(got, byte(r))
		}
		if !bytes.Equal(got, payload) {
			t.Errorf("case %d: decoded %q, want %q", i, got, payload)
		}
		if n := charsetOfLine3(t, got); n != cs {
			t.Errorf("case %d: line 3 says %d, payload is %d", i, n, cs)
		}
		want, _, _ := p.Text()
		if s := decodeCharset(t, got, cs); s != want {
			t.Errorf("case %d: read in charset %d: %q, want %q", i, cs, s, want)
		}
		if lvl := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL]; lvl != "M" {
			t.Errorf("case %d: level %v, want M", i, lvl)
		}
		if code.Version > MaxVersion {
			t.Errorf("case %d: version %d", i, code.Version)
		}
	}
}

// TestQRDecodeZbarConformance decodes with Debian's python3-zbar in binary
// mode (qrcode.binary): the raw bytes of the symbol, compared byte for byte.
func TestQRDecodeZbarConformance(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import zbar").Run(); err != nil {
		if datasets.Required() {
			t.Fatal("python3-zbar missing (apt-get install python3-zbar)")
		}
		t.Skip("python3-zbar not installed")
	}
	for i, p := range decodeCases {
		payload, cs, err := p.Payload()
		if err != nil {
			t.Fatal(err)
		}
		img, _ := render(t, payload)
		r := img.Bounds()
		raw := make([]byte, 0, r.Dx()*r.Dy())
		for y := 0; y < r.Dy(); y++ {
			for x := 0; x < r.Dx(); x++ {
				g, _, _, _ := img.At(x, y).RGBA()
				raw = append(raw, byte(g>>8))
			}
		}
		f := filepath.Join(t.TempDir(), "qr.y800")
		os.WriteFile(f, raw, 0o600)
		out, err := exec.Command(py, filepath.Join("testdata", "zbar_decode.py"), f, strconv.Itoa(r.Dx()), strconv.Itoa(r.Dy())).CombinedOutput()
		if err != nil {
			t.Fatalf("case %d: zbar: %v %s", i, err, out)
		}
		got, err := hex.DecodeString(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("case %d: zbar output %q", i, out)
		}
		if !bytes.Equal(got, payload) {
			t.Errorf("case %d: zbar decoded %q, want %q", i, got, payload)
		}
		want, _, _ := p.Text()
		if n := charsetOfLine3(t, got); n != cs || decodeCharset(t, got, n) != want {
			t.Errorf("case %d: zbar bytes read in charset %d: %q, want %q", i, n, decodeCharset(t, got, n), want)
		}
	}
}

func render(t *testing.T, payload []byte) (image.Image, *Code) {
	t.Helper()
	code, err := QR(payload)
	if err != nil {
		t.Fatal(err)
	}
	b, err := code.PNG(4)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img, code
}

// The PNG has at least 4 pixels per module and 4 white modules around.
func TestPNGGeometry(t *testing.T) {
	payload, _, _ := decodeCases[0].Payload()
	code, err := QR(payload)
	if err != nil {
		t.Fatal(err)
	}
	for _, px := range []int{1, 4, 6} {
		b, _ := code.PNG(px)
		img, _ := png.Decode(bytes.NewReader(b))
		scale := max(px, 4)
		n := len(code.Modules)
		if img.Bounds().Dx() != n*scale {
			t.Fatalf("px %d: width %d, want %d", px, img.Bounds().Dx(), n*scale)
		}
		dark := func(x, y int) bool { g, _, _, _ := img.At(x, y).RGBA(); return g < 0x8000 }
		first := -1
		for x := 0; x < img.Bounds().Dx() && first < 0; x++ {
			for y := 0; y < img.Bounds().Dy(); y++ {
				if dark(x, y) {
					first = x
					break
				}
			}
		}
		if first != QuietZone*scale {
			t.Errorf("px %d: first dark column %d, want %d (quiet zone of 4 modules)", px, first, QuietZone*scale)
		}
		// The finder pattern's corner module is dark and scale pixels wide.
		for d := 0; d < scale; d++ {
			if !dark(first+d, first) {
				t.Errorf("px %d: module not %d pixels wide", px, scale)
			}
		}
		if dark(first+7*scale, first) {
			t.Errorf("px %d: separator after the finder pattern is dark", px)
		}
	}
}

func TestQRRefusesLargeVersion(t *testing.T) {
	if _, err := QR(bytes.Repeat([]byte("x"), 400)); err == nil {
		t.Error("400 bytes accepted (version > 13)")
	}
	// The largest payload of the spec fits version 13 at level M.
	p := Payment{BIC: "COBADEFFXXX", Name: strings.Repeat("N", 70), IBAN: "DE89370400440532013000", Amount: amount("999999999.99"), Purpose: "GOVT", Remittance: strings.Repeat("R", 140), Information: strings.Repeat("I", 48)}
	b, _, err := p.Payload()
	if err != nil {
		t.Fatal(err)
	}
	c, err := QR(b)
	if err != nil || c.Version > 13 {
		t.Errorf("largest payload (%d bytes): %v, version %v", len(b), err, c)
	}
}
