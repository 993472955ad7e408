package analyze

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTimers checks that the heap gives its entries back earliest first,
// and that schedule keeps only a connection's earliest time.
func TestTimers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h timers
	var want []int64
	for range 1000 {
		at := rng.Int64N(100) + 1
		h.push(timer{at: at})
		want = append(want, at)
	}
	slices.Sort(want)
	var got []int64
	for len(h) > 0 {
		got = append(got, h.pop().at)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
	c := &Conn{}
	for _, at := range []int64{50, 70, 30, 40} {
		h.schedule(c, at)
	}
	if len(h) != 2 || c.sched != 30 || h.pop().at != 30 || h.pop().at != 50 {
		t.Fatalf("schedule 50, 70, 30, 40: sched %d, heap %v; want entries 30 and 50, sched 30", c.sched, h)
	}
}
