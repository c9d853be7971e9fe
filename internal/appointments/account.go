package appointments

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
)

// MyBookings lists the upcoming bookings of the person acting (held,
// confirmed or checked in; soonest first), each with its manage token.
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

// AccountSections is the account page's section of a person's upcoming
// appointments (identity.AccountSectionFunc): each one links to its page,
// can be rebooked and cancelled there.
func (h *Handler) AccountSections(r *http.Request, p identity.Principal) ([]identity.AccountSection, error) {
	if !p.IsPerson() {
		return nil, nil
	}
	bs, err := h.Svc.MyBookings(r.Context(), p)
	if err != nil {
		return nil, err
	}
	pr := h.printer(r)
	sec := identity.AccountSection{ID: "termine", Title: pr.T("appointments.account.title"), Empty: pr.T("appointments.account.none"),
		Link: "/termine", LinkText: pr.T("appointments.account.book")}
	for _, b := range bs {
		var names []string
		for _, s := range b.Services {
			names = append(names, s.Name)
		}
		short := pr.DateTime(b.Start.In(calendar.Berlin))
		item := identity.AccountItem{Text: when(pr, b.Start, b.End), Href: "/termine/buchung/" + b.Token,
			Detail: b.LocationName + " · " + strings.Join(names, ", ") + " · " + pr.T("appointments.status."+b.Status)}
		if b.Status == StatusHeld || b.Status == StatusConfirmed {
			item.More = []identity.AccountLink{{Text: pr.T("appointments.account.rebook") + " (" + short + ")", Href: "/termine/buchung/" + b.Token + "/umbuchen"}}
			item.Action, item.ActionText = "/termine/buchung/"+b.Token+"/absagen", pr.T("appointments.account.cancel")+" ("+short+")"
		}
		sec.Items = append(sec.Items, item)
	}
	return []identity.AccountSection{sec}, nil
}
