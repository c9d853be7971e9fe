// Package demo is the local demo payment provider: a stand-in for a real
// platform, for the demo city and tests, clearly labelled as taking no
// real money. It behaves like a real adapter where it matters — the payer
// is sent to the provider's own page, and the result comes back as a
// callback signed with HMAC-SHA256 that payments verifies before it
// changes anything.
package demo

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/payments"
)

// Name is the provider's name in URLs and records.
const Name = "demo"

// SignatureHeader carries the hex HMAC-SHA256 of the body.
const SignatureHeader = "X-Demo-Signature"

// Provider is the demo provider. Its checkout page is served by the
// payments module at PagePath + payment reference.
type Provider struct {
	Secret []byte
}

// PagePath is where the demo provider's checkout page lives.
const PagePath = "/demo-bezahldienst/"

func (p *Provider) Name() string  { return Name }
func (p *Provider) Label() string { return "Demo-Bezahldienst (keine echte Zahlung)" }

// Start sends the payer to the demo checkout page.
func (p *Provider) Start(ctx context.Context, c payments.Checkout) (payments.Redirect, error) {
	q := url.Values{"zurueck": {c.ReturnURL}}
	return payments.Redirect{ProviderID: "demo-" + c.Payment, URL: PagePath + c.Payment + "?" + q.Encode()}, nil
}

// Sign returns the signature of a callback body.
func (p *Provider) Sign(body []byte) string {
	m := hmac.New(sha256.New, p.Secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Callback builds a signed notification for an online payment.
func (p *Provider) Callback(payment, status string, amount decimal.Decimal) (http.Header, []byte) {
	var b [8]byte
	rand.Read(b[:])
	body, _ := json.Marshal(payments.Event{ID: "evt-" + hex.EncodeToString(b[:]), Payment: payment, ProviderID: "demo-" + payment, Status: status, Amount: amount})
	h := http.Header{}
	h.Set(SignatureHeader, p.Sign(body))
	h.Set("Content-Type", "application/json")
	return h, body
}

// Verify checks the signature and reads the event.
func (p *Provider) Verify(header http.Header, body []byte) (payments.Event, error) {
	if len(p.Secret) == 0 {
		return payments.Event{}, errors.New("demo provider has no secret")
	}
	sig, err := hex.DecodeString(header.Get(SignatureHeader))
	if err != nil || len(sig) != sha256.Size {
		return payments.Event{}, errors.New("missing or malformed signature")
	}
	m := hmac.New(sha256.New, p.Secret)
	m.Write(body)
	if !hmac.Equal(sig, m.Sum(nil)) {
		return payments.Event{}, errors.New("signature does not match")
	}
	var ev payments.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return payments.Event{}, fmt.Errorf("body: %w", err)
	}
	if ev.ID == "" || ev.Payment == "" {
		return payments.Event{}, errors.New("event without id or payment")
	}
	return ev, nil
}

// Refund pretends to send the money back.
func (p *Provider) Refund(ctx context.Context, providerID string, amount decimal.Decimal) (string, error) {
	var b [6]byte
	rand.Read(b[:])
	return "demo-refund-" + hex.EncodeToString(b[:]), nil
}
