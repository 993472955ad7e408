package kernel

import "testing"

// TestQueueBounded: a queue that never empties, events read as fast as
// they come, keeps to the room its live events need.
func TestQueueBounded(t *testing.T) {
	o := &Observer{cfg: Config{States: true}}
	o.take(Event{Kind: StateChange, Cookie: 1})
	for i := 0; i < 100000; i++ {
		o.take(Event{Kind: StateChange, Cookie: uint64(i + 2)})
		if e := o.pop(); e.Cookie != uint64(i+1) {
			t.Fatalf("pop %d: cookie %d, want %d: out of order", i, e.Cookie, i+1)
		}
	}
	if n := len(o.queue) - o.head; n != 1 {
		t.Errorf("%d events queued, want 1", n)
	}
	if c := cap(o.queue); c > 64 {
		t.Errorf("queue of 1 event holds room for %d", c)
	}
}
