//go:build darwin || freebsd || linux

package portable

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/scenario"
)

func (r *Run) setsockopt(e *Endpoint, op *scenario.Op) (Outcome, error) {
	switch op.Option {
	case "SO_LINGER":
		return result(setLinger(e.FD, op.Linger))
	case "SO_RCVTIMEO":
		return result(r.setTimeout(e, unix.SO_RCVTIMEO, time.Duration(op.Value)*time.Millisecond))
	case "SO_SNDTIMEO":
		return result(r.setTimeout(e, unix.SO_SNDTIMEO, time.Duration(op.Value)*time.Millisecond))
	}
	o, found := sockopts[op.Option]
	if !found {
		return Outcome{}, fmt.Errorf("setsockopt %s: Refusal keeps it from the portable runner here", op.Option)
	}
	return result(unix.SetsockoptInt(e.FD, o[0], o[1], op.Value))
}

func (r *Run) getsockopt(e *Endpoint, op *scenario.Op) (Outcome, error) {
	switch op.Option {
	case "SO_LINGER":
		l, err := unix.GetsockoptLinger(e.FD, unix.SOL_SOCKET, unix.SO_LINGER)
		if err != nil {
			return errOutcome(err)
		}
		return Outcome{Result: count(int(l.Linger))}, nil
	case "SO_RCVTIMEO", "SO_SNDTIMEO":
		// The call is made for its errors; the value is the socket's own,
		// where the kernel holds the run's limit instead.
		opt, own := unix.SO_RCVTIMEO, e.RcvTimeo
		if op.Option == "SO_SNDTIMEO" {
			opt, own = unix.SO_SNDTIMEO, e.SndTimeo
		}
		if _, err := unix.GetsockoptTimeval(e.FD, unix.SOL_SOCKET, opt); err != nil {
			return errOutcome(err)
		}
		return Outcome{Result: count(int(own.Milliseconds()))}, nil
	}
	o, found := sockopts[op.Option]
	if !found {
		return Outcome{}, fmt.Errorf("getsockopt %s: Refusal keeps it from the portable runner here", op.Option)
	}
	v, err := unix.GetsockoptInt(e.FD, o[0], o[1])
	if err != nil {
		return errOutcome(err)
	}
	if op.Option == "SO_ERROR" && v != 0 {
		return errOutcome(unix.Errno(v))
	}
	return Outcome{Result: count(v)}, nil
}

func setLinger(fd, secs int) error {
	l := unix.Linger{}
	if secs >= 0 {
		l = unix.Linger{Onoff: 1, Linger: int32(secs)}
	}
	return unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &l)
}
