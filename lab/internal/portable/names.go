//go:build darwin || freebsd || linux

package portable

import "golang.org/x/sys/unix"

// The names every system here has, with the same meaning; the per-system
// files add theirs to these tables.
var (
	recvFlags = map[string]int{"peek": unix.MSG_PEEK, "waitall": unix.MSG_WAITALL, "oob": unix.MSG_OOB, "trunc": unix.MSG_TRUNC}
	pollBits  = map[string]int16{"in": unix.POLLIN, "out": unix.POLLOUT, "pri": unix.POLLPRI}
	pollNames = map[string]int16{
		"POLLIN": unix.POLLIN, "POLLOUT": unix.POLLOUT, "POLLPRI": unix.POLLPRI,
		"POLLHUP": unix.POLLHUP, "POLLERR": unix.POLLERR, "POLLNVAL": unix.POLLNVAL,
	}
	sockopts = map[string][2]int{
		"SO_KEEPALIVE":  {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
		"SO_RCVBUF":     {unix.SOL_SOCKET, unix.SO_RCVBUF},
		"SO_SNDBUF":     {unix.SOL_SOCKET, unix.SO_SNDBUF},
		"SO_REUSEADDR":  {unix.SOL_SOCKET, unix.SO_REUSEADDR},
		"SO_ERROR":      {unix.SOL_SOCKET, unix.SO_ERROR},
		"SO_TYPE":       {unix.SOL_SOCKET, unix.SO_TYPE},
		"SO_ACCEPTCONN": {unix.SOL_SOCKET, unix.SO_ACCEPTCONN},
		"TCP_NODELAY":   {unix.IPPROTO_TCP, unix.TCP_NODELAY},
		"TCP_KEEPINTVL": {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
		"TCP_KEEPCNT":   {unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
		"IPV6_V6ONLY":   {unix.IPPROTO_IPV6, unix.IPV6_V6ONLY},
		"SO_OOBINLINE":  {unix.SOL_SOCKET, unix.SO_OOBINLINE},
	}
)
