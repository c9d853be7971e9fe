package appointments

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// ServiceCount is one service of a booking and how many of it (persons or
// documents: two ID cards for a family take twice the time).
type ServiceCount struct {
	Service string `json:"service"`
	Count   int    `json:"count"`
}

// ParseServiceParam reads the API's and pages' "ID[:COUNT]" form.
func ParseServiceParam(s string) (ServiceCount, bool) {
	s = strings.TrimSpace(s)
	id, cnt, has := strings.Cut(s, ":")
	sc := ServiceCount{Service: strings.ToUpper(strings.TrimSpace(id)), Count: 1}
	if has {
		n, err := strconv.Atoi(strings.TrimSpace(cnt))
		if err != nil {
			return sc, false
		}
		sc.Count = n
	}
	return sc, sc.Service != "" && len(sc.Service) <= 40
}

// FormatServiceParam is the inverse of ParseServiceParam.
func FormatServiceParam(sc ServiceCount) string {
	if sc.Count == 1 {
		return sc.Service
	}
	return sc.Service + ":" + strconv.Itoa(sc.Count)
}

// BookedService is one service of a booking as stored and shown.
type BookedService struct {
	Service string `json:"service"`
	Name    string `json:"name,omitempty"`
	Count   int    `json:"count"`
	Minutes int    `json:"minutes"` // for all of Count together
}

// need resolves the services of a request at a location: every service
// must be offered there, counts within the location's maximum; it returns
// the booked services and the number of units. field prefixes the field
// names of errors ("services").
func (l *Location) need(in []ServiceCount, field string) ([]BookedService, int, error) {
	v := &fault.Validation{}
	if len(in) == 0 {
		v.Add(field, "required")
		return nil, 0, v
	}
	if len(in) > 10 {
		v.Add(field, "too_many_entries", "max", 10)
		return nil, 0, v
	}
	var out []BookedService
	total := 0
	seen := map[string]bool{}
	for i, sc := range in {
		f := fmt.Sprintf("%s.%d", field, i)
		ls, ok := l.Service(strings.ToUpper(sc.Service))
		switch {
		case !ok:
			v.Add(f+".service", "service_not_offered")
			continue
		case seen[ls.Service]:
			v.Add(f+".service", "duplicate")
			continue
		case sc.Count < 1 || sc.Count > ls.MaxCount:
			v.Add(f+".count", "out_of_range", "min", 1, "max", ls.MaxCount)
			continue
		}
		seen[ls.Service] = true
		out = append(out, BookedService{Service: ls.Service, Count: sc.Count, Minutes: ls.Minutes * sc.Count})
		total += ls.Minutes * sc.Count
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	k := (total + l.SlotMinutes - 1) / l.SlotMinutes
	if k > MaxUnits {
		return nil, 0, fault.Invalid(field, "too_long_appointment", "max", MaxUnits*l.SlotMinutes)
	}
	return out, k, nil
}

// SlotQuery asks for the free starts of a combination of services.
type SlotQuery struct {
	Location string
	Services []ServiceCount
	From, To calendar.Date
}

// SlotList is the answer of a slot search (GET /api/v1/appointments/slots).
type SlotList struct {
	Location string          `json:"location"`
	Services []BookedService `json:"services"`
	Minutes  int             `json:"minutes"`
	From     string          `json:"from"`
	To       string          `json:"to"`
	Days     []SlotDay       `json:"days"`
}

// SlotDay is one date of a slot search.
type SlotDay struct {
	Date string `json:"date"`
	// Status: "open" (Slots lists the free starts), "full", "closed",
	// "not_released" (ReleaseAt says when) or "past".
	Status    string     `json:"status"`
	ReleaseAt *time.Time `json:"release_at,omitempty"`
	Lottery   bool       `json:"lottery,omitempty"` // requests are collected for a draw
	Slots     []Slot     `json:"slots"`
}

// Slot is one free start.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// MaxSearchDays bounds one slot search.
const MaxSearchDays = 62

// Slots finds the free starts in a date range: in memory from the
// availability cache, after one read of the days' revisions. Public.
func (s *Service) Slots(ctx context.Context, tenantID int64, q SlotQuery) (*SlotList, error) {
	s.init()
	l, err := s.location(ctx, tenantID, q.Location)
	if err != nil {
		return nil, fault.Invalid("location", "location_unknown")
	}
	services, k, err := l.need(q.Services, "service")
	if err != nil {
		return nil, err
	}
	now := s.now()
	today := calendar.DateOf(now, calendar.Berlin)
	v := &fault.Validation{}
	if q.From.Before(today) {
		v.Add("from", "date_in_past")
	}
	if q.To.Before(q.From) {
		v.Add("to", "end_before_start")
	} else if q.From.AddDays(MaxSearchDays - 1).Before(q.To) {
		v.Add("to", "date_range_too_long", "max", MaxSearchDays)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for i := range services {
		services[i].Name = s.ServiceName(ctx, tenantID, services[i].Service)
	}
	// One read of the range's revisions, unless every day was checked
	// within the freshness window.
	recent := s.avail.allRecent(l.id, q.From, q.To)
	var revs map[calendar.Date]int64
	if !recent {
		if revs, err = s.avail.revisions(ctx, l.id, q.From, q.To); err != nil {
			return nil, err
		}
	}
	out := &SlotList{Location: l.Ref, Services: services, Minutes: k * l.SlotMinutes, From: q.From.String(), To: q.To.String(), Days: []SlotDay{}}
	grid := int64(l.SlotMinutes * 60)
	dur := time.Duration(k*l.SlotMinutes) * time.Minute
	for d := q.From; !q.To.Before(d); d = d.AddDays(1) {
		day := SlotDay{Date: d.String(), Slots: []Slot{}}
		rel := l.ReleaseOf(d)
		rev, planned := revs[d]
		if recent {
			planned = true
		}
		switch {
		case !planned:
			day.Status = "closed"
		case rel.After(now):
			day.Status = "not_released"
			r := rel.In(calendar.Berlin)
			day.ReleaseAt = &r
		default:
			var ds *dayState
			if recent {
				ds, err = s.avail.current(ctx, l.id, d)
			} else {
				ds, err = s.avail.fresh(ctx, l.id, d, rev)
			}
			if err != nil {
				return nil, err
			}
			ds.expire(now.Unix())
			starts := ds.starts(k, grid, now.Unix()+1)
			empty := len(ds.units) == 0
			ds.mu.Unlock()
			for _, st := range starts {
				day.Slots = append(day.Slots, Slot{Start: st.In(calendar.Berlin), End: st.Add(dur).In(calendar.Berlin)})
			}
			switch {
			case empty:
				day.Status = "closed"
			case len(starts) == 0:
				day.Status = "full"
			default:
				day.Status = "open"
			}
			day.Lottery = l.Strategy == Lottery && now.Before(l.LotteryEnd(d))
		}
		out.Days = append(out.Days, day)
	}
	return out, nil
}
