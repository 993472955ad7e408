package lab

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/observe/ktrace"
)

// kernelObserver is the kernel's own account of the runs: the events of
// the endpoints' connections between two instants of CLOCK_MONOTONIC,
// named by actor. It gets a copy of the run's endpoints and changes
// nothing. The eBPF observer (kernelHub) sees only the lab's namespaces;
// the tracefs reader (traceHub), where eBPF is refused, sees the host's.
type kernelObserver interface {
	// begin tells the observer of a run's namespaces before its first
	// step, end after its events are taken.
	begin(netns []uint32) error
	end(netns []uint32)
	// events returns the events of the run's connections between from
	// and to, in the order they happened.
	events(tab endpoints, sc runScope, from, to time.Duration) ([]tracedEvent, error)
	// reasonNames are the RST reason names of the running kernel, nil
	// when it does not say.
	reasonNames() []string
	close() error
}

// runScope is where a run's sockets live.
type runScope struct {
	// isolated: in namespaces of the run's own, netns.
	isolated bool
	netns    []uint32
}

// traceHub shares one kernel tracer among parallel runs. Tracing is global:
// the tracer sees every namespace, so the hub sorts events by port and each
// run takes those of its own ports and time span. Ports are unique among
// concurrent runs (the lab's sequence, or the kernel's ephemeral ports in
// a shared namespace).
type traceHub struct {
	t *ktrace.Tracer
	// reasons are the kernel's RST reason names, nil when it does not say.
	reasons []string
	// reasonsErr says why a kernel that gives reasons did not name them.
	reasonsErr error

	mu     sync.Mutex
	byPort map[uint16][]ktrace.Event
}

// tracedEvent is an Event with the kernel's CLOCK_MONOTONIC time.
type tracedEvent struct {
	Event
	mono time.Duration
}

// keepEvents is how long an event no run has claimed is kept: longer than
// any run, short enough that a long session does not pile them up.
const keepEvents = time.Minute

func openTraceHub() (*traceHub, error) {
	if unix.Geteuid() != 0 {
		return nil, errors.New("tracefs needs root")
	}
	t, err := ktrace.Open()
	if err != nil {
		return nil, err
	}
	h := &traceHub{t: t, byPort: map[uint16][]ktrace.Event{}}
	h.reasons, h.reasonsErr = ktrace.Reasons()
	if errors.Is(h.reasonsErr, ktrace.ErrNoReasons) {
		h.reasonsErr = nil // a kernel before 6.10 gives no reason to name
	}
	return h, nil
}

func (h *traceHub) close() error { return h.t.Close() }

func (h *traceHub) reasonNames() []string { return h.reasons }

// begin and end have nothing to do: tracefs sees every namespace.
func (h *traceHub) begin([]uint32) error { return nil }
func (h *traceHub) end([]uint32)         {}

// events returns the events of the endpoints' ports between from and to,
// named by actor. With isolated runs only the ports the lab chose count:
// runs in namespaces of their own can draw the same ephemeral port at the
// same time, but every connection of a run has one end on a port of the
// lab's sequence, which no concurrent run shares.
func (h *traceHub) events(tab endpoints, sc runScope, from, to time.Duration) ([]tracedEvent, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	evs, err := h.t.Sync()
	if err != nil && !errors.Is(err, ktrace.ErrLost) {
		return nil, fmt.Errorf("read the kernel's trace: %w", err)
	}
	now := ktrace.Mono()
	for _, ev := range evs {
		for _, p := range []uint16{ev.Src.Port(), ev.Dst.Port()} {
			if p != 0 {
				h.byPort[p] = append(h.byPort[p], ev)
			}
		}
	}
	for p, list := range h.byPort {
		list = slices.DeleteFunc(list, func(ev ktrace.Event) bool { return now-ev.Mono > keepEvents })
		if len(list) == 0 {
			delete(h.byPort, p)
		} else {
			h.byPort[p] = list
		}
	}
	var out []tracedEvent
	seen := map[string]bool{}
	for _, e := range tab {
		if !e.Local.IsValid() || (sc.isolated && !e.Bound) {
			continue
		}
		p := e.Local.Port()
		rest := h.byPort[p][:0]
		for _, ev := range h.byPort[p] {
			if ev.Mono < from || ev.Mono > to {
				rest = append(rest, ev)
				continue
			}
			// An event between two of the run's sockets is filed under both
			// ports; take it once.
			if !seen[ev.Raw] {
				seen[ev.Raw] = true
				out = append(out, tracedEvent{Event: labEvent(tab, ev), mono: ev.Mono})
			}
		}
		h.byPort[p] = rest
	}
	slices.SortStableFunc(out, func(a, b tracedEvent) int { return int(a.mono - b.mono) })
	if errors.Is(err, ktrace.ErrLost) {
		return out, err
	}
	return out, nil
}

func labEvent(tab endpoints, ev ktrace.Event) Event {
	e := Event{
		Name:  ev.Name,
		Actor: tab.actorOfSocket(ev.Cookie, ev.Src, ev.Dst),
		Peer:  tab.actorOf(ev.Dst, ev.Src),
	}
	switch ev.Name {
	case ktrace.SendReset:
		e.Reason, e.State = ev.Reason, ev.State
	case ktrace.SetState:
		e.From, e.To = ev.OldState, ev.NewState
	case ktrace.ErrorReport:
		switch {
		case ev.Error == 0:
			// The kernel reports to a socket whose error has been taken
			// (a failed connect, as it returns).
			e.Errno = "none pending"
		default:
			if e.Errno = unix.ErrnoName(unix.Errno(ev.Error)); e.Errno == "" {
				e.Errno = fmt.Sprintf("errno %d", ev.Error)
			}
		}
	}
	return e
}

// monotonic reads CLOCK_MONOTONIC, the clock of the tracer's timestamps.
func monotonic() time.Duration { return ktrace.Mono() }
