package link

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// fastState is the pipe the fast path splices through: bytes go from the
// sender's socket into the pipe and from the pipe into the receiver's
// socket, never into user space. The pump owns the pipe while bytes are in
// it, so that bytes in it when a change of toxics interrupts a blocked write
// are never lost; while the pump waits for the sender with the pipe empty,
// the pipe goes back to a pool shared by every link, so that an idle
// connection holds only its two sockets.
type fastState struct {
	pipe   *pipe // nil while the pump holds none
	inPipe int   // bytes in the pipe
}

// spliceMax bounds one splice call and is the capacity asked of each pipe:
// the larger the pipe, the more bytes each wake-up moves.
const spliceMax = 1 << 20

// A pipe is a pair of pipe descriptors, closed when the pool drops it.
type pipe struct {
	r, w    int
	cleanup runtime.Cleanup
}

// pipes holds empty pipes for reuse. A garbage collection empties it; a
// dropped pipe is closed by its cleanup.
var pipes sync.Pool

func getPipe() (*pipe, error) {
	if p, ok := pipes.Get().(*pipe); ok {
		return p, nil
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, fmt.Errorf("pipe2: %w", err)
	}
	// A larger pipe is an optimization only: the limits of
	// /proc/sys/fs/pipe-max-size and pipe-user-pages-soft may refuse it.
	unix.FcntlInt(uintptr(fds[1]), unix.F_SETPIPE_SZ, spliceMax)
	p := &pipe{r: fds[0], w: fds[1]}
	p.cleanup = runtime.AddCleanup(p, closePipe, fds)
	return p, nil
}

func closePipe(fds [2]int) {
	unix.Close(fds[0])
	unix.Close(fds[1])
}

// putPipe gives the pump's pipe back: to the pool if it is empty, closed
// if not (which cannot happen with the bytes counted).
func (p *pump) putPipe() {
	if p.pipe == nil {
		return
	}
	if p.inPipe == 0 {
		pipes.Put(p.pipe)
	} else {
		p.pipe.cleanup.Stop()
		closePipe([2]int{p.pipe.r, p.pipe.w})
		p.inPipe = 0
	}
	p.pipe = nil
}

func (p *pump) releaseFast() { p.putPipe() }

// copyFast splices until the sender's FIN, an error, or a change of toxics,
// which interrupts a blocked read or write alike (by deadlines). It reports
// whether the direction is finished.
func (p *pump) copyFast() bool {
	if p.dstShut {
		return p.discard()
	}
	src, err := p.src.SyscallConn()
	if err != nil {
		p.failed(err, classify(err, p.srcSide))
		return true
	}
	dst, err := p.dst.SyscallConn()
	if err != nil {
		p.failed(err, classify(err, p.dstSide))
		return true
	}
	defer p.unpipe()
	for {
		if !p.arm() {
			return false
		}
		if p.inPipe == 0 {
			var n int64
			var serr, perr error
			err := src.Read(func(fd uintptr) bool {
				if p.pipe == nil {
					if p.pipe, perr = getPipe(); perr != nil {
						return true
					}
				}
				// unix.Splice returns an int64 on 64-bit platforms and an int
				// on 32-bit ones; int64(...) serves both.
				m, e := unix.Splice(int(fd), nil, p.pipe.w, nil, spliceMax, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
				n, serr = int64(m), e
				if serr == unix.EAGAIN {
					// Nothing to read: wait without holding the pipe.
					p.putPipe()
					return false
				}
				return true
			})
			if perr != nil {
				// Out of descriptors: the direction still works, copying.
				return p.copyPlain()
			}
			if err == nil {
				err = serr
			}
			switch {
			case err == nil && n == 0:
				p.srcEOF = true
				p.l.ended(End{p.srcSide, FIN})
				return p.finish()
			case err == nil:
				p.inPipe = int(n)
				p.l.cfg.Counters.Received[p.dir].Add(uint64(n))
			case errors.Is(err, os.ErrDeadlineExceeded):
				if p.pending() {
					return false
				}
				continue
			default:
				p.failed(err, classify(err, p.srcSide))
				return true
			}
		}
		var werr error
		err := dst.Write(func(fd uintptr) bool {
			for p.inPipe > 0 {
				m, e := unix.Splice(p.pipe.r, nil, int(fd), nil, p.inPipe, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
				if m > 0 {
					p.inPipe -= int(m)
					p.l.cfg.Counters.Sent[p.dir].Add(uint64(m))
					p.l.cfg.Counters.Spliced[p.dir].Add(uint64(m))
				}
				if e == unix.EAGAIN {
					return false // wait until the receiver's socket has room
				}
				if e != nil {
					werr = e
					return true
				}
			}
			return true
		})
		if err == nil {
			err = werr
		}
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			if p.pending() {
				return false
			}
		default:
			p.failed(err, classify(err, p.dstSide))
			return true
		}
	}
}

// unpipe moves bytes left in the pipe to p.out, to be written first on
// whatever path comes next.
func (p *pump) unpipe() {
	for p.inPipe > 0 {
		buf := make([]byte, p.inPipe)
		n, err := unix.Read(p.pipe.r, buf)
		if n <= 0 || err != nil {
			// Cannot happen with bytes counted in the pipe; do not
			// spin, and do not pool a pipe that may hold bytes.
			break
		}
		p.out = append(p.out, buf[:n]...)
		p.inPipe -= n
	}
	p.putPipe()
}

// copyPlain is the fast path without a pipe: a plain copy through a buffer,
// interruptible like the slow path.
func (p *pump) copyPlain() bool {
	buf := make([]byte, chunkSize)
	for {
		if !p.arm() {
			return false
		}
		n, err := p.src.Read(buf)
		p.l.cfg.Counters.Received[p.dir].Add(uint64(n))
		if n > 0 {
			p.out = append(p.out, buf[:n]...)
			if ok, finished := p.flush(); !ok {
				return finished
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			if p.pending() {
				return false
			}
		case err == io.EOF:
			p.srcEOF = true
			p.l.ended(End{p.srcSide, FIN})
			return p.finish()
		default:
			p.failed(err, classify(err, p.srcSide))
			return true
		}
	}
}
