package app

import (
	"context"
	"io"
	"log/slog"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/config"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// RouteTable lists every route the server registers, exactly as `serve`
// builds them, for the browser harness (e2e/) that visits every GET page.
// It opens a throw-away installation in dataDir to build the handler.
func RouteTable(ctx context.Context, dataDir string) ([]web.Route, error) {
	cfg := config.Defaults()
	cfg.DataDir = dataDir
	e, err := open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.System{})
	if err != nil {
		return nil, err
	}
	defer e.close()
	_, rt := e.handler(nil)
	return rt.Routes(), nil
}
