package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/teardown-net/teardown/observe/kernel"
	"github.com/teardown-net/teardown/watch"
)

func init() {
	register("watch", command{
		summary: "show every TCP reset on this host, who owned the socket and why",
		run:     runWatch,
	})
}

// source is what watch reads: the eBPF observer or the tracefs fallback.
type source interface {
	watch.Source
	HasReason() bool
	Close() error
}

// listFlag collects a flag given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func runWatch(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("teardown watch", args, stdout, stderr)
	var netnsArgs, pidArgs, cgroupArgs, portArgs listFlag
	fs.Var(&netnsArgs, "netns", "only this network `namespace`: inode number, /proc/PID/ns/net, /run/netns/NAME or NAME (repeat or comma-separate)")
	fs.Var(&pidArgs, "pid", "only sockets owned by this `pid` (repeat or comma-separate)")
	fs.Var(&cgroupArgs, "cgroup", "only sockets of this cgroup v2 and those below it: `id or path` under the cgroup2 mount (repeat or comma-separate)")
	fs.Var(&portArgs, "port", "only connections with this `port` at either end (repeat or comma-separate)")
	jsonOut := fs.Bool("json", false, "print one JSON object per event (schema "+watch.SchemaVersion+", docs/watch.md)")
	metrics := fs.String("metrics", "", "serve Prometheus metrics on `addr` (such as 127.0.0.1:9464) at /metrics")
	duration := fs.Duration("duration", 0, "stop after this `time` (0: run until interrupted)")
	count := fs.Int("count", 0, "stop after `n` events (0: no limit)")
	explainFlag := fs.Bool("explain", false, "add the teardown explain entry and lab scenarios to each event")
	states := fs.Bool("states", false, "show every TCP state change too")
	errorsFlag := fs.Bool("errors", false, "show socket errors that no RST explains too (ETIMEDOUT after retransmissions or keepalive)")
	retransmits := fs.Bool("retransmits", false, "show retransmission timeouts too, each once per socket: a peer that stopped answering, before ETIMEDOUT")
	drops := fs.Bool("drops", false, "show TCP packets the kernel dropped too, with their skb_drop_reason")
	quiet := fs.Bool("q", false, "print no events (with --metrics)")
	buffer := fs.Int("buffer", kernel.DefaultRingSize>>20, "the kernel's ring buffer for events, in `MiB` (rounded up to a power of two, 1 to 1024): what absorbs a burst while watch is not on a CPU")
	tracefs := fs.Bool("tracefs", false, "read tracefs instead of loading eBPF, as when eBPF is refused: no owners, namespaces or cgroups")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: teardown watch [flags]

Shows, live, every TCP RST this host sends or receives in any network
namespace: the kernel's reason, the socket's state, the bytes unread and
unacknowledged, the process and cgroup that own the socket (taken from the
socket, not from the CPU) and the errno the application is given. Needs root,
or CAP_BPF and CAP_PERFMON, and a kernel with BTF (Linux 5.11 or later; RST
reasons from 6.10). Runs until interrupted, --duration or --count.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK // flagSet printed the usage to stdout
		}
		return exitUsage
	}
	// Signals are taken before anything is loaded, so that one arriving
	// while watch starts still ends it cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fail := func(err error) int {
		fmt.Fprintf(stderr, "teardown watch: %v\n", err)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *count < 0 || *duration < 0 {
		return fail(fmt.Errorf("--count and --duration must not be negative"))
	}
	if *buffer < 1 || *buffer > kernel.MaxRingSize>>20 {
		return fail(fmt.Errorf("--buffer must be from 1 to %d MiB", kernel.MaxRingSize>>20))
	}
	cfg := kernel.Config{States: *states, Errors: *errorsFlag, Drops: *drops, Retransmits: *retransmits, RingSize: *buffer << 20}
	var err error
	if cfg.Netns, err = watch.ResolveNetnsList(netnsArgs); err != nil {
		return fail(err)
	}
	cfg.FilterNetns = len(cfg.Netns) > 0
	if cfg.Ports, err = watch.ParsePorts(portArgs); err != nil {
		return fail(err)
	}
	cgroups := watch.NewCgroups(watch.Cgroup2Root())
	if cfg.Cgroups, err = cgroups.ResolveList(cgroupArgs); err != nil {
		return fail(err)
	}
	pids, err := watch.ParsePIDs(pidArgs)
	if err != nil {
		return fail(err)
	}

	var obs source
	if !*tracefs {
		// Assigned only on success: a nil *kernel.Observer in the
		// interface would not be nil.
		k, kerr := kernel.Open(cfg)
		if kerr != nil && !errors.Is(kerr, kernel.ErrUnsupported) {
			return fail(kerr)
		}
		if kerr == nil {
			obs = k
		}
		err = kerr
	}
	if obs == nil {
		if err != nil {
			fmt.Fprintf(stderr, "teardown watch: %v\n", err)
		}
		fmt.Fprintln(stderr, "teardown watch: reading tracefs instead of eBPF: owners, namespaces and cgroups are unknown (attribution none)")
		if len(pids) > 0 {
			return fail(watch.ErrTracefsFilter)
		}
		if obs, err = watch.OpenTracefs(cfg); err != nil {
			return fail(err)
		}
	}
	defer obs.Close()
	w, err := watch.New(watch.Options{PIDs: pids, Explain: *explainFlag, Cgroups: cgroups, HasReason: obs.HasReason()})
	if err != nil {
		return fail(err)
	}

	var m *watch.Metrics
	if *metrics != "" {
		reg := prometheus.NewRegistry()
		if m, err = watch.NewMetrics(reg); err != nil {
			return fail(err)
		}
		ln, err := net.Listen("tcp", *metrics)
		if err != nil {
			return fail(fmt.Errorf("--metrics: %w", err))
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		fmt.Fprintf(stderr, "teardown watch: metrics on http://%s/metrics\n", ln.Addr())
	}
	if !obs.HasReason() {
		fmt.Fprintln(stderr, "teardown watch: this kernel's tcp_send_reset gives no reason (Linux 6.10 has it); RSTs are shown without one")
	}

	n, err := w.Run(ctx, obs, watch.Stop{Count: *count, Duration: *duration}, watch.NewOutput(stdout, *jsonOut, *quiet, m))
	lost, _ := obs.Lost()
	fmt.Fprintf(stderr, "teardown watch: %d events, %d lost\n", n, lost)
	if err != nil && !errors.Is(err, syscall.EPIPE) {
		return fail(err)
	}
	return exitOK
}
