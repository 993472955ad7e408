package link

import (
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/teardown-net/teardown/proxy/toxic"
)

// chunk is what one read of the sender gave: bytes, or the FIN (io.EOF), or
// an error.
type chunk struct {
	data []byte
	at   time.Time
	err  error
	buf  *[]byte // returned to bufPool once handled
}

const chunkSize = 32 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// handle passes one chunk through the stages. It reports whether the
// direction is finished, and whether the caller must stop to take up a
// change (an action changed the path).
func (p *pump) handle(c chunk) (finished, stop bool) {
	defer func() {
		if c.buf != nil {
			bufPool.Put(c.buf)
		}
	}()
	if len(c.data) > 0 {
		p.chunkAt = c.at
		if a := p.outs0().Emit(c.data); a != toxic.Continue {
			return p.act(a), true
		}
	}
	switch {
	case c.err == nil:
	case c.err == io.EOF:
		p.srcEOF = true
		p.l.ended(End{p.srcSide, FIN})
		for i, e := range p.stages {
			if a := e.stage.EOF(&p.outs[i]); a != toxic.Continue {
				if a == toxic.Hold {
					p.held = e.id
				}
				return p.act(a), true
			}
		}
	default:
		p.failed(c.err, classify(c.err, p.srcSide))
		return true, true
	}
	return false, false
}

// slow passes chunks through the stages until the sender's FIN, an error,
// or a new toxic list. It reports whether the direction is finished.
//
// Reads run ahead in a goroutine of their own, so that a stage that delays
// bytes (latency) delays each chunk from the time it arrived and the stream
// keeps its throughput, as in Toxiproxy. When a stage limits reads
// (close_unread leaves bytes unread in the sender's socket), the pump reads
// itself, never more than the limit.
func (p *pump) slow() bool {
	for len(p.backlog) > 0 {
		c := p.backlog[0]
		p.backlog = p.backlog[1:]
		if done, stop := p.handle(c); done || stop {
			return done
		}
		if p.pending() {
			return false
		}
	}
	if p.readLimit() >= 0 {
		return p.slowSync()
	}
	return p.slowAsync()
}

// step does what is due besides reading: timers, and the end of the
// direction after the sender's FIN. It returns the deadline of the next
// timer, and whether slow must return (with finished).
func (p *pump) step() (deadline time.Time, ret, finished bool) {
	for {
		if p.l.isClosing() {
			return deadline, true, true
		}
		if p.pending() {
			return deadline, true, false
		}
		deadline = p.deadline()
		if deadline.IsZero() || time.Now().Before(deadline) {
			break
		}
		if a := p.timers(); a != toxic.Continue {
			if p.act(a) {
				return deadline, true, true
			}
			return deadline, true, false
		}
	}
	if ok, finished := p.flush(); !ok {
		return deadline, true, finished
	}
	if p.srcEOF {
		if p.held != 0 {
			p.sleep(deadline)
			return deadline, true, false
		}
		if deadline.IsZero() {
			return deadline, true, p.finish()
		}
		p.sleep(deadline)
		return deadline, true, false
	}
	return deadline, false, false
}

func (p *pump) slowSync() bool {
	for {
		deadline, ret, finished := p.step()
		if ret {
			return finished
		}
		limit := p.readLimit()
		if limit == 0 {
			p.sleep(deadline)
			continue
		}
		if !p.armRead(deadline) {
			return false
		}
		bp := bufPool.Get().(*[]byte)
		b := *bp
		if limit > 0 && limit < int64(len(b)) {
			b = b[:limit]
		}
		n, err := p.src.Read(b)
		p.l.cfg.Counters.Received[p.dir].Add(uint64(n))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = nil
		}
		if done, stop := p.handle(chunk{data: b[:n], at: time.Now(), err: err, buf: bp}); done || stop {
			return done
		}
	}
}

// readAhead bounds the buffer bytes a reader holds that the pump has not
// taken: the window of a delayed stream. Under a latency toxic of d a stream
// runs at no more than readAhead/d, plus what the kernels' socket buffers
// hold: 64 MiB allows about 600 MB/s under 100 ms (half that if every read
// fills just over half a buffer). Toxiproxy holds up to 1,024
// chunks of up to 32 KiB ahead of its latency toxic, half as much. The
// memory is spent only while a fast sender meets a delay.
const readAhead = 64 << 20

// smallRead is the largest read whose bytes are copied out of the pool's
// buffer, so that the bytes a reader holds are at least half the buffer
// bytes counted against readAhead.
const smallRead = chunkSize / 2

// reader reads the sender ahead of the pump, up to readAhead bytes.
type reader struct {
	mu   sync.Mutex
	q    []chunk // read, not yet taken by the pump, in order
	held int     // buffer bytes the chunks of q hold
	end  bool    // the goroutine has stopped; q holds all it read

	ready chan struct{} // signalled when q gains a chunk or end is set
	room  chan struct{} // signalled when held falls below readAhead
	quit  chan struct{} // closed by stopReader
	stop  atomic.Bool
}

// size is what a chunk counts against readAhead: its buffer, and a little
// for the chunk itself, so that a stream of 1-byte reads is bounded too.
func (c *chunk) size() int { return cap(c.data) + 64 }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// put queues c and reports whether the reader may read again: it waits
// while the window is full, until the pump takes chunks or stopReader ends
// it.
func (r *reader) put(c chunk) bool {
	r.mu.Lock()
	r.q = append(r.q, c)
	r.held += c.size()
	full := r.held >= readAhead
	r.mu.Unlock()
	signal(r.ready)
	for full {
		select {
		case <-r.room:
		case <-r.quit:
			return false
		}
		r.mu.Lock()
		full = r.held >= readAhead
		r.mu.Unlock()
	}
	return true
}

// take returns the oldest chunk read, if any, and whether the reader has
// stopped with nothing left.
func (r *reader) take() (c chunk, ok, ended bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.q) == 0 {
		return chunk{}, false, r.end
	}
	c = r.q[0]
	r.q[0] = chunk{}
	r.q = r.q[1:]
	if len(r.q) == 0 {
		r.q = nil // let the backing array go once drained
	}
	wasFull := r.held >= readAhead
	r.held -= c.size()
	if wasFull && r.held < readAhead {
		signal(r.room)
	}
	return c, true, false
}

func (p *pump) startReader() *reader {
	r := &reader{ready: make(chan struct{}, 1), room: make(chan struct{}, 1), quit: make(chan struct{})}
	p.lockedReadDL(time.Time{})
	go func() {
		defer func() {
			r.mu.Lock()
			r.end = true
			r.mu.Unlock()
			signal(r.ready)
		}()
		for !r.stop.Load() {
			bp := bufPool.Get().(*[]byte)
			n, err := p.src.Read(*bp)
			p.l.cfg.Counters.Received[p.dir].Add(uint64(n))
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// Woken to stop, or by an offer meant for the pump.
				p.lockedReadDL(time.Time{})
				if n == 0 {
					bufPool.Put(bp)
					continue
				}
				err = nil
			}
			c := chunk{data: (*bp)[:n], at: time.Now(), err: err, buf: bp}
			if n <= smallRead {
				c.data = append([]byte(nil), c.data...)
				c.buf = nil
				bufPool.Put(bp)
			}
			if !r.put(c) || err != nil {
				return
			}
		}
	}()
	return r
}

// stopReader ends the reader and keeps what it had read, in order, in the
// backlog.
func (p *pump) stopReader(r *reader) {
	r.stop.Store(true)
	close(r.quit)
	p.lockedReadDL(aLongTimeAgo)
	for {
		c, ok, ended := r.take()
		if ok {
			p.backlog = append(p.backlog, c)
			continue
		}
		if ended {
			return
		}
		<-r.ready
	}
}

func (p *pump) slowAsync() bool {
	// The reader starts only once step has found nothing to do first, so
	// that it never reads again after the sender's FIN.
	var r *reader
	defer func() {
		if r != nil {
			p.stopReader(r)
		}
	}()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		deadline, ret, finished := p.step()
		if ret {
			return finished
		}
		if r == nil {
			r = p.startReader()
		}
		var tc <-chan time.Time
		if !deadline.IsZero() {
			if timer == nil {
				timer = time.NewTimer(time.Until(deadline))
			} else {
				timer.Reset(time.Until(deadline))
			}
			tc = timer.C
		}
		if c, ok, ended := r.take(); ok {
			if done, stop := p.handle(c); done || stop {
				return done
			}
			continue
		} else if ended {
			// The reader stopped after an error it already queued.
			return false
		}
		select {
		case <-r.ready:
		case <-tc:
		case <-p.kick:
		case <-p.l.closing:
			return true
		}
	}
}
