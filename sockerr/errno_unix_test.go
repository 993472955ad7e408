//go:build unix

package sockerr

import (
	"os"
	"syscall"
	"testing"
)

// winErrno returns the errno a Windows call reports as code.
func winErrno(code uint32) error { return syscall.Errno(code) }

// errnoErr returns this platform's errno named name.
func errnoErr(name string) error {
	for errno, n := range errnoNames {
		if n == name {
			return errno
		}
	}
	if name == "EWOULDBLOCK" {
		return syscall.EWOULDBLOCK
	}
	panic("no errno " + name)
}

// posixNames lists the names of this platform's errno table.
var posixNames = func() []string {
	var names []string
	for _, n := range errnoNames {
		names = append(names, n)
	}
	return names
}()

// TestClassifyErrno checks every errno of the platform's table, wrapped as
// the net and os packages wrap them, against the name table.
func TestClassifyErrno(t *testing.T) {
	for errno, name := range errnoNames {
		if dialNames[name] {
			// A kind from connect(2) only.
			if got := Classify(readErr(os.NewSyscallError("read", errno))); got != Other {
				t.Errorf("Classify(read %s) = %v, want other", name, got)
			}
			if got := Classify(dialErr(os.NewSyscallError("connect", errno))); got != Unreachable {
				t.Errorf("Classify(connect %s) = %v, want unreachable", name, got)
			}
			continue
		}
		want, ok := KindOfName(name)
		if !ok {
			t.Errorf("%s (%d) has no kind", name, int(errno))
			continue
		}
		for _, err := range []error{errno, readErr(os.NewSyscallError("read", errno)), dialErr(os.NewSyscallError("connect", errno))} {
			if got := Classify(err); got != want {
				t.Errorf("Classify(%v) = %v, want %v", err, got, want)
			}
		}
	}
	if got := Classify(readErr(syscall.EWOULDBLOCK)); got != WouldBlock {
		t.Errorf("Classify(EWOULDBLOCK) = %v", got)
	}
	if got := Classify(readErr(syscall.EBADF)); got != Other {
		t.Errorf("Classify(EBADF) = %v, want other", got)
	}
}
