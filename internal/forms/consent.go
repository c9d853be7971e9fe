package forms

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Prefill with consent (once-only): a form's fields may name a profile
// value (Field.Prefill). Nothing is prefilled unless the person agreed, for
// that service, to the reuse of exactly those values; the consent is
// recorded (who, when, which values, which service), listed on the account
// page and can be withdrawn, after which nothing is prefilled again until
// the person agrees anew. Anonymous applicants have no profile.

// Consent is a recorded agreement to prefill a service's form.
type Consent struct {
	Ref         string     `json:"id"`
	ServiceID   string     `json:"service"`
	FormTitle   string     `json:"form_title"`
	Fields      []string   `json:"fields"`
	GrantedAt   time.Time  `json:"granted_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at"`
}

// PrefillItem is one value a form would prefill: the profile value's name,
// the form's label for it and the value itself (shown only to its owner).
type PrefillItem struct {
	Key, Label, Value string
}

// prefillKeys lists the distinct profile values a definition uses, in form
// order (repeated groups excluded: their entries are not the person's).
func prefillKeys(d *Definition) []string {
	var out []string
	seen := map[string]bool{}
	var walk func([]Field)
	walk = func(fs []Field) {
		for _, f := range fs {
			if f.Prefill != "" && !seen[f.Prefill] {
				seen[f.Prefill] = true
				out = append(out, f.Prefill)
			}
			if f.Type == TypeGroup && !f.Repeat {
				walk(f.Fields)
			}
		}
	}
	walk(d.AllFields())
	return out
}

var streetNumberRE = regexp.MustCompile(`^(.*\S)\s+(\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d+\s*[a-zA-Z]?)?)$`)

// profileValue returns the profile's value for a prefill key (address: an
// address object), or nil.
func profileValue(key string, pr identity.Profile, person *identity.Person) any {
	switch key {
	case "given_name":
		return nonEmpty(pr.GivenName)
	case "family_name":
		return nonEmpty(pr.FamilyName)
	case "name":
		return nonEmpty(person.Name)
	case "company":
		return nonEmpty(pr.Company)
	case "email":
		if strings.HasSuffix(person.Email, ".invalid") {
			return nil // eID accounts have a placeholder address
		}
		return nonEmpty(person.Email)
	case "phone":
		return nonEmpty(pr.Phone)
	case "birth_date":
		return nonEmpty(pr.BirthDate)
	case "street":
		return nonEmpty(pr.Street)
	case "postcode":
		return nonEmpty(pr.Postcode)
	case "city":
		return nonEmpty(pr.City)
	case "address":
		if pr.Street == "" && pr.Postcode == "" && pr.City == "" {
			return nil
		}
		a := map[string]any{}
		street := strings.TrimSpace(pr.Street)
		if m := streetNumberRE.FindStringSubmatch(street); m != nil {
			a["street"], a["house_number"] = m[1], m[2]
		} else if street != "" {
			a["street"] = street
		}
		if pr.Postcode != "" {
			a["postcode"] = pr.Postcode
		}
		if pr.City != "" {
			a["city"] = pr.City
		}
		return a
	}
	return nil
}

func nonEmpty(s string) any {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return s
}

// PrefillOffer says what the draft's form would prefill from the person's
// profile: the values it has (empty when the form prefills nothing or the
// profile holds none of them).
func (s *Service) PrefillOffer(ctx context.Context, p identity.Principal, tenantID int64, d *Draft, lang string) ([]PrefillItem, error) {
	if !p.IsPerson() || d.AccountID != p.AccountID {
		return nil, nil
	}
	pr, err := s.Identity.ProfileOf(ctx, tenantID, p.AccountID)
	if err != nil {
		return nil, err
	}
	person, err := s.Identity.PersonByID(ctx, tenantID, p.AccountID)
	if err != nil {
		return nil, err
	}
	var out []PrefillItem
	for _, k := range prefillKeys(d.Def) {
		v := profileValue(k, pr, person)
		if v == nil {
			continue
		}
		label := msg(lang, "forms.prefill.key."+k)
		shown := fmt.Sprint(v)
		if m, ok := v.(map[string]any); ok {
			shown = FormatValue(Field{Type: TypeAddress}, m, lang)
		} else if k == "birth_date" {
			shown = FormatValue(Field{Type: TypeDate}, v, lang)
		}
		out = append(out, PrefillItem{Key: k, Label: label, Value: shown})
	}
	return out, nil
}

// activeConsent returns the person's live consent for a service, if any.
func activeConsent(q queryer, ctx context.Context, tenantID, accountID int64, serviceID string) (*Consent, error) {
	var c Consent
	var fields string
	err := q.QueryRowContext(ctx, `SELECT ref, service_id, fields, granted_at FROM prefill_consents WHERE tenant_id = $1 AND account_id = $2 AND service_id = $3 AND withdrawn_at IS NULL
		ORDER BY granted_at DESC, id DESC LIMIT 1`, tenantID, accountID, serviceID).Scan(&c.Ref, &c.ServiceID, &fields, &c.GrantedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(fields), &c.Fields)
	return &c, nil
}

// ConsentFor returns the person's live consent for the service (nil: none).
func (s *Service) ConsentFor(ctx context.Context, p identity.Principal, tenantID int64, serviceID string) (*Consent, error) {
	if !p.IsPerson() || p.TenantID != tenantID {
		return nil, nil
	}
	return activeConsent(s.DB.R, ctx, tenantID, p.AccountID, serviceID)
}

// DecidePrefill records the person's answer to the prefill question of a
// draft. Yes records a consent for the service and the offered values
// (unless a live one covers them) and fills the draft's empty answers from
// the profile; no fills nothing. Either way the question is not asked again
// for this draft.
func (s *Service) DecidePrefill(ctx context.Context, p identity.Principal, tenantID int64, draftRef string, yes bool) error {
	if !p.IsPerson() {
		return ErrDraftNotFound
	}
	pr, err := s.Identity.ProfileOf(ctx, tenantID, p.AccountID)
	if err != nil {
		return err
	}
	person, err := s.Identity.PersonByID(ctx, tenantID, p.AccountID)
	if err != nil {
		return err
	}
	v := Visitor{P: p}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		d, err := s.loadDraft(ctx, tx, v, tenantID, draftRef, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		if !yes {
			d.Prefill = "no"
			return s.saveDraft(tx, d)
		}
		keys := prefillKeys(d.Def)
		var offered []string
		for _, k := range keys {
			if profileValue(k, pr, person) != nil {
				offered = append(offered, k)
			}
		}
		if len(offered) == 0 {
			d.Prefill = "no"
			return s.saveDraft(tx, d)
		}
		c, err := activeConsent(tx, ctx, tenantID, p.AccountID, d.ServiceID)
		if err != nil {
			return err
		}
		if c == nil || !covers(c.Fields, offered) {
			if err := recordConsent(tx, tenantID, p, d.ServiceID, offered); err != nil {
				return err
			}
		}
		fillFromProfile(d, offered, pr, person)
		d.Prefill = "yes"
		return s.saveDraft(tx, d)
	})
}

func covers(have, want []string) bool {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

func recordConsent(tx *database.Tx, tenantID int64, p identity.Principal, serviceID string, fields []string) error {
	sorted := append([]string(nil), fields...)
	sort.Strings(sorted)
	b, _ := json.Marshal(sorted)
	r := ref.New("C")
	if _, err := tx.ExecContext(tx.Context(), `INSERT INTO prefill_consents (tenant_id, ref, account_id, service_id, fields, granted_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		tenantID, r, p.AccountID, serviceID, string(b), tx.Now()); err != nil {
		return err
	}
	return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "prefill.consent", ObjectType: "prefill_consent", ObjectRef: r,
		After: map[string]any{"service": serviceID, "fields": sorted}})
}

// fillFromProfile puts the consented profile values into the draft's
// empty answers.
func fillFromProfile(d *Draft, keys []string, pr identity.Profile, person *identity.Person) {
	allowed := map[string]bool{}
	for _, k := range keys {
		allowed[k] = true
	}
	var walk func(fs []Field, into map[string]any)
	walk = func(fs []Field, into map[string]any) {
		for _, f := range fs {
			if f.Type == TypeGroup && !f.Repeat {
				sub, _ := into[f.ID].(map[string]any)
				if sub == nil {
					sub = map[string]any{}
				}
				walk(f.Fields, sub)
				if len(sub) > 0 {
					into[f.ID] = sub
				}
				continue
			}
			if f.Prefill == "" || !allowed[f.Prefill] || !isEmpty(into[f.ID]) {
				continue
			}
			if v := profileValue(f.Prefill, pr, person); v != nil {
				into[f.ID] = v
			}
		}
	}
	walk(d.Def.AllFields(), d.Answers)
}

// Prefilled applies a live consent to a new draft without asking again
// (once-only): the person agreed for this service already. It reports
// whether the draft was filled.
func (s *Service) applyConsent(ctx context.Context, p identity.Principal, tenantID int64, d *Draft) (bool, error) {
	c, err := s.ConsentFor(ctx, p, tenantID, d.ServiceID)
	if err != nil || c == nil {
		return false, err
	}
	pr, err := s.Identity.ProfileOf(ctx, tenantID, p.AccountID)
	if err != nil {
		return false, err
	}
	person, err := s.Identity.PersonByID(ctx, tenantID, p.AccountID)
	if err != nil {
		return false, err
	}
	var offered []string
	for _, k := range prefillKeys(d.Def) {
		if profileValue(k, pr, person) != nil {
			offered = append(offered, k)
		}
	}
	if !covers(c.Fields, offered) {
		return false, nil // the form asks for more than was agreed: ask again
	}
	return true, database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		cur, err := s.loadDraft(ctx, tx, Visitor{P: p}, tenantID, d.Ref, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		fillFromProfile(cur, offered, pr, person)
		cur.Prefill = "yes"
		if err := s.saveDraft(tx, cur); err != nil {
			return err
		}
		*d = *cur
		return nil
	})
}

// Consents lists the person's consents, live ones first, newest first.
func (s *Service) Consents(ctx context.Context, p identity.Principal, tenantID int64) ([]Consent, error) {
	out := []Consent{}
	if err := p.Require(tenantID); err != nil || !p.IsPerson() {
		return out, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT c.ref, c.service_id, c.fields, c.granted_at, c.withdrawn_at, COALESCE(f.name, '')
		FROM prefill_consents c LEFT JOIN forms f ON f.tenant_id = c.tenant_id AND f.service_id = c.service_id
		WHERE c.tenant_id = $1 AND c.account_id = $2 ORDER BY c.withdrawn_at IS NOT NULL, c.granted_at DESC, c.id DESC LIMIT 200`, tenantID, p.AccountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c Consent
		var fields string
		var w sql.NullTime
		if err := rows.Scan(&c.Ref, &c.ServiceID, &fields, &c.GrantedAt, &w, &c.FormTitle); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(fields), &c.Fields)
		if w.Valid {
			c.WithdrawnAt = &w.Time
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// WithdrawConsent ends a consent of the person: from then on nothing is
// prefilled for that service until they agree again. Drafts already
// filled keep what they hold (the person may change it).
func (s *Service) WithdrawConsent(ctx context.Context, p identity.Principal, tenantID int64, consentRef string) error {
	if err := p.Require(tenantID); err != nil {
		return err
	}
	if !p.IsPerson() {
		return fmt.Errorf("consent %s: %w", consentRef, fault.ErrNotFound)
	}
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE prefill_consents SET withdrawn_at = $1 WHERE tenant_id = $2 AND ref = $3 AND account_id = $4 AND withdrawn_at IS NULL`,
			tx.Now(), tenantID, consentRef, p.AccountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("consent %s: %w", consentRef, fault.ErrNotFound)
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "prefill.consent.withdraw", ObjectType: "prefill_consent", ObjectRef: consentRef})
	})
}
