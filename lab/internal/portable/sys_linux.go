package portable

import (
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/observe/tcpstate"
)

// marker is a real-time signal: the numbers below 32 above SIGPIPE's (13)
// are ones a terminal or a user sends (SIGWINCH, SIGUSR2 is 12), and the
// Go runtime keeps 32 and 33 for itself.
const marker = syscall.Signal(40)

const fionread = unix.SIOCINQ

// Loopback is the loopback interface, on which the run's packets pass.
const Loopback = "lo"

// closeUnsure: Linux hands a connection that enters TIME_WAIT to a socket
// of its own and leaves the descriptor's socket CLOSE, so CLOSE through a
// descriptor cannot tell a forgotten connection from one in TIME_WAIT.
const closeUnsure = "on Linux a socket reads CLOSE through its descriptor both when the kernel forgot its connection and when the connection went on in TIME_WAIT"

func init() {
	pollBits["rdhup"] = unix.POLLRDHUP
	pollNames["POLLRDHUP"] = unix.POLLRDHUP
	for name, o := range map[string]int{
		"TCP_KEEPIDLE": unix.TCP_KEEPIDLE, "TCP_USER_TIMEOUT": unix.TCP_USER_TIMEOUT,
		"TCP_LINGER2": unix.TCP_LINGER2, "TCP_FASTOPEN": unix.TCP_FASTOPEN,
		"TCP_FASTOPEN_CONNECT": unix.TCP_FASTOPEN_CONNECT,
	} {
		sockopts[name] = [2]int{unix.IPPROTO_TCP, o}
	}
}

func socket(domain, typ int) (int, error) { return unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0) }

func socketpair() ([2]int, error) {
	return unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
}

func accept(fd int) (int, error) {
	nfd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
	return nfd, err
}

func pipe() ([2]int, error) {
	var p [2]int
	err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK)
	return p, err
}

// tcpState reads the socket's state from TCP_INFO, which Linux numbers as
// the lab does.
func tcpState(fd int) (tcpstate.State, error) {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, err
	}
	return tcpstate.State(info.State), nil
}
