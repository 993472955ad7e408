package watch

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/kernel"
)

// backlog is a Source holding events already recorded, as a ring buffer
// a busy host filled holds them.
type backlog struct{ evs []kernel.Event }

func (b *backlog) Read() (kernel.Event, error) {
	if len(b.evs) == 0 {
		return kernel.Event{}, os.ErrDeadlineExceeded
	}
	e := b.evs[0]
	b.evs = b.evs[1:]
	return e, nil
}
func (b *backlog) SetDeadline(time.Time) {}
func (b *backlog) Lost() (uint64, error) { return 0, nil }

// counter is a Sink that counts records.
type counter struct{ n int }

func (c *counter) Emit(*Record) error { c.n++; return nil }
func (c *counter) Flush() error       { return nil }

// TestRunDrains: told to stop, Run still writes what was recorded before,
// and with a count, no more than it.
func TestRunDrains(t *testing.T) {
	w, err := New(Options{Cgroups: NewCgroups(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct{ count, want int }{{0, 1000}, {10, 10}} {
		src := &backlog{evs: make([]kernel.Event, 1000)}
		for i := range src.evs {
			src.evs[i].Kind = kernel.SendReset
		}
		var sink counter
		n, err := w.Run(ctx, src, Stop{Count: tc.count}, &sink)
		if err != nil || n != tc.want || sink.n != tc.want {
			t.Errorf("count %d: Run returned %d, %v and wrote %d records; want %d", tc.count, n, err, sink.n, tc.want)
		}
	}
}
