package kernel

// Config chooses what an Observer sees. Filters run in the kernel: an event
// passes when its namespace, either port and its socket's cgroup each pass
// the filters that are on.
type Config struct {
	// FilterNetns turns the namespace filter on: only namespaces in Netns
	// and those added later with AllowNetns pass. Off, all pass.
	FilterNetns bool
	Netns       []uint32
	// Ports, when not empty, lets pass only events with one of them at
	// either end.
	Ports []uint16
	// Cgroups, when not empty, lets pass only sockets in one of these
	// cgroup v2 ids or below it, in cgroups made after Open too (matched
	// by the socket's cgroup's ancestors, to 32 levels from the root).
	Cgroups []uint64
	// States asks for every TCP state change too (StateChange events).
	States bool
	// Errors asks for socket errors that no received RST explains, such
	// as ETIMEDOUT after retransmissions or keepalive probes (SocketError
	// events).
	Errors bool
	// Reports asks for every error the kernel reports to a socket
	// (inet_sk_error_report) as a SocketError event of its own, the
	// errors that follow received RSTs included, which are then not
	// paired with them (ReceiveReset events have no Errno): the raw
	// account, for a caller that pairs events itself.
	Reports bool
	// Drops asks for TCP packets the kernel dropped, with their
	// skb_drop_reason (Drop events; needs Linux 5.17).
	Drops bool
	// Retransmits asks for the retransmissions the retransmission timer
	// makes, each timeout once per socket (Retransmit events): a peer
	// that has stopped answering, before the connection times out. Fast
	// retransmits are not shown.
	Retransmits bool
	// RingSize is the size in bytes of the ring buffer the kernel writes
	// events to, rounded up to a power of two from MinRingSize to
	// MaxRingSize; 0 is DefaultRingSize. It is what absorbs a burst
	// while the reader is not on a CPU: an event takes 144 bytes.
	RingSize int
}

// The bounds and default of Config.RingSize.
const (
	MinRingSize     = 1 << 20
	DefaultRingSize = 16 << 20
	MaxRingSize     = 1 << 30
)

// ringSize returns the ring buffer's size for cfg.
func (cfg *Config) ringSize() uint32 {
	n := cfg.RingSize
	if n == 0 {
		n = DefaultRingSize
	}
	n = min(max(n, MinRingSize), MaxRingSize)
	size := uint32(MinRingSize)
	for int(size) < n {
		size <<= 1
	}
	return size
}

// maxFilter is the size of each filter's kernel map.
const maxFilter = 1024
