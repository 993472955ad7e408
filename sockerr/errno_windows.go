package sockerr

import (
	"errors"
	"syscall"
)

// goErrnoNames names the errno values that Go's syscall package invents on
// Windows for POSIX names (syscall.ECONNRESET and the like). Windows itself
// never returns them, but Go code may. Each has a value of its own, so
// EWOULDBLOCK is listed apart from EAGAIN.
var goErrnoNames = map[syscall.Errno]string{
	syscall.ECONNRESET:   "ECONNRESET",
	syscall.ENETRESET:    "ENETRESET",
	syscall.EPIPE:        "EPIPE",
	syscall.ESHUTDOWN:    "ESHUTDOWN",
	syscall.ECONNREFUSED: "ECONNREFUSED",
	syscall.ECONNABORTED: "ECONNABORTED",
	syscall.ETIMEDOUT:    "ETIMEDOUT",
	syscall.ENETUNREACH:  "ENETUNREACH",
	syscall.EHOSTUNREACH: "EHOSTUNREACH",
	syscall.ENETDOWN:     "ENETDOWN",
	syscall.EHOSTDOWN:    "EHOSTDOWN",
	syscall.EAGAIN:       "EAGAIN",
	syscall.EWOULDBLOCK:  "EWOULDBLOCK", // not EAGAIN here
	syscall.EINTR:        "EINTR",
	syscall.ECANCELED:    "ECANCELED",
}

// errnoName returns the name of the syscall.Errno in err's chain: a Winsock
// or Win32 code by its number, or one of Go's invented values. It returns ""
// if there is none or it is not known.
func errnoName(err error) string {
	if name := windowsErrnoName(err); name != "" {
		return name
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return ""
	}
	return goErrnoNames[errno]
}
