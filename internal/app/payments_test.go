package app

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/platform/ref"

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

// paymentRequestFixture makes a payment request of tenant tn whose payer
// is the fixture citizen (not the citizen who makes the requests).
func paymentRequestFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	var account int64
	must(t, e.db.R.QueryRow(`SELECT id FROM accounts WHERE ref = $1`, citizenFixture(t, e, tn)).Scan(&account))
	c, err := e.payments().Create(ctx, identity.System(tn.ID), payments.NewRequest{TenantID: tn.ID, Subject: "FIXTURE", PayerAccountID: account,
		Amount: decimal.RequireFromString("9.99"), Purpose: "Fixture " + tn.Slug})
	must(t, err)
	return c.Ref
}

// onlinePaymentFixture starts a demo online payment of such a request.
func onlinePaymentFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	svc := e.payments()
	req := paymentRequestFixture(t, e, tn)
	to, err := svc.StartOnline(ctx, identity.System(tn.ID), tn.ID, req, "demo")
	must(t, err)
	u, _ := url.Parse(to)
	return strings.TrimPrefix(u.Path, "/demo-bezahldienst/")
}

// financeTaskFixture imports a statement with a transfer nobody asked for.
func financeTaskFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	ctx := context.Background()
	svc := e.payments()
	stmt := payments.GenerateStatement("FIX-"+ref.New("X"), "DE89370400440532013000", time.Now(), []payments.Credit{{Amount: "1.23", Name: "Fixture", Text: "?", ServicerRef: ref.New("S")}})
	_, err := svc.ImportStatement(ctx, identity.System(tn.ID), tn.ID, payments.SourceCLI, "fixture.xml", stmt)
	must(t, err)
	ts, err := svc.Tasks(ctx, identity.System(tn.ID), tn.ID, "open", 1)
	must(t, err)
	return ts[0].Ref
}

// paymentSettingsFixture gives a service only this tenant has a fee.
func paymentSettingsFixture(t *testing.T, e *env, tn *identity.Tenant) string {
	id := serviceFixture(t, e, tn)
	_, err := e.payments().PutSettings(context.Background(), identity.System(tn.ID), tn.ID, payments.Settings{ServiceID: id, Timing: payments.AfterSubmission,
		FeeKind: payments.FeeFixed, Amount: decimal.RequireFromString("5.00"), Purpose: "Fixture", DueDays: 14, ReminderDays: 7})
	must(t, err)
	return id
}

func init() {
	for _, p := range []string{"GET /api/v1/payment-requests/{id}", "POST /api/v1/payment-requests/{id}/cancel", "GET /api/v1/payment-requests/{id}/payments",
		"GET /zahlungen/{id}", "GET /zahlungen/{id}/qr.png", "GET /zahlungen/{id}/zahlungshinweis.pdf", "POST /zahlungen/{id}/online",
		"GET /zahlungen/{id}/online/{online}", "GET /zahlungen/{id}/quittungen/{receipt}"} {
		isolationFixtures[p] = paymentRequestFixture
	}
	for _, p := range []string{"GET /demo-bezahldienst/{id}", "POST /demo-bezahldienst/{id}"} {
		isolationFixtures[p] = onlinePaymentFixture
	}
	for _, p := range []string{"POST /api/v1/finance-tasks/{id}/resolve", "GET /verwaltung/zahlungen/aufgaben/{id}", "POST /verwaltung/zahlungen/aufgaben/{id}"} {
		isolationFixtures[p] = financeTaskFixture
	}
	for _, p := range []string{"GET /api/v1/payment-settings/{id}", "PUT /api/v1/payment-settings/{id}"} {
		isolationFixtures[p] = paymentSettingsFixture
	}
}
