package mailbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/jobs"
	"github.com/rathaus/rathaus/internal/platform/mail"
	"github.com/rathaus/rathaus/internal/platform/ref"
	"github.com/rathaus/rathaus/internal/platform/seal"
)

// RepliedJob is enqueued in the transaction that stores a citizen's reply;
// payload Replied. The domain that asked (cases) handles it.
const RepliedJob = "mailbox.replied"

// Replied is the payload of RepliedJob: public references only.
type Replied struct {
	TenantID  int64  `json:"tenant_id"`
	Message   string `json:"message"`     // the reply
	InReplyTo string `json:"in_reply_to"` // the message answered
	Subject   string `json:"subject"`     // e.g. the case reference
}

// Message kinds and directions.
const (
	KindMessage            = "message"
	KindDecision           = "decision"
	KindInformationRequest = "information_request"
	KindReply              = "reply"

	DeliveryElectronic = "electronic"
	DeliveryPost       = "post"
)

// Limits of replies.
const (
	MaxBodyChars  = 5000
	MaxFiles      = 5
	MaxFileBytes  = 10 << 20
	LinkTTL       = 30 * 24 * time.Hour
	maxTitleChars = 300
)

// Service holds the mailbox use cases.
type Service struct {
	DB       *database.DB
	Identity *identity.Service
	Blobs    blob.Store
	// Verify checks a sealed document for display (nil: not checked).
	Verify func(doc []byte, at time.Time) seal.Verification
	// BaseURL is the public address of a tenant for the link in
	// notification mails.
	BaseURL func(ctx context.Context, tenantID int64) string
	// Quiet sends no notification mails (the demo seeding its history).
	Quiet bool
}

// Document is a file attached to a message.
type Document struct {
	Ref       string `json:"id"`
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	BlobKey   string `json:"sha256"`
	Size      int64  `json:"size"`
	Sealed    bool   `json:"sealed"`
}

// Message is one message of a mailbox.
type Message struct {
	Ref             string     `json:"id"`
	AccountID       int64      `json:"-"`
	Direction       string     `json:"direction"` // inbound (from the citizen), outbound
	Kind            string     `json:"kind"`
	SubjectRef      string     `json:"subject"`
	InReplyTo       string     `json:"in_reply_to"`
	Sender          string     `json:"sender"`
	Title           string     `json:"title"`
	Body            string     `json:"body"`
	Delivery        string     `json:"delivery"`
	RepliesAllowed  bool       `json:"replies_allowed"`
	CreatedAt       time.Time  `json:"created_at"`
	MadeAvailableAt *time.Time `json:"made_available_at"`
	FirstOpenedAt   *time.Time `json:"first_opened_at"`
	Documents       []Document `json:"documents"`
	Replies         []Message  `json:"replies,omitempty"`
	id              int64
}

// Outgoing is a message from the city.
type Outgoing struct {
	TenantID int64
	// AccountID is the recipient's account; 0 when the applicant has no
	// mailbox (applied with an e-mail address): a formal message then goes
	// by post.
	AccountID      int64
	Kind           string
	SubjectRef     string
	Sender         string // the unit's name
	Title, Body    string
	RepliesAllowed bool
	Documents      []Document // blobs already in the store
	// Formal: a formal delivery (a decision) goes electronically only with
	// the recipient's consent to electronic delivery; otherwise it is
	// printed for post.
	Formal bool
	Actor  string
}

// Sent says how a message went out.
type Sent struct {
	Ref       string
	Delivery  string
	PrintJob  string // reference of the print job for post
	Documents []Document
}

// Send stores an outgoing message in the caller's transaction and decides
// its delivery: electronic (made available now, a notification mail with
// a single-use link and no personal data) or post (a print job).
func (s *Service) Send(tx *database.Tx, o Outgoing) (*Sent, error) {
	ctx := tx.Context()
	if strings.TrimSpace(o.Title) == "" || len(o.Title) > 4*maxTitleChars {
		return nil, fault.Invalid("title", "required")
	}
	delivery := DeliveryElectronic
	if o.AccountID == 0 {
		delivery = DeliveryPost
	} else if o.Formal {
		ok, err := consented(tx, o.TenantID, o.AccountID)
		if err != nil {
			return nil, err
		}
		if !ok {
			delivery = DeliveryPost
		}
	}
	m := &Sent{Ref: ref.New("N"), Delivery: delivery}
	var available any
	if delivery == DeliveryElectronic {
		available = tx.Now()
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO mailbox_messages (tenant_id, ref, account_id, direction, kind, subject_ref, sender, title, body, delivery, replies_allowed, created_at, made_available_at)
		VALUES ($1, $2, $3, 'outbound', $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		o.TenantID, m.Ref, o.AccountID, o.Kind, o.SubjectRef, o.Sender, o.Title, o.Body, delivery, o.RepliesAllowed, tx.Now(), available).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("send message: %w", err)
	}
	for _, d := range o.Documents {
		d.Ref = ref.New("D")
		if err := addDocument(tx, o.TenantID, id, d); err != nil {
			return nil, err
		}
		m.Documents = append(m.Documents, d)
	}
	if delivery == DeliveryPost {
		m.PrintJob = ref.New("P")
		if _, err := tx.ExecContext(ctx, `INSERT INTO print_jobs (tenant_id, ref, message_id, created_at) VALUES ($1, $2, $3, $4)`, o.TenantID, m.PrintJob, id, tx.Now()); err != nil {
			return nil, err
		}
	} else if !s.Quiet {
		if err := s.notify(tx, o.TenantID, o.AccountID, id); err != nil {
			return nil, err
		}
	}
	actor := o.Actor
	if actor == "" {
		actor = "system"
	}
	return m, audit.Append(tx, audit.Event{TenantID: o.TenantID, Actor: actor, Action: "mailbox.sent", ObjectType: "mailbox_message", ObjectRef: m.Ref,
		After: map[string]any{"kind": o.Kind, "subject": o.SubjectRef, "delivery": delivery, "documents": len(o.Documents), "print_job": m.PrintJob}})
}

func addDocument(tx *database.Tx, tenantID, messageID int64, d Document) error {
	if !blob.ValidKey(d.BlobKey) {
		return fmt.Errorf("mailbox document %q: invalid blob key", d.Name)
	}
	if _, err := tx.ExecContext(tx.Context(), `INSERT INTO mailbox_documents (message_id, ref, name, media_type, blob_key, size, sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		messageID, d.Ref, d.Name, d.MediaType, d.BlobKey, d.Size, d.Sealed, tx.Now()); err != nil {
		return fmt.Errorf("mailbox document: %w", err)
	}
	return blob.Keep(tx, tenantID, d.BlobKey, d.Size, d.MediaType, "mailbox.document:"+d.Ref)
}

// notify mails the recipient a single-use link to the message; the mail
// names only the municipality, never the recipient, the case or its content.
func (s *Service) notify(tx *database.Tx, tenantID, accountID, messageID int64) error {
	ctx := tx.Context()
	email, _, _, err := s.Identity.Contact(ctx, tenantID, accountID)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	t, err := s.Identity.TenantByID(ctx, tenantID)
	if err != nil {
		return err
	}
	var raw [32]byte
	rand.Read(raw[:])
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	if _, err := tx.ExecContext(ctx, `INSERT INTO mailbox_links (token_hash, tenant_id, message_id, expires_at) VALUES ($1, $2, $3, $4)`,
		hashToken(secret), tenantID, messageID, tx.Now().Add(LinkTTL)); err != nil {
		return err
	}
	base := ""
	if s.BaseURL != nil {
		base = strings.TrimSuffix(s.BaseURL(ctx, tenantID), "/")
	}
	from := t.Settings.MailFrom
	if from == "" {
		from = "rathaus@localhost"
	}
	key := ref.New("M")
	text := fmt.Sprintf("Guten Tag,\n\nin Ihrem Postfach bei %s liegt eine neue Nachricht für Sie.\n\nÖffnen Sie sie hier (nach der Anmeldung):\n%s/nachricht/%s\n\nDer Link gilt einmal und 30 Tage. Sie finden die Nachricht auch jederzeit unter %s/postfach.\n\n---\n\nYou have a new message in your mailbox at %s. Open it (after signing in): %s/nachricht/%s\n",
		t.Name, base, secret, base, t.Name, base, secret)
	return jobs.Enqueue(tx, mail.JobKind, mail.Message{From: from, To: email, Subject: "Neue Nachricht in Ihrem Postfach / New message in your mailbox", Text: text, ID: strings.ToLower(key) + "@rathaus"},
		jobs.Options{Key: key, TenantID: tenantID})
}

func hashToken(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// owner requires a person acting for themselves: every account has a
// mailbox (citizens' and businesses' hold the city's messages; a staff
// member's is empty); integration tokens have none.
func owner(p identity.Principal, tenantID int64) error {
	if err := p.See(tenantID); err != nil {
		return err
	}
	if !p.IsPerson() {
		return fmt.Errorf("mailbox: only persons have one: %w", fault.ErrNotFound)
	}
	return nil
}

const messageCols = `m.id, m.ref, m.account_id, m.direction, m.kind, m.subject_ref, COALESCE(o.ref, ''), m.sender, m.title, m.body, m.delivery, m.replies_allowed, m.created_at, m.made_available_at, m.first_opened_at`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var avail, opened sql.NullTime
	err := row.Scan(&m.id, &m.Ref, &m.AccountID, &m.Direction, &m.Kind, &m.SubjectRef, &m.InReplyTo, &m.Sender, &m.Title, &m.Body, &m.Delivery, &m.RepliesAllowed, &m.CreatedAt, &avail, &opened)
	if avail.Valid {
		t := avail.Time
		m.MadeAvailableAt = &t
	}
	if opened.Valid {
		t := opened.Time
		m.FirstOpenedAt = &t
	}
	m.Documents = []Document{}
	return m, err
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (s *Service) documents(ctx context.Context, q querier, ms []Message) error {
	for i := range ms {
		rows, err := q.QueryContext(ctx, `SELECT ref, name, media_type, blob_key, size, sealed FROM mailbox_documents WHERE message_id = $1 ORDER BY id`, ms[i].id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d Document
			if err := rows.Scan(&d.Ref, &d.Name, &d.MediaType, &d.BlobKey, &d.Size, &d.Sealed); err != nil {
				rows.Close()
				return err
			}
			ms[i].Documents = append(ms[i].Documents, d)
		}
		rows.Close()
	}
	return nil
}

// Inbox lists the signed-in citizen's or business's messages, newest
// first: what the city made available electronically and their own replies.
func (s *Service) Inbox(ctx context.Context, p identity.Principal, tenantID int64) ([]Message, error) {
	if err := owner(p, tenantID); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+messageCols+` FROM mailbox_messages m LEFT JOIN mailbox_messages o ON o.id = m.in_reply_to
		WHERE m.tenant_id = $1 AND m.account_id = $2 AND m.delivery = 'electronic' ORDER BY m.id DESC LIMIT 500`, tenantID, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	out := []Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := s.documents(ctx, s.DB.R, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Unread counts the messages the owner has not opened yet.
func (s *Service) Unread(ctx context.Context, p identity.Principal, tenantID int64) (int, error) {
	if err := owner(p, tenantID); err != nil {
		return 0, err
	}
	var n int
	err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM mailbox_messages WHERE tenant_id = $1 AND account_id = $2 AND direction = 'outbound' AND delivery = 'electronic' AND first_opened_at IS NULL`,
		tenantID, p.AccountID).Scan(&n)
	return n, err
}

func (s *Service) ownMessage(ctx context.Context, q querier, p identity.Principal, tenantID int64, msgRef string) (Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+messageCols+` FROM mailbox_messages m LEFT JOIN mailbox_messages o ON o.id = m.in_reply_to
		WHERE m.tenant_id = $1 AND m.ref = $2 AND m.account_id = $3 AND m.delivery = 'electronic'`, tenantID, msgRef, p.AccountID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("message %s: %w", msgRef, fault.ErrNotFound)
	}
	return m, err
}

// Open returns one of the owner's messages with its documents and the
// replies to it, and records when it was first opened.
func (s *Service) Open(ctx context.Context, p identity.Principal, tenantID int64, msgRef string) (*Message, error) {
	if err := owner(p, tenantID); err != nil {
		return nil, err
	}
	var m Message
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var err error
		if m, err = s.ownMessage(ctx, tx, p, tenantID, msgRef); err != nil {
			return err
		}
		if err := s.markOpened(tx, tenantID, &m, p.Ref); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+messageCols+` FROM mailbox_messages m LEFT JOIN mailbox_messages o ON o.id = m.in_reply_to WHERE m.in_reply_to = $1 ORDER BY m.id`, m.id)
		if err != nil {
			return err
		}
		m.Replies = []Message{}
		for rows.Next() {
			r, err := scanMessage(rows)
			if err != nil {
				rows.Close()
				return err
			}
			m.Replies = append(m.Replies, r)
		}
		rows.Close()
		all := append([]Message{m}, m.Replies...)
		if err := s.documents(ctx, tx, all); err != nil {
			return err
		}
		m.Documents, m.Replies = all[0].Documents, all[1:]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func (s *Service) markOpened(tx *database.Tx, tenantID int64, m *Message, actor string) error {
	if m.Direction != "outbound" || m.FirstOpenedAt != nil {
		return nil
	}
	now := tx.Now()
	if _, err := tx.ExecContext(tx.Context(), `UPDATE mailbox_messages SET first_opened_at = $1 WHERE id = $2 AND first_opened_at IS NULL`, now, m.id); err != nil {
		return err
	}
	m.FirstOpenedAt = &now
	return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: actor, Action: "mailbox.opened", ObjectType: "mailbox_message", ObjectRef: m.Ref,
		After: map[string]any{"subject": m.SubjectRef, "kind": m.Kind}})
}

// OpenDocument returns one document of the owner's messages with its
// verified content; opening it counts as opening the message.
func (s *Service) OpenDocument(ctx context.Context, p identity.Principal, tenantID int64, msgRef, docRef string) (*Document, io.ReadSeekCloser, error) {
	m, err := s.Open(ctx, p, tenantID, msgRef)
	if err != nil {
		return nil, nil, err
	}
	for _, msg := range append([]Message{*m}, m.Replies...) {
		for _, d := range msg.Documents {
			if d.Ref == docRef {
				rc, err := s.Blobs.Open(ctx, d.BlobKey)
				if err != nil {
					return nil, nil, fmt.Errorf("document %s: %w", docRef, err)
				}
				return &d, rc, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("document %s: %w", docRef, fault.ErrNotFound)
}

// SealCheck verifies a sealed document for display.
func (s *Service) SealCheck(ctx context.Context, d Document) *seal.Verification {
	if !d.Sealed || s.Verify == nil {
		return nil
	}
	rc, err := s.Blobs.Open(ctx, d.BlobKey)
	if err != nil {
		return &seal.Verification{Sealed: true, Problem: "document unreadable"}
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 50<<20))
	if err != nil {
		return &seal.Verification{Sealed: true, Problem: "document unreadable"}
	}
	v := s.Verify(b, s.DB.Clock.Now())
	return &v
}

// Upload is a file a citizen attaches to a reply.
type Upload struct {
	Name string
	Data []byte
}

var allowedTypes = map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

// sniff returns the media type from the content (never the name).
func sniff(b []byte) string {
	if bytes.HasPrefix(b, []byte("%PDF-")) {
		return "application/pdf"
	}
	t := http.DetectContentType(b)
	if _, ok := allowedTypes[t]; ok {
		return t
	}
	return ""
}

func cleanName(n string) string {
	n = strings.ReplaceAll(n, "\\", "/")
	if i := strings.LastIndex(n, "/"); i >= 0 {
		n = n[i+1:]
	}
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, n)
	n = strings.TrimSpace(n)
	if len(n) > 120 {
		n = n[:120]
	}
	if n == "" {
		n = "datei"
	}
	return n
}

// Reply stores the owner's answer to a message that allows replies, with
// uploads (PDF, JPEG, PNG, sniffed from the content), and enqueues
// RepliedJob in the same transaction, so the case receives it even when a
// process dies in between. The blobs are put into the store first.
func (s *Service) Reply(ctx context.Context, p identity.Principal, tenantID int64, msgRef, body string, files []Upload) (*Message, error) {
	if err := owner(p, tenantID); err != nil {
		return nil, err
	}
	// The message first: someone else's is not found, whatever the input.
	orig, err := s.ownMessage(ctx, s.DB.R, p, tenantID, msgRef)
	if err != nil {
		return nil, err
	}
	if !orig.RepliesAllowed || orig.Direction != "outbound" {
		return nil, fmt.Errorf("message %s takes no replies: %w", msgRef, fault.ErrConflict)
	}
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	v := &fault.Validation{}
	if body == "" && len(files) == 0 {
		v.Add("body", "required")
	}
	if len([]rune(body)) > MaxBodyChars {
		v.Add("body", "too_long", "max", MaxBodyChars)
	}
	if len(files) > MaxFiles {
		v.Add("files", "files_too_many", "max", MaxFiles)
	}
	var docs []Document
	for i, f := range files {
		field := fmt.Sprintf("files.%d", i)
		if len(f.Data) > MaxFileBytes {
			v.Add(field, "file_too_large", "max", "10 MB")
			continue
		}
		mt := sniff(f.Data)
		if mt == "" {
			v.Add(field, "file_type", "allowed", "PDF, JPEG, PNG")
			continue
		}
		docs = append(docs, Document{Name: cleanName(f.Name), MediaType: mt, Size: int64(len(f.Data))})
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for i, f := range files { // all valid here: docs[i] is files[i]
		key, _, err := s.Blobs.Put(ctx, bytes.NewReader(f.Data))
		if err != nil {
			return nil, fmt.Errorf("reply: store upload: %w", fault.ErrUnavailable)
		}
		docs[i].BlobKey = key
	}
	reply := &Message{Ref: ref.New("N"), Direction: "inbound", Kind: KindReply, SubjectRef: orig.SubjectRef, InReplyTo: orig.Ref, Sender: "", Title: "Re: " + orig.Title,
		Body: body, Delivery: DeliveryElectronic, Documents: []Document{}}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO mailbox_messages (tenant_id, ref, account_id, direction, kind, subject_ref, in_reply_to, sender, title, body, delivery, created_at, made_available_at)
			VALUES ($1, $2, $3, 'inbound', 'reply', $4, $5, $6, $7, $8, 'electronic', $9, $9) RETURNING id`,
			tenantID, reply.Ref, p.AccountID, orig.SubjectRef, orig.id, p.Ref, reply.Title, body, tx.Now()).Scan(&id); err != nil {
			return err
		}
		reply.CreatedAt = tx.Now()
		for _, d := range docs {
			d.Ref = ref.New("D")
			if err := addDocument(tx, tenantID, id, d); err != nil {
				return err
			}
			reply.Documents = append(reply.Documents, d)
		}
		if err := jobs.Enqueue(tx, RepliedJob, Replied{TenantID: tenantID, Message: reply.Ref, InReplyTo: orig.Ref, Subject: orig.SubjectRef},
			jobs.Options{Key: reply.Ref, TenantID: tenantID}); err != nil {
			return err
		}
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "mailbox.replied", ObjectType: "mailbox_message", ObjectRef: reply.Ref,
			After: map[string]any{"in_reply_to": orig.Ref, "subject": orig.SubjectRef, "documents": len(docs)}})
	})
	if err != nil {
		return nil, fmt.Errorf("reply to %s: %w", msgRef, err)
	}
	return reply, nil
}

// Message is a system read of one message with its documents (for the
// domain that handles RepliedJob).
func (s *Service) Message(ctx context.Context, tenantID int64, msgRef string) (*Message, error) {
	m, err := scanMessage(s.DB.R.QueryRowContext(ctx, `SELECT `+messageCols+` FROM mailbox_messages m LEFT JOIN mailbox_messages o ON o.id = m.in_reply_to
		WHERE m.tenant_id = $1 AND m.ref = $2`, tenantID, msgRef))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %s: %w", msgRef, fault.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	ms := []Message{m}
	if err := s.documents(ctx, s.DB.R, ms); err != nil {
		return nil, err
	}
	return &ms[0], nil
}

// Delivery is the delivery record of one outgoing message (for staff and
// the e-file).
type Delivery struct {
	Ref             string     `json:"id"`
	Delivery        string     `json:"delivery"`
	MadeAvailableAt *time.Time `json:"made_available_at"`
	FirstOpenedAt   *time.Time `json:"first_opened_at"`
	PrintedAt       *time.Time `json:"printed_at"`
}

// DeliveryOf is a system read of the delivery record of a message.
func (s *Service) DeliveryOf(ctx context.Context, tenantID int64, msgRef string) (*Delivery, error) {
	var d Delivery
	var avail, opened, printed sql.NullTime
	err := s.DB.R.QueryRowContext(ctx, `SELECT m.ref, m.delivery, m.made_available_at, m.first_opened_at, p.printed_at FROM mailbox_messages m
		LEFT JOIN print_jobs p ON p.message_id = m.id WHERE m.tenant_id = $1 AND m.ref = $2`, tenantID, msgRef).Scan(&d.Ref, &d.Delivery, &avail, &opened, &printed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %s: %w", msgRef, fault.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	for _, x := range []struct {
		n *sql.NullTime
		t **time.Time
	}{{&avail, &d.MadeAvailableAt}, {&opened, &d.FirstOpenedAt}, {&printed, &d.PrintedAt}} {
		if x.n.Valid {
			t := x.n.Time
			*x.t = &t
		}
	}
	return &d, nil
}

// UseLink takes a notification link's secret: valid, unexpired, unused
// and for a message of the signed-in owner. It is spent on first use; a
// forged, expired, foreign or replayed link is not found.
func (s *Service) UseLink(ctx context.Context, p identity.Principal, tenantID int64, secret string) (string, error) {
	if err := owner(p, tenantID); err != nil {
		return "", err
	}
	var msgRef string
	err := database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		var id, account int64
		var used sql.NullTime
		var expires time.Time
		err := tx.QueryRowContext(ctx, `SELECT l.message_id, m.account_id, m.ref, l.used_at, l.expires_at FROM mailbox_links l JOIN mailbox_messages m ON m.id = l.message_id
			WHERE l.token_hash = $1 AND l.tenant_id = $2`, hashToken(secret), tenantID).Scan(&id, &account, &msgRef, &used, &expires)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (used.Valid || !expires.After(tx.Now()) || account != p.AccountID)) {
			return fmt.Errorf("mailbox link: %w", fault.ErrNotFound)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE mailbox_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL`, tx.Now(), hashToken(secret))
		if err != nil {
			return err
		}
		// A concurrent use spent it between the read and the update: a replay.
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("mailbox link spent concurrently: %w", fault.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return msgRef, nil
}

// LinkValid reports, without spending it, whether a link could be used
// (the page asks for a sign-in first and then for a click).
func (s *Service) LinkValid(ctx context.Context, tenantID int64, secret string) bool {
	var n int
	s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM mailbox_links WHERE token_hash = $1 AND tenant_id = $2 AND used_at IS NULL AND expires_at > $3`,
		hashToken(secret), tenantID, s.DB.Clock.Now().UTC()).Scan(&n)
	return n == 1
}

// Paragraphs splits the body at blank lines into paragraphs of lines (the
// template escapes each line).
func (m Message) Paragraphs() [][]string {
	var out [][]string
	for _, block := range strings.Split(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n\n") {
		var lines []string
		for _, l := range strings.Split(block, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out = append(out, lines)
		}
	}
	return out
}
