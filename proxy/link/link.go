// Package link is the data path of teardown's fault proxy: one Link carries
// one client connection and its upstream connection, in both directions.
//
// Each direction runs in a goroutine of its own, on one of two paths. When no
// toxic acts on its bytes it is on the fast path, where the bytes go from
// socket to socket without a copy through user space (splice(2) on Linux,
// through (*net.TCPConn).ReadFrom). Otherwise it reads chunks into a buffer
// and passes them through the toxics' stages (package toxic) before writing
// them. A change of toxics interrupts a blocked read with a read deadline; the
// goroutine then finishes the bytes it holds and goes on with the new set, so
// no byte is lost, doubled or reordered when a connection changes paths.
//
// A FIN from one side is passed on as a FIN (a half-close) while the other
// direction keeps flowing; a RST from one side is passed on as a RST.
package link

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/teardown-net/teardown/proxy/toxic"
	"github.com/teardown-net/teardown/sockerr"
)

// Side names a party to a proxied connection.
type Side int

// The parties. Proxy is teardown itself, when a toxic or the API ends the
// connection.
const (
	Client Side = iota
	Upstream
	Proxy
)

func (s Side) String() string {
	return [...]string{"client", "upstream", "proxy"}[s]
}

// How says how a connection ended.
type How int

// The ways a connection ends. Timeout is the kernel's ETIMEDOUT (keepalive or
// retransmission timers); Error is any other error.
const (
	FIN How = iota
	RST
	Timeout
	Error
)

func (h How) String() string {
	return [...]string{"fin", "rst", "timeout", "error"}[h]
}

// End is who ended a connection first, and how.
type End struct {
	By  Side
	How How
}

// Counters are the byte counts of links, by direction. Received counts bytes
// read from the sender, Sent bytes written to the receiver; they differ by
// what toxics discard. Spliced counts the bytes of Sent that took the fast
// path.
type Counters struct {
	Received [2]atomic.Uint64
	Sent     [2]atomic.Uint64
	Spliced  [2]atomic.Uint64
}

// Config is what Start needs.
type Config struct {
	Client, Upstream *net.TCPConn
	// Toxics is the proxy's toxic list when the connection opened.
	Toxics []*toxic.Toxic
	// Counters, if not nil, are added to as bytes move.
	Counters *Counters
	// OnEnd, if not nil, is called once, when the first side ends the
	// connection.
	OnEnd func(End)
}

// A Link is one proxied connection.
type Link struct {
	cfg     Config
	pumps   [2]*pump
	endOnce sync.Once

	abortOnce sync.Once
	closing   chan struct{} // closed when the connection is being torn down
	done      chan struct{} // closed when both directions have stopped
}

// Start begins to carry bytes between cfg.Client and cfg.Upstream.
func Start(cfg Config) *Link {
	if cfg.Counters == nil {
		cfg.Counters = new(Counters)
	}
	l := &Link{cfg: cfg, closing: make(chan struct{}), done: make(chan struct{})}
	sides := [2][2]Side{{Client, Upstream}, {Upstream, Client}}
	conns := map[Side]*net.TCPConn{Client: cfg.Client, Upstream: cfg.Upstream}
	for i, d := range toxic.Directions {
		p := &pump{
			l: l, dir: d,
			srcSide: sides[i][0], dstSide: sides[i][1],
			src: conns[sides[i][0]], dst: conns[sides[i][1]],
			kick:  make(chan struct{}, 1),
			rolls: map[uint64]roll{},
		}
		p.want, p.gen = forDirection(cfg.Toxics, d), 1
		l.pumps[i] = p
	}
	var wg sync.WaitGroup
	for _, p := range l.pumps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.run()
		}()
	}
	go func() {
		wg.Wait()
		l.abort(abortFIN, End{Proxy, FIN})
		close(l.done)
	}()
	return l
}

func forDirection(ts []*toxic.Toxic, d toxic.Direction) []*toxic.Toxic {
	var out []*toxic.Toxic
	for _, t := range ts {
		if t.Scope() == toxic.OnBytes && t.Stream == d {
			out = append(out, t)
		}
	}
	return out
}

// SetToxics gives the link the proxy's new toxic list. It returns when both
// directions have taken it up, when ctx ends (a direction blocked writing to
// a peer that does not read takes it up after that write), or when the link
// closes.
func (l *Link) SetToxics(ctx context.Context, ts []*toxic.Toxic) {
	var waits []chan struct{}
	for _, p := range l.pumps {
		if w := p.offer(forDirection(ts, p.dir)); w != nil {
			waits = append(waits, w)
		}
	}
	for _, w := range waits {
		select {
		case <-w:
		case <-ctx.Done():
			return
		case <-l.done:
			return
		}
	}
}

// Close ends the connection: both sides get a FIN (or a RST from their own
// kernel if they had sent bytes the proxy had not read). It waits until both
// directions have stopped.
func (l *Link) Close() {
	l.abort(abortFIN, End{Proxy, FIN})
	<-l.done
}

// Done is closed when the connection is over.
func (l *Link) Done() <-chan struct{} { return l.done }

type abortKind int

const (
	abortFIN abortKind = iota
	abortRST
	abortRSTClient
	abortRSTUpstream
	abortUnreadClient
	abortUnreadUpstream
)

func (l *Link) ended(e End) {
	l.endOnce.Do(func() {
		if l.cfg.OnEnd != nil {
			l.cfg.OnEnd(e)
		}
	})
}

// abort tears the connection down once; later calls do nothing.
func (l *Link) abort(k abortKind, e End) {
	l.abortOnce.Do(func() {
		l.ended(e)
		close(l.closing)
		c, u := l.cfg.Client, l.cfg.Upstream
		switch k {
		case abortFIN:
			gracefulClose(c)
			gracefulClose(u)
		case abortRST:
			resetClose(c)
			resetClose(u)
		case abortRSTClient:
			resetClose(c)
			gracefulClose(u)
		case abortRSTUpstream:
			resetClose(u)
			gracefulClose(c)
		case abortUnreadClient:
			c.Close()
			gracefulClose(u)
		case abortUnreadUpstream:
			u.Close()
			gracefulClose(c)
		}
	})
}

// resetClose closes c with SO_LINGER 0, so that its kernel sends RST.
func resetClose(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

// gracefulClose closes c with FIN. Bytes c's peer has sent that the proxy
// has not read would make the kernel send RST instead, so those already
// queued are read and dropped first; the FIN goes first in any case.
func gracefulClose(c *net.TCPConn) {
	c.CloseWrite()
	drainQueued(c)
	c.Close()
}

func (l *Link) isClosing() bool {
	select {
	case <-l.closing:
		return true
	default:
		return false
	}
}

type roll struct {
	toxicity float32
	active   bool
}

type entry struct {
	id    uint64
	stage toxic.Stage
}

// pump carries one direction.
type pump struct {
	l                *Link
	dir              toxic.Direction
	src, dst         *net.TCPConn
	srcSide, dstSide Side

	mu       sync.Mutex
	gen      uint64          // bumped by offer
	applied  uint64          // gen the goroutine has taken up
	want     []*toxic.Toxic  // the list at gen
	waiters  []chan struct{} // closed when applied reaches gen
	terminal bool            // no longer takes lists up (the connection is ending)
	// readDL and writeDL are the deadlines last set on src (read) and dst
	// (write), so that the common case sets none: setting one costs a
	// lock in the runtime poller on every chunk otherwise.
	readDL, writeDL time.Time

	kick chan struct{} // wakes a stage waiting in Out.Wait

	// Owned by the goroutine.
	rolls   map[uint64]roll
	stages  []entry
	outs    []stageOut
	chunkAt time.Time
	srcEOF  bool    // the sender's FIN has arrived
	held    uint64  // the toxic whose stage holds the sender's FIN back, or 0
	dstShut bool    // the receiver has been sent FIN (bytes now go nowhere)
	backlog []chunk // read from the sender, not yet through the stages
	out     []byte  // through the stages, not yet written to the receiver
	fastState
}

// offer hands a new list to the pump and interrupts it; it returns a channel
// closed when the pump has taken the list up, or nil if it never will.
func (p *pump) offer(ts []*toxic.Toxic) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		return nil
	}
	p.gen++
	p.want = ts
	w := make(chan struct{})
	p.waiters = append(p.waiters, w)
	// Wake a blocked read and a blocked write; both resume where they were.
	now := time.Now()
	p.setReadDL(now)
	p.setWriteDL(now)
	select {
	case p.kick <- struct{}{}:
	default:
	}
	return w
}

func (p *pump) pending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen != p.applied
}

// armRead sets the read deadline of the sender unless a list is pending; it
// reports false if one is, so that an interrupt is never overwritten.
func (p *pump) armRead(deadline time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen != p.applied {
		return false
	}
	p.setReadDL(deadline)
	return true
}

// arm clears both deadlines unless a list is pending; it reports false if
// one is.
func (p *pump) arm() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen != p.applied {
		return false
	}
	p.setReadDL(time.Time{})
	p.setWriteDL(time.Time{})
	return true
}

// discard reads and drops the sender's bytes: the receiver has had its FIN,
// so they go nowhere, as they would to a half-closed peer.
func (p *pump) discard() bool {
	buf := make([]byte, chunkSize)
	for {
		if !p.armRead(time.Time{}) {
			return false
		}
		n, err := p.src.Read(buf)
		p.l.cfg.Counters.Received[p.dir].Add(uint64(n))
		switch {
		case err == nil:
		case err == io.EOF:
			p.srcEOF = true
			p.l.ended(End{p.srcSide, FIN})
			return p.finish()
		case errors.Is(err, os.ErrDeadlineExceeded):
			if p.pending() {
				return false
			}
		default:
			p.failed(err, classify(err, p.srcSide))
			return true
		}
	}
}

// setReadDL sets the read deadline of src; p.mu is held.
func (p *pump) setReadDL(t time.Time) {
	if !t.Equal(p.readDL) || !t.IsZero() {
		p.readDL = t
		p.src.SetReadDeadline(t)
	}
}

// setWriteDL sets the write deadline of dst; p.mu is held.
func (p *pump) setWriteDL(t time.Time) {
	if !t.Equal(p.writeDL) || !t.IsZero() {
		p.writeDL = t
		p.dst.SetWriteDeadline(t)
	}
}

// lockedReadDL is setReadDL for callers without p.mu.
func (p *pump) lockedReadDL(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setReadDL(t)
}

// armWrite clears the write deadline of the receiver unless a list is
// pending; it reports false if one is.
func (p *pump) armWrite() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen != p.applied {
		return false
	}
	p.setWriteDL(time.Time{})
	return true
}

// setTerminal releases every waiter for good: the direction will not change
// paths again.
func (p *pump) setTerminal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.terminal = true
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
}

func (p *pump) run() {
	defer p.setTerminal()
	defer p.releaseFast()
	for !p.l.isClosing() {
		if a := p.sync(); a != toxic.Continue {
			p.act(a)
			continue
		}
		var finished bool
		if len(p.stages) == 0 {
			finished = p.fast()
		} else {
			finished = p.slow()
		}
		if finished {
			return
		}
	}
}

// sync takes up a pending toxic list: stages of toxics that stay keep their
// state, new ones start now, removed ones get their Removed call.
func (p *pump) sync() toxic.Action {
	p.mu.Lock()
	if p.gen == p.applied {
		p.mu.Unlock()
		return toxic.Continue
	}
	want := p.want
	p.applied = p.gen
	// The kick of the offers taken up here is spent: left in the channel, it
	// would cut short the next wait of a stage, such as the first delay of a
	// latency toxic just added.
	select {
	case <-p.kick:
	default:
	}
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
	p.mu.Unlock()

	old := map[uint64]toxic.Stage{}
	for _, e := range p.stages {
		old[e.id] = e.stage
	}
	now := time.Now()
	var stages []entry
	seen := map[uint64]bool{}
	for _, t := range want {
		seen[t.ID] = true
		r, ok := p.rolls[t.ID]
		if !ok || r.toxicity != t.Toxicity {
			// Toxicity is decided once per connection, and again only when
			// it changes; rand.Float32 is below 1, so toxicity 1 always
			// applies and 0 never does.
			r = roll{t.Toxicity, rand.Float32() < t.Toxicity}
			p.rolls[t.ID] = r
		}
		if !r.active || !t.Enabled {
			continue
		}
		if st, ok := old[t.ID]; ok {
			st.Update(t.Attributes)
			stages = append(stages, entry{t.ID, st})
			delete(old, t.ID)
			continue
		}
		if st := toxic.NewStage(t, now); st != nil {
			stages = append(stages, entry{t.ID, st})
		}
	}
	for id := range p.rolls {
		if !seen[id] {
			delete(p.rolls, id)
		}
	}
	if _, gone := old[p.held]; gone {
		// The toxic that held the FIN back is gone (or disabled): the FIN
		// goes on.
		p.held = 0
	}
	p.stages = stages
	p.outs = make([]stageOut, len(stages))
	for i := range p.outs {
		p.outs[i] = stageOut{p, i + 1}
	}
	// A removed toxic may end the connection (timeout does, as in Toxiproxy).
	result := toxic.Continue
	for _, st := range old {
		if a := st.Removed(); a != toxic.Continue && result == toxic.Continue {
			result = a
		}
	}
	return result
}

// fast moves bytes on the zero-copy path until the sender's FIN, an error,
// or a new toxic list. It reports whether the direction is finished.
func (p *pump) fast() bool {
	for len(p.backlog) > 0 {
		c := p.backlog[0]
		p.backlog = p.backlog[1:]
		if done, stop := p.handle(c); done || stop {
			return done
		}
	}
	if ok, finished := p.flush(); !ok {
		return finished
	}
	if p.srcEOF {
		return p.finish()
	}
	return p.copyFast()
}

// flush writes the bytes that have passed the stages but were not yet
// written, because a change of toxics interrupted the write. It reports
// whether all are written, and if not whether the direction is finished.
func (p *pump) flush() (ok, finished bool) {
	for len(p.out) > 0 {
		if p.dstShut {
			p.out = nil
			break
		}
		if !p.armWrite() {
			return false, false
		}
		n, err := p.dst.Write(p.out)
		p.l.cfg.Counters.Sent[p.dir].Add(uint64(n))
		p.out = p.out[n:]
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			p.failed(err, classify(err, p.dstSide))
			return false, true
		}
	}
	p.out = nil
	return true, false
}

// sleep waits until deadline (forever if zero) or a kick.
func (p *pump) sleep(deadline time.Time) {
	if deadline.IsZero() {
		select {
		case <-p.kick:
		case <-p.l.closing:
		}
		return
	}
	(&stageOut{p, 0}).Wait(deadline)
}

func (p *pump) deadline() time.Time {
	var d time.Time
	for _, e := range p.stages {
		if t := e.stage.Deadline(); !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	return d
}

func (p *pump) readLimit() int64 {
	limit := int64(-1)
	for _, e := range p.stages {
		if r := e.stage.ReadLimit(); r >= 0 && (limit < 0 || r < limit) {
			limit = r
		}
	}
	return limit
}

func (p *pump) timers() toxic.Action {
	now := time.Now()
	for i, e := range p.stages {
		if t := e.stage.Deadline(); !t.IsZero() && !now.Before(t) {
			if a := e.stage.Timer(&p.outs[i]); a != toxic.Continue {
				return a
			}
		}
	}
	return toxic.Continue
}

// outs0 is the entrance of the chain.
func (p *pump) outs0() *stageOut { return &stageOut{p, 0} }

// stageOut is the toxic.Out given to stage next-1: it leads to stage next.
type stageOut struct {
	p    *pump
	next int
}

func (o *stageOut) Emit(b []byte) toxic.Action {
	p := o.p
	if o.next < len(p.stages) {
		return p.stages[o.next].stage.Data(&p.outs[o.next], b, p.chunkAt)
	}
	if p.dstShut || len(b) == 0 {
		return toxic.Continue
	}
	if len(p.out) > 0 || !p.armWrite() {
		// A change of toxics is pending: keep the bytes, in order, for
		// flush, and let the stages finish the chunk at once.
		p.out = append(p.out, b...)
		return toxic.Continue
	}
	n, err := p.dst.Write(b)
	p.l.cfg.Counters.Sent[p.dir].Add(uint64(n))
	switch {
	case err == nil:
	case errors.Is(err, os.ErrDeadlineExceeded):
		p.out = append(p.out, b[n:]...)
	default:
		p.failed(err, classify(err, p.dstSide))
		return toxic.Close
	}
	return toxic.Continue
}

// EmitAt passes b on as if it had arrived at t, so that the delays of
// stacked stages add up.
func (o *stageOut) EmitAt(b []byte, t time.Time) toxic.Action {
	at := o.p.chunkAt
	o.p.chunkAt = t
	defer func() { o.p.chunkAt = at }()
	return o.Emit(b)
}

func (o *stageOut) Wait(until time.Time) bool {
	p := o.p
	d := time.Until(until)
	if d <= 0 {
		return true
	}
	if p.pending() {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.kick:
		return false
	case <-p.l.closing:
		return false
	}
}

func (o *stageOut) Now() time.Time { return time.Now() }

// finish passes the sender's FIN on and ends the direction.
func (p *pump) finish() bool {
	if !p.dstShut {
		p.dstShut = true
		p.dst.CloseWrite()
	}
	return true
}

// act carries out a stage's action; it reports whether the direction is
// finished.
func (p *pump) act(a toxic.Action) bool {
	switch a {
	case toxic.Continue:
		return false
	case toxic.Hold:
		// handle has set p.held; the direction waits until that toxic
		// goes, then passes the FIN on.
		return false
	case toxic.ShutdownReceiver:
		if !p.dstShut {
			p.dstShut = true
			p.dst.CloseWrite()
		}
		return false
	case toxic.Close:
		p.l.abort(abortFIN, End{Proxy, FIN})
	case toxic.ResetBoth:
		p.l.abort(abortRST, End{Proxy, RST})
	case toxic.ResetReceiver:
		k := abortRSTClient
		if p.dstSide == Upstream {
			k = abortRSTUpstream
		}
		p.l.abort(k, End{Proxy, RST})
	case toxic.CloseUnread:
		p.setTerminal()
		// Stop reading; once the sender has sent bytes that stay unread,
		// closing its socket makes its kernel send RST.
		p.lockedReadDL(time.Time{})
		waitUnread(p.src, p.l.closing)
		k := abortUnreadClient
		if p.srcSide == Upstream {
			k = abortUnreadUpstream
		}
		p.l.abort(k, End{Proxy, RST})
	}
	return true
}

// failed ends the connection after an error on one side, passing a RST on to
// the other side as a RST.
func (p *pump) failed(err error, e End) {
	if p.l.isClosing() {
		return
	}
	if e.How == FIN {
		p.l.abort(abortFIN, e)
		return
	}
	p.l.abort(abortRST, e)
}

// classify says how side ended the connection, from the error of an
// operation on its socket, by the kinds of sockerr.Classify.
func classify(err error, side Side) End {
	switch sockerr.Classify(err) {
	case sockerr.Reset, sockerr.BrokenPipe:
		return End{side, RST}
	case sockerr.TimedOut:
		return End{side, Timeout}
	case sockerr.LocalClosed:
		return End{Proxy, FIN}
	}
	return End{side, Error}
}

// aLongTimeAgo is a deadline in the past, to wake a blocked read at once.
var aLongTimeAgo = time.Unix(1, 0)
