package kernel

import (
	"math"
	"testing"
)

func TestRingSize(t *testing.T) {
	for _, tc := range []struct{ asked, want int }{
		{0, DefaultRingSize},
		{1, MinRingSize},
		{MinRingSize, MinRingSize},
		{MinRingSize + 1, 2 * MinRingSize},
		{48 << 20, 64 << 20},
		{64 << 20, 64 << 20},
		{MaxRingSize, MaxRingSize},
		{MaxRingSize + 1, MaxRingSize},
		{math.MaxInt, MaxRingSize},
	} {
		cfg := Config{RingSize: tc.asked}
		if got := cfg.ringSize(); int(got) != tc.want {
			t.Errorf("RingSize %d: ring of %d bytes, want %d", tc.asked, got, tc.want)
		}
	}
}
