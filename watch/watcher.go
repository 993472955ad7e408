package watch

import (
	"fmt"
	"slices"
	"time"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/explain"
	"github.com/teardown-net/teardown/observe/kernel"
	"github.com/teardown-net/teardown/observe/ktrace"
	"github.com/teardown-net/teardown/scenario"
)

// Options chooses what a Watcher keeps and adds.
type Options struct {
	// PIDs, when not empty, keeps only events whose owner is one of
	// these processes.
	PIDs []int
	// Explain adds the explain entry and lab scenarios to each record.
	Explain bool
	// Cgroups names cgroup ids; nil uses the hierarchy at Cgroup2Root.
	Cgroups *Cgroups
	// HasReason says whether the kernel gives RST reasons.
	HasReason bool
}

// Watcher turns kernel events into Records. It is not safe for concurrent
// use.
type Watcher struct {
	opt     Options
	pids    map[int]bool
	base    *explain.Base
	errnos  map[int]string      // Linux errno number → explain id
	reasons map[string][]string // RST reason → scenarios expecting it
	cg      *Cgroups
	// paths caches the cgroup paths found: a cgroup's id is never reused
	// for another, and the resolver takes a lock for each look-up.
	paths map[uint64]string
	// wall is the wall-clock time at monotonic time 0.
	wall time.Time
}

// New makes a Watcher.
func New(opt Options) (*Watcher, error) {
	mono, wall := sameInstant()
	base, err := explain.Load()
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	w := &Watcher{opt: opt, base: base, errnos: map[int]string{}, cg: opt.Cgroups, paths: map[uint64]string{}, wall: wall.Add(-mono)}
	if w.cg == nil {
		w.cg = NewCgroups(Cgroup2Root())
	}
	for _, e := range base.Entries {
		if n, ok := e.Numbers[explain.Linux]; ok && n > 0 {
			if _, dup := w.errnos[n]; !dup {
				w.errnos[n] = e.ID
			}
		}
	}
	if len(opt.PIDs) > 0 {
		w.pids = map[int]bool{}
		for _, p := range opt.PIDs {
			w.pids[p] = true
		}
	}
	if opt.Explain {
		scs, err := catalog.Load()
		if err != nil {
			return nil, fmt.Errorf("watch: %w", err)
		}
		w.reasons = reasonScenarios(scs)
	}
	return w, nil
}

// sameInstant reads CLOCK_MONOTONIC, the events' clock, and the wall clock
// at one instant: a wall-clock reading bracketed by two monotonic ones close
// together, since the thread may be descheduled between two readings.
func sameInstant() (time.Duration, time.Time) {
	for try := 0; ; try++ {
		m1 := ktrace.Mono()
		w := time.Now()
		m2 := ktrace.Mono()
		if m2-m1 < 20*time.Microsecond || try == 100 {
			return m1 + (m2-m1)/2, w
		}
	}
}

// reasonScenarios indexes scenarios by the RST reasons they expect.
func reasonScenarios(scs []*scenario.Scenario) map[string][]string {
	m := map[string][]string{}
	for _, sc := range scs {
		for _, st := range sc.Steps {
			if x := st.Expect; x != nil && x.Kind == scenario.ExpectReason && !x.Not {
				if !slices.Contains(m[x.Name], sc.ID) {
					m[x.Name] = append(m[x.Name], sc.ID)
				}
			}
		}
	}
	return m
}

// maxPaths bounds the cgroup paths a Watcher keeps.
const maxPaths = 4096

// cgroupPath returns the path of the cgroup id, "" while unknown.
func (w *Watcher) cgroupPath(id uint64) string {
	if p, ok := w.paths[id]; ok {
		return p
	}
	p := w.cg.Path(id)
	if p != "" {
		if len(w.paths) >= maxPaths {
			clear(w.paths)
		}
		w.paths[id] = p
	}
	return p
}

// Keep reports whether the event passes the filters that run in user space.
func (w *Watcher) Keep(e *kernel.Event) bool {
	return w.pids == nil || (e.Owner.How != kernel.None && w.pids[e.Owner.PID])
}

// Record makes the record of an event.
func (w *Watcher) Record(e *kernel.Event) Record {
	r := Record{
		Schema:   SchemaVersion,
		Time:     w.wall.Add(e.Mono),
		MonoNS:   int64(e.Mono),
		Event:    e.Kind.String(),
		Netns:    e.Netns,
		Local:    e.Local.String(),
		Remote:   e.Remote.String(),
		NoSocket: e.NoSocket,
		Cookie:   e.Cookie,
		CgroupID: e.Cgroup,
		Cgroup:   w.cgroupPath(e.Cgroup),
		Orphan:   e.Orphan,
		OnCPU:    e.OnCPU,
		Owner:    Owner{Attribution: e.Owner.How.String()},
	}
	if !e.NoSocket && e.State != 0 {
		r.State = e.State.String()
	}
	if e.Kind == kernel.StateChange {
		r.OldState = e.OldState.String()
	}
	if e.Queues {
		r.Unread, r.Unacked = &e.Unread, &e.Unacked
	}
	if o := e.Owner; o.How != kernel.None {
		r.Owner.PID, r.Owner.TID, r.Owner.Comm = o.PID, o.TID, o.Comm
		r.Owner.CgroupID, r.Owner.Cgroup, r.Owner.Listener = o.Cgroup, w.cgroupPath(o.Cgroup), o.Listener
	}
	var entry string
	switch e.Kind {
	case kernel.SendReset:
		r.ReasonAvailable = &w.opt.HasReason
		r.Reason = e.Reason
	case kernel.ReceiveReset:
		if e.State != 0 { // 0: unknown (the tracefs fallback)
			r.ErrnoPredicted = w.errnoName(int(kernel.Predicted(e.State)))
		}
		r.ErrnoReported = w.errnoName(int(e.Errno))
		if e.ErrnoPending {
			r.ErrnoReported = Unseen
		}
		entry = r.ErrnoPredicted
	case kernel.SocketError:
		r.Errno = w.errnoName(int(e.Errno))
		entry = r.Errno
	case kernel.Drop:
		r.Reason = e.Reason
	case kernel.Retransmit:
		r.Retransmits = e.Retransmits
		entry = "ETIMEDOUT" // what the application gets if the peer never answers
	}
	if w.opt.Explain {
		r.Explain = w.explain(e, entry)
	}
	return r
}

func (w *Watcher) explain(e *kernel.Event, entry string) *Explain {
	x := &Explain{}
	if e.Kind == kernel.SendReset {
		// A connected peer's application gets ECONNRESET (EPIPE if it
		// had our FIN already); what an RST answering no socket does to
		// its peer depends on the peer's state, which this host cannot
		// see (ECONNREFUSED for a SYN), so no entry is named for it.
		if !e.NoSocket {
			entry = "ECONNRESET"
		}
		x.Scenarios = w.reasons[e.Reason]
	}
	if en, ok := w.base.Entry(entry); ok {
		x.Entry, x.Title = en.ID, en.Title
		if e.Kind != kernel.SendReset {
			x.Scenarios = en.Scenarios
		}
	}
	if x.Entry == "" && len(x.Scenarios) == 0 {
		return nil
	}
	return x
}
