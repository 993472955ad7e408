//go:build darwin || freebsd || linux

package portable

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab/internal/block"
	"github.com/teardown-net/teardown/scenario"
)

func (r *Run) write(e *Endpoint, op *scenario.Op) (Outcome, error) {
	if e.Pipe {
		return r.pipeWrite(e, op)
	}
	w := r.watch(e.FD)
	var n int
	var err error
	switch {
	case op.Kind == scenario.OpWrite && !op.NoSignal:
		n, err = unix.Write(e.FD, op.Data)
	default:
		flags := 0
		if op.NoSignal {
			flags = unix.MSG_NOSIGNAL
		}
		if op.OOB {
			flags |= unix.MSG_OOB
		}
		n, err = unix.SendmsgN(e.FD, op.Data, nil, nil, flags)
	}
	fired := w.stop()
	if fired || (errors.Is(err, unix.EAGAIN) || err == nil && n < len(op.Data)) && blocking(e, op) && r.labLimited(e, unix.SO_SNDTIMEO) {
		return Outcome{Result: blocked(), Moved: max(n, 0)}, nil
	}
	if err != nil {
		return errOutcome(err)
	}
	return Outcome{Result: count(n)}, nil
}

// pipeWrite emulates a blocking write on a pipe end that is non-blocking
// underneath, so that the run's limit can end it.
func (r *Run) pipeWrite(e *Endpoint, op *scenario.Op) (Outcome, error) {
	deadline := time.Now().Add(r.limit)
	total := 0
	for {
		n, err := unix.Write(e.FD, op.Data[total:])
		if n > 0 {
			total += n
		}
		switch {
		case err == nil && total == len(op.Data):
			return Outcome{Result: count(total)}, nil
		case err != nil && !errors.Is(err, unix.EAGAIN), e.Nonblock:
			if total > 0 {
				return Outcome{Result: count(total)}, nil
			}
			return errOutcome(err)
		}
		ready, err := block.One(e.FD, unix.POLLOUT, deadline, nil)
		if err != nil {
			return errOutcome(err)
		}
		if !ready {
			return Outcome{Result: blocked(), Moved: total}, nil
		}
	}
}

func (r *Run) read(e *Endpoint, op *scenario.Op) (Outcome, error) {
	buf := make([]byte, op.Size)
	if e.Pipe {
		return r.pipeRead(e, op, buf)
	}
	flags := 0
	if op.Nonblock {
		flags = unix.MSG_DONTWAIT
	}
	for _, f := range op.Flags {
		bit, found := recvFlags[f]
		if !found {
			return Outcome{}, fmt.Errorf("read %s: Refusal keeps it from the portable runner here", f)
		}
		flags |= bit
	}
	if op.Timeout > 0 {
		tv := unix.NsecToTimeval(op.Timeout.Nanoseconds())
		if err := unix.SetsockoptTimeval(e.FD, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err == nil {
			defer r.apply(e, unix.SO_RCVTIMEO)
		}
	}
	start := time.Now()
	w := r.watch(e.FD)
	var n int
	var err error
	if flags == 0 {
		n, err = unix.Read(e.FD, buf)
	} else {
		n, _, _, _, err = unix.Recvmsg(e.FD, buf, nil, flags)
	}
	fired := w.stop()
	if fired || errors.Is(err, unix.EAGAIN) && blocking(e, op) && r.labLimited(e, unix.SO_RCVTIMEO) {
		return Outcome{Result: blocked()}, nil
	}
	if err != nil {
		return errOutcome(err)
	}
	out := Outcome{Result: count(n), Data: string(buf[:min(n, len(buf))])}
	if slices.Contains(op.Flags, "trunc") && (r.t == scenario.TCP4 || r.t == scenario.TCP6) {
		// On TCP, MSG_TRUNC discards the bytes without copying them.
		out.Data = ""
	}
	if slices.Contains(op.Flags, "waitall") && n < op.Size && blocking(e, op) && r.labLimited(e, unix.SO_RCVTIMEO) && time.Since(start) >= r.limit {
		return Outcome{Result: blocked(), Moved: n}, nil
	}
	return out, nil
}

// pipeRead emulates a blocking read on a pipe end: it reads first, so
// that whatever the kernel answers at once is the answer, and waits with
// poll only on EAGAIN.
func (r *Run) pipeRead(e *Endpoint, op *scenario.Op, buf []byte) (Outcome, error) {
	wait := r.limit
	if op.Timeout > 0 {
		wait = min(op.Timeout, r.limit)
	}
	deadline := time.Now().Add(wait)
	for {
		n, err := unix.Read(e.FD, buf)
		if !errors.Is(err, unix.EAGAIN) || e.Nonblock || op.Nonblock {
			if err != nil {
				return errOutcome(err)
			}
			return Outcome{Result: count(n), Data: string(buf[:n])}, nil
		}
		ready, err := block.One(e.FD, unix.POLLIN, deadline, nil)
		if err != nil {
			return errOutcome(err)
		}
		if !ready {
			if op.Timeout > 0 && op.Timeout < r.limit {
				return errOutcome(unix.EAGAIN)
			}
			return Outcome{Result: blocked()}, nil
		}
	}
}

func (r *Run) poll(e *Endpoint, op *scenario.Op) (Outcome, error) {
	var events int16
	for _, ev := range op.Events {
		bit, found := pollBits[ev]
		if !found {
			return Outcome{}, fmt.Errorf("poll %s: Refusal keeps it from the portable runner here", ev)
		}
		events |= bit
	}
	timeout, limited := block.Timeout(op.Timeout, op.Now, r.limit)
	fds := []unix.PollFd{{Fd: block.PollFD(e.FD), Events: events}}
	n, err := block.Poll(fds, time.Now().Add(timeout), nil)
	if err != nil {
		return errOutcome(err)
	}
	if n == 0 {
		if limited {
			return Outcome{Result: blocked()}, nil
		}
		return Outcome{Result: count(0)}, nil
	}
	var names []string
	for name, bit := range pollNames {
		if fds[0].Revents&bit != 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return Outcome{Result: scenario.Result{Kind: scenario.ResultEvents, Events: names}}, nil
}
