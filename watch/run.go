package watch

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/teardown-net/teardown/observe/kernel"
)

// Source is where a Watcher's events come from: a *kernel.Observer.
type Source interface {
	Read() (kernel.Event, error)
	SetDeadline(time.Time)
	Lost() (uint64, error)
}

// Stop says when Run ends besides its context: after Count records (0: no
// limit) or Duration (0: no limit).
type Stop struct {
	Count    int
	Duration time.Duration
}

// Sink takes the records Run keeps. Emit may buffer what it writes, but
// must not keep the record: Run reuses it; Run calls Flush within
// flushEvery of the first record written after the previous Flush, and at
// the end.
type Sink interface {
	Emit(*Record) error
	Flush() error
}

// flushEvery bounds how long a record waits in the sink's buffer. Flushing
// each time no event is waiting made a write, and a wakeup of the reader,
// per event whenever watch kept up: under load that work made it fall
// behind and lose events.
const flushEvery = 20 * time.Millisecond

// drainFor bounds how long Run, told to stop, goes on reading what the
// kernel recorded before: at the highest rates the ring buffer holds a
// second or more of events, which would be left unread, neither shown nor
// counted lost.
const drainFor = 2 * time.Second

// tick is how often Run looks at its context and the kernel's lost count
// while no event comes.
const tick = 200 * time.Millisecond

// Run reads events from src until ctx ends or stop says so, and passes each
// record it keeps to sink, in the kernel's order. When the kernel lost
// events, sink gets a record of Event "lost" with their number: when seen
// (checked every tick), and at the end. When ctx ends or the duration is
// over, Run first writes the events the kernel recorded until then (for
// at most drainFor). Run returns how many event records it emitted.
func (w *Watcher) Run(ctx context.Context, src Source, stop Stop, sink Sink) (n int, err error) {
	defer func() {
		if ferr := sink.Flush(); err == nil {
			err = ferr
		}
	}()
	var end time.Time
	if stop.Duration > 0 {
		end = time.Now().Add(stop.Duration)
	}
	var lost uint64
	checkLost := func() error {
		n, err := src.Lost()
		if err != nil || n <= lost {
			return err
		}
		r := Record{Schema: SchemaVersion, Time: time.Now(), Event: "lost", Lost: n - lost}
		lost = n
		return sink.Emit(&r)
	}
	count, checked := 0, time.Now()
	// flushBy is when the sink's buffer must be flushed; zero when empty.
	var flushBy time.Time
	flush := func() error {
		flushBy = time.Time{}
		return sink.Flush()
	}
	// r is reused: a record passed to the sink escapes, and one allocation
	// per event was a good part of the garbage watch made.
	var r Record
	drain := func() error {
		for until := time.Now().Add(drainFor); time.Now().Before(until); {
			src.SetDeadline(time.Now()) // what is there, without waiting for more
			e, err := src.Read()
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, kernel.ErrClosed) {
				break
			}
			if err != nil {
				return err
			}
			if !w.Keep(&e) {
				continue
			}
			r = w.Record(&e)
			if err := sink.Emit(&r); err != nil {
				return err
			}
			if count++; stop.Count > 0 && count >= stop.Count {
				break
			}
		}
		return checkLost()
	}
	for {
		// One clock reading per event serves every check below: each is
		// coarse (ticks, flushes of 20 ms, the end).
		now := time.Now()
		if ctx.Err() != nil || (!end.IsZero() && !now.Before(end)) {
			return count, drain()
		}
		if !flushBy.IsZero() && !now.Before(flushBy) {
			if err := flush(); err != nil {
				return count, err
			}
		}
		dl := now.Add(tick)
		if !end.IsZero() && end.Before(dl) {
			dl = end
		}
		if !flushBy.IsZero() && flushBy.Before(dl) {
			dl = flushBy
		}
		src.SetDeadline(dl)
		e, err := src.Read()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if time.Since(checked) >= tick {
				checked = time.Now()
				if err := checkLost(); err != nil {
					return count, err
				}
			}
			continue
		}
		if errors.Is(err, kernel.ErrClosed) {
			return count, checkLost()
		}
		if err != nil {
			return count, err
		}
		if now.Sub(checked) >= tick {
			checked = now
			if err := checkLost(); err != nil {
				return count, err
			}
		}
		if !w.Keep(&e) {
			continue
		}
		r = w.Record(&e)
		if err := sink.Emit(&r); err != nil {
			return count, err
		}
		if flushBy.IsZero() {
			flushBy = now.Add(flushEvery)
		}
		if count++; stop.Count > 0 && count >= stop.Count {
			return count, checkLost()
		}
	}
}
