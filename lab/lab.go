// Package lab runs scenarios for real on the kernel and records what
// happened: each call's result, the packets on the wire, the TCP states of
// every socket and the kernel's own account of the resets it sent.
//
// Data flows one way: a scenario.Scenario goes in, a Record comes out, and
// the Record is compared with the scenario's expectations afterwards. The
// runner never copies an expectation into a result.
package lab

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/teardown-net/teardown/scenario"
)

// Options control how runs take place.
type Options struct {
	// Parallel is how many runs take place at once (default 16×GOMAXPROCS:
	// a TCP run spends most of its time waiting for the kernel's timers,
	// such as the 40ms delayed ACK of a FIN, not on a CPU).
	Parallel int
	// Limit overrides every scenario's per-step block limit when > 0.
	Limit time.Duration
	// Settle bounds how long the runner waits, after each step, for the
	// kernel to finish reacting (default 1s).
	Settle time.Duration
	// PcapDir, when set, receives one pcapng file per TCP run: its TCP
	// packets and ICMP errors, the first packet of each step with the
	// step as a comment.
	PcapDir string
	// NoIsolation runs on loopback in the current network namespace even
	// when namespaces are available.
	NoIsolation bool
	// Portable runs with the portable runner, the one macOS and FreeBSD
	// have, on Linux too: one run at a time, on loopback, without
	// namespaces, capture or tracing (see Limits).
	Portable bool
}

func (o Options) parallel() int {
	if o.Parallel > 0 {
		return o.Parallel
	}
	return 16 * runtime.GOMAXPROCS(0)
}

func (o Options) settle() time.Duration {
	if o.Settle > 0 {
		return o.Settle
	}
	return time.Second
}

// Job is one scenario to run on one transport.
type Job struct {
	Scenario  *scenario.Scenario
	Transport scenario.Transport
}

// Plan lists the jobs for the scenarios, on each transport they declare,
// restricted to the transports in only when only is not empty.
func Plan(scs []*scenario.Scenario, only []scenario.Transport) []Job {
	var jobs []Job
	for _, sc := range scs {
		for _, t := range sc.On {
			if len(only) > 0 && !scenario.Guard(only).Has(t) {
				continue
			}
			jobs = append(jobs, Job{Scenario: sc, Transport: t})
		}
	}
	return jobs
}

// ErrUnsupported is returned on systems where the runner cannot run
// scenarios.
var ErrUnsupported = errors.New("the lab runner works on Linux, macOS and FreeBSD only")

// Lab runs jobs. It holds what runs share: the kernel tracer and what the
// environment allows.
type Lab struct {
	opts Options
	env  *environment
	// port is the portable runner's environment, which runs the jobs in
	// place of env when set.
	port *portableEnv
}

// New prepares a lab: it checks what this process may do (namespaces,
// capture, tracing, open files) and says so in Limits. It raises the
// open-file limit to the hard limit and runs no more at once than the
// descriptors left allow.
//
// On macOS and FreeBSD, and on Linux with Options.Portable, it prepares the
// portable runner instead, which runs one job at a time.
func New(opts Options) (*Lab, error) {
	if opts.Portable || runtime.GOOS != "linux" {
		p, err := newPortable(opts)
		if err != nil {
			return nil, err
		}
		opts.Parallel = 1
		return &Lab{opts: opts, port: p}, nil
	}
	env, err := newEnvironment(opts)
	if err != nil {
		return nil, err
	}
	opts.Parallel = env.fitParallel(opts.parallel())
	return &Lab{opts: opts, env: env}, nil
}

// Limits says what this lab cannot observe here, and why.
func (l *Lab) Limits() []string {
	if l.port != nil {
		return l.port.limits
	}
	return l.env.limits
}

// Close releases what the lab holds (the tracing instance).
func (l *Lab) Close() error {
	if l.port != nil {
		return nil
	}
	return l.env.close()
}

// Run runs the jobs, Options.Parallel at a time, and returns their records
// in the order of jobs. Cancelling ctx ends the runs early: a blocked call
// ends at once and its run stops before its next step; every socket,
// file and namespace they made is released before Run returns.
func (l *Lab) Run(ctx context.Context, jobs []Job) []*Record {
	recs := make([]*Record, len(jobs))
	sem := make(chan struct{}, l.opts.parallel())
	var wg sync.WaitGroup
	for _, i := range startOrder(jobs) {
		j := jobs[i]
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			recs[i] = skipped(j, "cancelled")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			recs[i] = l.runOne(ctx, j)
		}()
	}
	wg.Wait()
	if l.env != nil {
		l.env.released()
	}
	return recs
}

func (l *Lab) runOne(ctx context.Context, j Job) *Record {
	rec := newRecord(j)
	var err error
	if l.port != nil {
		rec.Env = l.port.describe()
		err = l.port.run(ctx, j, l.opts, rec)
	} else {
		rec.Env = l.env.describe()
		err = l.env.run(ctx, j, l.opts, rec)
	}
	if err != nil {
		rec.Error = err.Error()
	}
	rec.Duration = time.Since(rec.Start)
	Compare(j.Scenario, rec)
	return rec
}

func newRecord(j Job) *Record {
	return &Record{
		Scenario:  j.Scenario.ID,
		Title:     j.Scenario.Title,
		Notes:     j.Scenario.Notes,
		File:      j.Scenario.File,
		Sources:   j.Scenario.Source,
		Transport: j.Transport,
		Start:     time.Now(),
	}
}

func skipped(j Job, why string) *Record {
	rec := newRecord(j)
	rec.Verdict, rec.Skip = Skipped, why
	return rec
}
