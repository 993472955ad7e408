package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// countHandler counts the log records whose message starts with a prefix.
type countHandler struct {
	mu     sync.Mutex
	counts map[string]int
}

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[r.Message]++
	return nil
}
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }
func (h *countHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[msg]
}

// TestAcceptSurvivesEMFILE runs the process out of descriptors while a
// client waits in the proxy's listen queue: the proxy must say so in its
// API view and metrics, log it once, and accept the client once descriptors
// are free again.
func TestAcceptSurvivesEMFILE(t *testing.T) {
	logs := &countHandler{counts: map[string]int{}}
	s := NewServer(Options{Logger: slog.New(logs)})
	defer s.Close()
	up := startUpstream(t, echo)
	info, err := s.CreateProxy(ProxySpec{Name: "p", Listen: "127.0.0.1:0", Upstream: up})
	if err != nil {
		t.Fatal(err)
	}
	// A first connection, so that the runtime has set up what it needs.
	roundTrip(t, dial(t, info.Listen), "warm")

	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = uint64(len(fds) + 64)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	var fillers []*os.File
	release := func() {
		for _, f := range fillers {
			f.Close()
		}
		fillers = nil
		unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
	}
	defer release()
	for {
		f, err := os.Open("/dev/null")
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("filling the descriptor table: %v", err)
			}
			break
		}
		fillers = append(fillers, f)
		if len(fillers) > 1000 {
			t.Fatal("the lowered limit did not take")
		}
	}
	// One descriptor free: the client's socket takes it, and the proxy's
	// accept finds none.
	fillers[len(fillers)-1].Close()
	fillers = fillers[:len(fillers)-1]
	c, err := dialNoCleanup(info.Listen)
	if err != nil {
		t.Fatalf("dial with one descriptor free: %v", err)
	}
	defer c.Close()

	deadline := time.Now().Add(hang)
	var shown string
	for time.Now().Before(deadline) {
		if shown = s.Proxies()[0].AcceptError; shown != "" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("accept_error: %s", shown)
	if !strings.Contains(shown, "too many open files") {
		t.Fatalf("proxy info while out of descriptors: accept_error %q, want too many open files", shown)
	}
	time.Sleep(100 * time.Millisecond) // several failed accepts, one burst
	release()

	if got := roundTrip(t, c, "queued"); got != "queued" {
		t.Fatalf("the queued client got %q", got)
	}
	if e := s.Proxies()[0].AcceptError; e != "" {
		t.Errorf("accept_error after recovery: %q, want none", e)
	}
	if n := logs.count("accept failing; retrying with back-off until it works"); n != 1 {
		t.Errorf("logged the failure %d times for one burst, want once", n)
	}
	if n := logs.count("accepting again"); n != 1 {
		t.Errorf("logged the recovery %d times, want once", n)
	}
	body := httpGet(t, s, "/metrics")
	if !strings.Contains(body, `teardown_proxy_accept_errors_total{proxy="p"} `) ||
		strings.Contains(body, `teardown_proxy_accept_errors_total{proxy="p"} 0`) {
		t.Errorf("metrics do not count the failed accepts:\n%s", body)
	}
}

// dialNoCleanup dials addr with the hang deadline set; the caller closes
// the connection.
func dialNoCleanup(addr string) (*net.TCPConn, error) {
	c, err := net.DialTimeout("tcp", addr, hang)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(hang))
	return c.(*net.TCPConn), nil
}
