package app

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

func TestPaymentsEPCQRCommand(t *testing.T) {
	in := installation{dir: t.TempDir()}
	out := filepath.Join(t.TempDir(), "qr.png")
	stdout, _, code := in.run(t, "payments", "epc-qr", "--name", "Stadtkasse Müßstadt", "--iban", "DE89 3704 0044 0532 0130 00",
		"--amount", "30,50", "--reference", "RF18 5390 0754 7034", "--bic", "COBADEFFXXX", "--out", out)
	want := "BCD\n002\n2\nSCT\nCOBADEFFXXX\nStadtkasse Müßstadt\nDE89370400440532013000\nEUR30.50\n\nRF18539007547034\n"
	if code != 0 || stdout != want {
		t.Fatalf("exit %d, stdout %q, want %q", code, stdout, want)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_CHARACTER_SET: "ISO-8859-1"})
	if err != nil {
		t.Fatal(err)
	}
	// ISO 8859-1 bytes read as ISO 8859-1 are the payload's characters.
	if res.GetText()+"\n" != want {
		t.Errorf("QR holds %q", res.GetText())
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"bad IBAN", []string{"--iban", "DE89370400440532013001", "--amount", "1", "--remittance", "x"}},
		{"bad RF", []string{"--iban", "DE89370400440532013000", "--amount", "1", "--reference", "RF19539007547034"}},
		{"bad amount", []string{"--iban", "DE89370400440532013000", "--amount", "1.005", "--remittance", "x"}},
		{"amount too large", []string{"--iban", "DE89370400440532013000", "--amount", "1000000000", "--remittance", "x"}},
		{"both texts", []string{"--iban", "DE89370400440532013000", "--amount", "1", "--remittance", "x", "--reference", "RF18539007547034"}},
	} {
		os.Remove(out)
		args := append([]string{"payments", "epc-qr", "--name", "Stadt", "--out", out}, tc.args...)
		stdout, stderr, code := in.run(t, args...)
		if code != 2 || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", tc.name, code, stdout, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: wrote a PNG", tc.name)
		}
	}
}

func TestPaymentsCamtCommand(t *testing.T) {
	in := installation{dir: t.TempDir()}
	dir := filepath.Join("..", "payments", "camt", "testdata")
	stdout, _, code := in.run(t, "payments", "camt", "--json", filepath.Join(dir, "camt053.v2.minimal.xml"))
	var doc struct {
		MessageID  string `json:"message_id"`
		Type       string `json:"type"`
		Statements []struct {
			ID      string `json:"id"`
			Account struct {
				IBAN string  `json:"iban"`
				Name *string `json:"name"`
			} `json:"account"`
			Balances []json.RawMessage `json:"balances"`
			Entries  []struct {
				Amount, Currency, CreditDebit, Status, BookingDate, ValueDate string
				AccountServicerReference                                      *string `json:"account_servicer_reference"`
				Details                                                       []struct {
					EndToEndID *string           `json:"end_to_end_id"`
					Remittance json.RawMessage   `json:"remittance"`
					Parties    []json.RawMessage `json:"parties"`
				} `json:"details"`
			} `json:"entries"`
		} `json:"statements"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &doc) != nil {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	var loose map[string]any
	json.Unmarshal([]byte(stdout), &loose)
	e := loose["statements"].([]any)[0].(map[string]any)["entries"].([]any)[0].(map[string]any)
	for k, want := range map[string]string{"amount": "8.85", "currency": "EUR", "credit_debit": "CRDT", "status": "BOOK", "booking_date": "2014-12-31", "value_date": "2015-01-02", "account_servicer_reference": ""} {
		if e[k] != want {
			t.Errorf("entry %s = %v, want %q", k, e[k], want)
		}
	}
	st := doc.Statements[0]
	if doc.Type != "camt.053.001.02" || st.Account.IBAN != "NL26VAYB8060476890" || st.Account.Name == nil || len(st.Balances) != 4 ||
		st.Entries[0].Details[0].EndToEndID == nil || len(st.Entries[0].Details[0].Parties) != 2 {
		t.Errorf("document %s", stdout)
	}
	stdout, _, code = in.run(t, "payments", "camt", "--json", filepath.Join(dir, "camt053.v2.wrong.xml"))
	if code != 1 || !strings.Contains(stdout, `"valid": false`) {
		t.Errorf("wrong file: exit %d %s", code, stdout)
	}
	if _, _, code := in.run(t, "payments", "camt", filepath.Join(dir, "missing.xml")); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
}
