// Package analyze turns a packet capture into one verdict per TCP
// connection: Zeek's conn_state and history, how the connection ended, who
// ended it, why (in the lab's vocabulary, with the evidence and a
// confidence), and the errno each side's application most likely got.
//
// A Tracker is fed records from an observe/wire.Reader in file order and
// hands each connection to a callback when it is over, so memory is bounded
// by the connections open at once, not by the size of the capture.
package analyze

import (
	"slices"
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

// Options set how a Tracker reads the packets.
type Options struct {
	// Checksums makes packets with a bad TCP checksum count only as the
	// history letter C (and bad IPv4 header sums be dropped), as Zeek does
	// without -C. Off by default: a capture taken on a sending host with
	// checksum offload has wrong sums on every packet it sent. The
	// wire.Reader must have its own Checksums set for the sums to be known.
	Checksums bool
	// ServerPort reports whether a port is a likely server port, which
	// decides who is the originator of a connection first seen without its
	// SYN (Zeek's likely_server_ports). Nil means DefaultServerPort.
	ServerPort func(uint16) bool
	// IdleRST is how long a connection must have been idle before an RST
	// for the verdict to blame a NAT or load balancer timeout. Zero means
	// 5 minutes.
	IdleRST time.Duration
	// KeepPackets, when above zero, makes each connection keep up to this
	// many of its packets (the first half and the last half) for Conn.Kept:
	// memory grows by about 100 bytes a packet for each open connection.
	KeepPackets int
}

// Tracker follows the TCP connections of a capture.
type Tracker struct {
	opts  Options
	done  func(*Conn)
	conns table
	pool  pool
	// timers holds, for each connection, a time by which one of its
	// timers may have run out.
	timers timers
	// idled remembers when the connections that Zeek's inactivity timer
	// ended last saw a packet, so that an RST that comes after the idle
	// time, in what Zeek logs as a new connection, is still seen as the
	// end of an idle one.
	idled map[key]int64
	// ending is the memory expire reuses for the connections it ends.
	ending []ending
	sweep  int64
	now    int64
	seq    int
	// verdict is the verdict of the connection being handed over.
	verdict  Verdict
	evidence evidenceBlocks
}

// NewTracker returns a Tracker that calls done with each connection once it
// is over: when Zeek's timers would remove it, when a new connection reuses
// its 4-tuple, or at Close. The Conn is valid only until done returns: the
// Tracker then reuses its memory for a later connection, so that following
// a capture allocates nothing per connection. Clone keeps a copy.
func NewTracker(opts Options, done func(*Conn)) *Tracker {
	if opts.ServerPort == nil {
		opts.ServerPort = DefaultServerPort
	}
	if opts.IdleRST == 0 {
		opts.IdleRST = 5 * time.Minute
	}
	return &Tracker{opts: opts, done: done, conns: newTable(), idled: make(map[key]int64)}
}

// idledKept is how long a connection ended by inactivity is remembered.
const idledKept = 3600 * sec

// sweepEvery is how often, in capture time, the Tracker looks for
// connections whose timers have run out.
const sweepEvery = 1 * sec

// Add feeds one record. Records must come in capture order.
func (t *Tracker) Add(rec *wire.Record) {
	now := rec.Time.UnixNano()
	if now > t.now {
		t.now = now
	}
	if t.now >= t.sweep {
		t.expire(t.now)
		t.sweep = t.now + sweepEvery
	}
	switch rec.Kind {
	case wire.KindTCP:
		t.tcp(rec, now, false)
	case wire.KindTCPCut:
		t.tcp(rec, now, true)
	case wire.KindICMP:
		var k key
		setKey(&k, rec.ICMP.Src, rec.ICMP.Dst)
		if c := t.conns.get(&k, t.conns.hash(&k)); c != nil {
			c.icmp(rec, now)
		}
	}
}

// tcp takes a segment. One whose header was cut (cut) is taken as Zeek
// takes it: it finds or makes its connection, and nothing else of it
// reaches the connection, not even its time.
func (t *Tracker) tcp(rec *wire.Record, now int64, cut bool) {
	if rec.BadIPSum {
		return // Zeek drops the packet before it reaches a connection
	}
	p := &rec.TCP
	var k key
	setKey(&k, p.Src, p.Dst)
	h := t.conns.hash(&k)
	c := t.conns.get(&k, h)
	if c != nil && (now > c.deadline || p.Flags&wire.SYN != 0 && c.z.isReuse(p)) {
		t.finish(c)
		c = nil
	}
	if c == nil {
		c = t.newConn(p, now, k, h)
		if len(t.idled) > 0 {
			if last, ok := t.idled[k]; ok {
				c.idleBefore = since(last, now)
				delete(t.idled, k)
			}
		}
		t.conns.put(c, h)
	} else if cut {
		return // an existing connection: nothing changes, not even its timers
	}
	if !cut {
		c.packet(rec, now, t.opts.Checksums)
	}
	c.deadline = c.z.deadline()
	t.timers.schedule(c, c.deadline)
}

func (t *Tracker) newConn(p *wire.Packet, now int64, k key, h uint64) *Conn {
	// Zeek's WantConnection: a connection first seen without a plain SYN
	// is turned round when its source port looks like the server's.
	flip := false
	if p.Flags&wire.SYN == 0 || p.Flags&wire.ACK != 0 {
		if t.opts.ServerPort(p.Src.Port()) {
			if t.opts.ServerPort(p.Dst.Port()) {
				flip = p.Flags&wire.SYN == 0 && p.Src.Port() < p.Dst.Port()
			} else {
				flip = true
			}
		}
	}
	t.seq++
	c := t.pool.get()
	// lastPkt starts at the first packet, also for a connection whose
	// packets all fail their checksum or have their header cut, so
	// that its idle time is counted from when it was seen.
	c.n, c.k, c.h, c.idleRST, c.lastPkt = t.seq, k, h, t.opts.IdleRST.Nanoseconds(), now
	if t.opts.KeepPackets > 0 {
		c.kept = &keeper{max: t.opts.KeepPackets}
	}
	c.z.init(p, now, flip)
	return c
}

func (t *Tracker) finish(c *Conn) {
	t.conns.del(c, c.h)
	c.over = true
	if c.z.inactive(t.now) {
		c.idleEnd = true
		t.idled[c.k] = c.lastPkt
	}
	c.end(&t.verdict, &t.evidence, t.now)
	t.done(c)
	t.pool.put(c)
}

// expire ends the connections whose timers have run out by now, oldest
// first.
func (t *Tracker) expire(now int64) {
	for k, last := range t.idled {
		if now-last > idledKept {
			delete(t.idled, k)
		}
	}
	l := t.ending[:0]
	for len(t.timers) > 0 && t.timers[0].at < now {
		x := t.timers.pop()
		if len(t.timers) > 0 {
			// The next entry's connection, untouched for seconds as a
			// rule, comes while this one is looked at.
			t.timers[0].c.prefetchHead()
		}
		c := x.c
		if c.over || x.gen != c.gen || x.at != c.sched {
			continue
		}
		c.sched = 0
		if now > c.deadline {
			l = append(l, ending{c.n, c})
		} else {
			t.timers.schedule(c, c.deadline)
		}
	}
	t.finishAll(l)
	t.ending = l[:0]
}

// ending is a connection to finish and its number, which orders them:
// sorting on a copy of the number reads no connection's memory, and those
// ending are the ones longest untouched.
type ending struct {
	n int
	c *Conn
}

func (t *Tracker) finishAll(l []ending) {
	slices.SortFunc(l, func(a, b ending) int { return a.n - b.n })
	// The connections ending have mostly been untouched for seconds, and
	// ending one reads most of it and its table slot: each is asked for
	// two connections ahead, and its slot one ahead, once the line with
	// its hash has come.
	for i, e := range l {
		if i+2 < len(l) {
			l[i+2].c.prefetch()
		}
		if i+1 < len(l) {
			t.conns.prefetch(l[i+1].c.h)
		}
		t.finish(e.c)
	}
}

// Close ends every connection still open, in the order they started: the
// capture is over.
func (t *Tracker) Close() {
	l := make([]ending, 0, t.conns.n)
	t.conns.each(func(c *Conn) { l = append(l, ending{c.n, c}) })
	t.finishAll(l)
	t.timers = nil
}

// Open is the number of connections being followed.
func (t *Tracker) Open() int { return t.conns.n }

// DefaultServerPort is true for the ports that Zeek's default scripts
// register analyzers for (and so put in likely_server_ports), plus other
// well-known service ports.
func DefaultServerPort(p uint16) bool {
	_, ok := serverPorts[p]
	return ok
}

var serverPorts = func() map[uint16]struct{} {
	m := map[uint16]struct{}{}
	for _, p := range []uint16{
		20, 21, 22, 23, 25, 53, 79, 80, 81, 88, 110, 111, 135, 139, 143, 179, 389, 443, 445, 464, 465, 524, 631, 2811, 5223,
		502, 512, 513, 514, 563, 585, 587, 614, 636, 749, 989, 990, 992, 993, 994, 995, 1080,
		1194, 1433, 1434, 1521, 1723, 1812, 1813, 1883, 2049, 2123, 2152, 2181, 2375, 2376, 2379,
		3128, 3268, 3269, 3306, 3389, 4369, 5060, 5061, 5222, 5269, 5432, 5672, 5900, 5984,
		6379, 6443, 6666, 6667, 6668, 6669, 7000, 8000, 8008, 8080, 8081, 8443, 8888, 9000,
		9042, 9092, 9200, 9300, 11211, 15672, 20000, 27017, 44818, 47808, 61616,
	} {
		m[p] = struct{}{}
	}
	return m
}()
