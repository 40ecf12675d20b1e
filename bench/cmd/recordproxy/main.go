// Command recordproxy is a small recording HTTP proxy: it forwards every
// request to -target and writes one JSON line per exchange (method, path
// with query, request body, status, answer body) to -out. It is how
// bench/runs/sequence.json was recorded from a real `@pipeline` run of
// the zenml client against the reference server (bench/README.md).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"time"
)

// Exchange is one recorded request and its answer.
type Exchange struct {
	Seq      int     `json:"seq"`
	Start    string  `json:"start"`
	Ms       float64 `json:"ms"`
	Method   string  `json:"method"`
	Path     string  `json:"path"`
	ReqBody  string  `json:"req_body,omitempty"`
	Status   int     `json:"status"`
	RespBody string  `json:"resp_body,omitempty"`
}

type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(s int) { r.status = s; r.ResponseWriter.WriteHeader(s) }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	target := flag.String("target", "", "server to forward to, e.g. http://127.0.0.1:8237")
	out := flag.String("out", "exchanges.jsonl", "file of the recorded exchanges")
	maxBody := flag.Int("max-body", 20000, "keep at most this many bytes of each body")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || *target == "" {
		log.Fatalf("-target: %v", err)
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	seq := 0
	proxy := httputil.NewSingleHostReverseProxy(u)
	cut := func(b []byte) string {
		if len(b) > *maxBody {
			return string(b[:*maxBody]) + "...(cut)"
		}
		return string(b)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w}
		proxy.ServeHTTP(rec, r)
		mu.Lock()
		defer mu.Unlock()
		seq++
		line, _ := json.Marshal(Exchange{Seq: seq, Start: began.Format(time.RFC3339Nano), Ms: float64(time.Since(began).Microseconds()) / 1000,
			Method: r.Method, Path: r.URL.RequestURI(), ReqBody: cut(body), Status: rec.status, RespBody: cut(rec.body.Bytes())})
		f.Write(append(line, '\n'))
	})
	srv := &http.Server{Handler: h}
	ln, err := netListen(*listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	log.Fatal(srv.Serve(ln))
}

func netListen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
