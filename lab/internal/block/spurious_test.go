//go:build darwin || freebsd || linux

package block

import (
	"testing"
	"time"

	"github.com/teardown-net/teardown/scenario"
)

// TestSpurious checks which EINTRs the runners take for the Go runtime's
// and make the call again: those of calls that did nothing when
// interrupted, when the scenario asked for no interrupt.
func TestSpurious(t *testing.T) {
	eintr := scenario.Result{Kind: scenario.ResultErrno, Errno: "EINTR"}
	reset := scenario.Result{Kind: scenario.ResultErrno, Errno: "ECONNRESET"}
	for _, tc := range []struct {
		op   scenario.Op
		res  scenario.Result
		want bool
	}{
		{scenario.Op{Kind: scenario.OpRead}, eintr, true},
		{scenario.Op{Kind: scenario.OpWrite}, eintr, true},
		{scenario.Op{Kind: scenario.OpSend}, eintr, true},
		{scenario.Op{Kind: scenario.OpAccept}, eintr, true},
		{scenario.Op{Kind: scenario.OpRead, Interrupt: 20 * time.Millisecond}, eintr, false},
		{scenario.Op{Kind: scenario.OpConnect}, eintr, false},
		{scenario.Op{Kind: scenario.OpClose}, eintr, false},
		{scenario.Op{Kind: scenario.OpRead}, reset, false},
	} {
		if got := Spurious(&tc.op, tc.res); got != tc.want {
			t.Errorf("%s (interrupt %v) giving %s: %v, want %v", tc.op.Kind, tc.op.Interrupt, tc.res, got, tc.want)
		}
	}
}
