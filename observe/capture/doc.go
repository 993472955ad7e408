// Package capture records the TCP packets that cross a network interface,
// for the lab's timeline and pcap files. It is an AF_PACKET socket with a
// kernel filter that passes only TCP over IPv4 and IPv6, so a scenario's
// capture costs nothing while nothing else happens.
//
// Capture works on Linux only; elsewhere Open reports that it is
// unsupported.
package capture

import "errors"

// ErrUnsupported is what Open returns on systems other than Linux.
var ErrUnsupported = errors.New("packet capture is implemented on Linux only")
