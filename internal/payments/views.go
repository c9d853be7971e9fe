package payments

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Finance views of the requests.
const (
	ViewOpen      = "open"
	ViewPaid      = "paid"
	ViewOverdue   = "overdue"
	ViewCancelled = "cancelled"
	ViewAll       = "all"
)

// FinanceView lists requests for finance: open (and partly paid), paid,
// overdue, cancelled or all, newest first (the unmatched payments are the
// worklist, Tasks).
func (s *Service) FinanceView(ctx context.Context, p identity.Principal, tenantID int64, view string, limit int) ([]Request, error) {
	if err := p.Require(tenantID, viewerRoles...); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 10000 {
		limit = 500
	}
	today := calendar.DateOf(s.DB.Clock.Now(), calendar.Berlin).String()
	switch view {
	case ViewOpen, "":
		return s.listWhere(ctx, `tenant_id = $1 AND status IN ('open', 'partial') ORDER BY due_date, id LIMIT $2`, tenantID, limit)
	case ViewPaid:
		return s.listWhere(ctx, `tenant_id = $1 AND status = 'paid' ORDER BY paid_at DESC, id DESC LIMIT $2`, tenantID, limit)
	case ViewOverdue:
		return s.listWhere(ctx, `tenant_id = $1 AND status IN ('open', 'partial') AND due_date < $3 ORDER BY due_date, id LIMIT $2`, tenantID, limit, today)
	case ViewCancelled:
		return s.listWhere(ctx, `tenant_id = $1 AND status = 'cancelled' ORDER BY id DESC LIMIT $2`, tenantID, limit)
	case ViewAll:
		return s.listWhere(ctx, `tenant_id = $1 ORDER BY id DESC LIMIT $2`, tenantID, limit)
	}
	return nil, fault.Invalid("view", "invalid_choice")
}

// ExportCSV writes a finance view for the city's accounting: one line per
// request with unit and cost centre; semicolons, UTF-8, amounts with a
// decimal point. Cells that a spreadsheet would read as a formula are
// prefixed with an apostrophe.
func (s *Service) ExportCSV(ctx context.Context, p identity.Principal, tenantID int64, view string, w io.Writer) error {
	if err := p.Require(tenantID, financeRoles...); err != nil {
		return err
	}
	reqs, err := s.FinanceView(ctx, p, tenantID, view, 10000)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.Write([]string{"zahlungsnummer", "kassenzeichen", "betreff", "leistung", "zweck", "betrag", "bezahlt", "offen", "waehrung", "status", "faellig", "bezahlt_am",
		"organisationseinheit", "kostenstelle", "mahnungen"})
	for _, r := range reqs {
		paidAt := ""
		if r.PaidAt != nil {
			paidAt = calendar.DateOf(*r.PaidAt, calendar.Berlin).String()
		}
		cw.Write(safeCSV([]string{r.Ref, r.RF, r.Subject, r.ServiceID, r.Purpose, r.Amount.StringFixed(2), r.Paid.StringFixed(2), r.Outstanding().StringFixed(2),
			r.Currency, r.Status, r.DueDate, paidAt, r.Unit, r.CostCentre, fmt.Sprint(r.Reminders)}))
	}
	cw.Flush()
	return cw.Error()
}

func safeCSV(cells []string) []string {
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			cells[i] = "'" + c
		}
	}
	return cells
}
