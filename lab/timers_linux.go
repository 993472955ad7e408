package lab

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/teardown-net/teardown/lab/hosts"
	"github.com/teardown-net/teardown/scenario"
)

// timer says which of the kernel's timers the step shortens and what the
// kernel would have done without it, reading the settings it overrides
// from the namespace of the host concerned before the step runs (a sysctl
// step has not yet changed its value). It returns nil for a step that
// shortens no timer.
func (r *runner) timer(s scenario.Step) (*Timer, error) {
	switch {
	case s.Op != nil && s.Op.Kind == scenario.OpSetsockopt && s.Op.Value > 0:
		host := ""
		if e, ok := r.eps[s.Op.Actor]; ok {
			host = e.Host
		}
		v := s.Op.Value
		switch s.Op.Option {
		case "TCP_USER_TIMEOUT":
			n, err := r.readSysctl(host, "net.ipv4.tcp_retries2")
			if err != nil {
				return nil, err
			}
			us, err := r.readSysctl(host, "net.ipv4.tcp_rto_min_us")
			if err != nil {
				return nil, err
			}
			base := time.Duration(us) * time.Microsecond
			return &Timer{Line: s.Pos.Line, Set: fmt.Sprintf("TCP_USER_TIMEOUT %v", time.Duration(v)*time.Millisecond),
				Default: fmt.Sprintf("net.ipv4.tcp_retries2 %d", n), Would: backoffTime(n, base),
				What: fmt.Sprintf("an unanswered retransmission's ETIMEDOUT (from the first retransmission, the RTO from tcp_rto_min_us %v)", base)}, nil
		case "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT":
			t, err := r.readSysctl(host, "net.ipv4.tcp_keepalive_time")
			if err != nil {
				return nil, err
			}
			i, err := r.readSysctl(host, "net.ipv4.tcp_keepalive_intvl")
			if err != nil {
				return nil, err
			}
			p, err := r.readSysctl(host, "net.ipv4.tcp_keepalive_probes")
			if err != nil {
				return nil, err
			}
			name := map[string]string{"TCP_KEEPIDLE": "tcp_keepalive_time", "TCP_KEEPINTVL": "tcp_keepalive_intvl", "TCP_KEEPCNT": "tcp_keepalive_probes"}[s.Op.Option]
			def := map[string]int{"TCP_KEEPIDLE": t, "TCP_KEEPINTVL": i, "TCP_KEEPCNT": p}[s.Op.Option]
			return &Timer{Line: s.Pos.Line, Set: fmt.Sprintf("%s %d", s.Op.Option, v),
				Default: fmt.Sprintf("net.ipv4.%s %d", name, def), Would: time.Duration(t+p*i) * time.Second,
				What: fmt.Sprintf("keepalive's ETIMEDOUT on a silent peer with the defaults (%ds idle + %d probes x %ds)", t, p, i)}, nil
		case "TCP_LINGER2":
			f, err := r.readSysctl(host, "net.ipv4.tcp_fin_timeout")
			if err != nil {
				return nil, err
			}
			return &Timer{Line: s.Pos.Line, Set: fmt.Sprintf("TCP_LINGER2 %d", v),
				Default: fmt.Sprintf("net.ipv4.tcp_fin_timeout %d", f), Would: time.Duration(f) * time.Second,
				What: "an orphan's FIN_WAIT2"}, nil
		}
	case s.Sysctl != nil:
		// Each sysctl that bounds a timer, with what it times: its value
		// and the scenario's, as that time.
		model, ok := sysctlTimers[s.Sysctl.Name]
		if !ok {
			return nil, nil
		}
		old, err := r.readSysctl(s.Sysctl.Host, s.Sysctl.Name)
		if err != nil {
			return nil, err
		}
		nv, err := strconv.Atoi(strings.TrimSpace(s.Sysctl.Value))
		if err != nil || model.time(nv) >= model.time(old) {
			return nil, nil
		}
		return &Timer{Line: s.Pos.Line, Set: fmt.Sprintf("%s %d (%v)", s.Sysctl.Name, nv, model.time(nv)),
			Default: fmt.Sprintf("%s %d", s.Sysctl.Name, old), Would: model.time(old), What: model.what}, nil
	}
	return nil, nil
}

type sysctlTimer struct {
	time func(v int) time.Duration
	what string
}

func seconds(v int) time.Duration { return time.Duration(v) * time.Second }

// sysctlTimers are the sysctls that time a failure, with the kernel's
// model of that time (ip-sysctl.rst; tcp_model_timeout).
var sysctlTimers = map[string]sysctlTimer{
	"net.ipv4.tcp_syn_retries":    {func(v int) time.Duration { return backoffTime(v, timeoutInit) }, "a connect's ETIMEDOUT (SYN retransmissions from TCP_TIMEOUT_INIT)"},
	"net.ipv4.tcp_synack_retries": {func(v int) time.Duration { return backoffTime(v, timeoutInit) }, "a SYN_RECV's end (SYN-ACK retransmissions from TCP_TIMEOUT_INIT)"},
	"net.ipv4.tcp_retries2":       {func(v int) time.Duration { return backoffTime(v, rtoMin) }, "an unanswered retransmission's ETIMEDOUT (RTO from TCP_RTO_MIN)"},
	"net.ipv4.tcp_fin_timeout":    {seconds, "an orphan's FIN_WAIT2"},
	"net.ipv4.tcp_keepalive_time": {seconds, "keepalive's first probe"},
}

// routeTimer says that the lab's hosts have routes with rto_min
// hosts.RTOMin, in place of the client's tcp_rto_min_us.
func (r *runner) routeTimer() (Timer, error) {
	us, err := r.readSysctl("client", "net.ipv4.tcp_rto_min_us")
	if err != nil {
		return Timer{}, err
	}
	return Timer{Set: fmt.Sprintf("the lab's routes' rto_min %v", hosts.RTOMin),
		Default: fmt.Sprintf("net.ipv4.tcp_rto_min_us %d", us), Would: time.Duration(us) * time.Microsecond,
		What: "a lost segment's first retransmission"}, nil
}

// readSysctl reads an integer setting of the host's namespace ("" on
// loopback: the run's own).
func (r *runner) readSysctl(host, name string) (int, error) {
	if r.hosts != nil && host != "" {
		if err := r.hosts.Enter(host); err != nil {
			return 0, err
		}
	}
	b, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(name, ".", "/"))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", name, err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("read %s: %q is not a number", name, b)
	}
	return v, nil
}
