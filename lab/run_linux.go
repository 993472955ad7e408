package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab/hosts"
	"github.com/teardown-net/teardown/lab/internal/block"
	"github.com/teardown-net/teardown/lab/sock"
	"github.com/teardown-net/teardown/scenario"
)

// runner carries one run. All of its system calls happen on one locked OS
// thread, which is what makes a namespace per run and per-write SIGPIPE
// attribution possible: both are properties of a thread.
type runner struct {
	job   Job
	opts  Options
	env   *environment
	rec   *Record
	net   sock.Net
	eps   map[string]*sock.Endpoint
	all   []*sock.Endpoint
	tid   int
	obs   *observers
	limit time.Duration
	// ctx ends the run: its cancellation ends a blocked call at once.
	ctx context.Context
	// wd is the watchdog of the call under way, nil between calls, and
	// callStart when the call began.
	wd        *watchdog
	callStart time.Time
	// cut lists the hosts a fault has cut off the network (drop, noroute,
	// unreachable) and no heal has brought back.
	cut map[string]bool
	// hosts is the run's network when the scenario has more than one host.
	hosts *hosts.Network
	// epolls are the actors' epoll instances, by actor.
	epolls map[string]*epollSet
	// held follows which endpoint holds a connection's addresses.
	held tenures
	// async are the async calls under way.
	async []*asyncCall
	// trackers follow the segments of each host an inject sends from
	// ("" on loopback).
	trackers map[string]*seqTracker
	// settledMono and settledWall are when the last step's settling
	// ended, where the end of the run begins.
	settledMono time.Duration
	settledWall time.Time
}

func (env *environment) run(ctx context.Context, j Job, opts Options, rec *Record) error {
	done := make(chan error, 1)
	go func() {
		// Never unlocked: the runtime ends the thread when this goroutine
		// returns, and the namespace and signal mask go with it.
		runtime.LockOSThread()
		done <- env.execute(ctx, j, opts, rec)
	}()
	return <-done
}

func (env *environment) execute(ctx context.Context, j Job, opts Options, rec *Record) error {
	r := &runner{job: j, opts: opts, env: env, rec: rec, eps: map[string]*sock.Endpoint{}, tid: unix.Gettid(), ctx: ctx, cut: map[string]bool{}}
	r.limit = j.Scenario.Limit
	if opts.Limit > 0 {
		r.limit = opts.Limit
	}
	if r.limit <= 0 {
		r.limit = scenario.DefaultLimit
	}
	if !env.isolate && slices.ContainsFunc(j.Scenario.Steps, func(s scenario.Step) bool { return s.Sysctl != nil }) {
		rec.Verdict = Skipped
		rec.Skip = "sysctl sets the run's own network namespace, and there is none here (it needs root): it would change this host's"
		return nil
	}
	switch {
	case j.Scenario.Net != "" && j.Scenario.Net != scenario.NetLoopback:
		if !env.isolate {
			rec.Verdict = Skipped
			rec.Skip = fmt.Sprintf("net %s builds hosts from network namespaces, which need root", j.Scenario.Net)
			return nil
		}
		topo, ok := topologies[j.Scenario.Net]
		if !ok {
			return fmt.Errorf("net %s is not known to the runner", j.Scenario.Net)
		}
		n, err := hosts.Build(topo, runHashBuckets)
		if err != nil {
			return fmt.Errorf("build the %s network: %w", j.Scenario.Net, err)
		}
		defer n.Close()
		r.hosts = n
		t, err := r.routeTimer()
		if err != nil {
			return err
		}
		rec.Timers = append(rec.Timers, t)
	case env.isolate:
		if err := enterNamespace(); err != nil {
			return fmt.Errorf("isolate the run: %w", err)
		}
	}
	// SIGPIPE stays pending on this thread instead of being delivered, so
	// that after each call the runner can tell whether that call raised it.
	var set unix.Sigset_t
	sigaddset(&set, unix.SIGPIPE)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		return fmt.Errorf("block SIGPIPE on the run's thread: %w", err)
	}
	dir, err := tempDir()
	if err != nil {
		return fmt.Errorf("make the run's directory: %w", err)
	}
	defer os.RemoveAll(dir)
	kind, ok := kinds[j.Transport]
	if !ok {
		return fmt.Errorf("transport %s is not known to the runner", j.Transport)
	}
	r.net = sock.Net{Kind: kind, Dir: dir, Isolated: env.isolate, Limit: r.limit}
	if r.hosts != nil {
		r.net.HostAddr = func(name string, v6 bool) netip.Addr {
			if h := r.hosts.Host(name); h != nil {
				if v6 {
					return h.Addr6
				}
				return h.Addr4
			}
			return netip.Addr{}
		}
	}

	r.obs, err = openObservers(env, j.Transport, rec, opts, r.hosts)
	if err != nil {
		return err
	}
	defer r.obs.close()
	defer r.closeAll()
	// Before the descriptors are closed: an async call still under way
	// ends at the limit at the latest.
	defer r.collect(true)

	if slices.ContainsFunc(j.Scenario.Steps, func(s scenario.Step) bool { return s.Inject != nil }) {
		if !env.isolate {
			rec.Verdict = Skipped
			rec.Skip = "inject sends from a raw socket in the run's own network namespace, and there is none here (it needs root)"
			return nil
		}
		if err := r.openTrackers(); err != nil {
			return err
		}
		defer r.closeTrackers()
	}
	if err := r.setup(); err != nil {
		return fmt.Errorf("setup %s: %w", j.Scenario.Setup, err)
	}
	for _, s := range j.Scenario.Steps {
		if ctx.Err() != nil {
			return fmt.Errorf("run stopped: %w", ctx.Err())
		}
		if err := r.step(s); err != nil {
			return fmt.Errorf("%s: %w", s.Pos, err)
		}
	}
	pending := len(r.async) > 0
	if err := r.collect(true); err != nil {
		return err
	}
	r.endOfRun(pending)
	r.obs.end = monotonic()
	r.closeAll()
	evs, ok, limits := r.obs.finish(r.table())
	rec.Limits = append(rec.Limits, limits...)
	if ok {
		placeEvents(rec.Steps, evs)
	}
	return nil
}

// heldTable is table with the endpoints whose addresses a connection
// made since they closed holds marked Gone (tenures.mark): what the
// observers read a step's packets and states with.
func (r *runner) heldTable() endpoints {
	tab := r.table()
	r.held.mark(tab)
	return tab
}

// table copies the run's endpoints for the observers.
func (r *runner) table() endpoints {
	tab := make(endpoints, len(r.all))
	for i, e := range r.all {
		tab[i] = endpoint{
			Name: e.Name, Host: e.Host, Local: e.Local, Remote: e.Remote,
			Bound: e.Bound, PortKept: e.PortKept, Open: e.FD >= 0, Closed: e.Closed,
			Cookie: e.Cookie,
		}
		if e.FD >= 0 {
			tab[i].Inode = e.Inode
		}
	}
	return tab
}

// observe waits for the kernel to settle after a step and records what the
// observers saw. A connect that failed has its address learned from its
// SYN first, so that its state is reported.
func (r *runner) observe(st *Step, op *scenario.Op) {
	label := st.Text
	if st.Line > 0 {
		label = fmt.Sprintf("line %d: %s", st.Line, st.Text)
	}
	ob := r.obs.settle(r.ctx, r.heldTable(), len(r.cut) > 0, label)
	st.Packets, st.Sockets, st.Unsettled = ob.Packets, ob.Sockets, ob.Unsettled
	r.rec.Limits = append(r.rec.Limits, ob.Limits...)
	if op != nil && op.Kind == scenario.OpConnect && r.learnAddress(op, st.Packets) && ob.socks != nil {
		st.Sockets = states(r.heldTable(), ob.socks)
	}
	st.Unread = r.unread()
	r.settledMono, r.settledWall = sameInstant()
}

// endOfRun records, as the run's last entry, what came after the last step
// had settled: packets and the kernel's events from then on, and the
// states once the kernel has settled again. It starts where the last
// step's look ended, so that everything the kernel did in the run is in
// one entry or another, and waits as every step's settling does: only
// while a peer owes an answer. When no async call was still under way
// (pending) the runner has done nothing since that look, so a first look
// that finds the same sockets and no packet is already settled.
func (r *runner) endOfRun(pending bool) {
	st := Step{Kind: StepEnd, Text: "end of run", Start: r.settledWall, mono: r.settledMono}
	r.obs.resume = !pending
	r.observe(&st, nil)
	st.Took = time.Since(st.Start)
	r.rec.Steps = append(r.rec.Steps, st)
}

// unread asks each open endpoint's own descriptor how many bytes a read
// would return now (FIONREAD). Listeners, pipes' write ends and sockets
// the kernel will not say it for are left out.
func (r *runner) unread() []Unread {
	var out []Unread
	for _, e := range r.all {
		if e.FD < 0 || e.WriteOnly {
			continue
		}
		n, err := unix.IoctlGetInt(e.FD, unix.SIOCINQ) // FIONREAD
		if err != nil {
			continue
		}
		out = append(out, Unread{Actor: e.Name, Bytes: n})
	}
	return out
}

// learnAddress gives a socket whose connect failed the local address it
// used, from its SYN to the target: the kernel forgets it as the connect
// fails, and the packets and events of the attempt are the socket's.
func (r *runner) learnAddress(op *scenario.Op, pks []Packet) bool {
	e, t := r.eps[op.Actor], r.eps[op.Target]
	if e == nil || t == nil || e.Local.IsValid() {
		return false
	}
	for _, p := range pks {
		if p.Flags == "S" && (p.dst == t.Local || p.dst == e.Remote) && p.src.IsValid() {
			e.Local = p.src
			return true
		}
	}
	return false
}

func sigaddset(set *unix.Sigset_t, sig unix.Signal) {
	n := uint(sig) - 1
	set.Val[n/64] |= 1 << (n % 64)
}

// takeSIGPIPE reports whether SIGPIPE is pending on this thread, and
// consumes it.
func takeSIGPIPE() bool {
	var set unix.Sigset_t
	sigaddset(&set, unix.SIGPIPE)
	ts := unix.Timespec{}
	sig, _, errno := unix.Syscall6(unix.SYS_RT_SIGTIMEDWAIT, uintptr(ptr(&set)), 0, uintptr(ptr(&ts)), 8, 0, 0)
	return errno == 0 && unix.Signal(sig) == unix.SIGPIPE
}

func (r *runner) add(e *sock.Endpoint) {
	if old := r.eps[e.Name]; old != nil {
		r.retire(old)
	}
	r.eps[e.Name] = e
	r.all = append(r.all, e)
}

// retire renames a closed endpoint whose name a new one takes ("client
// close", then "client socket"): it is client#1 from then on (client#2
// for the next), so that its orphan's states and packets, and what
// the observers follow by name, are not the new socket's.
func (r *runner) retire(old *sock.Endpoint) {
	name := old.Name
	old.Name = sock.RetiredName(name, func(n string) bool {
		return slices.ContainsFunc(r.all, func(e *sock.Endpoint) bool { return e.Name == n })
	})
	delete(r.held.of, name)
	if ep, ok := r.epolls[name]; ok {
		r.epolls[old.Name] = ep
		delete(r.epolls, name)
	}
}

// closeAll closes every descriptor the run still holds.
func (r *runner) closeAll() {
	for _, e := range r.all {
		if e.FD >= 0 {
			unix.Close(e.FD)
			e.FD = -1
		}
	}
	for name, ep := range r.epolls {
		unix.Close(ep.fd)
		delete(r.epolls, name)
	}
}

// setup builds what the scenario's setup promises before its first step.
func (r *runner) setup() error {
	st := Step{Kind: StepSetup, Text: "setup " + string(r.job.Scenario.Setup), Start: time.Now(), mono: monotonic()}
	if err := r.build(); err != nil {
		return err
	}
	r.observe(&st, nil)
	r.rec.Steps = append(r.rec.Steps, st)
	return nil
}

func (r *runner) build() error {
	t := r.job.Transport
	switch r.job.Scenario.Setup {
	case scenario.SetupNone:
		return nil
	case scenario.SetupConnected:
		if t == scenario.Socketpair || t == scenario.Pipe {
			c, s, err := r.net.Pair()
			if err != nil {
				return err
			}
			r.add(c)
			r.add(s)
			return nil
		}
	}
	l, err := r.socket("listener", "", 0)
	if err != nil {
		return err
	}
	r.add(l)
	if err := r.net.Bind(l); err != nil {
		return fmt.Errorf("bind listener: %w", err)
	}
	if err := unix.Listen(l.FD, 16); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	c, err := r.socket("client", "", 0)
	if err != nil {
		return err
	}
	r.add(c)
	if r.job.Scenario.Setup == scenario.SetupListening {
		return nil
	}
	sa, err := r.net.PeerAddr(l, c)
	if err != nil {
		return err
	}
	if err := unix.Connect(c.FD, sa); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	c.Local, c.Remote = sock.Name(c.FD, unix.Getsockname), sock.Name(c.FD, unix.Getpeername)
	s, err := r.net.Accept(l, "server")
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	r.add(s)
	return nil
}

// hostOf is the host an actor's socket lives on: the one the scenario
// names, else the server host for the listener and the server, else the
// client host. It is "" without hosts.
func (r *runner) hostOf(actor, named string) string {
	switch {
	case r.hosts == nil:
		return ""
	case named != "":
		return named
	case actor == "listener" || actor == "server":
		return "server"
	}
	return "client"
}

// socket creates the actor's socket on its host.
func (r *runner) socket(actor, host string, fam sock.Kind) (*sock.Endpoint, error) {
	host = r.hostOf(actor, host)
	if r.hosts != nil {
		if err := r.hosts.Enter(host); err != nil {
			return nil, err
		}
	}
	return r.net.Socket(actor, host, fam)
}

// sysctl writes a setting of the host's network namespace, which goes with
// the namespace when the run ends. A setting the kernel refuses is an
// error of the run: what follows would not run as written.
func (r *runner) sysctl(sc *scenario.Sysctl) error {
	if r.hosts != nil {
		if err := r.hosts.Enter(sc.Host); err != nil {
			return err
		}
	}
	path := "/proc/sys/" + strings.ReplaceAll(sc.Name, ".", "/")
	if err := os.WriteFile(path, []byte(sc.Value), 0); err != nil {
		return fmt.Errorf("sysctl %s %s: %w", sc.Name, sc.Value, err)
	}
	return nil
}

// fault breaks (or heals) the network between two steps.
func (r *runner) fault(f *scenario.Fault) error {
	do, ok := faults[f.Kind]
	if !ok {
		return fmt.Errorf("fault %q is not implemented by the runner", f.Kind)
	}
	return do(r, f)
}

// faults are the runner's implementations of the language's faults;
// TestNames checks that every one the parser accepts is here.
var faults = map[scenario.FaultKind]func(r *runner, f *scenario.Fault) error{
	scenario.FaultDrop: func(r *runner, f *scenario.Fault) error { return r.hosts.Drop(f.Host) },
	scenario.FaultUnreachable: func(r *runner, f *scenario.Fault) error {
		u, ok := hosts.Unreaches[f.Answer]
		if !ok {
			return fmt.Errorf("unreachable answer %q is not implemented by the runner", f.Answer)
		}
		return r.hosts.Unreachable(f.Host, u)
	},
	scenario.FaultNoRoute: func(r *runner, f *scenario.Fault) error { return r.hosts.NoRoute(f.Host) },
	scenario.FaultHeal:    func(r *runner, f *scenario.Fault) error { return r.hosts.Heal(f.Host) },
	scenario.FaultReboot:  func(r *runner, f *scenario.Fault) error { return r.reboot(f.Host) },
}

// reboot takes the host off the network, makes it lose every socket
// without a packet escaping (the RSTs of the linger-0 closes are lost), and
// brings it back knowing nothing of its connections.
func (r *runner) reboot(host string) error {
	if err := r.hosts.Drop(host); err != nil {
		return err
	}
	for _, e := range r.all {
		if e.Host == host && e.FD >= 0 {
			setLinger(e.FD, 0)
			unix.Close(e.FD)
			e.FD, e.Closed = -1, true
		}
	}
	return r.hosts.Heal(host)
}

// step runs one statement and records it.
func (r *runner) step(s scenario.Step) error {
	st := Step{Line: s.Pos.Line, Text: s.Text, Start: time.Now(), mono: monotonic()}
	switch {
	case s.Op != nil:
		st.Kind, st.Actor, st.Op = StepOp, s.Op.Actor, s.Op.Kind
	case s.Expect != nil:
		st.Kind = StepExpect
	case s.Fault != nil:
		st.Kind = StepFault
	case s.Sysctl != nil:
		st.Kind = StepSysctl
	case s.Inject != nil:
		st.Kind = StepInject
	default:
		st.Kind = StepSleep
	}
	if !s.Guard.Has(r.job.Transport) {
		st.Skip = true
		r.rec.Steps = append(r.rec.Steps, st)
		return nil
	}
	if t, err := r.timer(s); err != nil {
		return err
	} else if t != nil && r.job.Transport.IsTCP() {
		r.rec.Timers = append(r.rec.Timers, *t)
	}
	switch {
	case s.Expect != nil:
		// Compare checks it after the run, against what the preceding
		// step recorded.
	case s.Op != nil && s.Op.Async:
		if err := r.awaitMakers(s.Op); err != nil {
			return err
		}
		st.Async = true
		if err := r.start(s.Op, st, len(r.rec.Steps)); err != nil {
			return err
		}
		r.observe(&st, s.Op)
	case s.Op != nil:
		if err := r.awaitMakers(s.Op); err != nil {
			return err
		}
		res, err := r.call(s.Op, &st)
		if err != nil {
			return err
		}
		st.Result = &res
		r.observe(&st, s.Op)
	case s.Fault != nil:
		if err := r.fault(s.Fault); err != nil {
			return fmt.Errorf("fault %s %s: %w", s.Fault.Kind, s.Fault.Host, err)
		}
		switch s.Fault.Kind {
		case scenario.FaultDrop, scenario.FaultNoRoute, scenario.FaultUnreachable:
			r.cut[s.Fault.Host] = true
		case scenario.FaultHeal:
			delete(r.cut, s.Fault.Host)
		}
		st.Took = time.Since(st.Start)
		r.observe(&st, nil)
	case s.Inject != nil:
		if err := r.inject(s.Inject, &st); err != nil {
			return err
		}
		res := okResult()
		st.Result = &res
		st.Took = time.Since(st.Start)
		r.observe(&st, nil)
	case s.Sysctl != nil:
		if err := r.sysctl(s.Sysctl); err != nil {
			return err
		}
		res := okResult()
		st.Result = &res
		st.Took = time.Since(st.Start)
		r.observe(&st, nil)
	default:
		t := time.NewTimer(s.Sleep)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
		}
		st.Took = time.Since(st.Start)
		r.observe(&st, nil)
	}
	r.rec.Steps = append(r.rec.Steps, st)
	return r.collect(false)
}

// call makes one operation's call on this thread, under a watchdog, and
// returns its result with whether it raised SIGPIPE.
func (r *runner) call(op *scenario.Op, st *Step) (scenario.Result, error) {
	r.wd, r.callStart = r.arm(), time.Now()
	stop := func() {}
	if op.Interrupt > 0 {
		stop = r.interrupt(op.Interrupt)
	}
	res, err := r.do(op, st)
	for err == nil && block.Spurious(op, res) && !r.wd.fired.Load() {
		res, err = r.do(op, st)
	}
	stop()
	st.Took = time.Since(st.Start)
	if fired := r.wd.stop(); fired && err == nil && endedByLab(op, res) {
		res = blockedResult()
	}
	r.wd = nil
	if err != nil {
		return scenario.Result{}, err
	}
	res.SIGPIPE = takeSIGPIPE()
	return res, nil
}

// endpoint returns the actor's endpoint. The parser guarantees actors are
// created before use; a missing one here is an actor whose creation failed.
func (r *runner) endpoint(name string) (*sock.Endpoint, error) {
	e, ok := r.eps[name]
	if !ok {
		return nil, fmt.Errorf("no socket for %q: the step that creates it did not succeed", name)
	}
	return e, nil
}

// errResult turns an error from a system call into a result. Errors that
// are not errnos are failures of the lab and are returned as such.
func errResult(err error) (scenario.Result, error) {
	var errno unix.Errno
	if errors.As(err, &errno) {
		name := scenario.CanonicalErrno(unix.ErrnoName(errno))
		if name == "" {
			name = fmt.Sprintf("errno %d", int(errno))
		}
		return scenario.Result{Kind: scenario.ResultErrno, Errno: name}, nil
	}
	return scenario.Result{}, err
}

func okResult() scenario.Result { return scenario.Result{Kind: scenario.ResultOK} }

func countResult(n int) scenario.Result {
	return scenario.Result{Kind: scenario.ResultCount, N: n}
}

func blockedResult() scenario.Result { return scenario.Result{Kind: scenario.ResultBlocked} }

// sortedEvents names poll's revents bits.
func sortedEvents(revents int16) []string {
	var names []string
	for _, b := range []struct {
		bit  int16
		name string
	}{
		{unix.POLLIN, "POLLIN"}, {unix.POLLOUT, "POLLOUT"}, {unix.POLLPRI, "POLLPRI"},
		{unix.POLLRDHUP, "POLLRDHUP"}, {unix.POLLHUP, "POLLHUP"}, {unix.POLLERR, "POLLERR"},
		{unix.POLLNVAL, "POLLNVAL"},
	} {
		if revents&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	slices.Sort(names)
	return names
}
