// Package proc starts the servers the benchmarks measure, samples their
// memory, and describes the machine.
package proc

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"zengo/bench/internal/zenapi"
)

// Server is a running server process.
type Server struct {
	Kind    string // "zengo" or "reference"
	URL     string
	Cmd     *exec.Cmd
	Dir     string
	LogPath string
	done    chan struct{}
	exitErr error
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// cleanEnv is the environment without ZENML_/ZENGO_ settings, plus extra.
func cleanEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ZENML_") || strings.HasPrefix(kv, "ZENGO_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

func start(kind, dir, logPath string, env []string, name string, args ...string) (*Server, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = log
	cmd.Stderr = log
	// A process group of its own, so that stopping it reaches its children.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	s := &Server{Kind: kind, Cmd: cmd, Dir: dir, LogPath: logPath, done: make(chan struct{})}
	go func() {
		s.exitErr = cmd.Wait()
		log.Close()
		close(s.done)
	}()
	return s, nil
}

// StartZengo starts `zengo serve` on a free port with the data directory
// (or the store URL, if not empty) and waits until it is healthy.
func StartZengo(ctx context.Context, binary, dataDir, storeURL, password string, extraEnv map[string]string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	env := map[string]string{"ZENML_DEFAULT_USER_PASSWORD": password, "ZENGO_LOG_LEVEL": "warn"}
	for k, v := range extraEnv {
		env[k] = v
	}
	args := []string{"serve", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", dataDir}
	if storeURL != "" {
		args = append(args, "--store", storeURL)
	}
	s, err := start("zengo", dataDir, filepath.Join(dataDir, "zengo.log"), cleanEnv(env), binary, args...)
	if err != nil {
		return nil, err
	}
	s.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	return s, s.waitHealthy(ctx, 60*time.Second)
}

// StartCommand starts a server command whose arguments may hold "{port}"
// (replaced by a free port) in dir, with a log in dir, and waits until
// GET /health answers.
func StartCommand(ctx context.Context, kind, dir, binary string, args ...string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{port}", strconv.Itoa(port))
	}
	s, err := start(kind, dir, filepath.Join(dir, kind+".log"), cleanEnv(nil), binary, args...)
	if err != nil {
		return nil, err
	}
	s.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	return s, s.waitHealthy(ctx, 60*time.Second)
}

// StartReference starts the reference ZenML server of the virtualenv with
// uvicorn on a free port, on a SQLite database in dir.
func StartReference(ctx context.Context, venv, dir, password string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env := cleanEnv(map[string]string{
		"ZENML_CONFIG_PATH":           filepath.Join(dir, "cfg"),
		"ZENML_SERVER":                "true",
		"ZENML_STORE_URL":             "sqlite:///" + filepath.Join(dir, "zenml.db"),
		"ZENML_SERVER_AUTO_ACTIVATE":  "true",
		"ZENML_ANALYTICS_OPT_IN":      "false",
		"ZENML_DEFAULT_USER_PASSWORD": password,
		"ZENML_LOGGING_VERBOSITY":     "WARNING",
	})
	s, err := start("reference", dir, filepath.Join(dir, "server.log"), env, filepath.Join(venv, "bin", "uvicorn"),
		"zenml.zen_server.zen_server_api:app", "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--log-level", "warning")
	if err != nil {
		return nil, err
	}
	s.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	return s, s.waitHealthy(ctx, 180*time.Second)
}

func (s *Server) waitHealthy(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := zenapi.New(s.URL, 1).Health(ctx); err != nil {
		s.Stop()
		return fmt.Errorf("%s: %w (exit: %v)\n%s", s.Kind, err, s.exitErr, s.LogTail(3000))
	}
	return nil
}

// LogTail is the end of the server's log.
func (s *Server) LogTail(n int) string {
	b, _ := os.ReadFile(s.LogPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.Cmd.Process.Pid }

// Stop sends SIGTERM to the server's process group, then SIGKILL after 20s.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	pgid := s.Cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
}

// Memory of a process tree, in KiB.
type Memory struct {
	RSSKiB int64 // sum of VmRSS over the process and its descendants
	HWMKiB int64 // sum of VmHWM (each process's own peak) over the same
}

// TreeMemory reads /proc for the process and all its descendants.
func TreeMemory(pid int) Memory {
	var m Memory
	for _, p := range append([]int{pid}, descendants(pid)...) {
		rss, hwm := statusKiB(p)
		m.RSSKiB += rss
		m.HWMKiB += hwm
	}
	return m
}

func statusKiB(pid int) (rss, hwm int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = parseKiB(v)
		} else if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = parseKiB(v)
		}
	}
	return rss, hwm
}

func parseKiB(v string) int64 {
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n
}

// descendants lists the process's children, grandchildren and so on.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f := statFields(p)
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], p)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// Sampler records the peak memory of a process tree while it runs.
type Sampler struct {
	pid     int
	mu      sync.Mutex
	peak    int64 // since the last Reset
	overall int64 // since the start
	stop    chan struct{}
	done    chan struct{}
	every   time.Duration
}

// NewSampler starts sampling every interval.
func NewSampler(pid int, every time.Duration) *Sampler {
	s := &Sampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{}), every: every}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *Sampler) sample() {
	m := TreeMemory(s.pid)
	s.mu.Lock()
	s.peak = max(s.peak, m.RSSKiB)
	s.overall = max(s.overall, m.RSSKiB)
	s.mu.Unlock()
}

// Reset forgets the peak so far (to measure one phase); OverallPeak
// keeps it.
func (s *Sampler) Reset() {
	s.mu.Lock()
	s.peak = 0
	s.mu.Unlock()
	s.sample()
}

// Peak is the highest sampled VmRSS sum, in KiB.
func (s *Sampler) Peak() int64 {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// OverallPeak is the highest sampled VmRSS sum since the sampler started,
// in KiB.
func (s *Sampler) OverallPeak() int64 {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overall
}

// Stop ends the sampling.
func (s *Sampler) Stop() {
	close(s.stop)
	<-s.done
}

// Machine describes where a benchmark ran.
type Machine struct {
	CPUModel string  `json:"cpu_model"`
	Cores    int     `json:"cores"`
	MemGiB   float64 `json:"mem_gib"`
	Kernel   string  `json:"kernel"`
	GoOS     string  `json:"goos"`
	GoArch   string  `json:"goarch"`
}

// DescribeMachine reads /proc/cpuinfo and /proc/meminfo.
func DescribeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoOS: runtime.GOOS, GoArch: runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if mm := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); mm != nil {
			m.CPUModel = strings.TrimSpace(string(mm[1]))
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if mm := regexp.MustCompile(`(?m)^MemTotal:\s*(\d+) kB`).FindSubmatch(b); mm != nil {
			kb, _ := strconv.ParseFloat(string(mm[1]), 64)
			m.MemGiB = float64(int(kb/1024/1024*10+0.5)) / 10
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// Output runs a command and returns its trimmed output ("" on failure).
func Output(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// DirSize is the total size of the regular files under dir, in bytes.
func DirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// CPUSeconds is the user + system CPU time of a process and its
// descendants so far, from /proc/PID/stat (clock ticks of 1/100 s).
func CPUSeconds(pid int) float64 {
	var ticks int64
	for _, p := range append([]int{pid}, descendants(pid)...) {
		// After the comm: state(0) ppid(1) ... utime(11) stime(12).
		f := statFields(p)
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return float64(ticks) / 100
}

// statFields reads /proc/PID/stat and returns its fields after the
// command name (state, ppid, ...); the name may hold spaces, so the line is
// cut at its last ')'. Nil when the process is gone.
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}
