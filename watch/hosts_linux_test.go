package watch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/kernel"
)

// Addresses of the two test hosts, from the benchmarking range.
const (
	addrA = "198.18.0.1"
	addrB = "198.18.0.2"
)

// nsPrefix names this package's test namespaces; the pid after it tells a
// crashed run's leftovers from a live one's.
const nsPrefix = "tdwatch-"

var nsSeq atomic.Int64

// host is a network namespace made for a test.
type host struct {
	name string
	ino  uint32
}

func ip(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// needRoot skips a test that needs root, ip and python3.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, tool := range []string{"ip", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
}

// removeStale deletes namespaces left by runs of this test whose process
// is gone.
func removeStale() {
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), nsPrefix)
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
		if err != nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			exec.Command("ip", "netns", "del", e.Name()).Run()
		}
	}
}

// twoHosts makes namespaces A (198.18.0.1) and B (198.18.0.2) joined by a
// veth pair; they are deleted when the test ends.
func twoHosts(t testing.TB) (a, b *host) {
	t.Helper()
	needRoot(t)
	removeStale()
	n := nsSeq.Add(1)
	a = &host{name: fmt.Sprintf("%s%d-%da", nsPrefix, os.Getpid(), n)}
	b = &host{name: fmt.Sprintf("%s%d-%db", nsPrefix, os.Getpid(), n)}
	for _, h := range []*host{a, b} {
		ip(t, "netns", "add", h.name)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", h.name).Run() })
		h.ino = nsInode(t, filepath.Join("/run/netns", h.name))
	}
	ip(t, "link", "add", "wa0", "netns", a.name, "type", "veth", "peer", "name", "wb0", "netns", b.name)
	for _, c := range []struct {
		h         *host
		dev, addr string
	}{{a, "wa0", addrA}, {b, "wb0", addrB}} {
		ip(t, "-n", c.h.name, "addr", "add", c.addr+"/24", "dev", c.dev)
		ip(t, "-n", c.h.name, "link", "set", c.dev, "up")
		ip(t, "-n", c.h.name, "link", "set", "lo", "up")
	}
	return a, b
}

func nsInode(t testing.TB, path string) uint32 {
	t.Helper()
	n, err := ResolveNetns(path)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// actor is a python3 process in a namespace running testdata/actor.py.
type actor struct {
	t   testing.TB
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
	pid int
}

func startActor(t testing.TB, h *host) *actor {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", h.name, "python3", "-u", "testdata/actor.py")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &actor{t: t, cmd: cmd, in: in, out: bufio.NewScanner(out), pid: cmd.Process.Pid}
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	if got := a.line(); got != "ready" {
		t.Fatalf("actor: %q, want ready", got)
	}
	return a
}

// actorHang is how long an actor may take to answer before the test calls
// it a hang: a detector, not a performance bound. Starting python3 under
// ip netns exec has taken over 5 s on a loaded two-CPU machine.
const actorHang = 30 * time.Second

func (a *actor) line() string {
	a.t.Helper()
	ch := make(chan string, 1)
	go func() {
		if a.out.Scan() {
			ch <- a.out.Text()
		} else {
			ch <- "EOF " + fmt.Sprint(a.out.Err())
		}
	}()
	select {
	case s := <-ch:
		return s
	case <-time.After(actorHang):
		a.t.Fatalf("actor: no answer in %v", actorHang)
		return ""
	}
}

// do sends one command and returns the answer.
func (a *actor) do(cmd string) string {
	a.t.Helper()
	if _, err := fmt.Fprintln(a.in, cmd); err != nil {
		a.t.Fatalf("actor %s: %v", cmd, err)
	}
	return a.line()
}

// must sends a command that must succeed.
func (a *actor) must(cmd string) string {
	a.t.Helper()
	r := a.do(cmd)
	if !strings.HasPrefix(r, "ok") {
		a.t.Fatalf("actor %d: %s: %s", a.pid, cmd, r)
	}
	return r
}

// observe opens the kernel observer for cfg and a Watcher over it.
func observe(t testing.TB, cfg kernel.Config) (*kernel.Observer, *Watcher) {
	t.Helper()
	o, err := kernel.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	w, err := New(Options{HasReason: o.HasReason(), Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	return o, w
}

// records reads records until done says it has what it wants, or two
// seconds pass; then it reads for settle more, so that an extra event shows.
func records(t testing.TB, o *kernel.Observer, w *Watcher, settle time.Duration, done func([]Record) bool) []Record {
	t.Helper()
	var recs []Record
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		o.SetDeadline(deadline)
		e, err := o.Read()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !w.Keep(&e) {
			continue
		}
		recs = append(recs, w.Record(&e))
		if done(recs) && settle >= 0 {
			deadline = time.Now().Add(settle)
			settle = -1
		}
	}
	return recs
}

func pick(recs []Record, event string) []Record {
	var out []Record
	for _, r := range recs {
		if r.Event == event {
			out = append(out, r)
		}
	}
	return out
}

func count(event string, n int) func([]Record) bool {
	return func(recs []Record) bool { return len(pick(recs, event)) >= n }
}

func both(fs ...func([]Record) bool) func([]Record) bool {
	return func(recs []Record) bool {
		for _, f := range fs {
			if !f(recs) {
				return false
			}
		}
		return true
	}
}
