package forms

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/pow"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
	"github.com/rathaus/rathaus/internal/platform/ref"
)

// Draft lifetimes: a draft is kept for DraftTTL after its last change; an
// emailed link to resume it works for ResumeLinkTTL, a confirmation link
// for an anonymous applicant's address for ConfirmLinkTTL.
const (
	DraftTTL       = 30 * 24 * time.Hour
	ResumeLinkTTL  = 7 * 24 * time.Hour
	ConfirmLinkTTL = 24 * time.Hour
)

// ErrDraftNotFound: no such draft for this visitor (or it expired).
var ErrDraftNotFound = fmt.Errorf("draft: %w", fault.ErrNotFound)

// Draft is an application being filled in. Answers are kept as entered
// (strings, lists of strings, nested objects), so a page shows exactly what
// was typed; they are checked against the form at every step and at the
// end. A draft belongs to an account, or — anonymous — to whoever holds its
// secret (a browser cookie, or a resume link).
type Draft struct {
	ID             int64
	Ref            string
	TenantID       int64
	ServiceID      string
	VersionID      int64
	AccountID      int64
	Answers        map[string]any
	Files          []File
	Email          string
	EmailConfirmed bool
	// Prefill is the decision about prefilling: "" (not asked yet), "yes", "no".
	Prefill   string
	Lang      string
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
	// VersionChanged: the form was republished since the draft began; the
	// draft now uses the current version and the answers are checked again.
	VersionChanged bool

	Def     *Definition
	FormRef string
	Version int
}

// Visitor is who works on a draft: a signed-in person (P.AccountID set),
// or an anonymous visitor holding the draft's secret.
type Visitor struct {
	P      identity.Principal
	Secret string
	held   bool // the system submits a held draft (SubmitHeld)
	// Addr is the client's address (web.ClientFrom): anonymous drafts and
	// emailed links are limited per address, so that one stranger can
	// neither use up what all anonymous applicants share nor mail many
	// people.
	Addr string
	// PoW is a solved challenge (the form field "altcha"): an anonymous
	// start needs one once the hour's free anonymous drafts are used up
	// (pow.go).
	PoW string
}

func (v Visitor) person() bool { return v.P.IsPerson() }

func newDraftSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func secretHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// StartDraft begins a draft for a service's current published form. A
// signed-in person of an allowed kind always may; without an account only
// when the form allows anonymous applications — the returned secret is then
// the draft's key (set as a cookie).
func (s *Service) StartDraft(ctx context.Context, v Visitor, tenantID int64, serviceID, lang string) (*Draft, string, error) {
	cur, err := s.current(ctx, s.DB.R, tenantID, serviceID)
	if err != nil {
		return nil, "", err
	}
	secret := ""
	var account any
	if v.person() {
		if err := v.P.Require(tenantID); err != nil {
			return nil, "", err
		}
		person, err := s.Identity.PersonByID(ctx, tenantID, v.P.AccountID)
		if err != nil {
			return nil, "", err
		}
		if !cur.Def.AllowsKind(person.Kind) {
			return nil, "", fault.Invalid("service", "account_kind")
		}
		account = v.P.AccountID
	} else {
		if !cur.Def.Anonymous {
			return nil, "", fmt.Errorf("start draft: %w", fault.ErrUnauthorized)
		}
		secret = newDraftSecret()
	}
	if lang != "en" {
		lang = "de"
	}
	d := &Draft{Ref: ref.New("D"), TenantID: tenantID, ServiceID: serviceID, VersionID: cur.ID, AccountID: v.P.AccountID, Answers: map[string]any{}, Files: []File{}, Lang: lang,
		Def: cur.Def, FormRef: cur.FormRef, Version: cur.Version}
	if !v.person() {
		d.AccountID = 0
	}
	// A solution is checked before the transaction (no write, about 2 µs);
	// it is needed only when the free drafts turn out to be used up.
	var sol pow.Solution
	var solErr error
	if s.Limits.Enabled() && !v.person() {
		sol, solErr = s.checkPoW(ctx, tenantID, v.PoW)
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		if s.Limits != nil && !v.person() {
			// Anonymous drafts store input from anybody: bounded per
			// address first (so one stranger cannot use up the tenant's
			// allowance), then per tenant — beyond which a start is paid
			// with a solved challenge instead of refused (pow.go).
			if v.Addr != "" {
				if err := s.Limits.AllowTx(tx, anonymousDraftsPerAddress, fmt.Sprint(tenantID), v.Addr); err != nil {
					return err
				}
			}
			var rl *fault.RateLimited
			if err := s.Limits.AllowTx(tx, anonymousDrafts, fmt.Sprint(tenantID)); errors.As(err, &rl) {
				if err := s.payAnonymousStart(tx, tenantID, sol, solErr); err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
		}
		d.CreatedAt, d.UpdatedAt, d.ExpiresAt = tx.Now(), tx.Now(), tx.Now().Add(DraftTTL)
		sh := ""
		if secret != "" {
			sh = secretHash(secret)
		}
		return tx.QueryRowContext(ctx, `INSERT INTO form_drafts (tenant_id, ref, service_id, form_version_id, account_id, secret_hash, lang, created_at, updated_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING id`, tenantID, d.Ref, serviceID, cur.ID, account, sh, lang, tx.Now(), d.ExpiresAt).Scan(&d.ID)
	})
	if err != nil {
		return nil, "", fmt.Errorf("start draft: %w", err)
	}
	return d, secret, nil
}

const draftCols = `id, ref, tenant_id, service_id, form_version_id, account_id, secret_hash, answers, files, email, email_confirmed_at, prefill, lang, created_at, updated_at, expires_at`

// loadDraft reads a draft the visitor may work on, switching it to the
// current form version when that changed.
func (s *Service) loadDraft(ctx context.Context, q queryer, v Visitor, tenantID int64, draftRef string, lock string) (*Draft, error) {
	var d Draft
	var account sql.NullInt64
	var sh, answers, files string
	var confirmed sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT `+draftCols+` FROM form_drafts WHERE tenant_id = $1 AND ref = $2`+lock, tenantID, strings.TrimSpace(draftRef)).
		Scan(&d.ID, &d.Ref, &d.TenantID, &d.ServiceID, &d.VersionID, &account, &sh, &answers, &files, &d.Email, &confirmed, &d.Prefill, &d.Lang, &d.CreatedAt, &d.UpdatedAt, &d.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrDraftNotFound
	}
	if err != nil {
		return nil, err
	}
	d.AccountID, d.EmailConfirmed = account.Int64, confirmed.Valid
	switch {
	case v.held:
	case account.Valid:
		if v.P.TenantID != tenantID || v.P.AccountID != account.Int64 {
			return nil, ErrDraftNotFound
		}
	default:
		if v.Secret == "" || secretHash(v.Secret) != sh {
			return nil, ErrDraftNotFound
		}
	}
	if s.DB.Clock.Now().After(d.ExpiresAt) {
		return nil, ErrDraftNotFound
	}
	dec := json.NewDecoder(strings.NewReader(answers))
	dec.UseNumber()
	if err := dec.Decode(&d.Answers); err != nil || d.Answers == nil {
		d.Answers = map[string]any{}
	}
	if err := json.Unmarshal([]byte(files), &d.Files); err != nil || d.Files == nil {
		d.Files = []File{}
	}
	cur, err := s.current(ctx, q, tenantID, d.ServiceID)
	if err != nil {
		return nil, err
	}
	if cur.ID != d.VersionID {
		d.VersionID, d.VersionChanged = cur.ID, true
	}
	d.Def, d.FormRef, d.Version = cur.Def, cur.FormRef, cur.Version
	return &d, nil
}

// Draft returns a draft the visitor may work on.
func (s *Service) Draft(ctx context.Context, v Visitor, tenantID int64, draftRef string) (*Draft, error) {
	return s.loadDraft(ctx, s.DB.R, v, tenantID, draftRef, "")
}

// OpenDrafts lists a person's drafts, newest first (for the account page).
func (s *Service) OpenDrafts(ctx context.Context, p identity.Principal, tenantID int64) ([]DraftSummary, error) {
	out := []DraftSummary{}
	if err := p.Require(tenantID); err != nil || !p.IsPerson() {
		return out, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT d.ref, d.service_id, f.name, d.updated_at, d.expires_at FROM form_drafts d
		JOIN form_versions v ON v.id = d.form_version_id JOIN forms f ON f.id = v.form_id
		WHERE d.tenant_id = $1 AND d.account_id = $2 AND d.expires_at > $3 ORDER BY d.updated_at DESC LIMIT 50`, tenantID, p.AccountID, s.DB.Clock.Now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var ds DraftSummary
		if err := rows.Scan(&ds.Ref, &ds.ServiceID, &ds.FormTitle, &ds.UpdatedAt, &ds.ExpiresAt); err != nil {
			return nil, err
		}
		out = append(out, ds)
	}
	return out, rows.Err()
}

// DraftSummary is a draft in a list.
type DraftSummary struct {
	Ref, ServiceID, FormTitle string
	UpdatedAt, ExpiresAt      time.Time
}

// Step is the input of one page: the values of the step's fields as entered
// (by path: "address.street", "vehicles.0.plate"), new uploads, and files
// to remove (their field path and SHA-256).
type StepInput struct {
	Values  map[string]any
	Uploads []Upload
	Remove  []File
	// Add / RemoveItem change the entries of a repeated group: the group's
	// path, and for RemoveItem the entry's index.
	AddItem    string
	RemoveItem string
	RemoveAt   int
}

// SaveStep stores the input of one step into the draft and returns the
// problems of that step's fields (nil when the step is complete). Values
// of other steps are untouched; uploads are checked and stored at once.
func (s *Service) SaveStep(ctx context.Context, v Visitor, tenantID int64, draftRef, stepID string, in StepInput) (*Draft, *fault.Validation, error) {
	d, err := s.Draft(ctx, v, tenantID, draftRef)
	if err != nil {
		return nil, nil, err
	}
	step := d.Def.Step(stepID)
	if step == nil {
		return nil, nil, fmt.Errorf("step %q: %w", stepID, fault.ErrNotFound)
	}
	uv := &fault.Validation{}
	var stored []File
	for _, up := range in.Uploads {
		f := fieldAt(d.Def, up.Field)
		if f == nil || f.Type != TypeFile || topID(up.Field, step) == "" {
			uv.Add(up.Field, "unknown_field")
			continue
		}
		fl, err := s.checkUpload(ctx, up, fieldMaxSize(d.Def, up.Field))
		if fv, ok := fault.AsValidation(err); ok {
			uv.Merge("", fv)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		key, _, err := s.Blobs.Put(ctx, bytes.NewReader(up.Data))
		if err != nil {
			return nil, nil, fmt.Errorf("store upload: %v: %w", err, fault.ErrUnavailable)
		}
		fl.SHA256 = key
		stored = append(stored, fl)
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		cur, err := s.loadDraft(ctx, tx, v, tenantID, draftRef, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		before := append([]File(nil), cur.Files...)
		for _, f := range step.Fields {
			if f.Type == TypeFile || f.Type == TypeNote {
				continue
			}
			if val, ok := in.Values[f.ID]; ok && !isEmpty(val) {
				cur.Answers[f.ID] = val
			} else {
				delete(cur.Answers, f.ID)
			}
		}
		if in.AddItem != "" {
			addItem(cur.Answers, cur.Def, in.AddItem)
		}
		if in.RemoveItem != "" {
			removeItem(cur.Answers, in.RemoveItem, in.RemoveAt)
			cur.Files = shiftFiles(cur.Files, in.RemoveItem, in.RemoveAt)
		}
		owner := "forms.draft:" + cur.Ref
		for _, rm := range in.Remove {
			kept := cur.Files[:0]
			for _, f := range cur.Files {
				if f.Field == rm.Field && f.SHA256 == rm.SHA256 {
					continue
				}
				kept = append(kept, f)
			}
			cur.Files = kept
		}
		for _, f := range stored {
			if err := blob.Keep(tx, tenantID, f.SHA256, f.Size, f.MediaType, owner); err != nil {
				return err
			}
			cur.Files = append(cur.Files, f)
		}
		if err := releaseUnused(tx, before, cur.Files, owner); err != nil {
			return err
		}
		*d = *cur
		return s.saveDraft(tx, cur)
	})
	if err != nil {
		return nil, nil, err
	}
	if in.AddItem != "" || in.RemoveItem != "" || len(in.Remove) > 0 {
		return d, nil, nil // an edit of the page, not "continue"
	}
	if len(uv.Errors) > 0 {
		return d, uv.Merge("", s.stepProblems(d, step)), nil
	}
	return d, s.stepProblems(d, step), nil
}

// topID returns the step's top-level field id of a path ("vehicles.0.x" →
// "vehicles") when that field belongs to the step, else "".
func topID(path string, step *Step) string {
	top, _, _ := strings.Cut(path, ".")
	for _, f := range step.Fields {
		if f.ID == top {
			return top
		}
	}
	return ""
}

// stepProblems checks the whole draft and keeps the problems of the step's
// fields (nil: none).
func (s *Service) stepProblems(d *Draft, step *Step) *fault.Validation {
	_, _, err := Validate(d.Def, d.Answers, Check{Now: s.DB.Clock.Now(), Files: filesByField(d.Files)})
	fv, ok := fault.AsValidation(err)
	if !ok {
		return nil
	}
	out := &fault.Validation{}
	for _, e := range fv.Errors {
		if topID(e.Field, step) != "" {
			out.Errors = append(out.Errors, e)
		}
	}
	if len(out.Errors) == 0 {
		return nil
	}
	return out
}

// Problems checks the whole draft (the check-your-answers page).
func (s *Service) Problems(d *Draft) *fault.Validation {
	_, _, err := Validate(d.Def, d.Answers, Check{Now: s.DB.Clock.Now(), Files: filesByField(d.Files)})
	fv, _ := fault.AsValidation(err)
	return fv
}

// Canonical returns the draft's answers as they would be submitted (only
// visible, valid answers), for conditions and the summary.
func (s *Service) Canonical(d *Draft) Answers {
	a, _, _ := Validate(d.Def, d.Answers, Check{Now: s.DB.Clock.Now(), Files: filesByField(d.Files)})
	return a
}

func filesByField(files []File) map[string][]File {
	m := map[string][]File{}
	for _, f := range files {
		m[f.Field] = append(m[f.Field], f)
	}
	return m
}

// rawAt returns the value at an answer path in raw answers ("g.h",
// "vehicles.1.sub"), creating the objects on the way when create is set.
func rawAt(a map[string]any, path string, create bool) (parent map[string]any, key string) {
	parts := strings.Split(path, ".")
	cur := a
	for i := 0; i < len(parts)-1; i++ {
		next := cur[parts[i]]
		if i+1 < len(parts)-1 && isIndex(parts[i+1]) {
			list, _ := next.([]any)
			n, _ := strconv.Atoi(parts[i+1])
			if n >= len(list) {
				return nil, ""
			}
			m, _ := list[n].(map[string]any)
			if m == nil {
				return nil, ""
			}
			cur = m
			i++
			continue
		}
		m, _ := next.(map[string]any)
		if m == nil {
			if !create {
				return nil, ""
			}
			m = map[string]any{}
			cur[parts[i]] = m
		}
		cur = m
	}
	return cur, parts[len(parts)-1]
}

// addItem appends an empty entry to a repeated group (up to its maximum).
func addItem(a map[string]any, d *Definition, path string) {
	f := fieldAt(d, path)
	if f == nil || !f.Repeat {
		return
	}
	parent, key := rawAt(a, path, true)
	if parent == nil {
		return
	}
	items, _ := parent[key].([]any)
	maxItems := DefaultMaxItems
	if f.Rules.MaxItems != nil {
		maxItems = *f.Rules.MaxItems
	}
	if len(items) == 0 {
		items = []any{map[string]any{}} // the entry shown before any was added
	}
	if len(items) < maxItems {
		items = append(items, map[string]any{})
	}
	parent[key] = items
}

func removeItem(a map[string]any, path string, i int) {
	parent, key := rawAt(a, path, false)
	if parent == nil {
		return
	}
	items, _ := parent[key].([]any)
	if i < 0 || i >= len(items) {
		return
	}
	items = append(items[:i:i], items[i+1:]...)
	if len(items) == 0 {
		delete(parent, key)
		return
	}
	parent[key] = items
}

// shiftFiles drops the files of a removed entry and renumbers the later
// entries' files ("vehicles.2.x" → "vehicles.1.x").
func shiftFiles(files []File, path string, i int) []File {
	var out []File
	for _, f := range files {
		rest, ok := strings.CutPrefix(f.Field, path+".")
		if !ok {
			out = append(out, f)
			continue
		}
		idx, tail, _ := strings.Cut(rest, ".")
		n := -1
		fmt.Sscanf(idx, "%d", &n)
		switch {
		case n == i:
			continue
		case n > i:
			f.Field = fmt.Sprintf("%s.%d.%s", path, n-1, tail)
		}
		out = append(out, f)
	}
	return out
}

// releaseUnused releases the draft's blob references of files it no longer
// has (before → after).
func releaseUnused(tx *database.Tx, before, after []File, owner string) error {
	keep := map[string]bool{}
	for _, f := range after {
		keep[f.SHA256] = true
	}
	done := map[string]bool{}
	for _, f := range before {
		if keep[f.SHA256] || done[f.SHA256] {
			continue
		}
		done[f.SHA256] = true
		if err := blob.Release(tx, f.SHA256, owner); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) saveDraft(tx *database.Tx, d *Draft) error {
	a, err := json.Marshal(d.Answers)
	if err != nil {
		return err
	}
	f, err := json.Marshal(d.Files)
	if err != nil {
		return err
	}
	if len(a)+len(f) > 1<<20 {
		return fault.Invalid("draft", "too_long", "max", 1<<20)
	}
	d.UpdatedAt, d.ExpiresAt = tx.Now(), tx.Now().Add(DraftTTL)
	_, err = tx.ExecContext(tx.Context(), `UPDATE form_drafts SET answers = $1, files = $2, form_version_id = $3, prefill = $4, updated_at = $5, expires_at = $6 WHERE id = $7`,
		string(a), string(f), d.VersionID, d.Prefill, d.UpdatedAt, d.ExpiresAt, d.ID)
	return err
}

// DiscardDraft deletes a draft and releases its uploads.
func (s *Service) DiscardDraft(ctx context.Context, v Visitor, tenantID int64, draftRef string) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		d, err := s.loadDraft(ctx, tx, v, tenantID, draftRef, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		return deleteDraft(tx, d)
	})
}

func deleteDraft(tx *database.Tx, d *Draft) error {
	if err := releaseUnused(tx, d.Files, nil, "forms.draft:"+d.Ref); err != nil {
		return err
	}
	_, err := tx.ExecContext(tx.Context(), `DELETE FROM form_drafts WHERE id = $1`, d.ID)
	return err
}

// SubmitDraft submits a complete draft: the same use case as the API, with
// the draft's answers (answers to questions that are no longer asked are
// dropped) and its stored uploads; the draft is deleted in the
// submission's transaction.
func (s *Service) SubmitDraft(ctx context.Context, v Visitor, tenantID int64, draftRef string) (*Application, error) {
	d, err := s.Draft(ctx, v, tenantID, draftRef)
	if err != nil {
		return nil, err
	}
	if d.VersionChanged {
		// The citizen must see the current form's questions before sending.
		return nil, fmt.Errorf("draft %s: form republished: %w", d.Ref, fault.ErrConflict)
	}
	in := Submission{ServiceID: d.ServiceID, FormVersion: d.Version, Answers: d.Answers, Files: d.Files, Lang: d.Lang, draft: d}
	if d.AccountID != 0 {
		return s.Submit(ctx, v.P, tenantID, in)
	}
	if !d.EmailConfirmed {
		return nil, fault.Invalid("email", "email_unconfirmed")
	}
	in.Email = d.Email
	return s.submitAnonymous(ctx, tenantID, in)
}

// MarkVersionSeen stores the draft on the current form version after the
// citizen was told it changed.
func (s *Service) MarkVersionSeen(ctx context.Context, v Visitor, tenantID int64, draftRef string) error {
	return database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		d, err := s.loadDraft(ctx, tx, v, tenantID, draftRef, tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		return s.saveDraft(tx, d)
	})
}

// anonymousDrafts bounds how many drafts visitors without an account may
// start per tenant and hour.
var anonymousDrafts = ratelimit.Rule{Name: "forms.anonymous_draft", Limit: 500, Window: time.Hour}

// anonymousDraftsPerAddress bounds the anonymous drafts one address may
// start per tenant and hour.
var anonymousDraftsPerAddress = ratelimit.Rule{Name: "forms.anonymous_draft.address", Limit: 20, Window: time.Hour}
