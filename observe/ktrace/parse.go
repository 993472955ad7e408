package ktrace

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ParseLine parses one line of trace_pipe output, as the kernel prints it
// with the default options:
//
//	python3-936 [001] ..s2.   601.753844: tcp_receive_reset: family=AF_INET sport=52302 ...
//
// It returns ok false, and no error, for lines that carry no event (empty
// lines, "#" comments). A "CPU:N [LOST M EVENTS]" line gives an event named
// Lost. Tracepoints other than the four a Tracer enables are returned with
// only the common fields set.
func ParseLine(line string) (Event, bool, error) {
	line = strings.TrimRight(line, "\r\n")
	trimmed := strings.TrimSpace(line)
	if trimmed == "" || trimmed[0] == '#' {
		return Event{}, false, nil
	}
	if ev, ok, err := parseLost(trimmed); ok || err != nil {
		ev.Raw = line
		return ev, ok, err
	}
	ev, body, err := parseHeader(line)
	if err != nil {
		return Event{}, false, fmt.Errorf("trace line %q: %w", line, err)
	}
	ev.Raw = line
	if ev.Name == Marker {
		ev.Message = body
		return ev, true, nil
	}
	if err := parseFields(&ev, body); err != nil {
		return Event{}, false, fmt.Errorf("trace line %q: %s: %w", line, ev.Name, err)
	}
	return ev, true, nil
}

// parseLost parses the ring buffer's overflow notice.
func parseLost(s string) (Event, bool, error) {
	rest, ok := strings.CutPrefix(s, "CPU:")
	if !ok {
		return Event{}, false, nil
	}
	cpu, rest, ok := strings.Cut(rest, " [LOST ")
	if !ok {
		return Event{}, false, nil
	}
	n, ok := strings.CutSuffix(rest, " EVENTS]")
	if !ok {
		return Event{}, false, fmt.Errorf("trace line %q: malformed lost-events notice", s)
	}
	c, err1 := strconv.Atoi(cpu)
	l, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil || c < 0 || l < 0 {
		return Event{}, false, fmt.Errorf("trace line %q: malformed lost-events notice", s)
	}
	return Event{Name: Lost, CPU: c, Lost: l}, true, nil
}

// parseHeader parses "comm-pid [cpu] flags timestamp: name: " and returns
// the rest. The task name may hold spaces and dashes, so the header is
// found from the " [cpu]" column, the last "-digits" before it ending the
// name; an optional "(tgid)" column (option record-tgid) and the flags
// column (option irq-info) may stand between cpu and timestamp.
func parseHeader(line string) (Event, string, error) {
	var ev Event
	open := strings.Index(line, "] ")
	if open < 0 {
		return ev, "", fmt.Errorf("no [cpu] column")
	}
	lb := strings.LastIndexByte(line[:open], '[')
	if lb < 0 {
		return ev, "", fmt.Errorf("no [cpu] column")
	}
	cpu, err := strconv.Atoi(line[lb+1 : open])
	if err != nil || cpu < 0 {
		return ev, "", fmt.Errorf("cpu %q is not a number", line[lb+1:open])
	}
	ev.CPU = cpu
	task := strings.TrimSpace(line[:lb])
	if i := strings.LastIndex(task, "("); i > 0 && strings.HasSuffix(task, ")") {
		task = strings.TrimSpace(task[:i]) // the tgid column
	}
	dash := strings.LastIndexByte(task, '-')
	if dash < 0 {
		return ev, "", fmt.Errorf("task %q has no -pid", task)
	}
	pid, err := strconv.Atoi(task[dash+1:])
	if err != nil || pid < 0 {
		return ev, "", fmt.Errorf("pid %q is not a number", task[dash+1:])
	}
	ev.PID, ev.Comm = pid, task[:dash]

	rest := strings.TrimLeft(line[open+2:], " ")
	colon := strings.Index(rest, ": ")
	if colon < 0 {
		return ev, "", fmt.Errorf("no timestamp")
	}
	stamp := rest[:colon]
	if sp := strings.LastIndexByte(stamp, ' '); sp >= 0 {
		stamp = stamp[sp+1:] // after the flags column
	}
	ev.Mono, err = parseStamp(stamp)
	if err != nil {
		return ev, "", err
	}
	rest = rest[colon+2:]
	name, body, ok := strings.Cut(rest, ": ")
	if !ok {
		name, body = strings.TrimSuffix(rest, ":"), ""
	}
	if name == "" || strings.ContainsAny(name, " \t") {
		return ev, "", fmt.Errorf("event name %q", name)
	}
	ev.Name = name
	return ev, body, nil
}

// parseStamp parses "seconds.fraction" as printed by the trace clock.
func parseStamp(s string) (time.Duration, error) {
	sec, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) == 0 || len(frac) > 9 || len(sec) == 0 || len(sec) > 10 {
		return 0, fmt.Errorf("timestamp %q (expected seconds.microseconds)", s)
	}
	secs, err1 := strconv.ParseUint(sec, 10, 64)
	f, err2 := strconv.ParseUint(frac, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("timestamp %q (expected seconds.microseconds)", s)
	}
	for i := len(frac); i < 9; i++ {
		f *= 10
	}
	return time.Duration(secs)*time.Second + time.Duration(f), nil
}

// parseFields fills the event-specific fields from "key=value ..." text.
func parseFields(ev *Event, body string) error {
	switch ev.Name {
	case SendReset, ReceiveReset, SetState, ErrorReport:
	default:
		return nil
	}
	kv := map[string]string{}
	for _, f := range strings.Fields(body) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return fmt.Errorf("field %q is not key=value", f)
		}
		kv[k] = v
	}
	need := func(keys ...string) error {
		for _, k := range keys {
			if _, ok := kv[k]; !ok {
				return fmt.Errorf("no %s= field", k)
			}
		}
		return nil
	}
	if ev.Name == SendReset {
		if err := need("src", "dest", "state"); err != nil {
			return err
		}
		var err error
		if ev.Src, err = addrPort(kv["src"]); err != nil {
			return err
		}
		if ev.Dst, err = addrPort(kv["dest"]); err != nil {
			return err
		}
		ev.State = strings.TrimPrefix(kv["state"], "TCP_")
		ev.Reason = kv["reason"] // absent before Linux 6.10
		return nil
	}
	if err := need("family", "sport", "dport", "saddr", "daddr", "saddrv6", "daddrv6"); err != nil {
		return err
	}
	sa, da := kv["saddr"], kv["daddr"]
	if kv["family"] == "AF_INET6" {
		// For IPv6 sockets the IPv4 fields hold leftovers.
		sa, da = kv["saddrv6"], kv["daddrv6"]
	}
	src, err := addr(sa, kv["sport"])
	if err != nil {
		return err
	}
	dst, err := addr(da, kv["dport"])
	if err != nil {
		return err
	}
	ev.Src, ev.Dst = src, dst
	switch ev.Name {
	case SetState:
		if err := need("oldstate", "newstate"); err != nil {
			return err
		}
		ev.OldState = strings.TrimPrefix(kv["oldstate"], "TCP_")
		ev.NewState = strings.TrimPrefix(kv["newstate"], "TCP_")
	case ErrorReport:
		if err := need("error"); err != nil {
			return err
		}
		if ev.Error, err = strconv.Atoi(kv["error"]); err != nil {
			return fmt.Errorf("error=%q is not a number", kv["error"])
		}
	case ReceiveReset:
		if c, ok := kv["sock_cookie"]; ok {
			if ev.Cookie, err = strconv.ParseUint(c, 16, 64); err != nil {
				return fmt.Errorf("sock_cookie=%q is not hexadecimal", c)
			}
		}
	}
	return nil
}

func addr(a, port string) (netip.AddrPort, error) {
	ip, err := netip.ParseAddr(a)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: %w", a, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(p)), nil
}

func addrPort(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: %w", s, err)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
