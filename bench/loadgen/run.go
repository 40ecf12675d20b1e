package loadgen

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one load run.
type Config struct {
	BaseURL     string        // e.g. http://127.0.0.1:8080
	Spec        *Spec         // the request mix
	Concurrency int           // workers (each one request in flight); default 8
	Duration    time.Duration // measured time; default 10s
	Warmup      time.Duration // time before measuring (requests sent, not counted)
	MaxRequests int64         // stop after this many measured requests (0: no limit)
	// MinRequests stretches the measured time past Duration until this many
	// requests have completed (for endpoints slower than the window), up to
	// MaxDuration (default 6 × Duration).
	MinRequests int64
	MaxDuration time.Duration
	Timeout     time.Duration // per request; default 30s
	// Client, if set, is used instead of a keep-alive client made for the run.
	Client *http.Client
	// RunID is what {{.Run}} expands to; default random.
	RunID string
}

// sample is one measured request.
type sample struct {
	req     uint16
	status  uint16 // 0 for a transport error
	latency time.Duration
}

// Run drives the mix against the server and returns the figures.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Spec == nil {
		return nil, errors.New("loadgen: no request spec")
	}
	ch, err := cfg.Spec.compile()
	if err != nil {
		return nil, err
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.RunID == "" {
		var b [4]byte
		_, _ = crand.Read(b[:])
		cfg.RunID = hex.EncodeToString(b[:])
	}
	client := cfg.Client
	if client == nil {
		client = NewClient(cfg.Concurrency, cfg.Timeout)
		defer client.CloseIdleConnections()
	}
	base := strings.TrimRight(cfg.BaseURL, "/")

	if cfg.MaxDuration < cfg.Duration {
		cfg.MaxDuration = 6 * cfg.Duration
	}
	var seq atomic.Uint64
	var measured, inFlight atomic.Int64
	var measuring atomic.Bool
	stop := make(chan struct{})
	var stopOnce sync.Once
	stopAll := func() { stopOnce.Do(func() { close(stop) }) }

	perWorker := make([][]sample, cfg.Concurrency)
	errSamples := make([][]string, cfg.Concurrency)
	var wg sync.WaitGroup
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w)+1, uint64(time.Now().UnixNano())))
			samples := make([]sample, 0, 4096)
			var wseq uint64
			var buf bytes.Buffer
			for {
				select {
				case <-stop:
					perWorker[w] = samples
					return
				case <-ctx.Done():
					perWorker[w] = samples
					return
				default:
				}
				idx := 0
				if len(ch.reqs) > 1 {
					idx = ch.choose(rng.IntN(ch.total))
				}
				cr := &ch.reqs[idx]
				v := Vars{Seq: seq.Add(1), Worker: uint64(w), WSeq: wseq, Run: cfg.RunID}
				wseq++
				req, err := cr.build(ctx, base, v, &buf)
				if err != nil {
					errSamples[w] = appendErr(errSamples[w], fmt.Sprintf("%s: %v", cr.name, err))
					stopAll()
					continue
				}
				start := time.Now()
				inFlight.Add(1)
				status, err := do(client, req)
				inFlight.Add(-1)
				lat := time.Since(start)
				if !measuring.Load() {
					continue
				}
				if err != nil {
					if ctx.Err() != nil {
						continue
					}
					errSamples[w] = appendErr(errSamples[w], fmt.Sprintf("%s: %v", cr.name, err))
				} else if status < 200 || status > 299 {
					errSamples[w] = appendErr(errSamples[w], fmt.Sprintf("%s: HTTP %d %s %s", cr.name, status, req.Method, req.URL.RequestURI()))
				}
				samples = append(samples, sample{req: uint16(idx), status: uint16(status), latency: lat})
				if n := measured.Add(1); cfg.MaxRequests > 0 && n >= cfg.MaxRequests {
					stopAll()
				}
			}
		}(w)
	}

	if cfg.Warmup > 0 {
		select {
		case <-time.After(cfg.Warmup):
		case <-stop:
		case <-ctx.Done():
		}
	}
	measuring.Store(true)
	began := time.Now()
	timer := time.NewTimer(cfg.Duration)
	select {
	case <-timer.C:
		for measured.Load() < cfg.MinRequests && time.Since(began) < cfg.MaxDuration && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
	case <-stop:
	case <-ctx.Done():
	}
	timer.Stop()
	elapsed := time.Since(began)
	measuring.Store(false)
	unfinished := inFlight.Load()
	stopAll()
	wg.Wait()

	names := make([]string, len(ch.reqs))
	for i, r := range ch.reqs {
		names[i] = r.name
	}
	var errs []string
	for _, e := range errSamples {
		for _, s := range e {
			errs = appendErr(errs, s)
		}
	}
	res := summarize(names, perWorker, elapsed, cfg.Concurrency)
	res.ErrorSamples = errs
	res.InFlightAtEnd = unfinished
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// appendErr keeps up to 10 distinct error messages.
func appendErr(list []string, s string) []string {
	if len(list) >= 10 {
		return list
	}
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

// build instantiates the request.
func (c *compiled) build(ctx context.Context, base string, v Vars, buf *bytes.Buffer) (*http.Request, error) {
	path := c.path
	if c.pathTmpl != nil {
		buf.Reset()
		if err := c.pathTmpl.Execute(buf, v); err != nil {
			return nil, err
		}
		path = buf.String()
	}
	var body io.Reader
	var length int
	if c.bodyTmpl != nil {
		buf.Reset()
		if err := c.bodyTmpl.Execute(buf, v); err != nil {
			return nil, err
		}
		b := append([]byte(nil), buf.Bytes()...)
		body, length = bytes.NewReader(b), len(b)
	} else if c.body != nil {
		body, length = bytes.NewReader(c.body), len(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, base+path, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = int64(length)
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	return req, nil
}

// do sends the request and reads the whole answer so that the connection
// goes back to the pool.
func do(client *http.Client, req *http.Request) (int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// NewClient is a keep-alive client with one idle connection per worker.
func NewClient(concurrency int, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        concurrency * 2,
			MaxIdleConnsPerHost: concurrency * 2,
			MaxConnsPerHost:     0,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		},
	}
}
