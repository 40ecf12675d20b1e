// Command zengo is a ZenML-compatible metadata server.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
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
  zengo dashboard install WHEEL | check              the dashboard build zengo serves
  zengo import   --from ZENML_DB_URL [flags]        copy a ZenML 0.98.0 database into the store
  zengo secrets  rotate-key --old-key K1 --new-key K2   re-encrypt every secret
  zengo health   [flags]   check a running server's /health (for container health checks)
  zengo version            print the version and commit

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
	case "dashboard":
		return dashboardCommand(ctx, args[1:], getenv, stdout, stderr)
	case "secrets":
		return secretsCommand(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return importCommand(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "zengo %s (commit %s, ZenML API %s)\n", version, buildCommit(), apiVersion)
		return nil
	case "health":
		return healthCommand(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintf(stdout, usage, apiVersion)
		return nil
	}
	fmt.Fprintf(stderr, usage, apiVersion)
	return fmt.Errorf("unknown command %q", args[0])
}

// buildCommit is the commit set at link time, else the one Go recorded
// from the checkout it built in.
func buildCommit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" && dirty {
			return rev + "-dirty"
		}
		if rev != "" {
			return rev
		}
	}
	return "unknown"
}

// healthCommand asks the server on this machine for /health: the health
// check of a container, whose image has no shell or HTTP client.
func healthCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s := newSettings("health", stderr)
	listen := s.add("listen", "ZENGO_LISTEN", "127.0.0.1:8080", "the address the server listens on")
	if err := s.parse(args, getenv); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(*listen)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/health", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("/health answered %s", res.Status)
	}
	fmt.Fprintln(stdout, "healthy")
	return nil
}
