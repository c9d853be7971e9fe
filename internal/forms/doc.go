// Package forms is the city's online forms: versioned form definitions,
// the applications made with them, and their pages.
//
// Lifecycle of a form version: draft (form managers edit it) → published
// (immutable; it replaces the previous published version, which becomes
// retired) → retired. A service has at most one published version at a
// time; every application keeps the version it was made with, and a new
// application can only use the current one.
//
// Lifecycle of an application: submitted → in_progress,
// awaiting_information, awaiting_payment (moved by case processing through
// SetStatus) → decided → closed; the applicant may withdraw until it is
// decided (withdrawn → closed).
//
// Invariants: a submission is stored completely or not at all — the
// application row, its files, the blob references of files and receipts,
// the audit entry and the forms.submitted job are written in one
// transaction (the blobs before it). Answers are stored canonical and only
// for questions visible under the form's conditions; a file answer comes
// only from an upload of the same submission, its type decided from its
// content. Published definitions are never written again.
//
// Who may do what: citizens and businesses (persons of an allowed account
// kind) submit, read and withdraw their own applications — anyone else is
// told they do not exist; anonymous applicants only for forms that allow
// it, with a confirmed e-mail address. Form managers and admins create,
// edit and publish forms. Case processing reads any application of its
// tenant (Application) and moves its status (SetStatus) inside its own
// transaction; it learns of submissions and withdrawals through the jobs
// forms.submitted and forms.withdrawn.
//
// A SubmitGate (gate.go), wired by the composition root, may hold a
// submission until a condition outside forms is met — the fee of a
// service paid before submission; SubmitHeld then submits the held draft
// for its owner.
package forms
