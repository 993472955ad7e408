//go:build darwin || freebsd || linux

package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/teardown-net/teardown/lab/internal/portable"
	"github.com/teardown-net/teardown/observe/capture"
	"github.com/teardown-net/teardown/observe/wire"
)

// portableWire is the portable runner's packet capture: the host's
// loopback (lo on Linux, lo0 on macOS and FreeBSD), which every process on
// the host shares, so that only the packets of the run's own sockets are
// kept. Opening it needs root.
type portableWire struct {
	cap *capture.Capture
	isn isns
	// held follows which endpoint holds a connection's addresses.
	held tenures
	// pcap, when Options.PcapDir asks for one, gets the run's packets,
	// the first after each step labelled with it.
	pcap  *wire.Writer
	pfile *os.File
	label string
	// last is when the latest of the run's packets was captured, by the
	// kernel's clock (the wall clock).
	last time.Time
	// ports are those of the run's sockets so far, which the kernel's
	// filter keeps (follow); unfiltered is set where it cannot.
	ports      []uint16
	unfiltered bool
	// early holds the run's packets drained before their step settles
	// (follow), which the step's packets begin with.
	early []Packet
}

func openPortableWire() (*portableWire, error) {
	c, err := capture.Open(portable.Loopback)
	if err != nil {
		return nil, err
	}
	return &portableWire{cap: c, isn: isns{}}, nil
}

// record writes the run's packets to a pcapng file at path from now on.
func (w *portableWire) record(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("pcap file: %w", err)
	}
	if w.pcap, err = wire.NewWriter(f); err != nil {
		f.Close()
		return fmt.Errorf("pcap file: %w", err)
	}
	w.pfile = f
	return nil
}

func (w *portableWire) close() {
	w.cap.Close()
	if w.pfile != nil {
		w.pcap.Flush()
		w.pfile.Close()
	}
}

// portableTable is the run's endpoints as the observers of the full runner
// know them, so that packets are named by the same rules.
func portableTable(addrs []portable.Addr) endpoints {
	tab := make(endpoints, 0, len(addrs))
	for _, a := range addrs {
		tab = append(tab, endpoint{Name: a.Actor, Local: a.Local, Remote: a.Peer, Open: a.Open, Closed: !a.Open})
	}
	return tab
}

// drain appends the run's packets captured since the last drain to pkts
// and returns how many there were; other processes' packets on the shared
// loopback are dropped. It moves w.last to the latest one's capture time.
func (w *portableWire) drain(tab endpoints, pkts *[]Packet) (int, error) {
	got, err := w.cap.Drain()
	if err != nil {
		return 0, err
	}
	w.held.mark(tab)
	n := 0
	for _, p := range got {
		if ours(tab, p.Src) || ours(tab, p.Dst) {
			*pkts = append(*pkts, w.isn.packet(tab, p))
			n++
			if p.Time.After(w.last) {
				w.last = p.Time
			}
			if w.pcap != nil {
				w.pcap.Write(p.Time, p.Data, w.label)
				w.label = ""
			}
		}
	}
	return n, nil
}

// follow has the kernel keep only the segments of the ports of the run's
// sockets so far, before a step makes more packets: the loopback is the
// host's, and one bulk transfer of another program fills the capture's
// buffer in milliseconds, after which the run's packets are lost. Every
// segment of the run has a port known before its step at one end at
// least (a connect's ephemeral port talks to a listener's, and an
// accepted socket has its listener's). The ports only grow, so that a
// closed socket's last packets still pass. Where the system cannot filter
// on ports, every segment is kept, as before.
func (w *portableWire) follow(tab endpoints) error {
	grew := false
	for _, e := range tab {
		for _, a := range [2]netip.AddrPort{e.Local, e.Remote} {
			if p := a.Port(); p != 0 && !slices.Contains(w.ports, p) {
				w.ports, grew = append(w.ports, p), true
			}
		}
	}
	if !grew || w.unfiltered {
		return nil
	}
	err := w.cap.OnlyPorts(w.ports)
	if errors.Is(err, capture.ErrUnsupported) {
		w.unfiltered = true
		return nil
	}
	if err != nil {
		return err
	}
	// What the old filter let in stays queued: the host's other traffic
	// would keep the buffer full, and the step's packets out of it.
	_, err = w.drain(tab, &w.early)
	return err
}

// ours reports whether a is the address of one of the run's sockets, or
// the port of one bound to every address of the host (of a's family, or
// [::], which takes IPv4 too).
func ours(tab endpoints, a netip.AddrPort) bool {
	for _, e := range tab {
		w := e.Local.Addr()
		if e.Local == a || w.IsUnspecified() && e.Local.Port() == a.Port() && (w.Is6() || a.Addr().Is4()) {
			return true
		}
	}
	return false
}

// quietFor is how long the wire must carry none of the run's packets for
// the step to count as settled: longer than loopback takes to answer a
// segment, shorter than the kernel's first timer (the delayed ACK, 40ms).
const quietFor = 5 * time.Millisecond

// limits says what the capture missed, once the run is over.
func (w *portableWire) limits() []string {
	_, dropped, err := w.cap.Stats()
	switch {
	case err != nil:
		return []string{fmt.Sprintf("capture: %v", err)}
	case dropped > 0:
		return []string{fmt.Sprintf("capture: the kernel dropped %d packets on %s: the wire record is incomplete", dropped, portable.Loopback)}
	}
	return nil
}
