//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/netns"
	"github.com/teardown-net/teardown/proxy"
)

type config struct {
	teardown string
	duration time.Duration
	rates    []int // connects per second; 0 is as fast as possible
	workers  int
	rounds   int
	size     int64
}

func main() {
	var c config
	var rates string
	flag.StringVar(&c.teardown, "teardown", "", "teardown `binary` to measure (default: build ./cmd/teardown)")
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "how long each load runs")
	flag.StringVar(&rates, "rates", "10000,0", "comma-separated connect `rates` per second (0: as fast as possible)")
	flag.IntVar(&c.workers, "workers", 2*runtime.NumCPU(), "connecting sockets at once")
	flag.IntVar(&c.rounds, "rounds", 3, "proxy throughput rounds with and without watch")
	flag.Int64Var(&c.size, "size", 512<<20, "bytes through the proxy per round")
	flag.Parse()
	for _, r := range strings.Split(rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n < 0 {
			fail(fmt.Errorf("-rates: %q is not a rate (connects per second, 0 for as fast as possible)", r))
		}
		c.rates = append(c.rates, n)
	}
	if os.Geteuid() != 0 {
		fail(fmt.Errorf("needs root (network namespaces and eBPF)"))
	}
	if c.teardown == "" {
		dir, err := os.MkdirTemp("", "bench-watch-")
		if err != nil {
			fail(err)
		}
		defer os.RemoveAll(dir)
		c.teardown = filepath.Join(dir, "teardown")
		fmt.Fprintln(os.Stderr, "building teardown")
		if out, err := exec.Command("go", "build", "-o", c.teardown, "./cmd/teardown").CombinedOutput(); err != nil {
			fail(fmt.Errorf("go build ./cmd/teardown: %v: %s", err, out))
		}
	}
	var out bytes.Buffer
	if err := run(c, &out); err != nil {
		fail(err)
	}
	os.Stdout.Write(out.Bytes())
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "bench/watch: %v\n", err)
	os.Exit(1)
}

func run(c config, out io.Writer) error {
	ns, err := newNamespace()
	if err != nil {
		return err
	}
	defer ns.close()
	fmt.Fprintf(out, "## teardown watch under load\n\n")
	fmt.Fprintf(out, "`go run ./bench/watch -duration %v -workers %d` on %d CPUs, kernel %s; each connect to a closed port draws one RST sent and one received.\n\n",
		c.duration, c.workers, runtime.NumCPU(), kernelRelease())
	fmt.Fprintf(out, "| target connects/s | RSTs sent/s (kernel) | sent shown/s | received shown/s | shown / sent | lost | watch CPU (cores) |\n")
	fmt.Fprintf(out, "|---|---|---|---|---|---|---|\n")
	for _, rate := range c.rates {
		fmt.Fprintf(os.Stderr, "load at %s\n", rateName(rate))
		r, err := loadRound(c, ns, rate)
		if err != nil {
			return err
		}
		secs := r.elapsed.Seconds()
		fmt.Fprintf(out, "| %s | %.0f | %.0f | %.0f | %.4f | %d | %.3f |\n", rateName(rate), float64(r.outRsts)/secs,
			float64(r.sent)/secs, float64(r.received)/secs, float64(r.sent)/float64(max(r.outRsts, 1)), r.lost, r.cpu.Seconds()/secs)
	}
	fmt.Fprintf(os.Stderr, "proxy throughput\n")
	with, without, err := proxyRounds(c)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n## teardown proxy throughput with watch running\n\n")
	fmt.Fprintf(out, "%d rounds of %d MiB through teardown proxy on loopback, alternating; watch unfiltered.\n\n", c.rounds, c.size>>20)
	fmt.Fprintf(out, "| round | without watch (MiB/s) | with watch (MiB/s) |\n|---|---|---|\n")
	var sw, sn float64
	for i := range with {
		fmt.Fprintf(out, "| %d | %.0f | %.0f |\n", i+1, without[i], with[i])
		sw += with[i]
		sn += without[i]
	}
	fmt.Fprintf(out, "\nWith watch: %.1f%% of the throughput without.\n", 100*sw/sn)
	return nil
}

func rateName(r int) string {
	if r == 0 {
		return "max"
	}
	return strconv.Itoa(r)
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "?"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// namespace is a network namespace held by a file descriptor, with
// loopback up; threads enter it with setns.
type namespace struct {
	fd  int
	ino uint64
}

func newNamespace() (*namespace, error) {
	ch := make(chan error)
	var ns namespace
	go func() {
		// This thread enters the new namespace and is never unlocked, so
		// the runtime discards it when the goroutine ends.
		runtime.LockOSThread()
		if err := netns.Enter(0); err != nil {
			ch <- err
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- err
			return
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			ch <- err
			return
		}
		ns.fd, ns.ino = fd, st.Ino
		ch <- nil
	}()
	if err := <-ch; err != nil {
		return nil, fmt.Errorf("make a network namespace: %w", err)
	}
	return &ns, nil
}

func (n *namespace) close() { unix.Close(n.fd) }

// inside runs f on a thread in the namespace; the thread is discarded after.
func (n *namespace) inside(f func() error) error {
	ch := make(chan error)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			ch <- fmt.Errorf("setns: %w", err)
			return
		}
		ch <- f()
	}()
	return <-ch
}

// outRsts reads the namespace's count of RSTs sent.
func (n *namespace) outRsts() (uint64, error) {
	var v uint64
	err := n.inside(func() error {
		b, err := os.ReadFile("/proc/thread-self/net/snmp")
		if err != nil {
			return err
		}
		var head []string
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || f[0] != "Tcp:" {
				continue
			}
			if head == nil {
				head = f
				continue
			}
			for i, h := range head {
				if h == "OutRsts" && i < len(f) {
					v, err = strconv.ParseUint(f[i], 10, 64)
					return err
				}
			}
		}
		return fmt.Errorf("no Tcp OutRsts in /proc/net/snmp")
	})
	return v, err
}

type loadResult struct {
	elapsed                 time.Duration
	outRsts, sent, received uint64
	lost                    uint64
	cpu                     time.Duration
}

// watchChild is teardown watch --json running as a child process.
type watchChild struct {
	cmd            *exec.Cmd
	sent, received atomic.Uint64
	lost           atomic.Uint64
	done           chan struct{}
}

func startWatch(bin string, args ...string) (*watchChild, error) {
	cmd := exec.Command(bin, append([]string{"watch", "--json", "--metrics", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &watchChild{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var r struct {
			Event string `json:"event"`
			Lost  uint64 `json:"lost"`
		}
		for sc.Scan() {
			b := sc.Bytes()
			// The event name is all that is counted; a full decode would
			// make this process, not watch, the bottleneck.
			switch {
			case bytes.Contains(b, []byte(`"event":"send_reset"`)):
				w.sent.Add(1)
			case bytes.Contains(b, []byte(`"event":"receive_reset"`)):
				w.received.Add(1)
			case bytes.Contains(b, []byte(`"event":"lost"`)):
				if json.Unmarshal(b, &r) == nil {
					w.lost.Add(r.Lost)
				}
			}
		}
	}()
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var lines []string
		for sc.Scan() {
			if strings.Contains(sc.Text(), "metrics on") {
				ready <- nil
			}
			lines = append(lines, sc.Text())
		}
		ready <- fmt.Errorf("teardown watch exited: %s", strings.Join(lines, "; "))
	}()
	select {
	case err := <-ready:
		if err != nil {
			return nil, err
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		return nil, fmt.Errorf("teardown watch did not start in 10s")
	}
	return w, nil
}

// stop ends watch with SIGTERM and returns the CPU time it used.
func (w *watchChild) stop() (time.Duration, error) {
	w.cmd.Process.Signal(syscall.SIGTERM)
	<-w.done
	if err := w.cmd.Wait(); err != nil {
		return 0, fmt.Errorf("teardown watch: %w", err)
	}
	st := w.cmd.ProcessState
	return st.UserTime() + st.SystemTime(), nil
}

func loadRound(c config, ns *namespace, rate int) (loadResult, error) {
	w, err := startWatch(c.teardown, "--netns", strconv.FormatUint(ns.ino, 10))
	if err != nil {
		return loadResult{}, err
	}
	before, err := ns.outRsts()
	if err != nil {
		return loadResult{}, err
	}
	start := time.Now()
	if err := generate(ns, c.workers, rate, c.duration); err != nil {
		w.stop()
		return loadResult{}, err
	}
	elapsed := time.Since(start)
	after, err := ns.outRsts()
	if err != nil {
		return loadResult{}, err
	}
	time.Sleep(500 * time.Millisecond) // watch drains its ring
	cpu, err := w.stop()
	if err != nil {
		return loadResult{}, err
	}
	return loadResult{elapsed: elapsed, outRsts: after - before, sent: w.sent.Load(), received: w.received.Load(), lost: w.lost.Load(), cpu: cpu}, nil
}

// generate connects to a closed port from workers threads in the
// namespace for d, at rate connects per second in all (0: no pacing).
func generate(ns *namespace, workers, rate int, d time.Duration) error {
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- ns.inside(func() error {
				sa := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: 9}
				var interval time.Duration
				if rate > 0 {
					interval = time.Duration(float64(time.Second) * float64(workers) / float64(rate))
				}
				next := time.Now()
				for n := 0; ; n++ {
					if n%64 == 0 && time.Now().After(end) {
						return nil
					}
					if interval > 0 {
						next = next.Add(interval)
						if wait := time.Until(next); wait > 0 {
							time.Sleep(wait)
						}
					}
					fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
					if err != nil {
						return fmt.Errorf("socket: %w", err)
					}
					err = unix.Connect(fd, sa)
					unix.Close(fd)
					if err != unix.ECONNREFUSED {
						return fmt.Errorf("connect to a closed port: %v, want ECONNREFUSED", err)
					}
				}
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// proxyRounds measures the throughput of an in-process teardown proxy,
// alternating rounds without and with watch running.
func proxyRounds(c config) (with, without []float64, err error) {
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer sink.Close()
	go func() {
		for {
			conn, err := sink.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, conn); conn.Close() }()
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := proxy.NewServer(proxy.Options{})
	go srv.Serve(ln)
	defer srv.Close()
	px, err := toxiproxy.NewClient(ln.Addr().String()).CreateProxy("bench_watch", "127.0.0.1:0", sink.Addr().String())
	if err != nil {
		return nil, nil, fmt.Errorf("create proxy: %w", err)
	}
	for i := 0; i < c.rounds; i++ {
		for _, watching := range []bool{false, true} {
			var w *watchChild
			if watching {
				if w, err = startWatch(c.teardown, "-q"); err != nil {
					return nil, nil, err
				}
			}
			mbps, err := throughput(px.Listen, c.size)
			if w != nil {
				if _, err := w.stop(); err != nil {
					return nil, nil, err
				}
			}
			if err != nil {
				return nil, nil, err
			}
			if watching {
				with = append(with, mbps)
			} else {
				without = append(without, mbps)
			}
		}
	}
	return with, without, nil
}

func throughput(addr string, size int64) (float64, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 256<<10)
	start := time.Now()
	for left := size; left > 0; left -= int64(len(buf)) {
		if _, err := conn.Write(buf[:min(int64(len(buf)), left)]); err != nil {
			conn.Close()
			return 0, err
		}
	}
	conn.Close()
	return float64(size) / (1 << 20) / time.Since(start).Seconds(), nil
}
