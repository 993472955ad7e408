//go:build darwin || freebsd || linux

package lab

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/teardown-net/teardown/lab/internal/portable"
	"github.com/teardown-net/teardown/scenario"
)

// portableEnv runs scenarios with the portable runner (lab/internal/portable):
// the only runner on macOS and FreeBSD, and Options.Portable on Linux.
type portableEnv struct {
	kernel string
	limits []string
	// capture: a capture on loopback could be opened (as root), so each
	// run captures its packets.
	capture bool
}

// portableLimits is what the portable runner cannot observe, said once
// per lab as the unprivileged Linux mode says its own.
var portableLimits = []string{
	"portable runner: runs one at a time on loopback in this host's network namespace, with ephemeral ports",
	"portable runner: no kernel tracing: RST reason checks are left unchecked",
	"portable runner: TCP states are read through each socket's own descriptor (TCP_INFO; TCP_CONNECTION_INFO on macOS): closed sockets and netstat's queues are not seen, and checks of them are left unchecked",
	"portable runner: scenarios with hosts, faults, sysctl, inject, async, interrupt, epoll or fastopen are skipped",
}

func newPortable(opts Options) (*portableEnv, error) {
	p := &portableEnv{kernel: portable.Kernel(), limits: slices.Clip(portableLimits)}
	// Packets are captured where a capture opens: as root. Trying once
	// says so for the whole lab.
	if w, err := openPortableWire(); err == nil {
		w.close()
		p.capture = true
	} else {
		p.limits = append(p.limits, fmt.Sprintf("portable runner: no packet capture (%v): wire checks are left unchecked", err))
	}
	if opts.PcapDir != "" && !p.capture {
		p.limits = append(p.limits, "portable runner: no pcap files are written, as nothing is captured")
	}
	return p, nil
}

func (p *portableEnv) describe() Env {
	return Env{OS: runtime.GOOS, Kernel: p.kernel, Portable: true, Capture: p.capture}
}

func (p *portableEnv) run(ctx context.Context, j Job, opts Options, rec *Record) error {
	if why := portable.Refusal(j.Scenario, j.Transport); why != "" {
		rec.Verdict, rec.Skip = Skipped, why
		return nil
	}
	if err := portable.Probe(j.Transport); err != nil {
		rec.Verdict, rec.Skip = Skipped, fmt.Sprintf("%s on %s: %v", j.Transport, runtime.GOOS, err)
		return nil
	}
	limit := j.Scenario.Limit
	if opts.Limit > 0 {
		limit = opts.Limit
	}
	if limit <= 0 {
		limit = scenario.DefaultLimit
	}
	r, err := portable.New(j.Transport, limit)
	if err != nil {
		return err
	}
	defer r.Close()
	pr := &portableRun{r: r, rec: rec, settle: opts.settle(), ctx: ctx, t: j.Transport}
	if p.capture && j.Transport.IsTCP() {
		w, err := openPortableWire()
		if err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		defer func() { rec.Limits = append(rec.Limits, w.limits()...); w.close() }()
		pr.wire = w
		if opts.PcapDir != "" {
			path := filepath.Join(opts.PcapDir, strings.ReplaceAll(rec.Scenario, "/", "_")+"."+string(j.Transport)+".pcapng")
			if err := w.record(path); err != nil {
				return err
			}
			rec.Pcap = path
		}
	}
	st := Step{Kind: StepSetup, Text: "setup " + string(j.Scenario.Setup), Start: time.Now()}
	if err := r.Setup(j.Scenario.Setup, pr.follow); err != nil {
		return fmt.Errorf("setup %s: %w", j.Scenario.Setup, err)
	}
	pr.observe(&st)
	rec.Steps = append(rec.Steps, st)
	for _, s := range j.Scenario.Steps {
		if ctx.Err() != nil {
			return fmt.Errorf("run stopped: %w", ctx.Err())
		}
		if err := pr.step(s); err != nil {
			return fmt.Errorf("%s: %w", s.Pos, err)
		}
	}
	return nil
}

// portableRun turns one portable run's calls and observations into steps
// of the record.
type portableRun struct {
	r      *portable.Run
	rec    *Record
	settle time.Duration
	ctx    context.Context
	t      scenario.Transport
	// wire is the run's capture, nil without one.
	wire *portableWire
}

func (pr *portableRun) step(s scenario.Step) error {
	st := Step{Line: s.Pos.Line, Text: s.Text, Start: time.Now()}
	switch {
	case s.Op != nil:
		st.Kind, st.Actor, st.Op = StepOp, s.Op.Actor, s.Op.Kind
	case s.Expect != nil:
		st.Kind = StepExpect
	default:
		// Refusal leaves sleeps alone of the other statements.
		st.Kind = StepSleep
	}
	switch {
	case !s.Guard.Has(pr.t):
		st.Skip = true
	case s.Expect != nil:
		// Compare checks it against the step before it.
	case s.Op != nil:
		pr.follow()
		out, err := pr.r.Do(s.Op)
		if err != nil {
			return err
		}
		st.Took = time.Since(st.Start)
		st.Result, st.Moved, st.Data = &out.Result, out.Moved, out.Data
		pr.observe(&st)
	default:
		t := time.NewTimer(s.Sleep)
		select {
		case <-t.C:
		case <-pr.ctx.Done():
			t.Stop()
		}
		st.Took = time.Since(st.Start)
		pr.observe(&st)
	}
	pr.rec.Steps = append(pr.rec.Steps, st)
	return nil
}

// follow has the capture, if any, keep only the ports of the run's
// sockets so far (portableWire.follow).
func (pr *portableRun) follow() {
	if pr.wire == nil {
		return
	}
	if err := pr.wire.follow(portableTable(pr.r.Addrs())); err != nil {
		pr.rec.Limits = append(pr.rec.Limits, fmt.Sprintf("capture: %v", err))
	}
}

// observe waits for the run's descriptors, and its wire when captured, to
// settle, and records what they show: the packets seen during the step and
// until then are the step's. Events stay nil: nothing was traced.
func (pr *portableRun) observe(st *Step) {
	if pr.wire == nil {
		st.Unsettled = !pr.r.Settle(pr.settle)
	} else {
		st.Unsettled = !pr.settleWire(st)
	}
	if states := pr.r.States(); states != nil {
		st.Sockets = []SockState{}
		for _, s := range states {
			st.Sockets = append(st.Sockets, SockState{Actor: s.Actor, State: s.State.String(), Unsure: s.Unsure})
		}
	}
	for _, u := range pr.r.Unreads() {
		st.Unread = append(st.Unread, Unread{Actor: u.Actor, Bytes: u.Bytes})
	}
}

// settleWire waits, up to the settle bound, until the descriptors have
// settled and none of the run's packets has been captured for quietFor,
// and moves the packets captured meanwhile into the step. Quiet is
// measured from the last packet's capture time, so that a step whose
// packets came while the descriptors settled waits no longer for them. It
// reports false when the bound ran out first.
func (pr *portableRun) settleWire(st *Step) bool {
	w := pr.wire
	st.Packets, w.early = append([]Packet{}, w.early...), nil
	w.label = st.Text
	if st.Line > 0 {
		w.label = fmt.Sprintf("line %d: %s", st.Line, st.Text)
	}
	fail := func(err error) bool {
		pr.rec.Limits = append(pr.rec.Limits, fmt.Sprintf("capture: %v", err))
		return false
	}
	deadline := time.Now().Add(pr.settle)
	for {
		settled := pr.r.Settle(max(time.Until(deadline), 0))
		// Addresses are read after the step, so that a connect's port
		// is known before its packets are sorted.
		tab := portableTable(pr.r.Addrs())
		if _, err := w.drain(tab, &st.Packets); err != nil {
			return fail(err)
		}
		if !settled || pr.ctx.Err() != nil {
			return false
		}
		// Wait out the rest of the quiet time; Wait wakes on any
		// process's packet, of which only the run's count.
		fresh := 0
		for quiet := w.last.Add(quietFor); fresh == 0 && time.Now().Before(quiet); {
			if time.Now().After(deadline) {
				return false
			}
			if _, err := w.cap.Wait(min(time.Until(quiet), time.Until(deadline))); err != nil {
				return fail(err)
			}
			n, err := w.drain(tab, &st.Packets)
			if err != nil {
				return fail(err)
			}
			fresh = n
		}
		if fresh == 0 {
			return true
		}
	}
}
