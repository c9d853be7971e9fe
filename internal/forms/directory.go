package forms

import (
	"context"
	"fmt"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
)

// The forms directory: every form of the tenant with how far it is
// digitised (channel), its versions and its use. Usage counts the online
// submissions per calendar month (Europe/Berlin) of the last twelve months.

// Usage is a form's use.
type Usage struct {
	// Months are the last twelve months, oldest first ("2026-03").
	Months []MonthCount `json:"months"`
	// Total is the submissions of those twelve months.
	Total int `json:"total"`
}

// MonthCount is one month's submissions.
type MonthCount struct {
	Month string `json:"month"`
	Count int    `json:"count"`
}

// Forms lists the tenant's forms with their versions (form managers).
func (s *Service) Forms(ctx context.Context, p identity.Principal, tenantID int64) ([]Form, error) {
	if err := p.Require(tenantID, ManagerRoles...); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, ref, service_id, name, channel, source, created_at, updated_at FROM forms WHERE tenant_id = $1 ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("forms: %w", err)
	}
	var ids []int64
	out := []Form{}
	for rows.Next() {
		var f Form
		var id int64
		var ch string
		if err := rows.Scan(&id, &f.Ref, &f.ServiceID, &f.Name, &ch, &f.Source, &f.CreatedAt, &f.UpdatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		f.Channel = Channel(ch)
		ids = append(ids, id)
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Versions, err = s.versions(ctx, ids[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// monthsBack returns the twelve months ending with now's, oldest first.
func monthsBack(now time.Time) []string {
	t := now.In(berlin)
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, berlin)
	out := make([]string, 12)
	for i := 0; i < 12; i++ {
		out[11-i] = first.AddDate(0, -i, 0).Format("2006-01")
	}
	return out
}

// Usage counts each form's submissions of the last twelve months.
func (s *Service) Usage(ctx context.Context, p identity.Principal, tenantID int64) (map[string]*Usage, error) {
	if err := p.Require(tenantID, ManagerRoles...); err != nil {
		return nil, err
	}
	now := s.DB.Clock.Now()
	months := monthsBack(now)
	start, _ := time.ParseInLocation("2006-01", months[0], berlin)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT f.ref, a.submitted_at FROM applications a JOIN form_versions v ON v.id = a.form_version_id JOIN forms f ON f.id = v.form_id
		WHERE a.tenant_id = $1 AND a.submitted_at >= $2`, tenantID, start.UTC())
	if err != nil {
		return nil, fmt.Errorf("form usage: %w", err)
	}
	defer rows.Close()
	out := map[string]*Usage{}
	index := map[string]int{}
	for i, m := range months {
		index[m] = i
	}
	for rows.Next() {
		var ref string
		var at time.Time
		if err := rows.Scan(&ref, &at); err != nil {
			return nil, err
		}
		u := out[ref]
		if u == nil {
			u = &Usage{Months: make([]MonthCount, 12)}
			for i, m := range months {
				u.Months[i].Month = m
			}
			out[ref] = u
		}
		if i, ok := index[at.In(berlin).Format("2006-01")]; ok {
			u.Months[i].Count++
			u.Total++
		}
	}
	return out, rows.Err()
}

// EmptyUsage is the usage of a form nobody used yet.
func (s *Service) EmptyUsage() *Usage {
	months := monthsBack(s.DB.Clock.Now())
	u := &Usage{Months: make([]MonthCount, 12)}
	for i, m := range months {
		u.Months[i].Month = m
	}
	return u
}
