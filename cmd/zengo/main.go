// Command zengo is a ZenML-compatible metadata server.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "zengo:", err)
		os.Exit(1)
	}
}

const usage = `zengo: a ZenML-compatible metadata server (ZenML %s API)

Usage:
  zengo serve    [flags]   start the server
  zengo migrate  [flags]   bring the database schema up to date and exit
  zengo user     create|list|set-password [flags]   manage users in the store
  zengo secrets  rotate-key --old-key K1 --new-key K2   re-encrypt every secret
  zengo version            print the version

Run "zengo COMMAND --help" for a command's flags and environment variables.
`

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintf(stderr, usage, apiVersion)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "user":
		return userCommand(ctx, args[1:], getenv, stdout, stderr)
	case "secrets":
		return secretsCommand(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "zengo %s (ZenML API %s)\n", version, apiVersion)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintf(stdout, usage, apiVersion)
		return nil
	}
	fmt.Fprintf(stderr, usage, apiVersion)
	return fmt.Errorf("unknown command %q", args[0])
}
