// Package capture records the TCP packets, and the ICMP errors about them,
// that cross a network interface, for the lab's timeline and capture files.
// It is an AF_PACKET socket with a kernel filter that passes only TCP and
// ICMP over IPv4 and IPv6, so a scenario's capture costs nothing while
// nothing else happens.
//
// Capture works on Linux only; elsewhere Open reports that it is
// unsupported.
package capture

import (
	"errors"
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

// ErrUnsupported is what Open returns on systems other than Linux.
var ErrUnsupported = errors.New("packet capture is implemented on Linux only")
