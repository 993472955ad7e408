package lab

import (
	"fmt"
	"math/bits"
	"time"
)

// Timer says that a scenario shortened one of the kernel's timers, and
// what the kernel would have done without it: the setting it overrode, as
// the run's own namespace had it, and how long the failure it times would
// then have taken.
type Timer struct {
	// Line is the scenario line that shortened it; 0 for the lab's own
	// shortening (the routes' rto_min between hosts).
	Line int `json:"line"`
	// Set is what the scenario set ("TCP_USER_TIMEOUT 150ms").
	Set string `json:"set"`
	// Default is the setting it overrode, read from the namespace
	// ("net.ipv4.tcp_retries2 15").
	Default string `json:"default"`
	// Would is how long the kernel's default would have taken.
	Would time.Duration `json:"would_ns"`
	// What says what Would measures.
	What string `json:"what"`
}

func (t Timer) String() string {
	where := "the lab"
	if t.Line > 0 {
		where = fmt.Sprintf("line %d", t.Line)
	}
	return fmt.Sprintf("%s: %s in place of %s: %s would take %v", where, t.Set, t.Default, t.What, t.Would)
}

// The kernel's retransmission bounds (include/net/tcp.h).
const (
	rtoMin      = 200 * time.Millisecond // TCP_RTO_MIN
	rtoMax      = 120 * time.Second      // TCP_RTO_MAX
	timeoutInit = time.Second            // TCP_TIMEOUT_INIT
)

// backoffTime is how long n retransmissions take when the timeout starts at
// base and doubles up to rtoMax, until the last one times out: the kernel's
// tcp_model_timeout (net/ipv4/tcp_timer.c), which retransmits_timed_out
// compares with the time since the first retransmission.
func backoffTime(n int, base time.Duration) time.Duration {
	thresh := bits.Len64(uint64(rtoMax/base)) - 1
	if n <= thresh {
		return time.Duration((2<<n)-1) * base
	}
	return time.Duration((2<<thresh)-1)*base + time.Duration(n-thresh)*rtoMax
}
