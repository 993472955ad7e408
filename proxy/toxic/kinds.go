package toxic

import (
	"math"
	"math/rand/v2"
	"time"
)

// Latency delays each chunk by Latency ms, plus or minus up to Jitter ms.
type Latency struct {
	Latency int64 `json:"latency"`
	Jitter  int64 `json:"jitter"`
}

// Bandwidth limits the rate to Rate KB/s (1 KB = 1000 bytes); 0 stops the
// bytes altogether, as in Toxiproxy (Testcontainers cuts connections so),
// until the toxic changes or goes.
type Bandwidth struct {
	Rate int64 `json:"rate"`
}

// Slicer splits chunks into pieces of about AverageSize bytes (plus or minus
// SizeVariation), waiting Delay µs between pieces.
type Slicer struct {
	AverageSize   int   `json:"average_size"`
	SizeVariation int   `json:"size_variation"`
	Delay         int64 `json:"delay"`
}

// SlowClose delays the passing on of the sender's FIN by Delay ms.
type SlowClose struct {
	Delay int64 `json:"delay"`
}

// Timeout discards every byte and closes the connection after Timeout ms;
// with 0 it never closes, and removing the toxic closes the connection.
type Timeout struct {
	Timeout int64 `json:"timeout"`
}

// ResetPeer resets both sides Timeout ms after the first byte (or FIN)
// arrives in its stream; bytes meanwhile are discarded.
type ResetPeer struct {
	Timeout int64 `json:"timeout"`
}

// LimitData closes the connection once Bytes bytes have passed.
type LimitData struct {
	Bytes int64 `json:"bytes"`
}

// Trigger says when one of teardown's faults strikes: once AfterBytes bytes
// of its stream have passed and Delay ms have elapsed since it applied to the
// connection (when the connection opened, or when the toxic was added).
// Bytes beyond AfterBytes wait until the delay is over.
type Trigger struct {
	AfterBytes int64 `json:"after_bytes"`
	Delay      int64 `json:"delay"`
}

// RejectDelay holds the attribute of reset_before_accept: how long the
// proxy's connection to the upstream stays established before the RST.
type RejectDelay struct {
	Delay int64 `json:"delay"`
}

// Duration is the delay as a Duration, saturated rather than wrapped.
func (a *RejectDelay) Duration() time.Duration { return ms(a.Delay) }

// None is the empty attribute set of refuse and noop.
type None struct{}

// Validate implements Attributes.
func (a *Latency) Validate() error { return nonNegative("latency", a.Latency, "jitter", a.Jitter) }

// Validate implements Attributes.
func (a *Bandwidth) Validate() error { return nonNegative("rate", a.Rate) }

// Validate implements Attributes.
func (a *Slicer) Validate() error {
	return nonNegative("average_size", a.AverageSize, "size_variation", a.SizeVariation, "delay", a.Delay)
}

// Validate implements Attributes.
func (a *SlowClose) Validate() error { return nonNegative("delay", a.Delay) }

// Validate implements Attributes.
func (a *Timeout) Validate() error { return nonNegative("timeout", a.Timeout) }

// Validate implements Attributes.
func (a *ResetPeer) Validate() error { return nonNegative("timeout", a.Timeout) }

// Validate implements Attributes.
func (a *LimitData) Validate() error { return nonNegative("bytes", a.Bytes) }

// Validate implements Attributes.
func (a *Trigger) Validate() error {
	return nonNegative("after_bytes", a.AfterBytes, "delay", a.Delay)
}

// Validate implements Attributes.
func (a *RejectDelay) Validate() error { return nonNegative("delay", a.Delay) }

// Validate implements Attributes.
func (a *None) Validate() error { return nil }

func init() {
	register(Kind{Name: "latency", New: func() Attributes { return new(Latency) },
		Doc:   "delay every chunk by latency ms ± jitter ms",
		stage: func(a Attributes, _ time.Time) Stage { return &latency{a: a.(*Latency)} }})
	register(Kind{Name: "bandwidth", New: func() Attributes { return new(Bandwidth) },
		Doc:   "limit the rate to rate KB/s (0: nothing passes)",
		stage: func(a Attributes, _ time.Time) Stage { return &bandwidth{a: a.(*Bandwidth)} }})
	register(Kind{Name: "slicer", New: func() Attributes { return new(Slicer) },
		Doc:   "split chunks into average_size ± size_variation bytes, delay µs apart",
		stage: func(a Attributes, _ time.Time) Stage { return &slicer{a: a.(*Slicer)} }})
	register(Kind{Name: "slow_close", New: func() Attributes { return new(SlowClose) },
		Doc:   "pass the sender's FIN on delay ms late",
		stage: func(a Attributes, _ time.Time) Stage { return &slowClose{a: a.(*SlowClose)} }})
	register(Kind{Name: "timeout", New: func() Attributes { return new(Timeout) },
		Doc:   "discard all bytes; close after timeout ms (0: never)",
		stage: func(a Attributes, now time.Time) Stage { return &timeout{a: a.(*Timeout), start: now} }})
	register(Kind{Name: "reset_peer", New: func() Attributes { return new(ResetPeer) },
		Doc:   "RST both sides timeout ms after the first byte",
		stage: func(a Attributes, _ time.Time) Stage { return &resetPeer{a: a.(*ResetPeer)} }})
	register(Kind{Name: "limit_data", New: func() Attributes { return new(LimitData) },
		Doc:   "close the connection after bytes bytes",
		stage: func(a Attributes, _ time.Time) Stage { return &limitData{a: a.(*LimitData)} }})
	for _, f := range []struct {
		name, doc string
		fire      Action
		swallow   bool
		stopsRead bool
	}{
		{"reset", "RST to the receiver of the stream", ResetReceiver, false, false},
		{"half_close", "FIN to the receiver of the stream; the other direction stays open", ShutdownReceiver, true, false},
		{"close_unread", "stop reading the sender, close it with unread bytes: its kernel sends RST", CloseUnread, false, true},
		{"blackhole", "swallow the stream's bytes, send nothing, keep the connection", Continue, true, false},
	} {
		register(Kind{Name: f.name, New: func() Attributes { return new(Trigger) }, Doc: f.doc,
			stage: func(a Attributes, now time.Time) Stage {
				return &fault{a: a.(*Trigger), start: now, fire: f.fire, swallow: f.swallow, stopsRead: f.stopsRead}
			}})
	}
	register(Kind{Name: "noop", New: func() Attributes { return new(None) },
		Doc:   "pass the bytes on unchanged (Toxiproxy's noop)",
		stage: func(Attributes, time.Time) Stage { return noop{} }})
	register(Kind{Name: "refuse", Scope: OnAccept, New: func() Attributes { return new(None) },
		Doc: "close the listening socket: new connections get ECONNREFUSED"})
	register(Kind{Name: "reset_before_accept", Scope: OnAccept, New: func() Attributes { return new(RejectDelay) },
		Doc: "connect to the upstream and RST it before the upstream accepts; RST the client"})
}

type latency struct {
	base
	a *Latency
}

func (s *latency) Update(a Attributes) { s.a = a.(*Latency) }

func (s *latency) Data(out Out, p []byte, t time.Time) Action {
	d := addSat(ms(s.a.Latency), ms(spread(s.a.Jitter)))
	until := t.Add(max(d, 0))
	if !out.Wait(until) {
		return out.Emit(p)
	}
	return out.EmitAt(p, until)
}

type noop struct{ base }

func (noop) Update(Attributes)                          {}
func (noop) Data(out Out, p []byte, _ time.Time) Action { return out.Emit(p) }

type bandwidth struct {
	base
	a    *Bandwidth
	next time.Time // when the link is free again
}

func (s *bandwidth) Update(a Attributes) { s.a = a.(*Bandwidth) }

func (s *bandwidth) Data(out Out, p []byte, _ time.Time) Action {
	for len(p) > 0 {
		rate := s.a.Rate
		if rate <= 0 {
			// Nothing passes until the toxic changes; then the bytes held
			// go on, none lost.
			if !out.Wait(out.Now().Add(math.MaxInt64)) {
				return out.Emit(p)
			}
			continue
		}
		// Pieces of 100 ms worth keep the stream smooth at low rates.
		n := int64(len(p))
		if rate < n/100 {
			n = max(rate*100, 1)
		}
		// The link is free again at s.next. A timer fires a little late, so
		// a stream that keeps the link busy finds s.next slightly past:
		// counting from s.next, not from now, keeps those lags from adding
		// up (Toxiproxy subtracts them too). Only after an idle gap longer
		// than bandwidthSlack does the count start again from now, so that
		// idle time is not saved up for a burst.
		if now := out.Now(); now.Sub(s.next) > bandwidthSlack {
			s.next = now
		}
		s.next = s.next.Add(time.Duration(n) * time.Millisecond / time.Duration(rate))
		if !out.Wait(s.next) {
			s.next = time.Time{}
			return out.Emit(p)
		}
		if a := out.Emit(p[:n]); a != Continue {
			return a
		}
		p = p[n:]
	}
	return Continue
}

// bandwidthSlack is how far behind its schedule a bandwidth stage may be
// and still catch up rather than start again.
const bandwidthSlack = 50 * time.Millisecond

type slicer struct {
	base
	a *Slicer
}

func (s *slicer) Update(a Attributes) { s.a = a.(*Slicer) }

func (s *slicer) Data(out Out, p []byte, _ time.Time) Action {
	if s.a.AverageSize <= 0 {
		return out.Emit(p)
	}
	for len(p) > 0 {
		n := s.size(len(p))
		if a := out.Emit(p[:n]); a != Continue {
			return a
		}
		p = p[n:]
		if len(p) > 0 && s.a.Delay > 0 && !out.Wait(out.Now().Add(scale(s.a.Delay, time.Microsecond))) {
			return out.Emit(p)
		}
	}
	return Continue
}

// size is the length of the next piece of a chunk of n bytes: the average
// size plus or minus the variation (at most the average), from 1 to n.
func (s *slicer) size(n int) int {
	avg := int64(s.a.AverageSize)
	v := min(int64(s.a.SizeVariation), avg)
	lo := avg - v
	if lo >= int64(n) {
		return n
	}
	var off uint64
	if v > 0 {
		off = rand.Uint64N(2*uint64(v) + 1) // 2v+1 fits: v < 2^63
	}
	if off >= uint64(int64(n)-lo) {
		return n
	}
	return max(1, int(lo+int64(off)))
}

type slowClose struct {
	base
	a *SlowClose
}

func (s *slowClose) Update(a Attributes)                        { s.a = a.(*SlowClose) }
func (s *slowClose) Data(out Out, p []byte, _ time.Time) Action { return out.Emit(p) }
func (s *slowClose) EOF(out Out) Action {
	out.Wait(out.Now().Add(ms(s.a.Delay)))
	return Continue
}

type timeout struct {
	base
	a     *Timeout
	start time.Time
}

func (s *timeout) Update(a Attributes)                { s.a = a.(*Timeout) }
func (s *timeout) Data(Out, []byte, time.Time) Action { return Continue }
func (s *timeout) EOF(Out) Action                     { return Close }
func (s *timeout) Timer(Out) Action                   { return Close }
func (s *timeout) Removed() Action                    { return Close }
func (s *timeout) Deadline() time.Time {
	if s.a.Timeout <= 0 {
		return time.Time{}
	}
	return s.start.Add(ms(s.a.Timeout))
}

type resetPeer struct {
	base
	a     *ResetPeer
	armed time.Time // when the first byte or FIN arrived
}

func (s *resetPeer) Update(a Attributes) { s.a = a.(*ResetPeer) }

func (s *resetPeer) arm(now time.Time) Action {
	if s.armed.IsZero() {
		s.armed = now
	}
	if !now.Before(s.Deadline()) {
		return ResetBoth
	}
	return Continue
}

func (s *resetPeer) Data(out Out, _ []byte, _ time.Time) Action { return s.arm(out.Now()) }
func (s *resetPeer) EOF(out Out) Action                         { return s.arm(out.Now()) }
func (s *resetPeer) Timer(Out) Action                           { return ResetBoth }
func (s *resetPeer) Deadline() time.Time {
	if s.armed.IsZero() {
		return time.Time{}
	}
	return s.armed.Add(ms(s.a.Timeout))
}

type limitData struct {
	base
	a      *LimitData
	passed int64
}

func (s *limitData) Update(a Attributes) { s.a = a.(*LimitData) }

func (s *limitData) Data(out Out, p []byte, _ time.Time) Action {
	if _, a := emitUpTo(out, p, s.a.Bytes, &s.passed); a != Continue || s.passed < s.a.Bytes {
		return a
	}
	return Close
}

// emitUpTo passes on as much of p as keeps *passed within limit, counts it
// in *passed, and returns the bytes it held back with the action of the
// emit. The stages that act after a number of bytes share it.
func emitUpTo(out Out, p []byte, limit int64, passed *int64) ([]byte, Action) {
	n := min(max(limit-*passed, 0), int64(len(p)))
	if n == 0 {
		return p, Continue
	}
	*passed += n
	return p[n:], out.Emit(p[:n])
}

// fault is the stage of reset, half_close, close_unread and blackhole.
type fault struct {
	base
	a         *Trigger
	start     time.Time
	passed    int64
	fired     bool
	fire      Action
	swallow   bool // discard bytes once fired
	stopsRead bool // hold bytes in the sender's socket before firing
}

func (s *fault) Update(a Attributes) { s.a = a.(*Trigger) }

func (s *fault) strike(out Out) Action {
	if !s.fired {
		if !out.Now().Before(s.start.Add(ms(s.a.Delay))) || out.Wait(s.start.Add(ms(s.a.Delay))) {
			s.fired = true
			return s.fire
		}
		return Continue
	}
	return Continue
}

func (s *fault) Data(out Out, p []byte, _ time.Time) Action {
	if s.fired {
		if s.swallow {
			return Continue
		}
		return out.Emit(p)
	}
	p, a := emitUpTo(out, p, s.a.AfterBytes, &s.passed)
	if a != Continue || s.passed < s.a.AfterBytes {
		return a
	}
	if a := s.strike(out); a != Continue || s.fired {
		return a
	}
	// The wait was cut short by a change of toxics: keep the bytes flowing.
	return out.Emit(p)
}

func (s *fault) Deadline() time.Time {
	if s.fired || s.a.AfterBytes > s.passed {
		return time.Time{}
	}
	return s.start.Add(ms(s.a.Delay))
}

func (s *fault) Timer(out Out) Action { return s.strike(out) }

// EOF: a blackhole that has struck swallows the FIN too, so that the
// receiver learns nothing and its own timers must fire.
func (s *fault) EOF(Out) Action {
	if s.fired && s.fire == Continue && s.swallow {
		return Hold
	}
	return Continue
}

// ReadLimit keeps the bytes after the trigger point unread in the sender's
// socket, for close_unread: with neither after_bytes nor delay nothing is
// read at all; with a delay only, bytes flow until it strikes.
func (s *fault) ReadLimit() int64 {
	switch {
	case !s.stopsRead || s.fired:
		return -1
	case s.a.AfterBytes > 0:
		return max(0, s.a.AfterBytes-s.passed)
	case s.a.Delay == 0:
		return 0
	}
	return -1
}
