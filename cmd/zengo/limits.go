package main

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"zengo/internal/api"
)

// httpSettings bound what one client can hold of the server: how long it
// may take to send a request and read the answer, how long an idle
// connection stays open, how many connections are open at once, and how
// large bodies are.
type httpSettings struct {
	readHeader, read, write, idle *string
	maxConns, maxBody, inFlight   *string
}

func addHTTPSettings(s *settings) httpSettings {
	return httpSettings{
		readHeader: s.add("read-header-timeout", "ZENGO_READ_HEADER_TIMEOUT", "10s", "time a client has to send a request's headers"),
		read:       s.add("read-timeout", "ZENGO_READ_TIMEOUT", "120s", "time a client has to send a whole request, body included"),
		write:      s.add("write-timeout", "ZENGO_WRITE_TIMEOUT", "120s", "time from a request's headers to the end of its answer"),
		idle:       s.add("idle-timeout", "ZENGO_IDLE_TIMEOUT", "5s", "how long an idle keep-alive connection stays open (the reference's 5 s)"),
		maxConns:   s.add("max-connections", "ZENGO_MAX_CONNECTIONS", "", "open client connections at most; more wait to be accepted (default: 4096, less when the open-file limit is lower)"),
		maxBody:    s.add("max-request-body-bytes", "ZENML_SERVER_MAX_REQUEST_BODY_SIZE_IN_BYTES", strconv.Itoa(api.DefaultMaxBodyBytes), "largest request body; larger ones get a 413"),
		inFlight:   s.add("body-bytes-in-flight", "ZENGO_BODY_BYTES_IN_FLIGHT", strconv.Itoa(api.DefaultBodyBytesInFlight), "bytes of all request bodies held at once; more wait"),
	}
}

type httpLimits struct {
	readHeader, read, write, idle time.Duration
	maxConns, maxHeaderBytes      int
	maxBody, bodyInFlight         int64
}

func (hs httpSettings) limits() (httpLimits, error) {
	l := httpLimits{maxHeaderBytes: 1 << 20}
	for _, d := range []struct {
		name string
		raw  *string
		dst  *time.Duration
	}{
		{"ZENGO_READ_HEADER_TIMEOUT", hs.readHeader, &l.readHeader},
		{"ZENGO_READ_TIMEOUT", hs.read, &l.read},
		{"ZENGO_WRITE_TIMEOUT", hs.write, &l.write},
		{"ZENGO_IDLE_TIMEOUT", hs.idle, &l.idle},
	} {
		v, err := time.ParseDuration(*d.raw)
		if err != nil || v <= 0 {
			return l, fmt.Errorf("%s must be a positive duration such as 30s, got %q", d.name, *d.raw)
		}
		*d.dst = v
	}
	for _, n := range []struct {
		name string
		raw  *string
		dst  *int64
	}{
		{"ZENML_SERVER_MAX_REQUEST_BODY_SIZE_IN_BYTES", hs.maxBody, &l.maxBody},
		{"ZENGO_BODY_BYTES_IN_FLIGHT", hs.inFlight, &l.bodyInFlight},
	} {
		v, err := strconv.ParseInt(*n.raw, 10, 64)
		if err != nil || v <= 0 {
			return l, fmt.Errorf("%s must be a positive number of bytes, got %q", n.name, *n.raw)
		}
		*n.dst = v
	}
	if l.bodyInFlight < l.maxBody {
		return l, fmt.Errorf("ZENGO_BODY_BYTES_IN_FLIGHT (%d) must be at least ZENML_SERVER_MAX_REQUEST_BODY_SIZE_IN_BYTES (%d)", l.bodyInFlight, l.maxBody)
	}
	l.maxConns = defaultMaxConns()
	if *hs.maxConns != "" {
		v, err := strconv.Atoi(*hs.maxConns)
		if err != nil || v < 1 {
			return l, fmt.Errorf("ZENGO_MAX_CONNECTIONS must be a positive integer, got %q", *hs.maxConns)
		}
		l.maxConns = v
	}
	return l, nil
}

// defaultMaxConns leaves room under the open-file limit (which the Go
// runtime has already raised to its hard limit) for database connections
// and files.
func defaultMaxConns() int {
	const want, reserve = 4096, 256
	limit, ok := openFileLimit()
	if !ok || limit > want+reserve {
		return want
	}
	return max(int(limit)-reserve, 16)
}

// limitListener accepts at most n connections at a time; Accept waits for
// one to close when all are in use (the kernel's backlog holds the rest).
type limitListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
