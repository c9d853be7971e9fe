// Package payments is the money the city is owed: fees of services,
// payment requests with their payment notice (page and PDF with the EPC
// QR code), online payment through providers, bank statement import and
// reconciliation, reminders, refunds, receipts, SEPA direct-debit
// mandates and the finance views.
package payments
