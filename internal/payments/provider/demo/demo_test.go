package demo

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/payments"
)

func TestSignedCallbacks(t *testing.T) {
	p := &Provider{Secret: []byte("geheim")}
	h, body := p.Callback("O-7K3M-Q9TX", payments.EventPaid, decimal.RequireFromString("30.50"))
	ev, err := p.Verify(h, body)
	if err != nil || ev.Payment != "O-7K3M-Q9TX" || ev.Status != payments.EventPaid || ev.Amount.StringFixed(2) != "30.50" || !strings.HasPrefix(ev.ID, "evt-") {
		t.Fatalf("verify own callback: %+v %v", ev, err)
	}
	tampered := []byte(strings.Replace(string(body), "30.5", "0.01", 1))
	if _, err := p.Verify(h, tampered); err == nil {
		t.Error("tampered body accepted")
	}
	if _, err := (&Provider{Secret: []byte("anders")}).Verify(h, body); err == nil {
		t.Error("other secret accepted")
	}
	if _, err := p.Verify(http.Header{}, body); err == nil {
		t.Error("missing signature accepted")
	}
	if _, err := (&Provider{}).Verify(h, body); err == nil {
		t.Error("provider without secret accepted a callback")
	}
	red, err := p.Start(context.Background(), payments.Checkout{Payment: "O-7K3M-Q9TX", ReturnURL: "/zahlungen/Z-1/online/O-7K3M-Q9TX"})
	if err != nil || !strings.HasPrefix(red.URL, PagePath+"O-7K3M-Q9TX?") || red.ProviderID != "demo-O-7K3M-Q9TX" {
		t.Errorf("start: %+v %v", red, err)
	}
}
