package lab

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/teardown-net/teardown/observe/kernel"
	"github.com/teardown-net/teardown/observe/ktrace"
)

// kernelHub shares one eBPF kernel observer (observe/kernel) among
// parallel runs. Its namespace filter runs in the kernel: only the
// namespaces of the lab's own runs pass (or, in a shared namespace, the
// lab's own), so a run never sees another process's events, even one that
// uses the same addresses and ports in a namespace of its own.
type kernelHub struct {
	o        *kernel.Observer
	reasons  []string
	isolated bool

	mu sync.Mutex
	// byNetns holds the events no run has claimed yet, by namespace,
	// when runs are isolated; byPort, in a shared namespace, by port
	// (each event under both of its ports).
	byNetns map[uint32][]hubEvent
	byPort  map[uint16][]hubEvent
	seq     uint64
	// lost is the observer's lost count at the last Sync, lossSeen when
	// that count last grew.
	lost     uint64
	lossSeen time.Duration
}

// hubEvent is a kernel event with a number that tells it from its copy
// under the other port.
type hubEvent struct {
	kernel.Event
	seq uint64
}

// openKernelHub loads the eBPF observer. isolated says each run makes
// namespaces of its own, which it lets through with begin; otherwise this
// process's namespace passes, and runs are told apart by port.
func openKernelHub(isolated bool) (*kernelHub, error) {
	o, err := kernel.Open(kernel.Config{FilterNetns: true, States: true, Reports: true})
	if err != nil {
		return nil, err
	}
	h := &kernelHub{o: o, isolated: isolated, byNetns: map[uint32][]hubEvent{}, byPort: map[uint16][]hubEvent{}}
	if !isolated {
		ns, err := threadNetns()
		if err == nil {
			err = o.AllowNetns(ns)
		}
		if err != nil {
			o.Close()
			return nil, err
		}
	}
	h.reasons = o.Reasons()
	return h, nil
}

func (h *kernelHub) close() error { return h.o.Close() }

func (h *kernelHub) reasonNames() []string { return h.reasons }

func (h *kernelHub) begin(netns []uint32) error {
	for i, n := range netns {
		if err := h.o.AllowNetns(n); err != nil {
			h.end(netns[:i])
			return err
		}
	}
	return nil
}

// end closes the filter to the run's namespaces and forgets their events:
// a namespace made later may get the same number.
func (h *kernelHub) end(netns []uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range netns {
		h.o.DenyNetns(n)
		delete(h.byNetns, n)
	}
}

// sync moves what the ring buffer holds into the hub and drops the events
// no run claimed within keepEvents. It returns an error when the ring lost
// events since from.
func (h *kernelHub) sync(from time.Duration) error {
	evs, err := h.o.Sync()
	if err != nil {
		return fmt.Errorf("read the kernel observer: %w", err)
	}
	now := ktrace.Mono()
	lost, err := h.o.Lost()
	if err != nil {
		return err
	}
	if lost > h.lost {
		h.lost, h.lossSeen = lost, now
	}
	for _, ev := range evs {
		h.seq++
		he := hubEvent{ev, h.seq}
		if h.isolated {
			h.byNetns[ev.Netns] = append(h.byNetns[ev.Netns], he)
			continue
		}
		for _, p := range []uint16{ev.Local.Port(), ev.Remote.Port()} {
			if p != 0 {
				h.byPort[p] = append(h.byPort[p], he)
			}
		}
	}
	old := func(ev hubEvent) bool { return now-ev.Mono > keepEvents }
	for n, list := range h.byNetns {
		if list = slices.DeleteFunc(list, old); len(list) == 0 {
			delete(h.byNetns, n)
		} else {
			h.byNetns[n] = list
		}
	}
	for p, list := range h.byPort {
		if list = slices.DeleteFunc(list, old); len(list) == 0 {
			delete(h.byPort, p)
		} else {
			h.byPort[p] = list
		}
	}
	if h.lossSeen > from {
		return fmt.Errorf("the eBPF ring buffer lost %d events", h.lost)
	}
	return nil
}

// events returns the run's events between from and to that have one end
// on a port of the run's endpoints, as traceHub picks them: in namespaces
// of its own, among the events of those namespaces, and only the ports the
// lab chose (the hosts' probes and sockets that lost their port are not
// the scenario's); in a shared namespace, among the events of every port.
func (h *kernelHub) events(tab endpoints, sc runScope, from, to time.Duration) ([]tracedEvent, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.sync(from); err != nil {
		return nil, err
	}
	ports := map[uint16]bool{}
	for _, e := range tab {
		if e.Local.IsValid() && (e.Bound || !sc.isolated) {
			ports[e.Local.Port()] = true
		}
	}
	var out []tracedEvent
	seen := map[uint64]bool{}
	take := func(list []hubEvent) []hubEvent {
		rest := list[:0]
		for _, ev := range list {
			if ev.Mono < from || ev.Mono > to {
				rest = append(rest, ev)
				continue
			}
			if seen[ev.seq] || !ports[ev.Local.Port()] && !ports[ev.Remote.Port()] {
				continue
			}
			seen[ev.seq] = true
			if k, ok := ktraceForm(ev.Event); ok {
				out = append(out, tracedEvent{Event: labEvent(tab, k), mono: ev.Mono})
			}
		}
		return rest
	}
	if sc.isolated {
		for _, n := range sc.netns {
			h.byNetns[n] = take(h.byNetns[n])
		}
	} else {
		for p := range ports {
			h.byPort[p] = take(h.byPort[p])
		}
	}
	slices.SortStableFunc(out, func(a, b tracedEvent) int { return int(a.mono - b.mono) })
	return out, nil
}

// ktraceForm gives a kernel event the form the tracefs reader gives the
// same tracepoint's line, so that both observers make the same record.
func ktraceForm(ev kernel.Event) (ktrace.Event, bool) {
	k := ktrace.Event{Mono: ev.Mono, Src: ev.Local, Dst: ev.Remote, Cookie: ev.Cookie}
	switch ev.Kind {
	case kernel.SendReset:
		k.Name, k.Reason, k.State = ktrace.SendReset, ev.Reason, ev.State.String()
		if ev.NoSocket {
			k.State = "UNKNOWN" // as the tracepoint prints a missing socket's
		}
	case kernel.ReceiveReset:
		k.Name = ktrace.ReceiveReset
	case kernel.StateChange:
		k.Name, k.OldState, k.NewState = ktrace.SetState, ev.OldState.String(), ev.State.String()
	case kernel.SocketError:
		k.Name, k.Error = ktrace.ErrorReport, int(ev.Errno)
	default:
		return k, false
	}
	return k, true
}

// threadNetns returns the inode number of the calling thread's network
// namespace.
func threadNetns() (uint32, error) {
	fi, err := os.Stat("/proc/thread-self/ns/net")
	if err != nil {
		return 0, fmt.Errorf("network namespace: %w", err)
	}
	return uint32(fi.Sys().(*syscall.Stat_t).Ino), nil
}
