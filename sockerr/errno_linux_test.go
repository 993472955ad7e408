package sockerr

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// TestClassifyXSys checks errno values as golang.org/x/sys/unix returns them.
func TestClassifyXSys(t *testing.T) {
	tests := []struct {
		err  error
		want Kind
	}{
		{unix.ECONNRESET, Reset},
		{unix.EPIPE, BrokenPipe},
		{unix.ECONNREFUSED, Refused},
		{unix.ECONNABORTED, Aborted},
		{unix.ETIMEDOUT, TimedOut},
		{unix.ENETUNREACH, Unreachable},
		{unix.EHOSTUNREACH, Unreachable},
		{unix.EAGAIN, WouldBlock},
		{unix.EINTR, Interrupted},
		{unix.ENOTCONN, Other},
	}
	for _, tt := range tests {
		err := fmt.Errorf("recvmsg: %w", tt.err)
		if got := Classify(err); got != tt.want {
			t.Errorf("Classify(%v) = %v, want %v", err, got, tt.want)
		}
	}
}
