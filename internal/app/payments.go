package app

import (
	"context"

	"github.com/rathaus/rathaus/internal/payments"
	"github.com/rathaus/rathaus/internal/platform/cli"
)

// runPayments implements `rathaus payments SUBCOMMAND`: epc-qr and camt
// need no database.
func runPayments(ctx context.Context, io IO, args []string) error {
	if handled, err := payments.PureCommand(ctx, args, io.Stdout, io.Stderr); handled {
		return err
	}
	return cli.Usagef("usage: rathaus payments epc-qr ... | camt [--json] FILE")
}
