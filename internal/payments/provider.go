package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Provider is an online payment platform (the states' ePayBL, pmPayment,
// a card acquirer ...). An adapter lives in provider/NAME and is
// registered by the composition root; see docs/payments-providers.md.
//
// The flow: Start registers the payment at the platform and returns the
// page to send the payer to; the platform later calls our callback
// (POST /api/v1/payments/callback/{provider}) — Verify checks its
// signature and reads the event; events are applied once each (by their
// id) and in an allowed order, so repeated or late callbacks change
// nothing. Refund gives money back through the platform.
type Provider interface {
	Name() string
	// Label is what the payer sees ("Demo-Bezahldienst — keine echte Zahlung").
	Label() string
	Start(ctx context.Context, c Checkout) (Redirect, error)
	// Verify authenticates a callback and returns its event; an error
	// means forged or malformed.
	Verify(header http.Header, body []byte) (Event, error)
	Refund(ctx context.Context, providerID string, amount decimal.Decimal) (string, error)
}

// Checkout is a payment to start at a provider.
type Checkout struct {
	TenantID  int64
	Payment   string // our reference of the online payment ("O-XXXX-XXXX")
	Amount    decimal.Decimal
	Purpose   string
	ReturnURL string // where the platform sends the payer back (a path or URL)
}

// Redirect is where to send the payer.
type Redirect struct {
	ProviderID string
	URL        string
}

// Provider event statuses.
const (
	EventPaid      = "paid"
	EventFailed    = "failed"
	EventCancelled = "cancelled"
	EventRefunded  = "refunded"
)

// Event is a verified notification of a provider.
type Event struct {
	ID         string          `json:"event_id"`
	Payment    string          `json:"payment"`
	ProviderID string          `json:"provider_id"`
	Status     string          `json:"status"`
	Amount     decimal.Decimal `json:"amount"`
}

// ErrForged: a callback whose signature does not verify.
var ErrForged = errors.New("callback signature invalid")

// Online is an online payment of a request.
type Online struct {
	Ref      string          `json:"id"`
	Request  string          `json:"request"`
	Provider string          `json:"provider"`
	Status   string          `json:"status"`
	Amount   decimal.Decimal `json:"amount"`
}

// StartOnline starts paying a request's outstanding amount at a provider
// and returns the URL to send the payer to. Whoever may see the request
// may pay it.
func (s *Service) StartOnline(ctx context.Context, p identity.Principal, tenantID int64, reqRef, providerName string) (string, error) {
	r, err := s.Request(ctx, p, tenantID, reqRef)
	if err != nil {
		return "", err
	}
	prov := s.Providers[providerName]
	if prov == nil {
		return "", fault.Invalid("provider", "invalid_choice")
	}
	if r.Status != StatusOpen && r.Status != StatusPartial {
		return "", fmt.Errorf("pay %s (%s): %w", r.Ref, r.Status, fault.ErrConflict)
	}
	online := ref.New("O")
	amount := r.Outstanding()
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO provider_payments (tenant_id, ref, request_id, provider, amount, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'created', $6, $6)`, tenantID, online, r.ID, providerName, amount.StringFixed(2), tx.Now())
		if err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actorOf(p), Action: "payment.online.start", ObjectType: "payment_request", ObjectRef: r.Ref,
			After: map[string]any{"online": online, "provider": providerName, "amount": amount.StringFixed(2)}})
	})
	if err != nil {
		return "", fmt.Errorf("start online payment: %w", err)
	}
	red, err := prov.Start(ctx, Checkout{TenantID: tenantID, Payment: online, Amount: amount, Purpose: r.Purpose, ReturnURL: r.URL() + "/online/" + online})
	if err != nil {
		return "", fmt.Errorf("start online payment at %s: %w: %w", providerName, fault.ErrUnavailable, err)
	}
	if _, err := s.DB.W.ExecContext(ctx, `UPDATE provider_payments SET provider_id = $1 WHERE tenant_id = $2 AND ref = $3`, red.ProviderID, tenantID, online); err != nil {
		return "", err
	}
	return red.URL, nil
}

func actorOf(p identity.Principal) string {
	if p.Ref == "" {
		return "anonymous"
	}
	return p.Ref
}

// HandleCallback verifies and applies a provider's notification. A
// forged or malformed one changes nothing, is audited and answered with
// ErrForged (400). Each event is applied once; a paid event books the
// online payment's amount for its request (once: the receipt is keyed by
// the online payment), a refunded event records the refund.
func (s *Service) HandleCallback(ctx context.Context, tenantID int64, providerName string, header http.Header, body []byte) error {
	prov := s.Providers[providerName]
	if prov == nil {
		return fmt.Errorf("payment provider %q: %w", providerName, fault.ErrNotFound)
	}
	ev, err := prov.Verify(header, body)
	if err != nil {
		aerr := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
			return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "anonymous", Action: "payment.callback.forged", ObjectType: "provider", ObjectRef: providerName,
				After: map[string]any{"reason": err.Error(), "bytes": len(body)}})
		})
		return errors.Join(fmt.Errorf("%w: %w: %s", fault.ErrBadRequest, ErrForged, providerName), aerr)
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var id, reqID int64
		var status, amount string
		err := tx.QueryRowContext(ctx, `SELECT id, request_id, status, amount FROM provider_payments WHERE tenant_id = $1 AND ref = $2 AND provider = $3`+s.DB.ForUpdate(),
			tenantID, ev.Payment, providerName).Scan(&id, &reqID, &status, &amount)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: unknown payment %s", fault.ErrBadRequest, ev.Payment)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO provider_events (tenant_id, provider, event_id, payment_id, status, received_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT DO NOTHING`, tenantID, providerName, ev.ID, id, ev.Status, tx.Now())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // seen before: idempotent
		}
		next, ok := transition(status, ev.Status)
		if !ok {
			return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: providerName, Action: "payment.callback.ignored", ObjectType: "online_payment", ObjectRef: ev.Payment,
				After: map[string]any{"event": ev.ID, "from": status, "status": ev.Status}})
		}
		want, _ := decimal.NewFromString(amount)
		if !ev.Amount.Equal(want) {
			_, err := s.addTask(tx, task{tenantID: tenantID, kind: "not_booked", requestID: reqID, amount: ev.Amount.StringFixed(2),
				detail: fmt.Sprintf("%s reported %s for online payment %s of %s: not booked", providerName, ev.Amount.StringFixed(2), ev.Payment, amount)})
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE provider_payments SET status = $1, updated_at = $2 WHERE id = $3`, next, tx.Now(), id); err != nil {
			return err
		}
		if err := audit.Append(tx, audit.Event{TenantID: tenantID, Actor: providerName, Action: "payment.online." + next, ObjectType: "online_payment", ObjectRef: ev.Payment,
			Before: map[string]string{"status": status}, After: map[string]any{"status": next, "event": ev.ID}}); err != nil {
			return err
		}
		if next != "paid" {
			return nil
		}
		r, err := requestBy(ctx, tx, s.DB.ForUpdate(), tenantID, "id", reqID)
		if err != nil {
			return err
		}
		if r.Status == StatusPaid || r.Status == StatusCancelled {
			// Paid meanwhile by transfer: the online money goes back.
			return s.refundTask(tx, r, "paid_twice", want, 0, fmt.Sprintf("online payment %s arrived for a request already %s", ev.Payment, r.Status))
		}
		_, _, err = s.applyPayment(tx, r, incoming{source: "provider", externalID: ev.Payment, amount: want,
			receivedOn: calendar.DateOf(tx.Now(), calendar.Berlin).String(), method: providerName, confidence: "1.00", actor: providerName})
		return err
	})
}

// transition is the allowed order of an online payment's statuses.
func transition(from, event string) (string, bool) {
	switch {
	case from == "created" && (event == EventPaid || event == EventFailed || event == EventCancelled):
		return event, true
	case from == "paid" && event == EventRefunded:
		return "refunded", true
	}
	return "", false
}

// OnlinePayment returns an online payment of a request (its status for
// the return page).
func (s *Service) OnlinePayment(ctx context.Context, p identity.Principal, tenantID int64, reqRef, onlineRef string) (*Online, error) {
	r, err := s.Request(ctx, p, tenantID, reqRef)
	if err != nil {
		return nil, err
	}
	o := Online{Ref: onlineRef, Request: r.Ref}
	var amount string
	err = s.DB.R.QueryRowContext(ctx, `SELECT provider, status, amount FROM provider_payments WHERE tenant_id = $1 AND ref = $2 AND request_id = $3`, tenantID, onlineRef, r.ID).
		Scan(&o.Provider, &o.Status, &amount)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("online payment %s: %w", onlineRef, fault.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	o.Amount, _ = decimal.NewFromString(amount)
	return &o, nil
}

// RefundOnline gives a paid online payment back through its provider
// (finance, admins) and records the refund.
func (s *Service) RefundOnline(ctx context.Context, p identity.Principal, tenantID int64, onlineRef string) error {
	if err := p.Require(tenantID, financeRoles...); err != nil {
		return err
	}
	var reqID int64
	var providerName, providerID, status, amount string
	err := s.DB.R.QueryRowContext(ctx, `SELECT request_id, provider, provider_id, status, amount FROM provider_payments WHERE tenant_id = $1 AND ref = $2`, tenantID, onlineRef).
		Scan(&reqID, &providerName, &providerID, &status, &amount)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("online payment %s: %w", onlineRef, fault.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if status != "paid" {
		return fmt.Errorf("refund %s (%s): %w", onlineRef, status, fault.ErrConflict)
	}
	prov := s.Providers[providerName]
	if prov == nil {
		return fmt.Errorf("provider %s not configured: %w", providerName, fault.ErrUnavailable)
	}
	amt, _ := decimal.NewFromString(amount)
	refundID, err := prov.Refund(ctx, providerID, amt)
	if err != nil {
		return fmt.Errorf("refund at %s: %w: %w", providerName, fault.ErrUnavailable, err)
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO refunds (tenant_id, ref, request_id, amount, method, status, created_at, created_by, done_at)
			VALUES ($1, $2, $3, $4, 'provider', 'done', $5, $6, $5)`, tenantID, ref.New("R"), reqID, amount, tx.Now(), p.Ref); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "payment.online.refund", ObjectType: "online_payment", ObjectRef: onlineRef,
			After: map[string]any{"amount": amount, "provider_refund": refundID}})
	})
}

// OnlineByRef returns an online payment and its request to whoever may
// see the request (the provider's checkout page).
func (s *Service) OnlineByRef(ctx context.Context, p identity.Principal, tenantID int64, onlineRef string) (*Online, *Request, error) {
	var reqID int64
	o := Online{Ref: onlineRef}
	var amount string
	err := s.DB.R.QueryRowContext(ctx, `SELECT request_id, provider, status, amount FROM provider_payments WHERE tenant_id = $1 AND ref = $2`, tenantID, onlineRef).
		Scan(&reqID, &o.Provider, &o.Status, &amount)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("online payment %s: %w", onlineRef, fault.ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	r, err := requestBy(ctx, s.DB.R, "", tenantID, "id", reqID)
	if err != nil {
		return nil, nil, err
	}
	if !s.maySee(p, tenantID, r) {
		return nil, nil, fmt.Errorf("online payment %s: %w", onlineRef, fault.ErrNotFound)
	}
	o.Request = r.Ref
	o.Amount, _ = decimal.NewFromString(amount)
	return &o, r, nil
}
