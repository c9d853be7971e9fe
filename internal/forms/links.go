package forms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Emailed links: to resume an anonymous draft elsewhere or later, and to
// confirm an anonymous applicant's address. A link carries only a random
// token (stored as SHA-256), never a name or an answer; it expires and
// works once. The address it is sent to is not kept for a resume link.

// ErrLinkInvalid: a link that is unknown, used or expired.
var ErrLinkInvalid = fmt.Errorf("link invalid or expired: %w", fault.ErrNotFound)

// Mail limits: per recipient and per draft, so that a form cannot be used
// to flood someone's inbox; per address, so that one stranger cannot mail
// many people through many drafts.
var (
	mailPerRecipient = ratelimit.Rule{Name: "forms.mail.recipient", Limit: 5, Window: time.Hour}
	mailPerDraft     = ratelimit.Rule{Name: "forms.mail.draft", Limit: 10, Window: 24 * time.Hour}
	mailPerAddress   = ratelimit.Rule{Name: "forms.mail.address", Limit: 20, Window: time.Hour}
)

func (s *Service) tenantOf(ctx context.Context, tenantID int64) (*identity.Tenant, error) {
	if t := identity.TenantFrom(ctx); t != nil && t.ID == tenantID {
		return t, nil
	}
	return s.Identity.TenantByID(ctx, tenantID)
}

func (s *Service) sendLink(ctx context.Context, v Visitor, tenantID int64, draftRef, email, purpose, baseURL string, ttl time.Duration) error {
	email = strings.TrimSpace(email)
	if !ValidEmail(email) {
		return fault.Invalid("email", "invalid_email")
	}
	t, err := s.tenantOf(ctx, tenantID)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		d, err := s.loadDraft(ctx, tx, v, tenantID, draftRef, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		if d.AccountID != 0 && purpose == "resume" {
			return fmt.Errorf("draft %s is kept in the account: %w", d.Ref, fault.ErrConflict)
		}
		if s.Limits != nil {
			if v.Addr != "" {
				if err := s.Limits.AllowTx(tx, mailPerAddress, fmt.Sprint(tenantID), v.Addr); err != nil {
					return err
				}
			}
			if err := s.Limits.AllowTx(tx, mailPerRecipient, fmt.Sprint(tenantID), strings.ToLower(email)); err != nil {
				return err
			}
			if err := s.Limits.AllowTx(tx, mailPerDraft, d.Ref); err != nil {
				return err
			}
		}
		token := newDraftSecret()
		stored := ""
		if purpose == "confirm_email" {
			stored = email
			if _, err := tx.ExecContext(ctx, `UPDATE form_drafts SET email = $1, email_confirmed_at = NULL WHERE id = $2`, email, d.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO form_draft_links (draft_id, purpose, token_hash, email, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			d.ID, purpose, secretHash(token), stored, tx.Now().Add(ttl)); err != nil {
			return err
		}
		lang := d.Lang
		var subject, text string
		until := tx.Now().Add(ttl).In(berlin)
		if purpose == "resume" {
			subject = fmt.Sprintf(msg(lang, "forms.mail.resume.subject"), t.Name)
			text = fmt.Sprintf(msg(lang, "forms.mail.resume.text"), strings.TrimSuffix(baseURL, "/")+"/antrag/fortsetzen?token="+token, until.Format("02.01.2006 15:04"))
		} else {
			subject = fmt.Sprintf(msg(lang, "forms.mail.confirm.subject"), t.Name)
			text = fmt.Sprintf(msg(lang, "forms.mail.confirm.text"), strings.TrimSuffix(baseURL, "/")+"/antrag/bestaetigen?token="+token, until.Format("02.01.2006 15:04"))
		}
		from := t.Settings.MailFrom
		if from == "" {
			from = "rathaus@localhost"
		}
		key := ref.New("M")
		if err := jobs.Enqueue(tx, mail.JobKind, mail.Message{From: from, To: email, Subject: subject, Text: text, ID: strings.ToLower(key) + "@rathaus"},
			jobs.Options{Key: key, TenantID: tenantID}); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: draftActor(v, d), Action: "draft.link." + purpose, ObjectType: "draft", ObjectRef: d.Ref})
	})
}

func draftActor(v Visitor, d *Draft) string {
	if v.P.Ref != "" && d.AccountID != 0 {
		return v.P.Ref
	}
	return "anonymous"
}

// SendResumeLink mails a link with which an anonymous draft can be resumed
// (in another browser, or after the cookie is gone).
func (s *Service) SendResumeLink(ctx context.Context, v Visitor, tenantID int64, draftRef, email, baseURL string) error {
	return s.sendLink(ctx, v, tenantID, draftRef, email, "resume", baseURL, ResumeLinkTTL)
}

// SendConfirmation mails a link that confirms the anonymous applicant's
// address; until it is followed the draft cannot be sent.
func (s *Service) SendConfirmation(ctx context.Context, v Visitor, tenantID int64, draftRef, email, baseURL string) error {
	return s.sendLink(ctx, v, tenantID, draftRef, email, "confirm_email", baseURL, ConfirmLinkTTL)
}

// useLink consumes a link of the tenant and returns the draft's id and ref
// and the link's stored address.
func useLink(tx *database.Tx, tenantID int64, purpose, token string) (int64, string, string, error) {
	if token == "" || len(token) > 100 {
		return 0, "", "", ErrLinkInvalid
	}
	var linkID, draftID int64
	var draftRef, email string
	var expires time.Time
	var used sql.NullTime
	err := tx.QueryRowContext(tx.Context(), `SELECT l.id, l.draft_id, d.ref, l.email, l.expires_at, l.used_at FROM form_draft_links l JOIN form_drafts d ON d.id = l.draft_id
		WHERE l.token_hash = $1 AND l.purpose = $2 AND d.tenant_id = $3`+tx.DB.ForUpdate(), secretHash(token), purpose, tenantID).
		Scan(&linkID, &draftID, &draftRef, &email, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (used.Valid || tx.Now().After(expires)) {
		return 0, "", "", ErrLinkInvalid
	}
	if err != nil {
		return 0, "", "", err
	}
	if _, err := tx.ExecContext(tx.Context(), `UPDATE form_draft_links SET used_at = $1 WHERE id = $2`, tx.Now(), linkID); err != nil {
		return 0, "", "", err
	}
	return draftID, draftRef, email, nil
}

// Resume follows a resume link: the draft gets a new secret (returned, for
// the browser's cookie); the old one stops working.
func (s *Service) Resume(ctx context.Context, tenantID int64, token string) (string, string, error) {
	secret := newDraftSecret()
	var draftRef string
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		id, r, _, err := useLink(tx, tenantID, "resume", token)
		if err != nil {
			return err
		}
		draftRef = r
		res, err := tx.ExecContext(ctx, `UPDATE form_drafts SET secret_hash = $1 WHERE id = $2 AND account_id IS NULL AND expires_at > $3`, secretHash(secret), id, tx.Now())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrLinkInvalid
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "anonymous", Action: "draft.resume", ObjectType: "draft", ObjectRef: r})
	})
	if err != nil {
		return "", "", err
	}
	return draftRef, secret, nil
}

// ConfirmEmail follows a confirmation link: the draft's address (the one
// the link was sent to, if it is still the draft's) counts as confirmed.
func (s *Service) ConfirmEmail(ctx context.Context, tenantID int64, token string) (string, error) {
	var draftRef string
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		id, r, email, err := useLink(tx, tenantID, "confirm_email", token)
		if err != nil {
			return err
		}
		draftRef = r
		res, err := tx.ExecContext(ctx, `UPDATE form_drafts SET email_confirmed_at = $1 WHERE id = $2 AND email = $3 AND expires_at > $1`, tx.Now(), id, email)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrLinkInvalid // the address was changed after this link was sent
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: "anonymous", Action: "draft.email_confirmed", ObjectType: "draft", ObjectRef: r})
	})
	return draftRef, err
}
