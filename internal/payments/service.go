package payments

import (
	"context"

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
}

// Contact is how a payer is reached.
type Contact struct {
	Email, Name string
}
