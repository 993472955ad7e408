package link

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// fastState is the pipe the fast path splices through: bytes go from the
// sender's socket into the pipe and from the pipe into the receiver's
// socket, never into user space. The pump owns the pipe, so that bytes in it
// when a change of toxics interrupts a blocked write are never lost.
type fastState struct {
	pipe    [2]int // read end, write end; valid when hasPipe
	hasPipe bool
	inPipe  int // bytes in the pipe
}

// spliceMax bounds one splice call; the pipe takes what it can hold.
const spliceMax = 1 << 20

func (p *pump) releaseFast() {
	if p.hasPipe {
		unix.Close(p.pipe[0])
		unix.Close(p.pipe[1])
		p.hasPipe = false
	}
}

// copyFast splices until the sender's FIN, an error, or a change of toxics,
// which interrupts a blocked read or write alike (by deadlines). It reports
// whether the direction is finished.
func (p *pump) copyFast() bool {
	if p.dstShut {
		return p.discard()
	}
	if !p.hasPipe {
		if err := unix.Pipe2(p.pipe[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
			// Out of descriptors: the direction still works, copying.
			return p.copyPlain()
		}
		p.hasPipe = true
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
			var serr error
			err := src.Read(func(fd uintptr) bool {
				// unix.Splice returns an int64 on 64-bit platforms and an int
				// on 32-bit ones; int64(...) serves both.
				m, e := unix.Splice(int(fd), nil, p.pipe[1], nil, spliceMax, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
				n, serr = int64(m), e
				return serr != unix.EAGAIN
			})
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
				m, e := unix.Splice(p.pipe[0], nil, int(fd), nil, p.inPipe, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
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
		n, err := unix.Read(p.pipe[0], buf)
		if n <= 0 || err != nil {
			// Cannot happen with bytes counted in the pipe; do not spin.
			p.inPipe = 0
			return
		}
		p.out = append(p.out, buf[:n]...)
		p.inPipe -= n
	}
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
