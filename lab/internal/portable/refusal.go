//go:build darwin || freebsd || linux

package portable

import (
	"fmt"
	"runtime"

	"github.com/teardown-net/teardown/scenario"
)

// Refusal says why the portable runner does not run sc on t, or "" when
// it does. What it refuses needs what only the full Linux runner has (a
// network of namespaces, the run's own sysctls, raw sockets, a thread per
// call, signals to one thread) or an operation, option or flag this system
// does not have. A run it refused says nothing of the kernel either way.
func Refusal(sc *scenario.Scenario, t scenario.Transport) string {
	if sc.Net != "" && sc.Net != scenario.NetLoopback {
		return fmt.Sprintf("net %s builds hosts from network namespaces, which the portable runner does not have", sc.Net)
	}
	for _, s := range sc.Steps {
		if !s.Guard.Has(t) {
			continue
		}
		switch {
		case s.Sysctl != nil:
			return "sysctl sets a run's own network namespace, which the portable runner does not have: it would change this host's"
		case s.Inject != nil:
			return "inject sends from a raw socket in a run's own network namespace, which the portable runner does not have"
		case s.Fault != nil:
			return "faults change a network of hosts, which the portable runner does not have"
		case s.Op != nil:
			if why := refuseOp(s.Op); why != "" {
				return fmt.Sprintf("line %d: %s", s.Pos.Line, why)
			}
		}
	}
	return ""
}

func refuseOp(op *scenario.Op) string {
	switch {
	case op.Async:
		return "async calls need a thread of their own per call, which the portable runner does not make"
	case op.Interrupt > 0:
		return "interrupt signals the blocked thread, which the portable runner cannot name on every system"
	case op.FastOpen:
		return "connect fastopen is Linux's sendto(MSG_FASTOPEN)"
	case op.Kind == scenario.OpEpoll:
		return "epoll is Linux's"
	case op.Host != "":
		return "socket at HOST needs a network of hosts"
	}
	if op.Kind == scenario.OpBind && op.Address != "" && runtime.GOOS != "linux" {
		if a, err := scenario.ParseBindAddress(op.Address); err == nil && a.Kind == scenario.AddressAbstract {
			return "abstract unix names are Linux's"
		}
	}
	for _, f := range op.Flags {
		if _, ok := recvFlags[f]; !ok {
			return fmt.Sprintf("read %s: %s has no such recv flag", f, runtime.GOOS)
		}
	}
	if op.Kind == scenario.OpPoll {
		for _, ev := range op.Events {
			if _, ok := pollBits[ev]; !ok {
				return fmt.Sprintf("poll %s: %s has no such event", ev, runtime.GOOS)
			}
		}
	}
	if op.Kind == scenario.OpSetsockopt || op.Kind == scenario.OpGetsockopt {
		switch op.Option {
		case "SO_LINGER", "SO_RCVTIMEO", "SO_SNDTIMEO":
			return ""
		}
		if _, ok := sockopts[op.Option]; !ok {
			return fmt.Sprintf("%s %s: %s has no option of that name or meaning", op.Kind, op.Option, runtime.GOOS)
		}
	}
	return ""
}
