package toxic

import (
	"math"
	"math/rand/v2"
	"time"
)

// Action is what a stage asks the data path to do to the connection.
type Action int

const (
	// Continue lets the bytes and the connection go on.
	Continue Action = iota
	// Close closes both sides with FIN, as Toxiproxy does when a toxic
	// ends a connection (limit_data, timeout).
	Close
	// ResetBoth closes both sides with RST (reset_peer).
	ResetBoth
	// ResetReceiver sends RST to the side that receives this direction's
	// bytes and closes the sending side with FIN.
	ResetReceiver
	// ShutdownReceiver sends FIN to the side that receives this direction's
	// bytes and keeps the other direction open; later bytes of this
	// direction are discarded.
	ShutdownReceiver
	// Hold keeps the sender's FIN from the receiver: the direction ends
	// without telling it, as a peer that vanished would.
	Hold
	// CloseUnread stops reading from the sending side and, once it has sent
	// bytes that the proxy leaves unread, closes it so that its kernel
	// answers with RST; the receiving side is closed with FIN.
	CloseUnread
)

var actionNames = [...]string{"continue", "close", "reset_both", "reset_receiver", "shutdown_receiver", "hold", "close_unread"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "action(?)"
}

// Out is the data path as a stage sees it: the next stage of the chain, the
// clock, and waits that end early when the toxics of the connection change.
type Out interface {
	// Emit passes bytes to the next stage, or to the receiving socket after
	// the last one. It returns what a later stage decided.
	Emit(p []byte) Action
	// EmitAt is Emit for bytes a stage has held until t: later stages
	// see them as arriving at t, so that delays add up (two latency
	// toxics of 100 ms delay by 200 ms, as in Toxiproxy).
	EmitAt(p []byte, t time.Time) Action
	// Wait blocks until the time given. It returns false if it ended early
	// because the toxics changed or the connection closed; the stage then
	// passes its bytes on at once, so that nothing is lost or reordered.
	Wait(until time.Time) bool
	// Now is the current time.
	Now() time.Time
}

// A Stage is one toxic acting on one direction of one connection. Its
// methods are called from that direction's goroutine only.
type Stage interface {
	// Data handles bytes that arrived from the sender at time t.
	Data(out Out, p []byte, t time.Time) Action
	// EOF handles the sender's FIN. Continue passes it on to the receiver
	// as a FIN of the proxy's own (a half-close, not a full close).
	EOF(out Out) Action
	// Deadline is when Timer must run even if no byte arrives; zero if never.
	Deadline() time.Time
	// Timer runs at Deadline.
	Timer(out Out) Action
	// ReadLimit is how many more bytes the data path may read from the
	// sender for this stage; -1 means no limit.
	ReadLimit() int64
	// Update gives the stage new attributes of its toxic (an API update);
	// the stage keeps its per-connection state.
	Update(a Attributes)
	// Removed is called when the toxic is removed while the connection
	// lives; its Action is carried out.
	Removed() Action
}

// NewStage returns the stage of t for one connection, applied at time now,
// or nil for toxics that do not act on bytes.
func NewStage(t *Toxic, now time.Time) Stage {
	k := kinds[t.Type]
	if k.stage == nil {
		return nil
	}
	return k.stage(cloneAttributes(t.Type, t.Attributes), now)
}

// base gives the defaults of Stage.
type base struct{}

func (base) EOF(Out) Action      { return Continue }
func (base) Deadline() time.Time { return time.Time{} }
func (base) Timer(Out) Action    { return Continue }
func (base) ReadLimit() int64    { return -1 }
func (base) Removed() Action     { return Continue }

// ms converts an attribute in milliseconds to a Duration.
func ms(v int64) time.Duration { return scale(v, time.Millisecond) }

// scale returns v units as a Duration, saturating at the largest one
// (about 292 years, for practical purposes never) rather than wrapping
// around to a negative delay that would strike at once.
func scale(v int64, unit time.Duration) time.Duration {
	switch {
	case v > math.MaxInt64/int64(unit):
		return math.MaxInt64
	case v < math.MinInt64/int64(unit):
		return math.MinInt64
	}
	return time.Duration(v) * unit
}

// addSat adds two durations, saturating instead of wrapping around.
func addSat(a, b time.Duration) time.Duration {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}

// spread returns a uniform random value in [-v, v] for any v ≥ 0, which
// rand.Int64N(2*v+1) cannot do without overflowing for v ≥ 2^62.
func spread(v int64) int64 {
	if v <= 0 {
		return 0
	}
	return int64(rand.Uint64N(2*uint64(v)+1) - uint64(v))
}
