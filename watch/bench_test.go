package watch

import (
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/kernel"
	"github.com/teardown-net/teardown/observe/tcpstate"
)

// BenchmarkRecord measures watch's user-space cost per event, from a kernel
// event to a written line: go test ./watch -run - -bench Record
func BenchmarkRecord(b *testing.B) {
	w, err := New(Options{HasReason: true, Cgroups: NewCgroups(b.TempDir())})
	if err != nil {
		b.Fatal(err)
	}
	e := kernel.Event{Kind: kernel.ReceiveReset, Mono: time.Second, Cookie: 7, Netns: 4026531840,
		Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:9"),
		State: tcpstate.SynSent, Queues: true, Unacked: 1, Cgroup: 1,
		Owner: kernel.Owner{PID: 812, TID: 812, Comm: "curl", How: kernel.Exact}, Errno: 111}
	for _, tc := range []struct {
		name string
		json bool
	}{{"text", false}, {"json", true}} {
		b.Run(tc.name, func(b *testing.B) {
			out := NewOutput(io.Discard, tc.json, false, nil)
			for b.Loop() {
				r := w.Record(&e)
				if err := out.Emit(&r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
