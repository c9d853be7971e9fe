package payments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/catalog"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Fee kinds of a service's payment settings.
const (
	FeeFixed       = "fixed"        // Amount
	FeePerQuantity = "per_quantity" // Amount × quantity (e.g. per copy, per dog)
	FeeStepped     = "rule"         // Rule: the first matching step
)

// Timing says when a service's fee is requested.
const (
	BeforeSubmission = "before_submission" // pay to submit (the form asks for the payment)
	AfterSubmission  = "after_submission"  // the case requests it (e.g. before the decision)
	NoPayment        = "none"
)

// FeeRule is a simple stepped rule: the fee of the first step whose
// threshold the quantity does not exceed, else Above.
type FeeRule struct {
	Steps []FeeStep       `json:"steps"`
	Above decimal.Decimal `json:"above"`
}

// FeeStep is one step: up to (and including) UpTo units cost Amount.
type FeeStep struct {
	UpTo   int             `json:"up_to"`
	Amount decimal.Decimal `json:"amount"`
}

// Settings are a service's payment settings.
type Settings struct {
	ServiceID string          `json:"service_id"`
	Timing    string          `json:"timing"`
	FeeKind   string          `json:"fee_kind"`
	Amount    decimal.Decimal `json:"amount"`
	Rule      *FeeRule        `json:"rule,omitempty"`
	// QuantityField names the form answer that counts the units of a
	// per-quantity or stepped fee ("duration": months); "" is one unit.
	QuantityField string    `json:"quantity_field,omitempty"`
	Purpose       string    `json:"purpose"`
	Unit          string    `json:"unit"`
	CostCentre    string    `json:"cost_centre"`
	DueDays       int       `json:"due_days"`
	ReminderDays  int       `json:"reminder_days"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Fee computes the fee for a quantity (1 for fixed fees).
func (st *Settings) Fee(quantity int) (decimal.Decimal, error) {
	if quantity < 1 {
		return decimal.Zero, fault.Invalid("quantity", "out_of_range", "min", 1, "max", 10000)
	}
	switch st.FeeKind {
	case FeeFixed:
		return st.Amount, nil
	case FeePerQuantity:
		return st.Amount.Mul(decimal.NewFromInt(int64(quantity))), nil
	case FeeStepped:
		if st.Rule == nil {
			return decimal.Zero, fmt.Errorf("fee rule of %s missing", st.ServiceID)
		}
		for _, s := range st.Rule.Steps {
			if quantity <= s.UpTo {
				return s.Amount, nil
			}
		}
		return st.Rule.Above, nil
	}
	return decimal.Zero, fmt.Errorf("fee kind %q", st.FeeKind)
}

func (st *Settings) validate() error {
	v := &fault.Validation{}
	switch st.Timing {
	case BeforeSubmission, AfterSubmission, NoPayment:
	default:
		v.Add("timing", "invalid_choice")
	}
	money := func(field string, d decimal.Decimal) {
		if d.IsNegative() || !d.Equal(d.Round(2)) || d.GreaterThan(decimal.NewFromInt(1_000_000)) {
			v.Add(field, "invalid_amount", "min", "0.00", "max", "1000000.00")
		}
	}
	switch st.FeeKind {
	case FeeFixed, FeePerQuantity:
		money("amount", st.Amount)
	case FeeStepped:
		if st.Rule == nil || len(st.Rule.Steps) == 0 || len(st.Rule.Steps) > 20 {
			v.Add("rule", "invalid_rule")
		} else {
			last := 0
			for i, s := range st.Rule.Steps {
				if s.UpTo <= last {
					v.Add(fmt.Sprintf("rule.steps.%d.up_to", i), "invalid_rule")
				}
				last = s.UpTo
				money(fmt.Sprintf("rule.steps.%d.amount", i), s.Amount)
			}
			money("rule.above", st.Rule.Above)
		}
	default:
		v.Add("fee_kind", "invalid_choice")
	}
	st.Purpose = strings.TrimSpace(st.Purpose)
	if st.Purpose == "" {
		v.Add("purpose", "required")
	} else if len([]rune(st.Purpose)) > 140 {
		v.Add("purpose", "too_long", "max", 140)
	}
	if st.DueDays < 0 || st.DueDays > 365 {
		v.Add("due_days", "out_of_range", "min", 0, "max", 365)
	}
	if st.ReminderDays < 1 || st.ReminderDays > 365 {
		v.Add("reminder_days", "out_of_range", "min", 1, "max", 365)
	}
	if len(st.Unit) > 100 {
		v.Add("unit", "too_long", "max", 100)
	}
	if len(st.QuantityField) > 64 || strings.ContainsAny(st.QuantityField, " \t\r\n") {
		v.Add("quantity_field", "too_long", "max", 64)
	}
	if len(st.CostCentre) > 40 {
		v.Add("cost_centre", "too_long", "max", 40)
	}
	return v.Err()
}

// SettingsFromCatalog proposes settings from the catalog's fee lines
// (the catalog's fee data, fee.go): its first fixed amount, per unit when
// the line says so ("je Seite 0,50 €", "2,50 € pro Monat"), to be paid
// after submission. Ranges and rules in words are left to finance.
func SettingsFromCatalog(svc catalog.Service) (Settings, bool) {
	for _, f := range svc.Fees {
		if f.Kind == catalog.FeeFixed && f.Amount != nil && f.Amount.IsPositive() {
			purpose := svc.Name
			if f.Label != "" {
				purpose = svc.Name + ": " + f.Label
			}
			kind := FeeFixed
			if perUnitRE.MatchString(f.Text) {
				kind = FeePerQuantity
			}
			return Settings{ServiceID: svc.ID, Timing: AfterSubmission, FeeKind: kind, Amount: *f.Amount, Purpose: clipText(purpose, 140),
				Unit: firstUnit(svc.Units), DueDays: DefaultDueDays, ReminderDays: 7}, true
		}
	}
	return Settings{}, false
}

// perUnitRE: a fee line priced per unit.
var perUnitRE = regexp.MustCompile(`(?i)\b(je|pro)\s+\p{L}`)

// Quantity is the number of units the answers of an application name
// for the fee: the whole number in the answer QuantityField (a string or
// a number; "12" months), 1 without a field. A missing or unusable answer
// is an error, never a guessed fee.
func (st *Settings) Quantity(answers map[string]any) (int, error) {
	if st.QuantityField == "" || st.FeeKind == FeeFixed {
		return 1, nil
	}
	var text string
	switch v := answers[st.QuantityField].(type) {
	case string:
		text = v
	case fmt.Stringer: // json.Number
		text = v.String()
	case float64:
		text = strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		text = strconv.Itoa(v)
	}
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || n < 1 || n > 10000 {
		return 0, fmt.Errorf("fee of %s: answer %q is %q, not a quantity: %w", st.ServiceID, st.QuantityField, text, fault.Invalid("quantity", "out_of_range", "min", 1, "max", 10000))
	}
	return n, nil
}

// PutSettings stores a service's payment settings (finance, admins).
func (s *Service) PutSettings(ctx context.Context, p identity.Principal, tenantID int64, st Settings) (*Settings, error) {
	if err := p.Require(tenantID, financeRoles...); err != nil {
		return nil, err
	}
	if err := st.validate(); err != nil {
		return nil, err
	}
	rule := ""
	if st.FeeKind == FeeStepped {
		b, _ := json.Marshal(st.Rule)
		rule = string(b)
	} else {
		st.Rule = nil
	}
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_settings (tenant_id, service_id, timing, fee_kind, amount, rule, purpose, unit, cost_centre, due_days, reminder_days, updated_at, updated_by, quantity_field)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (tenant_id, service_id) DO UPDATE SET timing = excluded.timing, fee_kind = excluded.fee_kind, amount = excluded.amount, rule = excluded.rule,
			purpose = excluded.purpose, unit = excluded.unit, cost_centre = excluded.cost_centre, due_days = excluded.due_days, reminder_days = excluded.reminder_days,
			quantity_field = excluded.quantity_field, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			tenantID, st.ServiceID, st.Timing, st.FeeKind, st.Amount.StringFixed(2), rule, st.Purpose, st.Unit, st.CostCentre, st.DueDays, st.ReminderDays, tx.Now(), p.Ref, st.QuantityField)
		if err != nil {
			return err
		}
		st.UpdatedAt = tx.Now()
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "payment.settings.put", ObjectType: "service", ObjectRef: st.ServiceID, After: st})
	})
	if err != nil {
		return nil, fmt.Errorf("payment settings %s: %w", st.ServiceID, err)
	}
	return &st, nil
}

// SettingsFor returns a service's payment settings (public: the fee is
// shown on the service page); fault.ErrNotFound when it has none.
func (s *Service) SettingsFor(ctx context.Context, tenantID int64, serviceID string) (*Settings, error) {
	return readSettings(ctx, s.DB.R, tenantID, serviceID)
}

func settingsTx(tx *database.Tx, tenantID int64, serviceID string) (*Settings, error) {
	return readSettings(tx.Context(), tx, tenantID, serviceID)
}

func readSettings(ctx context.Context, q querier, tenantID int64, serviceID string) (*Settings, error) {
	var st Settings
	var amount, rule string
	err := q.QueryRowContext(ctx, `SELECT service_id, timing, fee_kind, amount, rule, purpose, unit, cost_centre, due_days, reminder_days, updated_at, quantity_field
		FROM payment_settings WHERE tenant_id = $1 AND service_id = $2`, tenantID, serviceID).
		Scan(&st.ServiceID, &st.Timing, &st.FeeKind, &amount, &rule, &st.Purpose, &st.Unit, &st.CostCentre, &st.DueDays, &st.ReminderDays, &st.UpdatedAt, &st.QuantityField)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("payment settings of %s: %w", serviceID, fault.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	st.Amount, _ = decimal.NewFromString(amount)
	if rule != "" {
		st.Rule = &FeeRule{}
		if err := json.Unmarshal([]byte(rule), st.Rule); err != nil {
			return nil, fmt.Errorf("fee rule of %s: %w", serviceID, err)
		}
	}
	st.UpdatedAt = st.UpdatedAt.UTC()
	return &st, nil
}

// RequestForService creates the request of a service's fee for a subject
// inside the caller's transaction: the fee from the settings and the
// quantity, the service's purpose, unit, cost centre and due days.
func (s *Service) RequestForService(tx *database.Tx, p identity.Principal, tenantID int64, serviceID, subject string, quantity int, payer NewRequest) (Created, error) {
	st, err := settingsTx(tx, tenantID, serviceID)
	if err != nil {
		return Created{}, err
	}
	if st.Timing == NoPayment {
		return Created{}, fmt.Errorf("service %s takes no payment: %w", serviceID, fault.ErrConflict)
	}
	fee, err := st.Fee(quantity)
	if err != nil {
		return Created{}, err
	}
	payer.TenantID, payer.ServiceID, payer.Subject, payer.Amount = tenantID, serviceID, subject, fee
	if payer.Purpose == "" {
		payer.Purpose = st.Purpose
		if subject != "" {
			payer.Purpose = clipText(st.Purpose+" "+subject, 140)
		}
	}
	return s.CreateRequest(tx, p, payer)
}

func firstUnit(us []string) string {
	if len(us) > 0 {
		return us[0]
	}
	return ""
}

// AllSettings lists every service's payment settings (staff).
func (s *Service) AllSettings(ctx context.Context, p identity.Principal, tenantID int64) ([]Settings, error) {
	if err := p.Require(tenantID, viewerRoles...); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT service_id FROM payment_settings WHERE tenant_id = $1 ORDER BY purpose, service_id`, tenantID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := []Settings{}
	for _, id := range ids {
		st, err := readSettings(ctx, s.DB.R, tenantID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *st)
	}
	return out, nil
}

// AmountText is the fee for display ("30.00", or the rule's first step).
func (st Settings) AmountText() string {
	if st.FeeKind == FeeStepped && st.Rule != nil && len(st.Rule.Steps) > 0 {
		return st.Rule.Steps[0].Amount.StringFixed(2)
	}
	return st.Amount.StringFixed(2)
}
