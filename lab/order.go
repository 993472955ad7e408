package lab

import (
	"cmp"
	"slices"
	"time"

	"github.com/teardown-net/teardown/scenario"
)

// startOrder is the order in which Run starts the jobs: those that wait on
// kernel timers of a second or more (scenarios marked slow) first, then the
// others by their span (see span), longest first, and among equal spans
// those that build a network of hosts before the rest, each group in the
// jobs' order. With the longest runs started first they overlap all the
// others instead of starting last and holding up the end: a catalog's wall
// time is then close to its longest run, or to its total work divided by
// the runs at once, whichever is more.
func startOrder(jobs []Job) []int {
	spans := make([]time.Duration, len(jobs))
	for i, j := range jobs {
		spans[i] = span(j.Scenario)
	}
	slow := func(i int) bool { return jobs[i].Scenario.Slow != "" }
	netted := func(i int) bool {
		n := jobs[i].Scenario.Net
		return n == scenario.NetDirect || n == scenario.NetRouted
	}
	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(
			trueFirst(slow(a), slow(b)),
			cmp.Compare(spans[b], spans[a]),
			trueFirst(netted(a), netted(b)),
		)
	})
	return order
}

// trueFirst orders true before false.
func trueFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// span is how long a run of sc may take by the times its script sets
// itself: its sleeps, the timeouts of its calls and signals, the longest
// timer it sets on a socket (a connection given a user timeout of 400ms
// waits about that long for it to fire), and the step limit for each call
// it makes in the background, which runs until it returns or the limit
// ends it. It is read from the script's statements only, never from its
// expectations, and orders runs: it judges nothing. Linger times are left
// out: a lingering close returns as soon as its data is acknowledged.
func span(sc *scenario.Scenario) time.Duration {
	var d, timer time.Duration
	for _, st := range sc.Steps {
		d += st.Sleep
		op := st.Op
		if op == nil {
			continue
		}
		d += op.Timeout + op.Interrupt
		if op.Async {
			d += sc.Limit
		}
		if op.Kind == scenario.OpSetsockopt {
			timer = max(timer, optionTime(op.Option, op.Value))
		}
	}
	return d + timer
}

// optionTime is the time a socket option's value stands for, in the units
// scenario.Options gives them, or 0 for an option that is not a timer.
func optionTime(name string, v int) time.Duration {
	switch name {
	case "TCP_USER_TIMEOUT", "SO_RCVTIMEO", "SO_SNDTIMEO":
		return time.Duration(v) * time.Millisecond
	case "TCP_LINGER2", "TCP_KEEPIDLE", "TCP_KEEPINTVL":
		return time.Duration(v) * time.Second
	}
	return 0
}
