// Command analyze measures teardown analyze side by side with
// "tshark -q -z conv,tcp" and "tcptrace -l" on one generated capture: the
// packets each reads per second of CPU time (teardown with GOMAXPROCS=1, so
// on one core) and per second of wall time, and the peak resident memory of
// each process.
//
// The capture is Ethernet/IPv4 pcap written by the command itself: many
// connections open at once, interleaved as on a busy server, most ending
// with FINs and the rest by RST, refusal, SYN timeout, or still open. Tools
// that are not installed (Debian packages tshark, tcptrace) are left out.
//
//	go run ./bench/analyze                 # a 1 GB capture
//	go run ./bench/analyze -size 200MB -rounds 3
//	go run ./bench/analyze -stages          # and the cost of each part
//	go run ./bench/analyze -file my.pcap    # on a capture of your own
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type tool struct {
	name string
	args []string
	env  []string
}

type result struct {
	wall, cpu time.Duration
	rss       int64 // bytes
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "1GB", "size of the generated capture (e.g. 200MB, 1GB)")
	open := fs.Int("open", 1000, "connections open at once in the capture")
	rounds := fs.Int("rounds", 5, "runs of each tool, taking turns; the median and the best are shown")
	keep := fs.String("keep", "", "write the capture to this file and keep it")
	given := fs.String("file", "", "measure on this pcap or pcapng capture instead of a generated one (-size, -open and -keep then do nothing)")
	withStages := fs.Bool("stages", false, "also time the parts of teardown analyze (read and decode, follow connections, write JSON) in this process, one core, and show the cost of each per packet")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./bench/analyze [flags] > report.md\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	bytes, err := parseSize(*size)
	if err != nil || *open < 1 || *rounds < 1 {
		fmt.Fprintf(stderr, "bench/analyze: -size %q, -open %d, -rounds %d: want a size such as 1GB and counts of at least 1\n", *size, *open, *rounds)
		return 2
	}
	dir, err := os.MkdirTemp("", "bench-analyze-")
	if err != nil {
		fmt.Fprintln(stderr, "bench/analyze:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "bench.pcap")
	if *keep != "" {
		file = *keep
	}
	var pkts int
	what := fmt.Sprintf("%d connections open at once", *open)
	if *given != "" {
		file = *given
		if pkts, err = countPackets(file); err != nil {
			fmt.Fprintln(stderr, "bench/analyze:", err)
			return 1
		}
		what = filepath.Base(file)
	} else {
		fmt.Fprintf(stderr, "generating %s ...\n", *size)
		if pkts, err = generateFile(file, bytes, *open); err != nil {
			fmt.Fprintln(stderr, "bench/analyze: write capture:", err)
			return 1
		}
	}
	st, _ := os.Stat(file)
	bin := filepath.Join(dir, "teardown")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/teardown-net/teardown/cmd/teardown").CombinedOutput(); err != nil {
		fmt.Fprintf(stderr, "bench/analyze: go build: %v\n%s", err, out)
		return 1
	}
	tools := []tool{{name: "teardown analyze --json", args: []string{bin, "analyze", "--json", file}, env: []string{"GOMAXPROCS=1"}}}
	if p, err := exec.LookPath("tshark"); err == nil {
		tools = append(tools, tool{name: "tshark -q -z conv,tcp", args: []string{p, "-q", "-z", "conv,tcp", "-r", file}})
	}
	if p, err := exec.LookPath("tcptrace"); err == nil {
		tools = append(tools, tool{name: "tcptrace -l", args: []string{p, "-l", file}})
	}
	res := make([][]result, len(tools))
	for r := range *rounds {
		for i := range tools {
			t := tools[(i+r)%len(tools)]
			fmt.Fprintf(stderr, "round %d: %s\n", r+1, t.name)
			m, err := measure(t)
			if err != nil {
				fmt.Fprintf(stderr, "bench/analyze: %s: %v\n", t.name, err)
				return 1
			}
			res[(i+r)%len(tools)] = append(res[(i+r)%len(tools)], m)
		}
	}
	var load string
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Fprintf(stdout, "Capture: %d packets, %d MB, %s; %d round(s); %s, %d CPUs, load average %s at the end.\n\n",
		pkts, st.Size()>>20, what, *rounds, runtime.GOARCH, runtime.NumCPU(), load)
	// The median says what a run usually costs on this machine as it is;
	// the best run, what the program costs when the machine's other load
	// takes least from it. A short run is hit harder by a burst of other
	// work than a long one, so the two can give different ratios: both
	// are shown.
	fmt.Fprintln(stdout, "| tool | CPU s, median | best | packets/s of CPU, median | best | wall s, median | packets/s of wall | peak RSS | teardown's speed (CPU), median | best |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var base, baseBest float64
	for i, t := range tools {
		m, b := median(res[i]), best(res[i])
		pps, ppsBest := float64(pkts)/m.cpu.Seconds(), float64(pkts)/b.cpu.Seconds()
		if i == 0 {
			base, baseBest = pps, ppsBest
		}
		ratio, ratioBest := "1×", "1×"
		if i > 0 {
			ratio = strconv.FormatFloat(base/pps, 'f', 1, 64) + "×"
			ratioBest = strconv.FormatFloat(baseBest/ppsBest, 'f', 1, 64) + "×"
		}
		fmt.Fprintf(stdout, "| %s | %.2f | %.2f | %s | %s | %.2f | %s | %d MB | %s | %s |\n", t.name, m.cpu.Seconds(), b.cpu.Seconds(),
			human(pps), human(ppsBest), m.wall.Seconds(), human(float64(pkts)/m.wall.Seconds()), m.rss>>20, ratio, ratioBest)
	}
	if *withStages {
		fmt.Fprintln(stdout)
		if err := runStages(stdout, file, pkts, *rounds); err != nil {
			fmt.Fprintln(stderr, "bench/analyze: stages:", err)
			return 1
		}
	}
	return 0
}

// generateFile writes a generated capture of about size bytes to file and
// returns its packet count.
func generateFile(file string, size int64, open int) (int, error) {
	f, err := os.Create(file)
	if err != nil {
		return 0, err
	}
	pkts, err := generate(f, size, open, 1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return pkts, err
}

// countPackets counts the records of a capture: the packets every tool is
// given, whatever it makes of them.
func countPackets(file string) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r, err := wire.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", file, err)
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	st := r.Stats()
	if st.Broken != nil {
		return 0, fmt.Errorf("%s: %w", file, st.Broken)
	}
	return st.Records, nil
}

// measure runs t with its output discarded and returns its wall time, CPU
// time (user and system) and peak resident memory.
func measure(t tool) (result, error) {
	cmd := exec.Command(t.args[0], t.args[1:]...)
	cmd.Env = append(os.Environ(), t.env...)
	cmd.Stdout = io.Discard
	var errb strings.Builder
	cmd.Stderr = &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%v: %s", err, errb.String())
	}
	wall := time.Since(start)
	ps := cmd.ProcessState
	return result{wall: wall, cpu: ps.UserTime() + ps.SystemTime(), rss: peakRSS(ps)}, nil
}

// median is the run of median CPU time (the upper one of an even count).
func median(rs []result) result {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b result) int { return int(a.cpu - b.cpu) })
	return rs[len(rs)/2]
}

// best is the run of least CPU time.
func best(rs []result) result {
	return slices.MinFunc(rs, func(a, b result) int { return int(a.cpu - b.cpu) })
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(s)
	for _, x := range []struct {
		suf string
		m   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}} {
		if strings.HasSuffix(u, x.suf) {
			mult, u = x.m, strings.TrimSuffix(u, x.suf)
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q", s)
	}
	return n * mult, nil
}
