package lab

import (
	"testing"
	"time"
)

// TestBackoffTime checks the model against the kernel's documented
// figures: tcp_retries2 15 is "about 924.6 seconds" (ip-sysctl.rst), and
// tcp_syn_retries 6 is 127 seconds (ip-sysctl.rst: "with the current
// initial RTO of 1second ... the final timeout ... after 127seconds").
func TestBackoffTime(t *testing.T) {
	for _, tc := range []struct {
		n    int
		base time.Duration
		want time.Duration
	}{
		{15, rtoMin, 924600 * time.Millisecond},
		{8, rtoMin, 102200 * time.Millisecond}, // ip-sysctl.rst: RFC 1122's 100 seconds "corresponds to a value of at least 8"
		{6, timeoutInit, 127 * time.Second},
		{1, timeoutInit, 3 * time.Second},
		{0, timeoutInit, time.Second},
	} {
		if got := backoffTime(tc.n, tc.base); got != tc.want {
			t.Errorf("backoffTime(%d, %v) = %v, want %v", tc.n, tc.base, got, tc.want)
		}
	}
}
