package app

import (
	"io"
	"log/slog"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/config"
)

func mustConfig(t *testing.T) config.Config {
	c := config.Defaults()
	c.DataDir = t.TempDir()
	return c
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type configT = config.Config

func defaultConfig() config.Config { return config.Defaults() }
