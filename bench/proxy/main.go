// Command proxy measures teardown proxy side by side with a direct
// connection and, when TOXIPROXY_SERVER names a toxiproxy-server binary, with
// Toxiproxy: throughput with no toxics over one and several connections, the
// round-trip time of small messages, and the memory, file descriptors and
// goroutines each proxy process spends per connection while it holds many,
// and how long toxic API calls take while many connections are busy.
//
// Both proxies run as child processes bound to 127.0.0.1 and are driven
// through Toxiproxy's v2 HTTP API with Toxiproxy's own Go client, so the same
// code measures both. The upstream servers and the clients live in this
// process. Measurements are taken in rounds, and within each round the paths
// take turns in a rotating order, so that a noisy machine disturbs them alike.
//
// It prints progress on stderr and a Markdown report on stdout:
//
//	go run ./bench/proxy > report.md
//	TOXIPROXY_SERVER=/path/to/toxiproxy-server go run ./bench/proxy
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config holds the command-line settings.
type config struct {
	size      int64 // bytes per throughput measurement
	latency   int   // ms of the latency toxic of the latency throughput measurement
	latSize   int64 // bytes per throughput measurement under latency
	parallel  int   // connections of the parallel throughput measurement
	rounds    int
	rttN      int // round trips per path and round
	rttSize   int
	conns     int // connections held at once in the load measurement
	loadRound int
	msgs      int // messages echoed on each held connection
	teardown  string
	toxiproxy string
	doc       string // Markdown file whose results section to replace
	args      []string

	// The toxic-calls measurement: toxicConns connections each write
	// toxicWrite bytes every toxicPace (back to back if 0) for toxicDur
	// while toxics are added, changed and removed, in toxicRounds rounds.
	toxicConns  int
	toxicWrite  int64
	toxicPace   time.Duration
	toxicDur    time.Duration
	toxicRounds int
	only        string // "" for every measurement, or onlyToxicCalls
}

func main() {
	if os.Getenv(spinEnv) != "" {
		spin()
	}
	if up := os.Getenv(forwardEnv); up != "" {
		forward(os.Getenv(forwardModeEnv), up)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/proxy [flags] > report.md

Measures throughput, small-message round-trip time and memory per connection
of a direct connection, teardown proxy, and toxiproxy-server when
$TOXIPROXY_SERVER or -toxiproxy names one, and how long toxic API calls take
on each proxy while its connections are busy. Progress goes to stderr, a
Markdown report to stdout.

Flags:
`)
		fs.PrintDefaults()
	}
	c := config{args: args}
	size := fs.String("size", "1GiB", "bytes sent through each path per throughput `measurement` (suffixes KiB, MiB, GiB)")
	latSize := fs.String("latency-size", "256MiB", "bytes sent through each proxy per throughput `measurement` under the latency toxic")
	fs.IntVar(&c.latency, "latency", 100, "`ms` of the latency toxic (upstream) of the throughput measurement under latency")
	fs.IntVar(&c.parallel, "parallel", 4, "connections of the parallel throughput measurement")
	fs.IntVar(&c.rounds, "rounds", 7, "rounds of throughput and round-trip measurements")
	fs.IntVar(&c.rttN, "rtt-n", 20000, "round trips per path and round")
	fs.IntVar(&c.rttSize, "rtt-size", 64, "bytes per round-trip message")
	fs.IntVar(&c.conns, "conns", 1000, "connections held open at once through each proxy")
	fs.IntVar(&c.loadRound, "load-rounds", 3, "rounds of the many-connections measurement, each on a fresh proxy process")
	fs.IntVar(&c.msgs, "msgs", 3, "messages echoed on each held connection")
	fs.IntVar(&c.toxicConns, "toxic-conns", 32, "busy connections through each proxy while toxic API calls are timed")
	toxicWrite := fs.String("toxic-write", "64KiB", "bytes each busy connection writes at a time while toxic API calls are timed")
	fs.DurationVar(&c.toxicPace, "toxic-pace", 5*time.Millisecond, "`interval` between the writes of each busy connection (0: as fast as possible)")
	fs.DurationVar(&c.toxicDur, "toxic-duration", 4*time.Second, "how long toxic API calls are timed per proxy and round")
	fs.IntVar(&c.toxicRounds, "toxic-rounds", 3, "rounds of the toxic-calls measurement, each on a fresh proxy process")
	fs.StringVar(&c.only, "only", "", "take only this `measurement`: "+onlyToxicCalls+" (default: all)")
	fs.StringVar(&c.teardown, "teardown", "", "teardown `binary` to measure (default: build ./cmd/teardown of this module)")
	fs.StringVar(&c.toxiproxy, "toxiproxy", os.Getenv("TOXIPROXY_SERVER"), "toxiproxy-server `binary` to compare with (default $TOXIPROXY_SERVER; none: skip Toxiproxy)")
	fs.StringVar(&c.doc, "doc", "", "also write the report into this Markdown `file`, between its "+docStart+" and "+docEnd+" lines")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "proxy: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var err error
	if c.size, err = parseSize(*size); err != nil {
		fmt.Fprintf(stderr, "proxy: -size: %v\n", err)
		return 2
	}
	if c.latSize, err = parseSize(*latSize); err != nil {
		fmt.Fprintf(stderr, "proxy: -latency-size: %v\n", err)
		return 2
	}
	if c.toxicWrite, err = parseSize(*toxicWrite); err != nil {
		fmt.Fprintf(stderr, "proxy: -toxic-write: %v\n", err)
		return 2
	}
	if c.toxicPace < 0 {
		fmt.Fprintf(stderr, "proxy: -toxic-pace is %v, want 0 or more\n", c.toxicPace)
		return 2
	}
	if c.toxicDur <= 0 {
		fmt.Fprintf(stderr, "proxy: -toxic-duration is %v, want more than 0\n", c.toxicDur)
		return 2
	}
	if c.only != "" && c.only != onlyToxicCalls {
		fmt.Fprintf(stderr, "proxy: -only is %q, want %q\n", c.only, onlyToxicCalls)
		return 2
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"latency", c.latency}, {"parallel", c.parallel}, {"rounds", c.rounds}, {"rtt-n", c.rttN}, {"rtt-size", c.rttSize}, {"conns", c.conns}, {"load-rounds", c.loadRound}, {"msgs", c.msgs},
		{"toxic-conns", c.toxicConns}, {"toxic-rounds", c.toxicRounds}} {
		if f.v < 1 {
			fmt.Fprintf(stderr, "proxy: -%s is %d, want at least 1\n", f.name, f.v)
			return 2
		}
	}
	if err := bench(c, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "proxy: %v\n", err)
		return 1
	}
	return 0
}

// parseSize reads a byte count such as 1GiB, 256MiB or 4096.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	num := s
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a positive byte count such as 1GiB, 64MiB or 4096", s)
	}
	return n * mult, nil
}

// A path is one way from the harness's clients to its upstream servers.
type path struct {
	name  string
	sink  string // address of the sink, through this path; empty for a forwarder
	echo  string // address of the echo server, through this path
	tput1 []float64
	tputN []float64
	// latSink is the address of a sink through a proxy whose upstream
	// stream has the latency toxic; empty for the direct path.
	latSink  string
	tputLat  []float64
	pid      int             // the process of a proxy or forwarder; 0 for direct
	rtt      []time.Duration // every sample of every round
	rttRound []float64       // median of each round, in seconds
	// harnessSwitches and proxySwitches are, per round, the context
	// switches per round trip of this process (client and upstream) and of
	// the path's process.
	harnessSwitches, proxySwitches []float64
	// rttBusyRound is the median of each round measured while another
	// process keeps one CPU busy.
	rttBusyRound []float64
	load         []loadResult
	toxic        []toxicResult // one per toxic-calls round
	// goroutinesInProcess is goroutines per connection counted in this
	// process, for a proxy whose child process does not report them; -1 if
	// not counted.
	goroutinesInProcess float64
}

func bench(c config, stdout, stderr io.Writer) error {
	limit, err := raiseFileLimit()
	if err != nil {
		return err
	}
	if need := uint64(3*c.conns + 256); limit != 0 && limit < need {
		return fmt.Errorf("the open-file limit is %d; holding %d connections needs about %d (raise the hard limit or lower -conns)", limit, c.conns, need)
	}
	loadBefore := loadAverage()
	sinkUp, err := startUpstream(sink)
	if err != nil {
		return err
	}
	defer sinkUp.Close()
	echoUp, err := startUpstream(echo)
	if err != nil {
		return err
	}
	defer echoUp.Close()

	specs, about, cleanup, err := serverSpecs(c, stderr)
	if err != nil {
		return err
	}
	defer cleanup()

	var paths []*path
	if c.only == "" {
		if paths, err = measurePaths(c, specs, sinkUp, echoUp, about, stderr); err != nil {
			return err
		}
	} else {
		for _, s := range specs {
			paths = append(paths, &path{name: s.name})
		}
	}
	if err := measureToxicCalls(c, specs, echoUp.addr(), paths, about, stderr); err != nil {
		return err
	}
	for _, u := range []*upstream{sinkUp, echoUp} {
		if err := u.firstErr(); err != nil {
			return fmt.Errorf("upstream server: %w", err)
		}
	}
	about["load"] = fmt.Sprintf("%s at the start, %s at the end", loadBefore, loadAverage())
	var report bytes.Buffer
	writeReport(&report, c, paths, about)
	stdout.Write(report.Bytes())
	if c.doc != "" {
		if err := updateDoc(c.doc, report.Bytes()); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote the report into %s\n", c.doc)
	}
	return nil
}

// measurePaths takes every measurement but the toxic calls: throughput,
// round trips and, on fresh processes, the cost of many connections. It
// returns the paths with their figures.
func measurePaths(c config, specs []serverSpec, sinkUp, echoUp *upstream, about map[string]string, stderr io.Writer) ([]*path, error) {
	var err error
	paths := []*path{{name: "direct", sink: sinkUp.addr(), echo: echoUp.addr()}}
	var servers []*proxyServer
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for _, spec := range specs {
		s, err := spec.start()
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
		about[s.name] = s.version()
		p := &path{name: s.name, pid: s.pid()}
		if p.sink, err = s.createProxy("bench_sink", sinkUp.addr()); err != nil {
			return nil, err
		}
		if p.echo, err = s.createProxy("bench_echo", echoUp.addr()); err != nil {
			return nil, err
		}
		if p.latSink, err = s.createProxy("bench_sink_latency", sinkUp.addr()); err != nil {
			return nil, err
		}
		if err := s.addLatency("bench_sink_latency", c.latency); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	if canForward {
		// Forwarders only show what a round trip costs at least: their
		// throughput is not the question.
		for _, mode := range []string{forwardBlock, forwardSpin} {
			f, err := startForwarder(mode, echoUp.addr())
			if err != nil {
				return nil, err
			}
			defer f.stop()
			paths = append(paths, &path{name: f.name, echo: f.addr, pid: f.cmd.Process.Pid})
		}
	}

	fmt.Fprintf(stderr, "warming up %d paths\n", len(paths))
	for _, p := range paths {
		if p.sink != "" {
			if _, err := throughput(p.sink, min(c.size, 64<<20), 1); err != nil {
				return nil, fmt.Errorf("%s: warm-up: %w", p.name, err)
			}
		}
		if _, err := roundTrips(p.echo, 1000, c.rttSize); err != nil {
			return nil, fmt.Errorf("%s: warm-up: %w", p.name, err)
		}
	}
	for r := range c.rounds {
		order := rotate(paths, r)
		for _, p := range order {
			if p.sink == "" {
				continue
			}
			v, err := throughput(p.sink, c.size, 1)
			if err != nil {
				return nil, fmt.Errorf("%s: throughput, 1 connection: %w", p.name, err)
			}
			p.tput1 = append(p.tput1, v)
			fmt.Fprintf(stderr, "round %d/%d  throughput 1 conn   %-9s %8.0f MB/s\n", r+1, c.rounds, p.name, v/1e6)
		}
		for _, p := range order {
			if p.sink == "" {
				continue
			}
			v, err := throughput(p.sink, c.size, c.parallel)
			if err != nil {
				return nil, fmt.Errorf("%s: throughput, %d connections: %w", p.name, c.parallel, err)
			}
			p.tputN = append(p.tputN, v)
			fmt.Fprintf(stderr, "round %d/%d  throughput %d conns  %-9s %8.0f MB/s\n", r+1, c.rounds, c.parallel, p.name, v/1e6)
		}
		for _, p := range order {
			if p.latSink == "" {
				continue
			}
			v, err := throughput(p.latSink, c.latSize, 1)
			if err != nil {
				return nil, fmt.Errorf("%s: throughput, %d ms latency: %w", p.name, c.latency, err)
			}
			p.tputLat = append(p.tputLat, v)
			fmt.Fprintf(stderr, "round %d/%d  throughput %d ms latency %-9s %8.1f MB/s\n", r+1, c.rounds, c.latency, p.name, v/1e6)
		}
		for _, p := range order {
			before := countSwitches(p)
			rtts, err := roundTrips(p.echo, c.rttN, c.rttSize)
			if err != nil {
				return nil, fmt.Errorf("%s: round trips: %w", p.name, err)
			}
			p.addSwitches(before, c.rttN)
			p.rtt = append(p.rtt, rtts...)
			m := median(durations(rtts))
			p.rttRound = append(p.rttRound, m)
			fmt.Fprintf(stderr, "round %d/%d  round trip %d B     %-9s %8.1f µs median\n", r+1, c.rounds, c.rttSize, p.name, m*1e6)
		}
		sp, err := startSpinner()
		if err != nil {
			return nil, err
		}
		for _, p := range order {
			rtts, err := roundTrips(p.echo, c.rttN, c.rttSize)
			if err != nil {
				sp.stop()
				return nil, fmt.Errorf("%s: round trips with one CPU busy: %w", p.name, err)
			}
			m := median(durations(rtts))
			p.rttBusyRound = append(p.rttBusyRound, m)
			fmt.Fprintf(stderr, "round %d/%d  round trip, 1 CPU busy %-9s %6.1f µs median\n", r+1, c.rounds, p.name, m*1e6)
		}
		sp.stop()
	}
	for _, s := range servers {
		s.stop()
	}
	servers = nil

	// Each load round starts a fresh process, so that memory the runtime
	// kept from earlier measurements does not hide what connections cost.
	for r := range c.loadRound {
		for _, spec := range rotate(specs, r) {
			lr, err := loadRound(spec, echoUp.addr(), c)
			if err != nil {
				return nil, err
			}
			for _, p := range paths {
				if p.name == spec.name {
					p.load = append(p.load, lr)
				}
			}
			fmt.Fprintf(stderr, "round %d/%d  %d connections  %-9s %6.1f KiB RSS, %.2f fds, %s goroutines per connection\n",
				r+1, c.loadRound, c.conns, spec.name, lr.rssPerConn()/1024, lr.fdsPerConn(), perConn(lr.goroutinesPerConn()))
		}
	}
	for _, p := range paths {
		p.goroutinesInProcess = -1
		if p.name != "teardown" || len(p.load) == 0 || p.load[0].goroutinesPerConn() >= 0 {
			continue
		}
		if p.goroutinesInProcess, err = inProcessGoroutines(echoUp.addr(), c.conns, c.msgs); err != nil {
			return nil, fmt.Errorf("teardown in-process: %d connections: %w", c.conns, err)
		}
		fmt.Fprintf(stderr, "in-process  %d connections  %-9s %.2f goroutines per connection\n", c.conns, p.name, p.goroutinesInProcess)
	}
	return paths, nil
}

// The lines that delimit the generated part of a -doc file.
const (
	docStart = "<!-- bench/proxy results: start -->"
	docEnd   = "<!-- bench/proxy results: end -->"
)

// updateDoc replaces what lies between the marker lines of the Markdown file
// name with report, so that figures in the docs are never typed by hand.
func updateDoc(name string, report []byte) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	start := bytes.Index(b, []byte(docStart+"\n"))
	end := bytes.Index(b, []byte(docEnd))
	if start < 0 || end < start {
		return fmt.Errorf("update %s: want a line %q followed later by a line %q", name, docStart, docEnd)
	}
	start += len(docStart) + 1
	out := slices.Concat(b[:start], []byte("\n"), report, []byte("\n"), b[end:])
	if err := os.WriteFile(name, out, 0o644); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	return nil
}

func loadRound(spec serverSpec, upstream string, c config) (loadResult, error) {
	s, err := spec.start()
	if err != nil {
		return loadResult{}, err
	}
	defer s.stop()
	addr, err := s.createProxy("bench_load", upstream)
	if err != nil {
		return loadResult{}, err
	}
	// Let the process finish starting before the baseline is taken.
	time.Sleep(200 * time.Millisecond)
	lr, err := holdConnections(s, addr, c.conns, c.msgs)
	if err != nil {
		return lr, fmt.Errorf("%s: %d connections: %w", spec.name, c.conns, err)
	}
	return lr, nil
}

// serverSpecs returns how to start each proxy to measure: teardown always,
// Toxiproxy when a binary was named; and, in about, what each was built from.
func serverSpecs(c config, stderr io.Writer) (specs []serverSpec, about map[string]string, cleanup func(), err error) {
	cleanup = func() {}
	about = map[string]string{}
	bin := c.teardown
	if bin == "" {
		dir, err := os.MkdirTemp("", "bench-proxy-")
		if err != nil {
			return nil, nil, cleanup, fmt.Errorf("make a directory for the teardown binary: %w", err)
		}
		cleanup = func() { os.RemoveAll(dir) }
		fmt.Fprintf(stderr, "building teardown\n")
		if bin, err = buildTeardown(dir); err != nil {
			return nil, nil, cleanup, err
		}
		about["teardown build"] = sourceRevision()
	} else {
		about["teardown build"] = binaryRevision(bin)
	}
	specs = append(specs, teardownSpec(bin))
	if c.toxiproxy == "" {
		fmt.Fprintf(stderr, "Toxiproxy not measured: set TOXIPROXY_SERVER (or -toxiproxy) to a toxiproxy-server binary\n")
	} else {
		specs = append(specs, toxiproxySpec(c.toxiproxy))
		about["toxiproxy build"] = binaryRevision(c.toxiproxy)
	}
	return specs, about, cleanup, nil
}

// rotate returns xs rotated left by r places: the order of round r.
func rotate[T any](xs []T, r int) []T {
	r %= len(xs)
	return append(slices.Clone(xs[r:]), xs[:r]...)
}

func perConn(v float64) string {
	if v < 0 {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
