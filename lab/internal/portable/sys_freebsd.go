package portable

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/observe/tcpstate"
)

// closeUnsure: FreeBSD before 14 kept a connection in TIME_WAIT in a
// structure of its own (tcptw), apart from the descriptor's socket, so CLOSE
// through a descriptor may be a connection in TIME_WAIT.
const closeUnsure = "on FreeBSD before 14 a socket may read CLOSE through its descriptor while its connection is in TIME_WAIT"

func init() {
	pollBits["rdhup"] = unix.POLLRDHUP
	pollNames["POLLRDHUP"] = unix.POLLRDHUP
	sockopts["TCP_KEEPIDLE"] = [2]int{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}
}

func socket(domain, typ int) (int, error) { return unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0) }

func accept(fd int) (int, error) {
	nfd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
	return nfd, err
}

func pipe() ([2]int, error) {
	var p [2]int
	err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK)
	return p, err
}

// tcpState reads the socket's state from TCP_INFO. x/sys/unix has no
// struct tcp_info for FreeBSD; its first byte is tcpi_state (netinet/tcp.h),
// and the buffer is larger than the whole struct.
func tcpState(fd int) (tcpstate.State, error) {
	var buf [512]byte
	n := uint32(len(buf))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.IPPROTO_TCP, unix.TCP_INFO,
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if errno != 0 {
		return 0, errno
	}
	s, ok := fromBSD(buf[0])
	if !ok {
		return 0, fmt.Errorf("TCP_INFO: unknown state %d", buf[0])
	}
	return s, nil
}
