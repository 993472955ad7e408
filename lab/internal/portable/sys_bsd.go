//go:build darwin || freebsd

package portable

import "golang.org/x/sys/unix"

// marker is SIGUSR2, 31 on macOS and FreeBSD (above SIGPIPE's 13), which
// nothing but a user sends.
const marker = unix.SIGUSR2

// Loopback is the loopback interface, on which the run's packets pass.
const Loopback = "lo0"

// fionread is FIONREAD, _IOR('f', 127, int), which x/sys/unix does not
// define for the BSDs.
const fionread = 0x4004667f

func socketpair() ([2]int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fds[0])
		unix.CloseOnExec(fds[1])
	}
	return fds, err
}
