package portable

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/observe/tcpstate"
)

// closeUnsure is empty: macOS keeps a connection in TIME_WAIT on its own
// socket while the descriptor is open, so CLOSE is the connection's.
const closeUnsure = ""

func init() {
	// macOS calls the idle time before the first keepalive probe
	// TCP_KEEPALIVE (seconds, as Linux's TCP_KEEPIDLE).
	sockopts["TCP_KEEPIDLE"] = [2]int{unix.IPPROTO_TCP, unix.TCP_KEEPALIVE}
}

// socket makes a socket and marks it close-on-exec: macOS has no
// SOCK_CLOEXEC. The run makes no child process, so nothing can inherit it
// in between.
func socket(domain, typ int) (int, error) {
	fd, err := unix.Socket(domain, typ, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	return fd, err
}

func accept(fd int) (int, error) {
	nfd, _, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	return nfd, err
}

func pipe() ([2]int, error) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return p, err
	}
	for _, fd := range p {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return p, err
		}
	}
	return p, nil
}

// tcpState reads the socket's state from TCP_CONNECTION_INFO.
func tcpState(fd int) (tcpstate.State, error) {
	info, err := unix.GetsockoptTCPConnectionInfo(fd, unix.IPPROTO_TCP, unix.TCP_CONNECTION_INFO)
	if err != nil {
		return 0, err
	}
	s, ok := fromBSD(info.State)
	if !ok {
		return 0, fmt.Errorf("TCP_CONNECTION_INFO: unknown state %d", info.State)
	}
	return s, nil
}
