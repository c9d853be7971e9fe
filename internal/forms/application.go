package forms

import "time"

// Status is where an application stands, as its applicant sees it. Forms
// sets submitted and withdrawn; case processing moves the others through
// SetStatus.
type Status string

// The applicant-visible statuses.
const (
	StatusSubmitted           Status = "submitted"
	StatusInProgress          Status = "in_progress"
	StatusAwaitingInformation Status = "awaiting_information"
	StatusAwaitingPayment     Status = "awaiting_payment"
	StatusDecided             Status = "decided"
	StatusWithdrawn           Status = "withdrawn"
	StatusClosed              Status = "closed"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusSubmitted, StatusInProgress, StatusAwaitingInformation, StatusAwaitingPayment, StatusDecided, StatusWithdrawn, StatusClosed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// Final reports whether nothing follows but closing (decided, withdrawn) or
// nothing at all (closed).
func (s Status) Final() bool {
	return s == StatusDecided || s == StatusWithdrawn || s == StatusClosed
}

// Withdrawable reports whether the applicant may still withdraw: until the
// application is decided.
func (s Status) Withdrawable() bool { return !s.Final() }

// canMove says whether the status may change from s to next: anything open
// moves freely among the open statuses and to decided or withdrawn; a
// decided or withdrawn application can only be closed; a closed one stays.
func (s Status) canMove(next Status) bool {
	switch s {
	case StatusClosed:
		return false
	case StatusDecided, StatusWithdrawn:
		return next == StatusClosed
	}
	return next != s
}

// Application is one submitted application as cases, the applicant and the
// API see it. It is immutable after submission except for its Status.
type Application struct {
	Ref      string `json:"reference"`
	TenantID int64  `json:"-"`
	// ServiceID is the catalog service the application is for.
	ServiceID string `json:"service"`
	// FormRef and FormVersion name the published form version it was
	// made with; FormTitle is that version's German title.
	FormRef     string `json:"form"`
	FormVersion int    `json:"form_version"`
	FormTitle   string `json:"form_title"`
	// AccountID / AccountRef / AccountKind: the applicant's account; 0 / ""
	// for an anonymous application, which has the confirmed Email instead.
	AccountID   int64  `json:"-"`
	AccountRef  string `json:"applicant,omitempty"`
	AccountKind string `json:"applicant_kind,omitempty"`
	Email       string `json:"email,omitempty"`
	// Answers are the canonical answers (JSON shapes per field type).
	Answers Answers `json:"answers"`
	// Files are the uploads with their blob keys (SHA-256) and names.
	Files []File `json:"files"`
	// ReceiptPDF and ReceiptJSON are blob keys: the receipt as PDF and the
	// submission as JSON, both made at submission.
	ReceiptPDF  string    `json:"receipt_pdf_sha256"`
	ReceiptJSON string    `json:"receipt_json_sha256"`
	Lang        string    `json:"lang"`
	SubmittedAt time.Time `json:"submitted_at"`
	Status      Status    `json:"status"`
	UpdatedAt   time.Time `json:"updated_at"`

	pdfSize, jsonSize int64 // of the receipts, while submitting
}

// Summary is an application in a list.
type Summary struct {
	Ref         string    `json:"reference"`
	ServiceID   string    `json:"service"`
	FormTitle   string    `json:"form_title"`
	FormVersion int       `json:"form_version"`
	Status      Status    `json:"status"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// Job kinds forms enqueues (payload {"tenant_id", "application"}).
const (
	JobSubmitted = "forms.submitted"
	JobWithdrawn = "forms.withdrawn"
)

// JobPayload is the payload of forms.submitted and forms.withdrawn.
type JobPayload struct {
	TenantID    int64  `json:"tenant_id"`
	Application string `json:"application"`
}
