package sock

import "fmt"

// Kind is a kind of endpoint the lab builds: a socket family and type, a
// socketpair or a pipe.
type Kind int

const (
	// TCP4 and TCP6 are SOCK_STREAM sockets of AF_INET and AF_INET6.
	TCP4 Kind = iota + 1
	TCP6
	// Unix is an AF_UNIX SOCK_STREAM socket bound to a path.
	Unix
	// UnixPacket is an AF_UNIX SOCK_SEQPACKET socket bound to a path.
	UnixPacket
	// Socketpair is a connected pair of AF_UNIX SOCK_STREAM sockets.
	Socketpair
	// Pipe is a pipe(2): its write end is the client, its read end the
	// server.
	Pipe
)

// Kinds lists every kind.
var Kinds = []Kind{TCP4, TCP6, Unix, UnixPacket, Socketpair, Pipe}

// IsTCP reports whether endpoints of the kind carry TCP.
func (k Kind) IsTCP() bool { return k == TCP4 || k == TCP6 }

func (k Kind) String() string {
	switch k {
	case TCP4:
		return "tcp4"
	case TCP6:
		return "tcp6"
	case Unix:
		return "unix"
	case UnixPacket:
		return "unixpacket"
	case Socketpair:
		return "socketpair"
	case Pipe:
		return "pipe"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}
