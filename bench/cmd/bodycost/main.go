// Command bodycost measures what request bodies cost zengo: server CPU per
// MB of body for valid and malformed JSON, with and without a token, at
// growing sizes. A cost that is linear in the body's size shows as a
// constant CPU-ms per MB down each column.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"zengo/bench/internal/flagenv"
	"zengo/bench/internal/proc"
	"zengo/bench/internal/zenapi"
)

const password = "bench-Admin-Pa55"

// Row is one kind of body at one size.
type Row struct {
	Body      string  `json:"body"`
	Token     bool    `json:"token"`
	SizeMiB   float64 `json:"size_mib"`
	Requests  int     `json:"requests"`
	Status    int     `json:"status"`
	CPUms     float64 `json:"server_cpu_ms"`
	CPUmsPerM float64 `json:"server_cpu_ms_per_mib"`
	PeakRSS   float64 `json:"peak_rss_mib"`
}

func main() {
	fs := flag.NewFlagSet("bodycost", flag.ExitOnError)
	bin := flagenv.String(fs, "zengo", "ZENGO_BIN", "bin/zengo", "zengo binary")
	sizes := flagenv.String(fs, "sizes", "BENCH_BODY_SIZES_MIB", "1,4,16,48", "body sizes in MiB")
	perSize := flagenv.Int(fs, "mib-per-case", "BENCH_BODY_MIB_PER_CASE", 96, "MiB sent per case (repeats the body)")
	out := flagenv.String(fs, "out", "BENCH_OUT", "bench/results", "results directory")
	fs.Parse(os.Args[1:])

	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "zengo-bodycost-")
	defer os.RemoveAll(dir)
	srv, err := proc.StartZengo(ctx, *bin, filepath.Join(dir, "data"), "", password, nil)
	if err != nil {
		fail(err)
	}
	defer srv.Stop()
	c := zenapi.New(srv.URL, 4)
	token, err := c.Login(ctx, "default", password)
	if err != nil {
		fail(err)
	}
	sampler := proc.NewSampler(srv.Pid(), 20*time.Millisecond)
	defer sampler.Stop()

	var rows []Row
	for _, s := range strings.Split(*sizes, ",") {
		mib, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			fail(err)
		}
		valid := numbersBody(int(mib * (1 << 20)))
		malformed := append(bytes.Clone(valid[:len(valid)-1]), 'x')
		for _, kind := range []struct {
			name string
			body []byte
		}{{"valid JSON (array of numbers)", valid}, {"malformed JSON (error at the end)", malformed}} {
			for _, withToken := range []bool{false, true} {
				n := max(1, int(float64(*perSize)/mib))
				sampler.Reset()
				before := cpuMillis(srv.Pid())
				status := 0
				for i := 0; i < n; i++ {
					status = post(srv.URL+"/api/v1/pipelines", kind.body, withToken, token)
				}
				cpu := cpuMillis(srv.Pid()) - before
				rows = append(rows, Row{Body: kind.name, Token: withToken, SizeMiB: mib, Requests: n, Status: status,
					CPUms: cpu, CPUmsPerM: cpu / (mib * float64(n)), PeakRSS: float64(sampler.Peak()) / 1024})
				r := rows[len(rows)-1]
				fmt.Printf("%-34s token=%-5v %5.0f MiB x%-3d -> %d  cpu %7.0f ms  %6.1f ms/MiB  peak RSS %4.0f MiB\n",
					r.Body, r.Token, r.SizeMiB, r.Requests, r.Status, r.CPUms, r.CPUmsPerM, r.PeakRSS)
			}
		}
	}
	m := proc.DescribeMachine()
	stamp := time.Now().Format("2006-01-02")
	os.MkdirAll(*out, 0o755)
	b, _ := json.MarshalIndent(map[string]any{"machine": m, "rows": rows}, "", "  ")
	os.WriteFile(filepath.Join(*out, "bodycost-"+stamp+".json"), b, 0o644)
	var md strings.Builder
	fmt.Fprintf(&md, "# Body cost, %s\n\nMachine: %s, %d cores, %.1f GiB, kernel %s.\n\n", stamp, m.CPUModel, m.Cores, m.MemGiB, m.Kernel)
	md.WriteString("| body | token | size MiB | requests | status | server CPU ms | CPU ms per MiB | peak RSS MiB |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&md, "| %s | %v | %.0f | %d | %d | %.0f | %.1f | %.0f |\n", r.Body, r.Token, r.SizeMiB, r.Requests, r.Status, r.CPUms, r.CPUmsPerM, r.PeakRSS)
	}
	os.WriteFile(filepath.Join(*out, "bodycost-"+stamp+".md"), []byte(md.String()), 0o644)
	fmt.Println("written to", filepath.Join(*out, "bodycost-"+stamp+".md"))
}

// numbersBody is a JSON array of five-digit numbers of about size bytes.
func numbersBody(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 8)
	b.WriteByte('[')
	for b.Len() < size-8 {
		b.WriteString("12345,")
	}
	b.WriteString("1]")
	return b.Bytes()
}

func post(url string, body []byte, withToken bool, token string) int {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if withToken {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// cpuMillis is the user+system CPU time the process has used.
func cpuMillis(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) * 10 // clock ticks of 10 ms
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bodycost:", err)
	os.Exit(1)
}
