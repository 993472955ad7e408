// Package capture records the TCP packets, and the ICMP errors about them,
// that cross a network interface, for the lab's timeline and capture files.
// On Linux it is an AF_PACKET socket, on macOS and FreeBSD a /dev/bpf
// device on a loopback interface (lo0, whose frames are DLT_NULL), each
// with a kernel filter that passes only TCP and ICMP over IPv4 and IPv6,
// so a scenario's capture costs nothing while nothing else happens. Both
// need root (CAP_NET_RAW on Linux, read access to /dev/bpf elsewhere).
//
// On other systems Open reports that capture is unsupported.
package capture

import (
	"errors"
	"fmt"
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

// Frame is one captured IP packet: a TCP segment or an ICMP error about one.
type Frame struct {
	Time time.Time
	// Data is the whole IP packet.
	Data []byte
	// TCP tells which: the segment is in Packet, else the error in ICMP.
	TCP    bool
	Packet wire.Packet
	ICMP   wire.ICMP
}

// ErrUnsupported is what Open returns where this package cannot capture:
// on systems other than Linux, macOS and FreeBSD, and on a BSD interface
// that is not a loopback.
var ErrUnsupported = fmt.Errorf("packet capture is implemented on Linux, and on loopback of macOS and FreeBSD, only: %w", errors.ErrUnsupported)
