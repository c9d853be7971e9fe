package payments

import (
	"context"
	"github.com/rathaus/rathaus/internal/catalog"
	"sort"

	"github.com/rathaus/rathaus/internal/platform/blob"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

// Service holds the payments use cases.
type Service struct {
	DB     *database.DB
	Blobs  blob.Store
	Limits *ratelimit.Limiter
	// Providers are the online payment providers by name.
	Providers map[string]Provider
	// Contact returns a payer account's e-mail address and name (the
	// composition root reads them from identity); nil: requests carry the
	// address their creator gave.
	Contact func(ctx context.Context, tenantID, accountID int64) (Contact, error)
	// Notify delivers a message to a payer: through the mailbox once it
	// exists; the composition root's default sends a mail job.
	Notify Notifier
	// ServiceExists says whether a catalog service exists in the tenant
	// (settings are kept only for real services); nil: not checked.
	ServiceExists func(ctx context.Context, tenantID int64, serviceID string) (bool, error)
	// Catalog, when set, reads a catalog service, whose fee lines the fee
	// page offers as a proposal (SettingsFromCatalog).
	Catalog func(ctx context.Context, tenantID int64, serviceID string) (catalog.Service, error)
	// DefaultCreditorID prefills the SEPA creditor identifier of a
	// collection run (the demo city uses the official test identifier).
	DefaultCreditorID string
}

// providerNames lists the providers in a stable order.
func (s *Service) providerNames() []string {
	names := make([]string, 0, len(s.Providers))
	for n := range s.Providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Contact is how a payer is reached: their account's mailbox, else an
// e-mail address.
type Contact struct {
	AccountID   int64
	Email, Name string
}
