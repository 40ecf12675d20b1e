// Command loadgen sends a closed-loop, keep-alive request mix to a server
// and reports requests/s, latency percentiles and errors.
//
//	loadgen -url http://127.0.0.1:8080 -login default: -c 8 -d 10s \
//	    -req 'list*3=/api/v1/pipelines?size=20' \
//	    -req 'create=POST /api/v1/pipelines {"name":"p-{{.Run}}-{{.Seq}}","project":"default"}'
//	loadgen -url ... -spec mix.json -json
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"zengo/bench/internal/zenapi"
	"zengo/bench/loadgen"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ", ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("loadgen", flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:8080", "server base URL")
	specPath := fs.String("spec", "", "JSON request-mix file (see bench/README.md)")
	var reqs multi
	fs.Var(&reqs, "req", "a request NAME[*WEIGHT]=[METHOD ]PATH[ BODY] (repeatable; adds to -spec)")
	conc := fs.Int("c", 8, "concurrency (workers, one request in flight each)")
	dur := fs.Duration("d", 10*time.Second, "measured duration")
	warm := fs.Duration("warmup", 1*time.Second, "warm-up before measuring")
	maxReq := fs.Int64("n", 0, "stop after this many measured requests (0: no limit)")
	token := fs.String("token", "", "bearer token sent with every request")
	login := fs.String("login", "", "USER:PASSWORD to log in with first (password login) and send the token")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Parse(os.Args[1:])

	spec := &loadgen.Spec{}
	if *specPath != "" {
		s, err := loadgen.ParseSpecFile(*specPath)
		if err != nil {
			return err
		}
		spec = s
	}
	for _, r := range reqs {
		rs, err := loadgen.ParseFlag(r)
		if err != nil {
			return err
		}
		spec.Requests = append(spec.Requests, rs)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *login != "" {
		user, pw, _ := strings.Cut(*login, ":")
		t, err := zenapi.New(*url, 1).Login(ctx, user, pw)
		if err != nil {
			return err
		}
		*token = t
	}
	if *token != "" {
		if spec.Headers == nil {
			spec.Headers = map[string]string{}
		}
		spec.Headers["Authorization"] = "Bearer " + *token
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	res, err := loadgen.Run(ctx, loadgen.Config{BaseURL: *url, Spec: spec, Concurrency: *conc, Duration: *dur, Warmup: *warm, MaxRequests: *maxReq})
	if res != nil {
		if *asJSON {
			res.WriteJSON(os.Stdout)
		} else {
			res.WriteText(os.Stdout)
		}
	}
	return err
}
