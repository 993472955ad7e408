//go:build darwin || freebsd || linux

package block

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel holds a socket's own timeout when it is within the limit, the
// limit otherwise; what was set is remembered as the socket's own either
// way, as the kernel reported it back.
func TestTimeoutsSet(t *testing.T) {
	limit := 2 * time.Second
	for _, tc := range []struct {
		set, own, held time.Duration
		labLimited     bool
	}{
		{300 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond, false},
		{5 * time.Second, 5 * time.Second, limit, true},
		{0, 0, limit, true},
		{limit, limit, limit, false},
	} {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		var to Timeouts
		if err := to.Set(fd, unix.SO_RCVTIMEO, tc.set, limit); err != nil {
			t.Fatal(err)
		}
		tv, err := unix.GetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		if held := time.Duration(tv.Nano()); to.RcvTimeo != tc.own || held != tc.held || to.SndTimeo != 0 {
			t.Errorf("set %v under %v: own %v, kernel holds %v (send %v); want %v, %v", tc.set, limit, to.RcvTimeo, held, to.SndTimeo, tc.own, tc.held)
		}
		if got := to.LabLimited(unix.SO_RCVTIMEO, limit); got != tc.labLimited {
			t.Errorf("set %v under %v: lab-limited %v, want %v", tc.set, limit, got, tc.labLimited)
		}
	}
}

func TestTimeout(t *testing.T) {
	limit := time.Second
	for _, tc := range []struct {
		asked   time.Duration
		now     bool
		want    time.Duration
		limited bool
	}{
		{0, false, limit, true},
		{0, true, 0, false},
		{100 * time.Millisecond, false, 100 * time.Millisecond, false},
		{limit, false, limit, false},
		{2 * limit, false, limit, true},
	} {
		if d, limited := Timeout(tc.asked, tc.now, limit); d != tc.want || limited != tc.limited {
			t.Errorf("Timeout(%v, %v, %v) = %v, %v; want %v, %v", tc.asked, tc.now, limit, d, limited, tc.want, tc.limited)
		}
	}
}
