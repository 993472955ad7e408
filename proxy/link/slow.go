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

// reader reads the sender ahead of the pump.
type reader struct {
	ch   chan chunk
	stop atomic.Bool
}

func (p *pump) startReader() *reader {
	r := &reader{ch: make(chan chunk, 16)}
	p.lockedReadDL(time.Time{})
	go func() {
		defer close(r.ch)
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
			r.ch <- chunk{data: (*bp)[:n], at: time.Now(), err: err, buf: bp}
			if err != nil {
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
	p.lockedReadDL(aLongTimeAgo)
	for c := range r.ch {
		p.backlog = append(p.backlog, c)
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
		select {
		case c, ok := <-r.ch:
			if !ok {
				// The reader stopped after an error it already sent.
				return false
			}
			if done, stop := p.handle(c); done || stop {
				return done
			}
		case <-tc:
		case <-p.kick:
		case <-p.l.closing:
			return true
		}
	}
}
