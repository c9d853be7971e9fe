package feedback

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

//go:embed messages/*.json
var messageFS embed.FS

//go:embed templates/*.html
var templateFS embed.FS

// Messages are the package's catalog files (keys "feedback.…").
func Messages() fs.FS {
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		panic(err)
	}
	return sub
}

// Feedback is one message sent with the accessibility feedback form.
type Feedback struct {
	Ref       string    `json:"ref"`
	Message   string    `json:"message"`
	Page      string    `json:"page"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Lang      i18n.Lang `json:"lang"`
	CreatedAt time.Time `json:"created_at"`
}

// Limits of the fields, in characters (also CHECKed by the table).
const (
	MessageMax = 5000
	PageMax    = 500
	NameMax    = 200
	EmailMax   = 254
)

// PerAddress is how many messages one client address may send an hour.
var PerAddress = ratelimit.Rule{Name: "feedback.address", Limit: 10, Window: time.Hour}

// Service holds the use cases.
type Service struct {
	DB      *database.DB
	Limiter *ratelimit.Limiter
}

// Normalize trims the fields.
func (f Feedback) Normalize() Feedback {
	f.Message = strings.TrimSpace(f.Message)
	f.Page = strings.TrimSpace(f.Page)
	f.Name = strings.TrimSpace(f.Name)
	f.Email = strings.TrimSpace(f.Email)
	return f
}

// Validate returns every invalid field with its code, in the order of the
// form, or nil.
func (f Feedback) Validate() *fault.Validation {
	v := &fault.Validation{}
	switch n := utf8.RuneCountInString(f.Message); {
	case n == 0:
		v.Add("message", "required")
	case n > MessageMax:
		v.Add("message", "too_long", "max", MessageMax)
	}
	if utf8.RuneCountInString(f.Page) > PageMax {
		v.Add("page", "too_long", "max", PageMax)
	}
	if utf8.RuneCountInString(f.Name) > NameMax {
		v.Add("name", "too_long", "max", NameMax)
	}
	if f.Email != "" {
		a, err := mail.ParseAddress(f.Email)
		if err != nil || a.Address != f.Email || len(f.Email) > EmailMax || !strings.Contains(f.Email[strings.LastIndexByte(f.Email, '@')+1:], ".") {
			v.Add("email", "invalid_email")
		}
	}
	if f.Lang != i18n.De && f.Lang != i18n.En {
		v.Add("lang", "invalid_choice")
	}
	if len(v.Errors) == 0 {
		return nil
	}
	return v
}

// Submit stores a message from client address addr and returns its
// reference; invalid input or too many messages from addr store nothing.
func (s *Service) Submit(ctx context.Context, tenantID int64, f Feedback, addr string) (string, error) {
	f = f.Normalize()
	if v := f.Validate(); v != nil {
		return "", v
	}
	var reference string
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if err := s.Limiter.AllowTx(tx, PerAddress, fmt.Sprint(tenantID), addr); err != nil {
			return err
		}
		for range 3 {
			reference = ref.New("B")
			_, err := tx.ExecContext(ctx, `INSERT INTO accessibility_feedback
				(tenant_id, ref, message, page, name, email, lang, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				tenantID, reference, f.Message, f.Page, f.Name, f.Email, string(f.Lang), tx.Now())
			if database.IsUniqueViolation(err) {
				continue
			}
			return err
		}
		return fmt.Errorf("no free reference")
	})
	if err != nil {
		return "", fmt.Errorf("store accessibility feedback: %w", err)
	}
	return reference, nil
}

// List returns the tenant's feedback, newest first (admins only).
func (s *Service) List(ctx context.Context, p identity.Principal, tenantID int64, limit int) ([]Feedback, error) {
	if err := p.Require(tenantID, identity.RoleAdmin); err != nil {
		return nil, err
	}
	if limit < 1 || limit > 500 {
		return nil, fault.Invalid("limit", "out_of_range", "min", 1, "max", 500)
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref, message, page, name, email, lang, created_at
		FROM accessibility_feedback WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("list accessibility feedback: %w", err)
	}
	defer rows.Close()
	out := []Feedback{}
	for rows.Next() {
		var f Feedback
		var lang string
		if err := rows.Scan(&f.Ref, &f.Message, &f.Page, &f.Name, &f.Email, &lang, &f.CreatedAt); err != nil {
			return nil, fmt.Errorf("list accessibility feedback: %w", err)
		}
		f.Lang = i18n.Lang(lang)
		f.CreatedAt = f.CreatedAt.UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}
