package hosts

import "fmt"

// Unreach is the answer a router gives, in place of forwarding, to packets
// for a host that a "fault unreachable" cut off: which ICMP destination
// unreachable message (or its ICMPv6 counterpart) it sends back.
type Unreach int

// The answers. Each is the message a real network sends for that cause;
// Codes gives its ICMP and ICMPv6 type and code.
const (
	// UnreachHost: a router cannot reach the host (ICMP type 3 code 1;
	// ICMPv6 type 1 code 3, address unreachable).
	UnreachHost Unreach = iota + 1
	// UnreachNet: a router has no route to the host's network (ICMP 3/0;
	// ICMPv6 1/0, no route to destination).
	UnreachNet
	// UnreachPort: nothing listens on the port, as a firewall's reject
	// answers for a closed port (ICMP 3/3; ICMPv6 1/4).
	UnreachPort
	// UnreachProtocol: the host does not speak the transport (ICMP 3/2;
	// ICMPv6 has no such code and sends parameter problem, type 4 code 1,
	// unrecognized next header, pointing at the next header field).
	UnreachProtocol
	// UnreachProhibited: a filter forbids the traffic (ICMP 3/13,
	// communication administratively prohibited; ICMPv6 1/1).
	UnreachProhibited
	// UnreachFragmentation: the link to the host has a smaller MTU
	// (FragMTU), and the router's own kernel answers each larger packet
	// that may not be fragmented with ICMP 3/4, fragmentation needed (ICMPv6
	// type 2, packet too big), carrying that MTU; smaller packets pass.
	UnreachFragmentation
)

// FragMTU is the MTU of the router's link to a host under
// UnreachFragmentation: IPv6's minimum, below the links' 1500, so that a
// full-sized TCP segment in either family is too big.
const FragMTU = 1280

// Unreaches lists the answers by name, as Unreach.String gives them.
var Unreaches = map[string]Unreach{
	"host": UnreachHost, "net": UnreachNet, "port": UnreachPort,
	"protocol": UnreachProtocol, "prohibited": UnreachProhibited,
	"fragmentation": UnreachFragmentation,
}

func (u Unreach) String() string {
	for name, v := range Unreaches {
		if v == u {
			return name
		}
	}
	return fmt.Sprintf("unreach(%d)", int(u))
}

// Code is an ICMP or ICMPv6 message type and code.
type Code struct{ Type, Code uint8 }

// Codes returns the ICMP (v4) and ICMPv6 (v6) messages of the answer.
func (u Unreach) Codes() (v4, v6 Code, ok bool) {
	switch u {
	case UnreachHost:
		return Code{3, 1}, Code{1, 3}, true
	case UnreachNet:
		return Code{3, 0}, Code{1, 0}, true
	case UnreachPort:
		return Code{3, 3}, Code{1, 4}, true
	case UnreachProtocol:
		return Code{3, 2}, Code{4, 1}, true
	case UnreachProhibited:
		return Code{3, 13}, Code{1, 1}, true
	case UnreachFragmentation:
		return Code{3, 4}, Code{2, 0}, true
	}
	return Code{}, Code{}, false
}
