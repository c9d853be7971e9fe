// Command rathaus is the digital town hall: one binary for the web site, the
// API, background jobs and the operator's commands. See internal/app.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rathaus/rathaus/internal/app"
	"github.com/rathaus/rathaus/internal/platform/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.Run(ctx, os.Args[1:], app.IO{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	if err != nil && err != cli.ErrNegative {
		fmt.Fprintln(os.Stderr, "rathaus:", err)
	}
	os.Exit(cli.ExitCode(err))
}
