package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Targets the issues set for teardown proxy.
const (
	targetThroughputRatio  = 3.0   // teardown/toxiproxy, no toxics
	targetThroughputDirect = 0.5   // teardown/direct, no toxics
	targetLatencyRatio     = 1.0   // teardown/toxiproxy, under the latency toxic
	targetOverhead         = 20e-6 // median round-trip overhead, seconds
	targetFDs              = 6.0   // descriptors per connection, to be fewer than
)

// quantile returns the q-quantile of xs (nearest rank), NaN for no samples.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// median returns the middle of xs, the mean of the two middle values for an
// even count, NaN for no samples.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func durations(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// cell formats the median of xs with its range, scaled by unit.
func cell(xs []float64, unit float64, prec int) string {
	if len(xs) == 0 {
		return "—"
	}
	f := func(v float64) string { return fmt.Sprintf("%.*f", prec, v/unit) }
	if len(xs) == 1 {
		return f(xs[0])
	}
	return fmt.Sprintf("%s (%s–%s)", f(median(xs)), f(slices.Min(xs)), f(slices.Max(xs)))
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// pairedRatio is ratio of the medians followed by the range of the ratios
// of values measured in the same round, which shows how much the ratio
// itself moved with the machine's load.
func pairedRatio(a, b []float64) string {
	r := ratio(median(a), median(b))
	n := min(len(a), len(b))
	if n < 2 {
		return r
	}
	rs := make([]float64, n)
	for i := range n {
		rs[i] = a[i] / b[i]
	}
	return fmt.Sprintf("%s (%.2f–%.2f)", r, slices.Min(rs), slices.Max(rs))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// writeReport writes the Markdown report. about describes the run: the
// versions of the proxies ("teardown", "toxiproxy"), what they were built
// from ("teardown build", "toxiproxy build") and the machine's "load".
func writeReport(w io.Writer, c config, paths []*path, about map[string]string) {
	byName := map[string]*path{}
	for _, p := range paths {
		byName[p.name] = p
	}
	direct := byName["direct"]
	names := []string{"direct", "teardown", "toxiproxy"}
	get := func(name string) *path {
		if p, ok := byName[name]; ok {
			return p
		}
		return &path{name: name}
	}
	// overheads returns, per round, the median round trip through p minus
	// the median direct one of the same round.
	overheads := func(p *path) []float64 {
		var out []float64
		for i := range min(len(p.rttRound), len(direct.rttRound)) {
			out = append(out, p.rttRound[i]-direct.rttRound[i])
		}
		return out
	}
	busyOverheads := func(p *path) []float64 {
		var out []float64
		for i := range min(len(p.rttBusyRound), len(direct.rttBusyRound)) {
			out = append(out, p.rttBusyRound[i]-direct.rttBusyRound[i])
		}
		return out
	}
	pooled := func(p *path, q float64) float64 { return quantile(durations(p.rtt), q) }
	pooledOverhead := func(p *path, q float64) float64 {
		if len(p.rtt) == 0 {
			return math.NaN()
		}
		return pooled(p, q) - pooled(direct, q)
	}
	td, tx := get("teardown"), get("toxiproxy")

	fmt.Fprintf(w, "Measured %s on %s; one-minute load average %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), machine(), about["load"])
	fmt.Fprintf(w, "teardown %s%s; ", orNone(about["teardown"]), built(about["teardown build"]))
	if len(tx.tput1) == 0 && len(tx.toxic) == 0 {
		fmt.Fprintf(w, "Toxiproxy not measured (TOXIPROXY_SERVER not set).\n\n")
	} else {
		fmt.Fprintf(w, "toxiproxy-server %s%s, LOG_LEVEL=warn.\n\n", about["toxiproxy"], built(about["toxiproxy build"]))
	}
	cmd := "go run ./bench/proxy"
	if (len(tx.tput1) > 0 || len(tx.toxic) > 0) && !slices.ContainsFunc(c.args, func(a string) bool { return strings.Contains(a, "-toxiproxy") }) {
		cmd = "TOXIPROXY_SERVER=... " + cmd
	}
	if len(c.args) > 0 {
		cmd += " " + strings.Join(c.args, " ")
	}
	fmt.Fprintf(w, "Command: `%s`.\n", cmd)
	if c.only == onlyToxicCalls {
		fmt.Fprintln(w)
		writeToxicCalls(w, c, td, tx)
		return
	}
	fmt.Fprintf(w, "Settings: %s per throughput measurement (%s under a %d ms latency toxic on the upstream stream), %d rounds; %d round trips of %d B per path and round; %d connections held, %d load rounds.\n",
		sizeString(c.size), sizeString(c.latSize), c.latency, c.rounds, c.rttN, c.rttSize, c.conns, c.loadRound)
	fmt.Fprintf(w, "Cells show the median and, in parentheses, the range over rounds; a ratio's range is that of the ratios within each round.\n\n")

	fmt.Fprintf(w, "| measurement | %s | teardown / toxiproxy |\n", strings.Join(names, " | "))
	fmt.Fprintf(w, "|---|%s---:|\n", strings.Repeat("---:|", len(names)))
	row := func(label string, f func(p *path) string, r string) {
		cells := make([]string, len(names))
		for i, n := range names {
			cells[i] = f(get(n))
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", label, strings.Join(cells, " | "), r)
	}
	med := median
	row("throughput, 1 connection, MB/s", func(p *path) string { return cell(p.tput1, 1e6, 0) },
		pairedRatio(td.tput1, tx.tput1))
	row(fmt.Sprintf("throughput, %d connections, MB/s", c.parallel), func(p *path) string { return cell(p.tputN, 1e6, 0) },
		pairedRatio(td.tputN, tx.tputN))
	row(fmt.Sprintf("throughput, 1 connection, %d ms latency toxic, MB/s", c.latency), func(p *path) string {
		if p == direct {
			return "—"
		}
		return cell(p.tputLat, 1e6, 1)
	}, pairedRatio(td.tputLat, tx.tputLat))
	row(fmt.Sprintf("round trip %d B, median, µs", c.rttSize), func(p *path) string { return cell(p.rttRound, 1e-6, 1) },
		pairedRatio(td.rttRound, tx.rttRound))
	row("round trip, median overhead vs direct, µs", func(p *path) string {
		if p == direct {
			return "—"
		}
		return cell(overheads(p), 1e-6, 1)
	}, pairedRatio(overheads(td), overheads(tx)))
	row("round trip, p99 (all rounds), µs", func(p *path) string {
		if len(p.rtt) == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f", pooled(p, 0.99)*1e6)
	}, ratio(pooled(td, 0.99), pooled(tx, 0.99)))
	row("round trip, p99 overhead vs direct, µs", func(p *path) string {
		if p == direct || len(p.rtt) == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f", pooledOverhead(p, 0.99)*1e6)
	}, ratio(pooledOverhead(td, 0.99), pooledOverhead(tx, 0.99)))
	row("round trip, one CPU busy, median, µs", func(p *path) string { return cell(p.rttBusyRound, 1e-6, 1) },
		pairedRatio(td.rttBusyRound, tx.rttBusyRound))
	row("round trip, one CPU busy, median overhead, µs", func(p *path) string {
		if p == direct {
			return "—"
		}
		return cell(busyOverheads(p), 1e-6, 1)
	}, pairedRatio(busyOverheads(td), busyOverheads(tx)))
	loads := func(p *path, f func(loadResult) float64) []float64 {
		var out []float64
		for _, l := range p.load {
			if v := f(l); v >= 0 {
				out = append(out, v)
			}
		}
		return out
	}
	rssPer := func(l loadResult) float64 { return l.rssPerConn() }
	fdsPer := func(l loadResult) float64 { return l.fdsPerConn() }
	gorPer := func(l loadResult) float64 { return l.goroutinesPerConn() }
	row(fmt.Sprintf("memory per connection, %d held, KiB RSS", c.conns), func(p *path) string { return cell(loads(p, rssPer), 1024, 1) },
		ratio(med(loads(td, rssPer)), med(loads(tx, rssPer))))
	row("file descriptors per connection", func(p *path) string { return cell(loads(p, fdsPer), 1, 2) },
		ratio(med(loads(td, fdsPer)), med(loads(tx, fdsPer))))
	goroutines := func(p *path) []float64 {
		if g := loads(p, gorPer); len(g) > 0 {
			return g
		}
		if p.goroutinesInProcess >= 0 && len(p.load) > 0 {
			return []float64{p.goroutinesInProcess}
		}
		return nil
	}
	footnote := false
	row("goroutines per connection", func(p *path) string {
		if len(loads(p, gorPer)) == 0 && len(goroutines(p)) > 0 {
			footnote = true
			return cell(goroutines(p), 1, 2) + " ¹"
		}
		return cell(goroutines(p), 1, 2)
	}, ratio(med(goroutines(td)), med(goroutines(tx))))
	fmt.Fprintln(w)
	if footnote {
		fmt.Fprintf(w, "¹ counted in the harness's own process, which ran the proxy in-process for this: the child process does not report its goroutines.\n\n")
	}

	writeFloor(w, c, get, overheads, busyOverheads)

	for _, t := range []struct {
		label      string
		td, direct []float64
	}{{"1 connection", td.tput1, direct.tput1}, {fmt.Sprintf("%d connections", c.parallel), td.tputN, direct.tputN}} {
		r := med(t.td) / med(t.direct)
		fmt.Fprintf(w, "- Throughput with no toxics, %s: teardown is %.0f%% of direct (target ≥ %.0f%%): %s.\n",
			t.label, 100*r, 100*targetThroughputDirect, verdict(r >= targetThroughputDirect))
	}
	for _, t := range []struct {
		label string
		o     []float64
	}{{"", overheads(td)}, {", one CPU busy", busyOverheads(td)}} {
		o := med(t.o)
		fmt.Fprintf(w, "- Median round-trip overhead%s: teardown %.1f µs (target ≤ %.0f µs): %s.\n",
			t.label, o*1e6, targetOverhead*1e6, verdict(o <= targetOverhead))
	}
	if fb, fs := get(forwarderName(forwardBlock)), get(forwarderName(forwardSpin)); len(fb.rttRound) > 0 && len(fs.rttRound) > 0 {
		fmt.Fprintf(w, "- The least a proxy process added to a round trip here: %.1f µs through the blocking forwarder, %.1f µs through the spinning one (one CPU busy: %.1f and %.1f µs); teardown's overhead minus the blocking forwarder's: %+.1f µs (one CPU busy: %+.1f µs).\n",
			med(overheads(fb))*1e6, med(overheads(fs))*1e6, med(busyOverheads(fb))*1e6, med(busyOverheads(fs))*1e6,
			(med(overheads(td))-med(overheads(fb)))*1e6, (med(busyOverheads(td))-med(busyOverheads(fb)))*1e6)
	}
	if fds := med(loads(td, fdsPer)); !math.IsNaN(fds) {
		fmt.Fprintf(w, "- File descriptors per connection: teardown %.2f (target < %.0f): %s.\n", fds, targetFDs, verdict(fds < targetFDs))
	}
	if len(tx.tput1) == 0 {
		fmt.Fprintf(w, "\nTargets against Toxiproxy not checked: it was not measured.\n")
	} else {
		for _, t := range []struct {
			label  string
			td, tx []float64
			target float64
		}{
			{"with no toxics, 1 connection", td.tput1, tx.tput1, targetThroughputRatio},
			{fmt.Sprintf("with no toxics, %d connections", c.parallel), td.tputN, tx.tputN, targetThroughputRatio},
			{fmt.Sprintf("under a %d ms latency toxic, 1 connection", c.latency), td.tputLat, tx.tputLat, targetLatencyRatio},
		} {
			r := med(t.td) / med(t.tx)
			fmt.Fprintf(w, "- Throughput %s: teardown is %.2f× Toxiproxy (target ≥ %.0f×): %s.\n",
				t.label, r, t.target, verdict(r >= t.target))
		}
	}
	fmt.Fprintln(w)
	writeToxicCalls(w, c, td, tx)
}

// writeToxicCalls writes how long toxic API calls took on each proxy while
// its connections were busy; nothing if the measurement was not taken.
func writeToxicCalls(w io.Writer, c config, td, tx *path) {
	if len(td.toxic) == 0 && len(tx.toxic) == 0 {
		return
	}
	load := fmt.Sprintf("%s at a time as fast as it can", sizeString(c.toxicWrite))
	if c.toxicPace > 0 {
		rate := float64(c.toxicConns) * float64(c.toxicWrite) / c.toxicPace.Seconds()
		load = fmt.Sprintf("%s every %v (at most %.0f MB/s each way in all)", sizeString(c.toxicWrite), c.toxicPace, rate/1e6)
	}
	fmt.Fprintf(w, "Toxic calls on live connections: %d connections through each proxy to the echo server, each writing %s and reading the echo back, while the harness adds a 1 ms latency toxic to the downstream stream, changes it to 2 ms and removes it, every %v for %v; %d rounds, each on a fresh proxy process. Cells show the median and range over rounds of each round's figure.\n\n",
		c.toxicConns, load, toxicInterval, c.toxicDur, c.toxicRounds)
	fmt.Fprintf(w, "| toxic calls, %d busy connections | teardown | toxiproxy | teardown / toxiproxy |\n", c.toxicConns)
	fmt.Fprintf(w, "|---|---:|---:|---:|\n")
	row := func(label string, f func(toxicResult) float64, unit float64, prec int) {
		per := func(p *path) []float64 {
			var out []float64
			for _, r := range p.toxic {
				out = append(out, f(r))
			}
			return out
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", label, cell(per(td), unit, prec), cell(per(tx), unit, prec), pairedRatio(per(td), per(tx)))
	}
	row("call time, median, ms", toxicResult.median, 1e-3, 2)
	row("call time, p90, ms", func(r toxicResult) float64 { return r.quantile(0.9) }, 1e-3, 2)
	row("call time, max, ms", func(r toxicResult) float64 { return r.quantile(1) }, 1e-3, 2)
	row("calls", func(r toxicResult) float64 { return float64(len(r.calls)) }, 1, 0)
	row("MB echoed", func(r toxicResult) float64 { return float64(r.echoed) }, 1e6, 0)
	fmt.Fprintln(w)
}

// writeFloor writes the round trips of the forwarders, which show what a
// proxy process costs at least, beside teardown's; nothing if none ran.
func writeFloor(w io.Writer, c config, get func(string) *path, overheads, busyOverheads func(*path) []float64) {
	fb, fs := get(forwarderName(forwardBlock)), get(forwarderName(forwardSpin))
	if len(fb.rttRound) == 0 && len(fs.rttRound) == 0 {
		return
	}
	cols := []*path{get("direct"), get("teardown"), get("toxiproxy"), fb, fs}
	fmt.Fprintf(w, "The least a proxy process can add: round trips through two forwarders that only move bytes, measured in the same rounds (see \"What it measures\").\n\n")
	fmt.Fprintf(w, "| round trip %d B | direct | teardown | toxiproxy | %s | %s |\n", c.rttSize, fb.name, fs.name)
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|\n")
	row := func(label string, f func(p *path) []float64, unit float64, prec int) {
		cells := make([]string, len(cols))
		for i, p := range cols {
			cells[i] = cell(f(p), unit, prec)
		}
		fmt.Fprintf(w, "| %s | %s |\n", label, strings.Join(cells, " | "))
	}
	noDirect := func(f func(*path) []float64) func(*path) []float64 {
		return func(p *path) []float64 {
			if p == cols[0] {
				return nil // shown as "—"
			}
			return f(p)
		}
	}
	row("median, µs", func(p *path) []float64 { return p.rttRound }, 1e-6, 1)
	row("median overhead vs direct, µs", noDirect(overheads), 1e-6, 1)
	row("one CPU busy, median, µs", func(p *path) []float64 { return p.rttBusyRound }, 1e-6, 1)
	row("one CPU busy, median overhead, µs", noDirect(busyOverheads), 1e-6, 1)
	row("context switches per round trip, harness (client and upstream)", func(p *path) []float64 { return p.harnessSwitches }, 1, 2)
	row("context switches per round trip, proxy process", func(p *path) []float64 { return p.proxySwitches }, 1, 2)
	fmt.Fprintln(w)
}

func built(rev string) string {
	if rev == "" {
		return ""
	}
	return ", built from " + rev
}

func orNone(s string) string {
	if s == "" {
		return "(version unknown)"
	}
	return s
}

func sizeString(n int64) string {
	switch {
	case n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// machine describes the computer the figures come from.
func machine() string {
	return fmt.Sprintf("%s, %d CPUs, %s/%s %s, %s", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, kernelRelease(), runtime.Version())
}
