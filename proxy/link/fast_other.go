//go:build !linux

package link

import (
	"errors"
	"io"
	"net"
	"os"
	"time"

	"github.com/teardown-net/teardown/sockerr"
)

// fastState is empty where the fast path is (*net.TCPConn).ReadFrom.
type fastState struct{}

func (p *pump) releaseFast() {}

// fastChunk bounds one ReadFrom call so that counters stay current.
const fastChunk = 4 << 20

// copyFast copies with ReadFrom. A change of toxics interrupts a blocked
// read; a blocked write finishes first, since ReadFrom cannot give back
// bytes it has read.
func (p *pump) copyFast() bool {
	if p.dstShut {
		return p.discard()
	}
	for {
		if !p.armRead(time.Time{}) {
			return false
		}
		var n int64
		var err error
		lr := &io.LimitedReader{R: p.src, N: fastChunk}
		p.lockedWriteDL(time.Time{})
		n, err = p.dst.ReadFrom(lr)
		p.l.cfg.Counters.Sent[p.dir].Add(uint64(n))
		p.l.cfg.Counters.Spliced[p.dir].Add(uint64(n))
		p.l.cfg.Counters.Received[p.dir].Add(uint64(n))
		switch {
		case err == nil && lr.N > 0:
			p.srcEOF = true
			p.l.ended(End{p.srcSide, FIN})
			return p.finish()
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			if p.pending() {
				return false
			}
		default:
			// One call reads and writes: EPIPE can only come from the
			// receiver; other errors are blamed on the sender.
			side := p.srcSide
			if sockerr.Classify(err) == sockerr.BrokenPipe {
				side = p.dstSide
			}
			p.failed(err, classify(err, side))
			return true
		}
	}
}

// waitUnread cannot peek portably without reading; the socket is closed at
// once, which gives RST only if the peer had already sent unread bytes.
func waitUnread(*net.TCPConn, <-chan struct{}) {}

// drainQueued cannot read without waiting portably; closing a socket with
// unread bytes then sends RST where Linux would send FIN.
func drainQueued(*net.TCPConn) {}

// lockedWriteDL is setWriteDL for callers without p.mu.
func (p *pump) lockedWriteDL(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setWriteDL(t)
}
