package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/teardown-net/teardown/lab/hosts"
	"github.com/teardown-net/teardown/observe/capture"
	"github.com/teardown-net/teardown/observe/tcpstate"
	"github.com/teardown-net/teardown/observe/wire"
	"github.com/teardown-net/teardown/scenario"
)

// observers watch the kernel during one TCP run: packets on the run's
// loopback, the states and queues of its sockets, and (through the shared
// trace hub) the kernel's own account of resets and state changes. Runs on
// other transports have nothing to watch beyond the calls' results.
type observers struct {
	// isolated: the run has namespaces of its own, so every socket in
	// them is the run's.
	isolated  bool
	settleFor time.Duration
	kernel    kernelObserver // nil without tracing
	// netns are the run's namespaces, which the kernel observer lets
	// through until close.
	netns []uint32
	cap   *capture.Capture
	// release frees the capture after the run, while other runs go on.
	release func(func())
	// dumpers list the sockets of each host (one without hosts), named
	// by dumpHosts ("" without hosts).
	dumpers   []*tcpstate.Dumper
	dumpHosts []string
	pcap      *wire.Writer
	pfile     *os.File
	// label is the comment the next packet written to the capture file
	// carries: the step it follows, once.
	label string
	isn   isns
	// arrived holds the SYN and FIN flags captured in each direction.
	arrived map[[2]netip.AddrPort]wire.Flags
	// mono0 and wall0 are one instant on CLOCK_MONOTONIC and on the wall
	// clock, to give the kernel's events wall-clock times for reports.
	mono0 time.Duration
	wall0 time.Time
	// end is when the end of the run was recorded: what the kernel does
	// after it, when the runner closes what the scenario left open, is not
	// the scenario's.
	end time.Duration
	// last is the run's sockets as the last settling left them; resume
	// says the next settling continues it (nothing was done since), so
	// that a first look finding the same sockets is already settled.
	last   []tcpstate.Socket
	resume bool
}

// openObservers opens the run's observers in the namespace of each host:
// a socket dump per host, and a capture on the client host's link (where
// both directions pass) or on loopback.
func openObservers(env *environment, t scenario.Transport, rec *Record, opts Options, net *hosts.Network) (*observers, error) {
	o := &observers{isolated: env.isolate, settleFor: opts.settle(), release: env.release, isn: isns{}, arrived: map[[2]netip.AddrPort]wire.Flags{}}
	if !t.IsTCP() {
		return o, nil
	}
	where, iface := []string{""}, "lo"
	if net != nil {
		where, iface = []string{"server", "client"}, "eth0"
	}
	if env.tracer != nil {
		if err := o.watch(env, net); err != nil {
			return nil, err
		}
	}
	o.mono0, o.wall0 = sameInstant()
	for _, h := range where {
		if h != "" {
			if err := net.Enter(h); err != nil {
				o.close()
				return nil, err
			}
		}
		d, err := tcpstate.Open()
		if err != nil {
			rec.Limits = append(rec.Limits, fmt.Sprintf("no socket states: %v", err))
			break
		}
		o.dumpers = append(o.dumpers, d)
		o.dumpHosts = append(o.dumpHosts, h)
	}
	if env.capture {
		c, err := capture.Open(iface)
		if err != nil {
			rec.Limits = append(rec.Limits, fmt.Sprintf("no capture: %v", err))
		} else {
			o.cap = c
		}
	}
	if o.cap != nil && opts.PcapDir != "" {
		name := strings.ReplaceAll(rec.Scenario, "/", "_") + "." + string(t) + ".pcapng"
		f, err := os.Create(filepath.Join(opts.PcapDir, name))
		if err != nil {
			o.close()
			return nil, fmt.Errorf("pcap file: %w", err)
		}
		o.pfile = f
		if o.pcap, err = wire.NewWriter(f); err != nil {
			o.close()
			return nil, fmt.Errorf("pcap file: %w", err)
		}
		rec.Pcap = f.Name()
	}
	return o, nil
}

// watch opens the kernel observer to the run's namespaces: every host's,
// or the one the calling thread is in. With hosts it leaves the thread in
// the last host's; openObservers then enters those it needs.
func (o *observers) watch(env *environment, net *hosts.Network) error {
	if env.isolate {
		if net == nil {
			n, err := threadNetns()
			if err != nil {
				return err
			}
			o.netns = append(o.netns, n)
		} else {
			for _, h := range net.Hosts() {
				if err := net.Enter(h.Name); err != nil {
					return err
				}
				n, err := threadNetns()
				if err != nil {
					return err
				}
				o.netns = append(o.netns, n)
			}
		}
	}
	if err := env.tracer.begin(o.netns); err != nil {
		return fmt.Errorf("kernel observer: %w", err)
	}
	o.kernel = env.tracer
	return nil
}

func (o *observers) close() {
	if o.kernel != nil {
		o.kernel.end(o.netns)
	}
	if o.cap != nil {
		c := o.cap
		o.release(func() { c.Close() })
	}
	for _, d := range o.dumpers {
		d.Close()
	}
	if o.pfile != nil {
		if o.pcap != nil {
			o.pcap.Flush()
		}
		o.pfile.Close()
	}
}

// transient states wait for a packet from the peer or a timer: a run in
// one of them has not settled while its peer owes it an answer.
var transient = map[tcpstate.State]bool{
	tcpstate.SynSent: true, tcpstate.SynRecv: true, tcpstate.NewSynRecv: true,
	tcpstate.FinWait1: true, tcpstate.Closing: true, tcpstate.LastAck: true,
}

// observation is what the run's observers saw during one step and until
// the kernel settled.
type observation struct {
	// Packets is nil without capture, empty when nothing was captured.
	Packets []Packet
	// Sockets is the TCP state of every endpoint with an address.
	Sockets []SockState
	// Unsettled: the kernel was still busy when the settle bound ran out.
	Unsettled bool
	// Limits says what could not be observed, and why.
	Limits []string
	// socks are the run's sockets in the last dump, nil when none was
	// made; states names them by actor.
	socks []tcpstate.Socket
}

// settle waits until the kernel has finished reacting to the step: no
// packet captured since the previous look, the same states twice in a row,
// and no socket waiting for an answer its peer's kernel owes it (see
// waiting) — except that what waits for nothing but a timer (bytes sent
// and not acknowledged, a SYN the listener dropped) counts as settled once
// nothing has changed for stallFor. An answer owed may take the peer's
// delayed-ACK timer (40ms and more); it is waited for until the settle
// bound, which the report then points out. Unix sockets and pipes react
// within the system call, so there is nothing to wait for. tab is the
// run's endpoints as the step left them; label names the step in the
// capture file.
func (o *observers) settle(ctx context.Context, tab endpoints, cut bool, label string) observation {
	var ob observation
	o.label = label
	if len(o.dumpers) == 0 {
		return ob
	}
	if o.cap != nil {
		ob.Packets = []Packet{}
	}
	deadline := time.Now().Add(o.settleFor)
	var prev []tcpstate.Socket
	var still time.Time // since when nothing has changed
	first := true
	if o.resume && o.last != nil {
		// Nothing has changed since the last look, which was settled.
		prev, first, still = o.last, false, time.Now().Add(-stallFor)
	}
	o.resume = false
	pause := 250 * time.Microsecond
	for ; ; first = false {
		fresh := o.drain(tab, &ob)
		socks, err := o.look(tab)
		if err != nil {
			ob.Limits = append(ob.Limits, fmt.Sprintf("socket states: %v", err))
			return ob
		}
		socks = o.ours(tab, socks)
		now := time.Now()
		if first || fresh > 0 || !slices.Equal(prev, socks) {
			still = now
		} else if w := o.waiting(socks, cut); w == waitNone || (w == waitStill && now.Sub(still) >= stallFor) {
			return o.settled(tab, socks, ob)
		}
		prev = socks
		if time.Now().After(deadline) || ctx.Err() != nil {
			ob.Unsettled = true
			return o.settled(tab, socks, ob)
		}
		// Look again when a packet comes, or after a pause that grows so
		// that a long wait (a delayed ACK) costs few dumps.
		pause = min(2*pause, 2*time.Millisecond)
		if o.cap != nil {
			o.cap.Wait(pause)
		} else {
			time.Sleep(pause)
		}
	}
}

// stallFor is how long a socket may wait for its peer with nothing on the
// wire before the wait counts as the settled state: longer than the
// kernel's reaction to a packet on loopback, shorter than any of its timers
// (the shortest, the delayed ACK, is 40ms).
const stallFor = 5 * time.Millisecond

type wait int

const (
	waitNone wait = iota
	// waitStill: what only the kernel's timers end, or the peer's
	// application (bytes a closed window holds): settled once nothing
	// has changed for stallFor.
	waitStill
	// waitState: a transient state whose peer owes it an answer.
	waitState
)

// waiting says what the run's sockets still wait for. A socket in a
// transient state waits for its peer only while the peer's kernel owes it
// an answer (owed), or while the segment to be answered is still on its
// way (inFlight); otherwise nothing but its own timers (a retransmission
// after the RTO) moves it, and that is for later steps to show. While a
// fault cuts a host off (cut) no answer can cross, so no transient state
// is waited for.
func (o *observers) waiting(socks []tcpstate.Socket, cut bool) wait {
	w := waitNone
	for _, s := range socks {
		switch {
		case transient[s.State] && !cut && (owed(s, socks) || o.inFlight(s)):
			return waitState
		case transient[s.State]:
			w = waitStill
		case s.State != tcpstate.Listen && s.SendQ > 0:
			w = waitStill
		}
	}
	return w
}

// inFlight reports whether the SYN, SYN-ACK or FIN that s waits to have
// answered was sent and the capture has not yet seen it reach the peer's
// receive path (on loopback the capture takes each packet there). A
// SYN_SENT socket that has sent nothing (TCP_FASTOPEN_CONNECT) and a FIN
// held behind unsent bytes are not in flight. Without a capture nothing
// can be told, and nothing is.
func (o *observers) inFlight(s tcpstate.Socket) bool {
	if o.cap == nil {
		return false
	}
	seen := o.arrived[[2]netip.AddrPort{s.Local, s.Remote}]
	switch s.State {
	case tcpstate.SynSent, tcpstate.SynRecv, tcpstate.NewSynRecv:
		return !(s.Info && s.Unacked == 0) && seen&wire.SYN == 0
	default:
		return s.SendQ == 0 && seen&wire.FIN == 0
	}
}

// owed reports whether the peer of s, found in socks as the entry with the
// same addresses reversed, has received what it must answer and s has not
// had the answer yet:
//
//   - a SYN (SYN_SENT): the listener made a request socket for it, and its
//     SYN-ACK is on the way. Without one the SYN was not answered at once,
//     and is not going to be: dropped on a full accept queue, or not sent
//     yet (TCP_FASTOPEN_CONNECT sends it with the first write);
//   - a SYN-ACK (SYN_RECV): the client has not processed it yet (SYN_SENT);
//     a client already ESTABLISHED has sent its ACK, and a listener that
//     ignored it (a full accept queue) answers nothing before its timer;
//   - a FIN (FIN_WAIT1, CLOSING, LAST_ACK): the peer has processed it
//     (CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT) and its ACK is due, at
//     once or from its delayed-ACK timer. A FIN the peer has not seen is
//     held by a closed window, or lost.
//
// A peer with no entry (gone) answers with an RST at once, within
// stallFor, as does a FIN or SYN still in the peer's receive path.
func owed(s tcpstate.Socket, socks []tcpstate.Socket) bool {
	for _, p := range socks {
		if p.Local != s.Remote || p.Remote != s.Local {
			continue
		}
		switch s.State {
		case tcpstate.SynSent:
			return true
		case tcpstate.SynRecv, tcpstate.NewSynRecv:
			if p.State == tcpstate.SynSent {
				return true
			}
		case tcpstate.FinWait1, tcpstate.Closing, tcpstate.LastAck:
			if finReceived[p.State] {
				return true
			}
		}
	}
	return false
}

// finReceived are the states of a socket that has processed its peer's FIN.
var finReceived = map[tcpstate.State]bool{
	tcpstate.CloseWait: true, tcpstate.Closing: true, tcpstate.LastAck: true, tcpstate.TimeWait: true,
}

// settled completes the last look with the sockets only bound and names
// the sockets by actor. Those are left out of the looks that decide
// whether the kernel has settled because finding them walks the host's
// whole bind table, most of a millisecond each time, and because no
// packet changes them: a socket only bound is not in the tables the
// receive path looks in. They are looked for only when an open endpoint
// with an address is missing from the look and the kernel keeps its port
// (PortKept): one whose port the kernel chose has given it back with its
// connection, and is in no table.
func (o *observers) settled(tab endpoints, socks []tcpstate.Socket, ob observation) observation {
	o.last = socks
	missing := slices.ContainsFunc(tab, func(e endpoint) bool {
		_, ok := e.own(socks)
		return e.Open && e.Local.IsValid() && e.PortKept && !ok
	})
	if missing {
		bound, err := o.dump(tcpstate.BoundOnly)
		if err != nil {
			ob.Limits = append(ob.Limits, fmt.Sprintf("socket states: %v", err))
		}
		socks = append(socks, o.ours(tab, bound)...)
	}
	ob.Sockets, ob.socks = states(tab, socks), socks
	return ob
}

// look lists the sockets of every host with a connection, and the run's
// listeners. Each open socket that may listen (one with a local address
// and no peer) is looked up by its address and cookie, which costs a
// fraction of a dump of the listening table: that table is the host's,
// whatever the namespace. Where an open socket's address is not known (it
// listens on a port the kernel chose), the table is dumped whole.
func (o *observers) look(tab endpoints) ([]tcpstate.Socket, error) {
	type key struct {
		host   string
		local  netip.AddrPort
		cookie uint64
	}
	var ask []key
	for _, e := range tab {
		switch {
		case !e.Open || e.Remote.IsValid():
		case !e.Local.IsValid() || e.Local.Port() == 0:
			return o.dump(tcpstate.Connections)
		default:
			k := key{e.Host, e.Local, e.Cookie}
			if !slices.Contains(ask, k) { // a dup names the same socket
				ask = append(ask, k)
			}
		}
	}
	socks, err := o.dump(tcpstate.Connected)
	if err != nil {
		return nil, err
	}
	for _, k := range ask {
		i := slices.Index(o.dumpHosts, k.host)
		if i < 0 {
			continue
		}
		s, ok, err := o.dumpers[i].Listener(k.local, k.cookie)
		if err != nil {
			return nil, err
		}
		if ok {
			socks = append(socks, s)
		}
	}
	return socks, nil
}

// dump lists the sockets of every host in the tables t.
func (o *observers) dump(t tcpstate.Tables) ([]tcpstate.Socket, error) {
	var all []tcpstate.Socket
	for _, d := range o.dumpers {
		socks, err := d.DumpTables(t)
		if err != nil {
			return nil, err
		}
		all = append(all, socks...)
	}
	return all, nil
}

// ours keeps the sockets of this run. In a namespace of its own every
// socket is; in a shared one they are told apart by the run's ports.
func (o *observers) ours(tab endpoints, socks []tcpstate.Socket) []tcpstate.Socket {
	if o.isolated {
		return slices.DeleteFunc(socks, func(s tcpstate.Socket) bool { return probe(s.Local, s.Remote) })
	}
	ports := map[uint16]bool{}
	for _, e := range tab {
		if e.Local.IsValid() {
			ports[e.Local.Port()] = true
		}
	}
	var mine []tcpstate.Socket
	for _, s := range socks {
		if ports[s.Local.Port()] || ports[s.Remote.Port()] {
			mine = append(mine, s)
		}
	}
	return mine
}

// states gives each actor with an address the state of its connection and
// the queues netstat shows for it. An open socket is found by its inode,
// so that it is the socket's own entry and never another with the same
// addresses. An open socket the dump lacks, and a closed one, are found by
// their addresses: the kernel moves a connection that ends to a TIME_WAIT
// entry of its own (the open socket is then CLOSE, unhashed), and keeps an
// orphan after close. With no entry the state is CLOSE. The bytes a read
// would return are Step.Unread, asked of the descriptor.
func states(tab endpoints, socks []tcpstate.Socket) []SockState {
	var out []SockState
	for _, e := range tab {
		if !e.Local.IsValid() {
			continue
		}
		s := SockState{Actor: e.Name, State: "CLOSE"}
		if e.Gone {
			out = append(out, s)
			continue
		}
		k, ok := e.own(socks)
		if !ok {
			k, ok = e.byAddress(socks)
		}
		if ok {
			s.State, s.RecvQ, s.SendQ = k.State.String(), k.RecvQ, k.SendQ
			s.Orphan = e.Closed && k.Inode == 0
		}
		out = append(out, s)
	}
	return out
}

// own finds e's open socket in the dump by its inode.
func (e endpoint) own(socks []tcpstate.Socket) (tcpstate.Socket, bool) {
	if e.Open && e.Inode != 0 {
		for _, k := range socks {
			if uint64(k.Inode) == e.Inode {
				return k, true
			}
		}
	}
	return tcpstate.Socket{}, false
}

// byAddress finds the entry of e's connection by its addresses (a
// listener by its local address alone); for an open socket, only among
// the entries no file refers to (TIME_WAIT), never another open socket;
// never an entry with another socket's cookie.
func (e endpoint) byAddress(socks []tcpstate.Socket) (tcpstate.Socket, bool) {
	for _, k := range socks {
		if k.Local != e.Local || (e.Open && k.Inode != 0) {
			continue
		}
		if e.Cookie != 0 && k.Cookie != 0 && k.Cookie != e.Cookie {
			// Another socket on the same addresses: a connection made
			// since, after this one's ended (its TIME_WAIT entry keeps
			// the socket's cookie).
			continue
		}
		if e.Remote.IsValid() && k.Remote == e.Remote || !e.Remote.IsValid() && k.State == tcpstate.Listen {
			return k, true
		}
	}
	return tcpstate.Socket{}, false
}

// drain moves the captured packets into the observation and returns how
// many there were.
func (o *observers) drain(tab endpoints, ob *observation) int {
	if o.cap == nil {
		return 0
	}
	frames, err := o.cap.DrainFrames()
	if err != nil {
		ob.Limits = append(ob.Limits, fmt.Sprintf("capture: %v", err))
		return 0
	}
	for _, f := range frames {
		if !f.TCP {
			if !probe(f.ICMP.Src, f.ICMP.Dst) {
				o.write(f)
				ob.Packets = append(ob.Packets, o.icmp(tab, f.Time, f.ICMP))
			}
			continue
		}
		p := f.Packet
		if probe(p.Src, p.Dst) {
			continue
		}
		o.write(f)
		o.arrived[[2]netip.AddrPort{p.Src, p.Dst}] |= p.Flags & (wire.SYN | wire.FIN)
		ob.Packets = append(ob.Packets, o.isn.packet(tab, p))
	}
	return len(frames)
}

// write adds a captured packet to the capture file; the first packet after
// each step carries the step's label as a comment, which Wireshark shows
// beside it.
func (o *observers) write(f capture.Frame) {
	if o.pcap == nil {
		return
	}
	o.pcap.Write(f.Time, f.Data, o.label)
	o.label = ""
}

// icmp describes an ICMP error about one of the run's connections: from
// the actor whose host sent it (a router is none of them), to the actor
// whose segment it quotes.
func (o *observers) icmp(tab endpoints, at time.Time, ic wire.ICMP) Packet {
	from := "router"
	for _, e := range tab {
		if e.Local.Addr() == ic.From {
			from = e.Name
			break
		}
	}
	seq := ic.Seq
	if first, ok := o.isn[[2]netip.AddrPort{ic.Src, ic.Dst}]; ok {
		seq -= first.seq
	}
	return Packet{
		Time: at, From: from, To: tab.actorOf(ic.Src, ic.Dst),
		Seq: seq, ICMP: ic.Name(),
	}
}

// probe reports whether addresses are those of the connections with which
// the hosts package finds the network ready: not the scenario's.
func probe(a, b netip.AddrPort) bool {
	return a.Port() == hosts.ProbePort || b.Port() == hosts.ProbePort
}

// sameInstant reads CLOCK_MONOTONIC and the wall clock at one instant. Two
// calls in a row are not enough: the thread can be descheduled between
// them, for milliseconds on a loaded machine. A wall-clock reading
// bracketed by two monotonic ones close together is.
func sameInstant() (time.Duration, time.Time) {
	for try := 0; ; try++ {
		m1 := monotonic()
		w := time.Now()
		m2 := monotonic()
		if m2-m1 < 20*time.Microsecond || try == 100 {
			return m1 + (m2-m1)/2, w
		}
	}
}

// finish collects the kernel's account of the run, from the start of the
// run to the end of its last step, with each event's wall-clock time. ok
// is false when there is no account: no tracing, or a trace that lost
// events, which could miss the one a check looks for.
func (o *observers) finish(tab endpoints) (evs []tracedEvent, ok bool, limits []string) {
	if len(o.dumpers) == 0 || o.kernel == nil {
		return nil, false, nil
	}
	evs, err := o.kernel.events(tab, runScope{isolated: o.isolated, netns: o.netns}, o.mono0, o.end)
	if err != nil {
		return nil, false, []string{fmt.Sprintf("kernel tracing: %v", err)}
	}
	for i := range evs {
		evs[i].Time = o.wall0.Add(evs[i].mono - o.mono0)
	}
	return evs, true, nil
}

// placeEvents puts each of the kernel's events in the step during which it
// happened: the last step that started before it, both times on the
// kernel's clock. Steps that can have events get an empty list when they
// have none, so that a report can tell "none" from "not traced".
func placeEvents(steps []Step, evs []tracedEvent) {
	for i := range steps {
		if steps[i].Kind != StepExpect && !steps[i].Skip {
			steps[i].Events = []Event{}
		}
	}
	for _, ev := range evs {
		idx := -1
		for i := range steps {
			if steps[i].Kind == StepExpect || steps[i].Skip {
				continue
			}
			if steps[i].mono <= ev.mono {
				idx = i
			}
		}
		if idx >= 0 {
			steps[idx].Events = append(steps[idx].Events, ev.Event)
		}
	}
}
