package lab

import (
	"fmt"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// runFiles is how many descriptors one run may hold at once, with room to
// spare: a loopback run holds about 10 (sockets, capture, sock_diag), a
// routed network of three hosts about 25.
const runFiles = 32

// spareFiles are kept for the lab itself: the tracer, the report, stdio.
const spareFiles = 16

// raiseFileLimit raises the soft open-file limit to the hard limit. The lab
// does so before it opens anything: the kernel observer alone holds a few
// dozen descriptors.
func raiseFileLimit() {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur >= lim.Max {
		return
	}
	lim.Cur = lim.Max
	_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &lim) // the limit fitParallel reads says what came of it
}

// fitParallel returns how many of want runs fit at once in the descriptors
// left under the open-file limit, at least one. When that is fewer than
// want, it says so in the limits: a run that still runs out of descriptors
// is a lab error, not a difference of the kernel.
func (env *environment) fitParallel(want int) int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		env.limits = append(env.limits, fmt.Sprintf("open-file limit unknown (%v): %d runs at once", err, want))
		return want
	}
	if lim.Cur > math.MaxInt32 {
		return want
	}
	open := openFiles()
	left := int(lim.Cur) - open - spareFiles
	n := min(want, max(1, left/runFiles))
	if n < want {
		env.limits = append(env.limits, fmt.Sprintf("at most %d runs at once instead of %d: the open-file limit is %d and %d are open (a run may need %d)",
			n, want, lim.Cur, open, runFiles))
	}
	return n
}

// openFiles counts this process's open descriptors.
func openFiles() int {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	// Less the descriptor that lists them.
	return len(names) - 1
}
