package appointments

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
)

// MyBookings lists the upcoming bookings of the person acting (held or
// confirmed, soonest first), each with its manage token.
func (s *Service) MyBookings(ctx context.Context, p identity.Principal) ([]*Booking, error) {
	s.init()
	if !p.IsPerson() {
		return nil, nil
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+bookingCols+` FROM appointment_bookings b JOIN appointment_locations l ON l.id = b.location_id
		WHERE b.tenant_id = $1 AND b.account_id = $2 AND b.status IN ('held', 'confirmed', 'checked_in') AND b.ends_at > $3 ORDER BY b.starts_at LIMIT 50`,
		p.TenantID, p.AccountID, s.now())
	if err != nil {
		return nil, fmt.Errorf("my bookings: %w", err)
	}
	defer rows.Close()
	var out []*Booking
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	k, err := s.keys(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	for _, b := range out {
		b.Token = makeToken(k.link, purposeManage, b.Ref)
		s.fillNames(ctx, b)
	}
	return out, nil
}

// AccountPanel is the account page's section of a person's appointments
// (identity.AccountSection): see, rebook and cancel each one.
func (h *Handler) AccountPanel(r *http.Request, p identity.Principal) (*identity.AccountPanel, error) {
	if !p.IsPerson() {
		return nil, nil
	}
	bs, err := h.Svc.MyBookings(r.Context(), p)
	if err != nil {
		return nil, err
	}
	pr := h.printer(r)
	panel := &identity.AccountPanel{Title: pr.T("appointments.account.title"), Empty: pr.T("appointments.account.none"),
		Links: []identity.AccountLink{{Label: pr.T("appointments.account.book"), URL: "/termine"}}}
	for _, b := range bs {
		var names []string
		for _, s := range b.Services {
			names = append(names, s.Name)
		}
		short := pr.DateTime(b.Start.In(calendar.Berlin))
		item := identity.AccountItem{Text: when(pr, b.Start, b.End) + " · " + b.LocationName + " · " + strings.Join(names, ", ") + " · " + pr.T("appointments.status."+b.Status),
			Links: []identity.AccountLink{{Label: pr.T("appointments.account.open") + " (" + short + ")", URL: "/termine/buchung/" + b.Token}}}
		if b.Status == StatusHeld || b.Status == StatusConfirmed {
			item.Links = append(item.Links, identity.AccountLink{Label: pr.T("appointments.account.rebook") + " (" + short + ")", URL: "/termine/buchung/" + b.Token + "/umbuchen"})
			item.Actions = []identity.AccountLink{{Label: pr.T("appointments.account.cancel") + " (" + short + ")", URL: "/termine/buchung/" + b.Token + "/absagen"}}
		}
		panel.Items = append(panel.Items, item)
	}
	return panel, nil
}
