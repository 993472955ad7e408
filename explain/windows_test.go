//go:build windows

package explain

import (
	"syscall"
	"testing"

	"golang.org/x/sys/windows"
)

// TestWindowsNumbersAgainstXSys checks the Winsock numbers against
// golang.org/x/sys/windows, where the test runs on Windows.
func TestWindowsNumbersAgainstXSys(t *testing.T) {
	want := map[string]syscall.Errno{
		"WSAECONNRESET": windows.WSAECONNRESET, "WSAECONNABORTED": windows.WSAECONNABORTED,
		"WSAECONNREFUSED": windows.WSAECONNREFUSED, "WSAETIMEDOUT": windows.WSAETIMEDOUT,
		"WSAEHOSTUNREACH": windows.WSAEHOSTUNREACH, "WSAENETUNREACH": windows.WSAENETUNREACH,
		"WSAEHOSTDOWN": windows.WSAEHOSTDOWN, "WSAENETDOWN": windows.WSAENETDOWN,
		"WSAENOTCONN": windows.WSAENOTCONN, "WSAESHUTDOWN": windows.WSAESHUTDOWN,
		"WSAEWOULDBLOCK": windows.WSAEWOULDBLOCK, "WSAEINTR": windows.WSAEINTR,
		"WSAEINPROGRESS": windows.WSAEINPROGRESS, "WSAEALREADY": windows.WSAEALREADY,
		"WSAEISCONN": windows.WSAEISCONN, "WSAEADDRINUSE": windows.WSAEADDRINUSE,
		"WSAEADDRNOTAVAIL": windows.WSAEADDRNOTAVAIL, "WSAEBADF": windows.WSAEBADF,
		"WSAEMFILE": windows.WSAEMFILE, "WSAENOBUFS": windows.WSAENOBUFS,
		"WSAEMSGSIZE": windows.WSAEMSGSIZE, "WSAENETRESET": windows.WSAENETRESET,
	}
	b := load(t)
	for _, e := range b.Entries {
		for _, name := range e.Names[Windows] {
			w, ok := want[name]
			if !ok {
				t.Errorf("%s: %s has no x/sys/windows constant in this test", e.ID, name)
				continue
			}
			if int(w) != e.Numbers[Windows] {
				t.Errorf("%s: %s is %d, x/sys/windows says %d", e.ID, name, e.Numbers[Windows], int(w))
			}
		}
	}
}
