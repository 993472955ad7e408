package ktrace

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseReasons extracts the RST reason names from the text of
// events/tcp/tcp_send_reset/format: the strings of the
// __print_symbolic(REC->reason, { 0, "NOT_SPECIFIED" }, ...) in its print
// fmt, in the kernel's order. Kernels before 6.10 have no reason field; for
// them ParseReasons returns an error wrapping ErrNoReasons.
func ParseReasons(format string) ([]string, error) {
	_, pf, ok := strings.Cut(format, "\nprint fmt:")
	if !ok {
		return nil, fmt.Errorf("tcp_send_reset format: no print fmt line")
	}
	pf, _, _ = strings.Cut(pf, "\n")
	const sym = "__print_symbolic(REC->reason,"
	i := strings.Index(pf, sym)
	if i < 0 {
		return nil, fmt.Errorf("tcp_send_reset format: %w", ErrNoReasons)
	}
	s := pf[i+len(sym):]
	var names []string
	for {
		s = strings.TrimLeft(s, " \t,")
		if strings.HasPrefix(s, ")") {
			break
		}
		if !strings.HasPrefix(s, "{") {
			return nil, fmt.Errorf("tcp_send_reset format: reason list: expected { value, \"NAME\" } at %q", clip(s))
		}
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return nil, fmt.Errorf("tcp_send_reset format: reason list: unclosed { at %q", clip(s))
		}
		value, name, ok := strings.Cut(s[1:end], ",")
		if !ok {
			return nil, fmt.Errorf("tcp_send_reset format: reason list: no name in %q", s[:end+1])
		}
		if _, err := strconv.ParseInt(strings.TrimSpace(value), 0, 64); err != nil {
			return nil, fmt.Errorf("tcp_send_reset format: reason list: value %q is not a number", strings.TrimSpace(value))
		}
		n, err := strconv.Unquote(strings.TrimSpace(name))
		if err != nil || n == "" {
			return nil, fmt.Errorf("tcp_send_reset format: reason list: name %s is not a quoted string", strings.TrimSpace(name))
		}
		names = append(names, n)
		s = s[end+1:]
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("tcp_send_reset format: empty reason list")
	}
	return names, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
