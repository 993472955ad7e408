// Command sockmap checks whether the kernel's own socket redirection (an
// eBPF sockhash with an sk_skb verdict program) could carry teardown proxy's
// fast path, by trying it on loopback connections: it measures throughput
// and small-message round trips through a redirected pair, and checks the
// truths the proxy keeps: that a receiver which stops reading stops the
// sender (backpressure), that every byte sent before a FIN arrives before it,
// and that no byte is lost when a connection leaves the redirection for the
// user-space path mid-stream.
//
// It needs Linux and the privileges to load BPF programs (root):
//
//	go run ./bench/sockmap
//
// docs/bench-proxy.md explains the findings and why teardown proxy keeps
// splice(2).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// config holds the command-line settings.
type config struct {
	size       int64 // bytes per throughput, FIN and switch check
	stallLimit int64 // bytes the client may write to a stalled upstream before the check stops
	rttN       int
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sockmap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/sockmap [flags]

Tries an eBPF sockhash redirect between the two sockets of a proxied
loopback connection and reports its throughput, round trip, backpressure,
and whether bytes survive a FIN and a switch to user space. Needs root.

Flags:
`)
		fs.PrintDefaults()
	}
	var c config
	size := fs.Int("size-mib", 1024, "MiB sent per throughput, FIN and switch check")
	stall := fs.Int("stall-mib", 512, "MiB the client may write to an upstream that never reads before the backpressure check stops")
	fs.IntVar(&c.rttN, "rtt-n", 20000, "round trips of 64 bytes")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sockmap: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"size-mib", *size}, {"stall-mib", *stall}, {"rtt-n", c.rttN}} {
		if f.v < 1 {
			fmt.Fprintf(stderr, "sockmap: -%s is %d, want at least 1\n", f.name, f.v)
			return 2
		}
	}
	c.size, c.stallLimit = int64(*size)<<20, int64(*stall)<<20
	if err := probe(c, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "sockmap: %v\n", err)
		return 1
	}
	return 0
}
