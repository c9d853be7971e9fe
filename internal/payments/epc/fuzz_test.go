package epc

import (
	"testing"
	"unicode/utf8"
)

// FuzzPayment: any text in any field either is refused or gives a payload
// whose line 3 names a set in which the bytes read back as the text.
func FuzzPayment(f *testing.F) {
	f.Add("Stadtkasse Müßstadt", "DE89370400440532013000", "30,50", "RF18539007547034", "", "COBADEFFXXX")
	f.Add("Łódź", "DE89 3704 0044 0532 0130 00", "0.01", "", "Gebühr €", "")
	f.Fuzz(func(t *testing.T, name, iban, amount, ref, text, bic string) {
		a, err := ParseAmount(amount)
		if err != nil {
			return
		}
		p := Payment{Name: name, IBAN: NormalizeIBAN(iban), Amount: a, Reference: ref, Remittance: text, BIC: bic}
		b, cs, err := p.Payload()
		if err != nil {
			return
		}
		want, _, _ := p.Text()
		var got string
		if cs == Latin1 {
			rs := make([]rune, len(b))
			for i, c := range b {
				rs[i] = rune(c)
			}
			got = string(rs)
		} else {
			if !utf8.Valid(b) {
				t.Fatal("UTF-8 payload is not UTF-8")
			}
			got = string(b)
		}
		if got != want || len(b) > MaxPayload {
			t.Fatalf("payload %q reads %q, want %q", b, got, want)
		}
		if ref != "" && !ValidRF(ref) {
			t.Fatal("accepted an invalid RF")
		}
	})
}
