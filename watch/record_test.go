package watch

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/kernel"
	"github.com/teardown-net/teardown/observe/tcpstate"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestRecordsGolden fixes the text and JSON forms of records made from
// events of every kind and attribution.
func TestRecordsGolden(t *testing.T) {
	w, err := New(Options{Explain: true, HasReason: true, Cgroups: NewCgroups(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	w.wall = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ap := netip.MustParseAddrPort
	owner := kernel.Owner{PID: 812, TID: 812, Comm: "curl", How: kernel.Exact}
	evs := []kernel.Event{
		{Kind: kernel.SendReset, Mono: time.Millisecond, Netns: 4026531840, Local: ap("198.18.0.1:9"), Remote: ap("198.18.0.2:40000"),
			NoSocket: true, Reason: "NO_SOCKET", HasReason: true},
		{Kind: kernel.ReceiveReset, Mono: 2 * time.Millisecond, Cookie: 7, Netns: 4026531841, Local: ap("198.18.0.2:40000"),
			Remote: ap("198.18.0.1:9"), State: tcpstate.SynSent, Queues: true, Unacked: 1, Owner: owner, OnCPU: 99, Errno: syscall.Errno(111)},
		{Kind: kernel.ReceiveReset, Mono: 3 * time.Millisecond, Cookie: 8, Netns: 4026531841, Local: ap("[2001:db8::2]:41000"),
			Remote: ap("[2001:db8::1]:443"), State: tcpstate.Established, Queues: true, Unread: 3, Unacked: 100,
			Owner: kernel.Owner{PID: 900, TID: 901, Comm: "python3", How: kernel.Snapshot}, OnCPU: 812, ErrnoPending: true},
		{Kind: kernel.SendReset, Mono: 4 * time.Millisecond, Cookie: 9, Netns: 4026531840, Local: ap("198.18.0.1:443"),
			Remote: ap("198.18.0.2:41000"), State: tcpstate.FinWait2, Queues: true, Reason: "TCP_ABORT_ON_DATA", HasReason: true,
			Owner: kernel.Owner{PID: 700, TID: 700, Comm: "nginx", How: kernel.Exact}, Orphan: true},
		{Kind: kernel.ReceiveReset, Mono: 5 * time.Millisecond, Cookie: 10, Netns: 4026531840, Local: ap("198.18.0.1:443"),
			Remote: ap("198.18.0.2:41002"), State: tcpstate.Established, Queues: true,
			Owner: kernel.Owner{PID: 700, TID: 700, Comm: "nginx", How: kernel.Exact, Listener: true}, Errno: syscall.Errno(104)},
		{Kind: kernel.SocketError, Mono: 6 * time.Millisecond, Cookie: 11, Netns: 4026531840, Local: ap("198.18.0.1:5000"),
			Remote: ap("198.18.0.9:80"), State: tcpstate.Close, Queues: true, Unacked: 20, Owner: owner, Errno: syscall.Errno(110)},
		{Kind: kernel.Drop, Mono: 8 * time.Millisecond, Netns: 4026531840, Local: ap("198.18.0.1:9"), Remote: ap("198.18.0.2:40000"),
			Reason: "NO_SOCKET", HasReason: true},
		{Kind: kernel.StateChange, Mono: 7 * time.Millisecond, Cookie: 11, Netns: 4026531840, Local: ap("198.18.0.1:5000"),
			Remote: ap("198.18.0.9:80"), OldState: tcpstate.Established, State: tcpstate.FinWait1},
		{Kind: kernel.Retransmit, Mono: 9 * time.Millisecond, Cookie: 12, Netns: 4026531840, Local: ap("198.18.0.1:5001"),
			Remote: ap("198.18.0.9:80"), State: tcpstate.Established, Queues: true, Unacked: 10, Owner: owner, Retransmits: 3},
	}
	var got bytes.Buffer
	out := NewOutput(&got, false, false, nil)
	js := NewOutput(&got, true, false, nil)
	for i := range evs {
		r := w.Record(&evs[i])
		out.Emit(&r)
		out.Flush()
		js.Emit(&r)
		js.Flush()
	}
	lost := Record{Schema: SchemaVersion, Time: w.wall, Event: "lost", Lost: 42}
	out.Emit(&lost)
	out.Flush()
	js.Emit(&lost)
	js.Flush()
	const golden = "testdata/records.golden"
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("records differ from %s (go test ./watch -run Golden -update to accept):\n%s", golden, got.String())
	}
}

func TestKeepPIDs(t *testing.T) {
	w, err := New(Options{PIDs: []int{812}, Cgroups: NewCgroups(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		owner kernel.Owner
		keep  bool
	}{
		{kernel.Owner{PID: 812, How: kernel.Exact}, true},
		{kernel.Owner{PID: 812, How: kernel.Snapshot}, true},
		{kernel.Owner{PID: 813, How: kernel.Exact}, false},
		{kernel.Owner{}, false},
	} {
		e := kernel.Event{Kind: kernel.ReceiveReset, Owner: tc.owner}
		if got := w.Keep(&e); got != tc.keep {
			t.Errorf("Keep(owner %+v) = %v, want %v", tc.owner, got, tc.keep)
		}
	}
	all, err := New(Options{Cgroups: NewCgroups(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	if e := (kernel.Event{}); !all.Keep(&e) {
		t.Error("with no pid filter an event without owner was left out")
	}
}
