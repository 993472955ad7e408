//go:build !plan9

package sockerr

import (
	"errors"
	"syscall"
)

// windowsErrnoNames names, by number, the Windows error codes that end
// connections: Winsock codes from winsock2.h and the Win32 codes from
// winerror.h that overlapped socket I/O reports. It builds on every platform
// so that the Windows mapping is tested everywhere.
var windowsErrnoNames = map[uint32]string{
	64:    "ERROR_NETNAME_DELETED",
	121:   "ERROR_SEM_TIMEOUT",
	995:   "ERROR_OPERATION_ABORTED", // also WSA_OPERATION_ABORTED
	1225:  "ERROR_CONNECTION_REFUSED",
	1231:  "ERROR_NETWORK_UNREACHABLE",
	1232:  "ERROR_HOST_UNREACHABLE",
	1233:  "ERROR_PROTOCOL_UNREACHABLE",
	1234:  "ERROR_PORT_UNREACHABLE",
	1236:  "ERROR_CONNECTION_ABORTED",
	10004: "WSAEINTR",
	10013: "WSAEACCES", // from connect only: see dialNames
	10022: "WSAEINVAL", // from connect only: see dialNames
	10035: "WSAEWOULDBLOCK",
	10050: "WSAENETDOWN",
	10051: "WSAENETUNREACH",
	10052: "WSAENETRESET",
	10053: "WSAECONNABORTED",
	10054: "WSAECONNRESET",
	10058: "WSAESHUTDOWN",
	10060: "WSAETIMEDOUT",
	10061: "WSAECONNREFUSED",
	10064: "WSAEHOSTDOWN",
	10065: "WSAEHOSTUNREACH",
	10103: "WSAECANCELLED",
}

// windowsErrnoName returns the name of the syscall.Errno in err's chain
// read as a Windows error code, or "" if there is none or it is not known.
// It is the Windows build's errno naming, less Go's invented values.
func windowsErrnoName(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return ""
	}
	return windowsErrnoNames[uint32(errno)]
}
