//go:build linux

package main

import (
	"bytes"
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
	workers  []int // generator threads, a load round for each with each rate
	rounds   int
	nice     int
	buffer   int // watch --buffer, MiB; 0: its default
	size     int64
}

func main() {
	var c config
	var rates, workers string
	flag.StringVar(&c.teardown, "teardown", "", "teardown `binary` to measure (default: build ./cmd/teardown)")
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "how long each load runs")
	flag.StringVar(&rates, "rates", "10000,0", "comma-separated connect `rates` per second (0: as fast as possible)")
	flag.StringVar(&workers, "workers", "1,2,"+strconv.Itoa(2*runtime.NumCPU()), "comma-separated `counts` of generator threads, each connecting one socket at a time")
	flag.IntVar(&c.nice, "nice", 0, "run watch at this `niceness` (-20 to 19; 0: as the bench)")
	flag.IntVar(&c.buffer, "buffer", 0, "watch's --buffer in `MiB` (0: its default)")
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
	for _, w := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-workers: %q is not a count of threads", w))
		}
		c.workers = append(c.workers, n)
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
	fmt.Fprintf(out, "`go run ./bench/watch -duration %v -nice %d -buffer %d` on %d CPUs, kernel %s; each connect to a closed port draws one RST sent and one received; watch writes JSON lines to a file.\n\n",
		c.duration, c.nice, c.buffer, runtime.NumCPU(), kernelRelease())
	fmt.Fprintf(out, "| generator threads | target connects/s | RSTs sent/s (kernel) | sent shown/s | received shown/s | shown / sent | lost | watch CPU (cores) | load |\n")
	fmt.Fprintf(out, "|---|---|---|---|---|---|---|---|---|\n")
	for _, workers := range c.workers {
		for _, rate := range c.rates {
			fmt.Fprintf(os.Stderr, "load at %s, %d threads\n", rateName(rate), workers)
			r, err := loadRound(c, ns, workers, rate)
			if err != nil {
				return err
			}
			secs := r.elapsed.Seconds()
			fmt.Fprintf(out, "| %d | %s | %.0f | %.0f | %.0f | %.4f | %d | %.3f | %s |\n", workers, rateName(rate), float64(r.outRsts)/secs,
				float64(r.sent)/secs, float64(r.received)/secs, float64(r.sent)/float64(max(r.outRsts, 1)), r.lost, r.cpu.Seconds()/secs, r.load)
		}
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
	elapsed time.Duration
	outRsts uint64
	watchCount
	load string // the 1-minute load average at the end
}

func loadRound(c config, ns *namespace, workers, rate int) (loadResult, error) {
	args := []string{"--netns", strconv.FormatUint(ns.ino, 10)}
	if c.buffer > 0 {
		args = append(args, "--buffer", strconv.Itoa(c.buffer))
	}
	w, err := startWatch(c.teardown, c.nice, args...)
	if err != nil {
		return loadResult{}, err
	}
	before, err := ns.outRsts()
	if err != nil {
		w.stop()
		return loadResult{}, err
	}
	start := time.Now()
	if err := generate(ns, workers, rate, c.duration); err != nil {
		w.stop()
		return loadResult{}, err
	}
	elapsed := time.Since(start)
	after, err := ns.outRsts()
	if err != nil {
		w.stop()
		return loadResult{}, err
	}
	load := loadAverage()
	time.Sleep(500 * time.Millisecond) // watch drains its ring
	n, err := w.stop()
	if err != nil {
		return loadResult{}, err
	}
	return loadResult{elapsed: elapsed, outRsts: after - before, watchCount: n, load: load}, nil
}

// loadAverage returns the 1-minute load average, "?" if unknown.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
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
				if w, err = startWatch(c.teardown, c.nice, "-q"); err != nil {
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
