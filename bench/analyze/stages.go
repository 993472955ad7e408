package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/teardown-net/teardown/analyze"
	"github.com/teardown-net/teardown/observe/wire"
)

// A stage is a part of what teardown analyze does to a capture, run in this
// process: each includes the ones before it, so that their differences are
// the cost of each part.
type stage struct {
	name string
	// track and json say whether records go to a Tracker, and whether its
	// connections are written as JSON.
	track, json bool
}

var stages = []stage{
	{name: "read and decode (wire.Reader)"},
	{name: "+ follow connections (analyze.Tracker)", track: true},
	{name: "+ write JSON", track: true, json: true},
}

// runStages runs each stage on file rounds times, taking turns, on one
// core, and writes the median CPU time of each and its cost per packet.
func runStages(w io.Writer, file string, pkts, rounds int) error {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	res := make([][]time.Duration, len(stages))
	for range rounds {
		for i, s := range stages {
			before := cpuTime()
			if err := runStage(file, s); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			res[i] = append(res[i], cpuTime()-before)
		}
	}
	fmt.Fprintln(w, "| stage (in one process, one core) | CPU s | ns per packet | of which this stage |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	var prev float64
	for i, s := range stages {
		d := medianDuration(res[i])
		ns := float64(d.Nanoseconds()) / float64(pkts)
		fmt.Fprintf(w, "| %s | %.2f | %.0f | %.0f |\n", s.name, d.Seconds(), ns, ns-prev)
		prev = ns
	}
	return nil
}

func runStage(file string, s stage) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := wire.NewReader(f)
	if err != nil {
		return err
	}
	defer r.Close()
	out := bufio.NewWriterSize(io.Discard, 1<<16)
	var werr error
	var tr *analyze.Tracker
	if s.track {
		tr = analyze.NewTracker(analyze.Options{}, func(c *analyze.Conn) {
			if s.json {
				if err := analyze.WriteJSON(out, c); err != nil && werr == nil {
					werr = err
				}
			}
		})
	}
	// As teardown analyze reads.
	r.Each(func(rec *wire.Record) bool {
		if tr != nil {
			tr.Add(rec)
		}
		return true
	})
	if tr != nil {
		tr.Close()
	}
	if werr == nil {
		werr = out.Flush()
	}
	return werr
}

func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
