package watch

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/teardown-net/teardown/observe/kernel"
	"github.com/teardown-net/teardown/observe/ktrace"
	"github.com/teardown-net/teardown/observe/tcpstate"
)

// ErrTracefsFilter is returned by OpenTracefs for a filter that tracefs
// events cannot honour: they carry no namespace, cgroup or owner.
var ErrTracefsFilter = errors.New("the tracefs fallback cannot filter by namespace, cgroup or pid")

// tracefsPoll is how often the tracefs source looks for new events.
const tracefsPoll = 50 * time.Millisecond

// TracefsSource is a Source over the kernel's tracefs (observe/ktrace), for
// where eBPF is refused. Its events name no owner (attribution none: the
// task a trace line names is the one on the CPU), no namespace and no
// cgroup; received RSTs take the errno reported for the same addresses in
// the same read, and the state the connection's last state change left.
type TracefsSource struct {
	t        *ktrace.Tracer
	ports    map[uint16]bool
	states   bool
	errors   bool
	queue    []kernel.Event
	deadline time.Time
	lost     uint64
	// state is each connection's last state from inet_sock_set_state,
	// since tcp_receive_reset's trace line gives none.
	state map[[2]netip.AddrPort]tcpstate.State
}

// maxTracked bounds the connections whose state the fallback follows.
const maxTracked = 1 << 16

// OpenTracefs opens the fallback for cfg. Namespace and cgroup filters are
// refused (ErrTracefsFilter); ports are filtered here, not in the kernel.
func OpenTracefs(cfg kernel.Config) (*TracefsSource, error) {
	if cfg.FilterNetns || len(cfg.Cgroups) > 0 {
		return nil, ErrTracefsFilter
	}
	if cfg.Drops || cfg.Retransmits {
		return nil, fmt.Errorf("the tracefs fallback shows no drops or retransmissions")
	}
	t, err := ktrace.Open()
	if err != nil {
		return nil, fmt.Errorf("tracefs fallback: %w", err)
	}
	s := &TracefsSource{t: t, states: cfg.States, errors: cfg.Errors, state: map[[2]netip.AddrPort]tcpstate.State{}}
	if len(cfg.Ports) > 0 {
		s.ports = map[uint16]bool{}
		for _, p := range cfg.Ports {
			s.ports[p] = true
		}
	}
	return s, nil
}

// HasReason reports whether the kernel's tcp_send_reset gives reasons.
func (s *TracefsSource) HasReason() bool {
	_, err := ktrace.Reasons()
	return err == nil
}

// SetDeadline makes Read return os.ErrDeadlineExceeded at t.
func (s *TracefsSource) SetDeadline(t time.Time) { s.deadline = t }

// Lost returns how many events the kernel reported lost.
func (s *TracefsSource) Lost() (uint64, error) { return s.lost, nil }

// Close removes the tracing instance.
func (s *TracefsSource) Close() error { return s.t.Close() }

// Read returns the next event.
func (s *TracefsSource) Read() (kernel.Event, error) {
	for len(s.queue) == 0 {
		evs, err := s.t.Sync()
		if errors.Is(err, ktrace.ErrLost) {
			s.lost += lostCount(err)
		} else if err != nil {
			return kernel.Event{}, fmt.Errorf("tracefs fallback: %w", err)
		}
		s.take(evs)
		if len(s.queue) > 0 {
			break
		}
		if !s.deadline.IsZero() && !time.Now().Before(s.deadline) {
			return kernel.Event{}, os.ErrDeadlineExceeded
		}
		time.Sleep(tracefsPoll)
	}
	e := s.queue[0]
	s.queue = s.queue[1:]
	return e, nil
}

// lostCount reads the count from ktrace's lost-events error, or 1.
func lostCount(err error) uint64 {
	msg := strings.TrimSuffix(err.Error(), " events")
	if i := strings.LastIndexByte(msg, ' '); i >= 0 {
		if n, err := strconv.ParseUint(msg[i+1:], 10, 64); err == nil {
			return n
		}
	}
	return 1
}

// take converts one Sync's events, pairing each received RST with the
// error report that follows it for the same addresses.
func (s *TracefsSource) take(evs []ktrace.Event) {
	for i, ev := range evs {
		e, ok := convert(&ev)
		if !ok {
			continue
		}
		if s.ports != nil && !s.ports[e.Local.Port()] && !s.ports[e.Remote.Port()] {
			continue
		}
		key := [2]netip.AddrPort{e.Local, e.Remote}
		switch e.Kind {
		case kernel.ReceiveReset:
			e.State = s.state[key] // 0 when unknown: no prediction
			if e.State == 0 || kernel.Predicted(e.State) != 0 {
				e.ErrnoPending = true
				for _, next := range evs[i+1:] {
					if next.Name == ktrace.ErrorReport && next.Src == ev.Src && next.Dst == ev.Dst {
						e.Errno, e.ErrnoPending = syscall.Errno(next.Error), false
						break
					}
				}
			}
		case kernel.SocketError:
			if !s.errors || explained(evs[:i], &ev) || kernel.OwnAbort(&e) {
				continue
			}
		case kernel.StateChange:
			if len(s.state) >= maxTracked {
				clear(s.state)
			}
			s.state[key] = e.State
			if !s.states {
				continue
			}
		}
		s.queue = append(s.queue, e)
	}
}

// explained reports whether an error report follows a received RST for the
// same addresses among before.
func explained(before []ktrace.Event, ev *ktrace.Event) bool {
	for i := len(before) - 1; i >= 0; i-- {
		if b := before[i]; b.Name == ktrace.ReceiveReset && b.Src == ev.Src && b.Dst == ev.Dst {
			return true
		}
	}
	return false
}

// convert makes a kernel.Event of a trace event.
func convert(ev *ktrace.Event) (kernel.Event, bool) {
	e := kernel.Event{Mono: ev.Mono, Local: ev.Src, Remote: ev.Dst, Cookie: ev.Cookie, OnCPU: ev.PID}
	switch ev.Name {
	case ktrace.SendReset:
		e.Kind = kernel.SendReset
		e.Reason, e.HasReason = ev.Reason, ev.Reason != ""
		if ev.State == "UNKNOWN" {
			e.NoSocket = true
		} else {
			e.State, _ = tcpstate.ParseState(ev.State)
		}
	case ktrace.ReceiveReset:
		e.Kind = kernel.ReceiveReset
	case ktrace.ErrorReport:
		e.Kind = kernel.SocketError
		e.Errno = syscall.Errno(ev.Error)
	case ktrace.SetState:
		e.Kind = kernel.StateChange
		e.OldState, _ = tcpstate.ParseState(ev.OldState)
		e.State, _ = tcpstate.ParseState(ev.NewState)
	default:
		return e, false
	}
	return e, true
}
