//go:build unix || js

package sockerr

import (
	"errors"
	"syscall"
)

// errnoNames names the errno values of this platform that the table of
// KindOfName holds, and those of dialNames. EWOULDBLOCK is EAGAIN on every
// such platform, so it appears once.
var errnoNames = map[syscall.Errno]string{
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
	syscall.EINTR:        "EINTR",
	syscall.ECANCELED:    "ECANCELED",
	// Not connection errors in general; from connect(2), the routes
	// prohibit and blackhole (see dialNames).
	syscall.EACCES: "EACCES",
	syscall.EINVAL: "EINVAL",
}

// errnoName returns the name of the syscall.Errno in err's chain, or "" if
// there is none or it is not in errnoNames.
func errnoName(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return ""
	}
	return errnoNames[errno]
}
