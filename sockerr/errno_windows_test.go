package sockerr

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"
)

// winErrno returns the errno a Windows call reports as code.
func winErrno(code uint32) error { return syscall.Errno(code) }

// errnoErr returns the errno Go's syscall package invents on Windows for
// the POSIX name name.
func errnoErr(name string) error {
	for errno, n := range goErrnoNames {
		if n == name {
			return errno
		}
	}
	if name == "EWOULDBLOCK" {
		return syscall.EWOULDBLOCK
	}
	panic("no errno " + name)
}

// posixNames lists the POSIX names Go's syscall package invents on Windows.
var posixNames = func() []string {
	var names []string
	for _, n := range goErrnoNames {
		names = append(names, n)
	}
	return names
}()

// TestWindowsNumbers checks the table's numbers against the constants of
// golang.org/x/sys/windows, and Classify on them as Windows reports them.
func TestWindowsNumbers(t *testing.T) {
	official := map[string]syscall.Errno{
		"ERROR_NETNAME_DELETED":      windows.ERROR_NETNAME_DELETED,
		"ERROR_SEM_TIMEOUT":          windows.ERROR_SEM_TIMEOUT,
		"ERROR_OPERATION_ABORTED":    windows.ERROR_OPERATION_ABORTED,
		"ERROR_CONNECTION_REFUSED":   windows.ERROR_CONNECTION_REFUSED,
		"ERROR_NETWORK_UNREACHABLE":  windows.ERROR_NETWORK_UNREACHABLE,
		"ERROR_HOST_UNREACHABLE":     windows.ERROR_HOST_UNREACHABLE,
		"ERROR_PROTOCOL_UNREACHABLE": windows.ERROR_PROTOCOL_UNREACHABLE,
		"ERROR_PORT_UNREACHABLE":     windows.ERROR_PORT_UNREACHABLE,
		"ERROR_CONNECTION_ABORTED":   windows.ERROR_CONNECTION_ABORTED,
		"WSAEINTR":                   windows.WSAEINTR,
		"WSAEWOULDBLOCK":             windows.WSAEWOULDBLOCK,
		"WSAENETDOWN":                windows.WSAENETDOWN,
		"WSAENETUNREACH":             windows.WSAENETUNREACH,
		"WSAENETRESET":               windows.WSAENETRESET,
		"WSAECONNABORTED":            windows.WSAECONNABORTED,
		"WSAECONNRESET":              windows.WSAECONNRESET,
		"WSAESHUTDOWN":               windows.WSAESHUTDOWN,
		"WSAETIMEDOUT":               windows.WSAETIMEDOUT,
		"WSAECONNREFUSED":            windows.WSAECONNREFUSED,
		"WSAEHOSTDOWN":               windows.WSAEHOSTDOWN,
		"WSAEHOSTUNREACH":            windows.WSAEHOSTUNREACH,
		"WSAECANCELLED":              windows.WSAECANCELLED,
	}
	for code, name := range windowsErrnoNames {
		if errno, ok := official[name]; !ok || uint32(errno) != code {
			t.Errorf("table: %s is %d, x/sys/windows: %d", name, code, uint32(errno))
		}
		want, _ := KindOfName(name)
		err := readErr(os.NewSyscallError("wsarecv", syscall.Errno(code)))
		if got := Classify(err); got != want {
			t.Errorf("Classify(%v) = %v, want %v", err, got, want)
		}
	}
	for errno, name := range goErrnoNames {
		want, _ := KindOfName(name)
		if got := Classify(readErr(errno)); got != want {
			t.Errorf("Classify(syscall.%s) = %v, want %v", name, got, want)
		}
	}
}
