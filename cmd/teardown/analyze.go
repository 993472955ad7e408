package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/teardown-net/teardown/analyze"
	"github.com/teardown-net/teardown/observe/wire"
)

func init() {
	register("analyze", command{
		summary: "read a pcap or pcapng capture: how each TCP connection ended, who ended it, why, and the errno each side saw",
		run:     runAnalyze,
	})
}

// analyzeStdin is what "-" reads; tests swap it.
var analyzeStdin io.Reader = os.Stdin

// analyzeGOGC is the garbage collector's GOGC while analyze runs, unless
// the environment sets GOGC. Nearly all of analyze's heap is live (the
// Tracker reuses the memory of the connections it holds), so a collection
// while that memory grows frees next to nothing: on the bench's 1 GB
// capture the default 100 makes three collections, 200 one, for about 3%
// less time and a peak RSS of 50 MB instead of 45 (docs/analyze.md, Speed
// and memory). The heap stays bounded, by three times the live memory
// instead of two.
const analyzeGOGC = 200

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(analyzeGOGC))
	}
	fs := flagSet("analyze", args, stdout, stderr)
	asJSON := fs.Bool("json", false, "write one JSON object per connection per line (schema in docs/analyze.md)")
	only := fs.String("only", "", "show only `abnormal` connections (ended by RST, refused, timed out, ICMP)")
	filter := fs.String("filter", "", "show only connections matching `EXPR`: host ADDR, net PREFIX, port N, with src/dst, and, or, not, ( )")
	checksums := fs.Bool("checksums", false, "treat packets with a bad TCP checksum as Zeek does without -C (history letter C, packet otherwise ignored)")
	idle := fs.Duration("idle-rst", 5*time.Minute, "an RST after this much idle time is blamed on a NAT or load balancer timeout")
	progress := fs.Bool("progress", true, "show progress on stderr when it is a terminal")
	htmlOut := fs.String("html", "", "also write the connections as one self-contained HTML `file`: each with its verdict, evidence and ladder diagram")
	htmlDraw := fs.String("html-draw", "abnormal", "which connections --html draws, of those --filter and --only show: `abnormal` or all")
	htmlMax := fs.Int("html-max", 100, "draw at most `N` connections in --html (the page says how many more were chosen)")
	htmlPackets := fs.Int("html-packets", 100, "draw at most `N` packets of a connection in --html: the first and the last halves")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: teardown analyze [flags] FILE.pcap|FILE.pcapng|-

Reads a capture (pcap or pcapng; "-" reads standard input, so
"tcpdump -w - | teardown analyze -" works live) and prints one line per TCP
connection: Zeek's conn_state and history, how it ended (fin-both,
fin-originator, fin-responder, rst, refused, syn-timeout, icmp, timeout,
open), who ended it, the errno each side most likely got, and why, then a
summary. Damaged records are skipped and counted.

--html FILE also writes one self-contained HTML page: the abnormal
connections (or all, with --html-draw all) among those shown, each with its
verdict, evidence and ladder diagram, at most --html-max of them and
--html-packets packets each. With --html, SIGINT or SIGTERM ends the input
and the page of what was read is written.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK // the flag package has shown the usage, on stdout
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "teardown analyze: give one capture file, or - for standard input")
		return exitUsage
	}
	if *only != "" && *only != "abnormal" {
		fmt.Fprintf(stderr, "teardown analyze: --only %q: expected abnormal\n", *only)
		return exitUsage
	}
	flt, err := analyze.ParseFilter(*filter)
	if err != nil {
		fmt.Fprintf(stderr, "teardown analyze: %v\n", err)
		return exitUsage
	}
	if *htmlDraw != "abnormal" && *htmlDraw != "all" {
		fmt.Fprintf(stderr, "teardown analyze: --html-draw %q: expected abnormal or all\n", *htmlDraw)
		return exitUsage
	}
	if *htmlMax < 1 || *htmlPackets < 1 {
		fmt.Fprintf(stderr, "teardown analyze: --html-max %d, --html-packets %d: expected numbers of 1 or more\n", *htmlMax, *htmlPackets)
		return exitUsage
	}
	in, size := analyzeStdin, int64(0)
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "teardown analyze: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in = f
	}
	var page *htmlPage
	if *htmlOut != "" {
		ints := catchInterrupts(stderr, "teardown analyze")
		defer ints.stop()
		// From here a signal must not end the command before it has
		// removed the file it makes: it ends the input instead, and the
		// page of what was read is written.
		ints.hold()
		if page, err = newHTMLPage(*htmlOut, *htmlDraw == "all", *htmlMax); err != nil {
			fmt.Fprintf(stderr, "teardown analyze: --html: %v\n", errText(err))
			return exitUsage
		}
		defer page.discard()
		page.in = ints
		in = &stopReader{r: in, done: ints.ctx.Done()}
	}
	chose := drawnChoice(*htmlDraw, *only, *filter)
	r, err := wire.NewReader(in)
	if err != nil {
		if page != nil && page.interrupted() {
			// The signal came before the capture's header: the page of
			// what was read says that nothing was.
			if err := page.write(fs.Arg(0), chose, wire.Stats{}); err != nil {
				fmt.Fprintf(stderr, "teardown analyze: --html: %v\n", errText(err))
				return exitUsage
			}
			code, _ := page.in.exitStatus()
			return code
		}
		fmt.Fprintf(stderr, "teardown analyze: %s: %v\n", fs.Arg(0), err)
		return exitUsage
	}
	defer r.Close()
	r.Checksums = *checksums
	// Lines are buffered, except when reading a live capture from stdin,
	// where each connection is shown when it ends.
	live := fs.Arg(0) == "-"
	out := bufio.NewWriterSize(stdout, 1<<16)
	var table *analyze.Table
	if !*asJSON {
		table = analyze.NewTable(out)
	}
	var sum analyze.Summary
	var werr error
	var line []byte // a JSON line, its memory reused
	opts := analyze.Options{Checksums: *checksums, IdleRST: *idle}
	if page != nil {
		opts.KeepPackets = *htmlPackets
	}
	tr := analyze.NewTracker(opts, func(c *analyze.Conn) {
		if page != nil {
			page.conns++
		}
		if *only == "abnormal" && !c.Verdict().Abnormal() || !flt.Match(c.Orig(), c.Resp()) {
			return
		}
		if page != nil {
			page.add(c)
		}
		sum.Add(c)
		if table != nil {
			table.Add(c)
		} else {
			line = analyze.AppendJSON(line[:0], c)
			if _, err := out.Write(line); err != nil && werr == nil {
				werr = err
			}
		}
		if live {
			if table != nil {
				table.Flush()
			}
			if err := out.Flush(); err != nil && werr == nil {
				werr = err
			}
		}
	})
	bar := newProgress(stderr, *progress, size)
	r.Each(func(rec *wire.Record) bool {
		tr.Add(rec)
		if rec.N&0xffff == 0 {
			bar.show(r.Offset(), rec.N)
		}
		// A signal ends the input: what was read is written.
		return page == nil || !page.interrupted()
	})
	tr.Close()
	bar.done()
	st := r.Stats()
	if page != nil && page.interrupted() {
		st.Broken = nil // the reading was cut by the signal, not by damage
	}
	if page != nil {
		if err := page.write(fs.Arg(0), chose, st); err != nil {
			fmt.Fprintf(stderr, "teardown analyze: --html: %v\n", errText(err))
			return exitUsage
		}
	}
	if table != nil {
		if err := table.Flush(); err != nil {
			werr = err
		}
		sum.Write(out)
		fmt.Fprintln(out, st.RecordLine())
		if l := st.FragmentLine(); l != "" {
			fmt.Fprintln(out, l)
		}
	}
	if err := out.Flush(); err != nil && werr == nil {
		werr = err
	}
	if st.Damaged > 0 || st.Broken != nil {
		msg := fmt.Sprintf("teardown analyze: %d damaged records skipped", st.Damaged)
		if st.Broken != nil {
			msg += fmt.Sprintf("; the file is damaged at %v, reading stopped there", st.Broken)
		}
		fmt.Fprintln(stderr, msg)
	}
	if n := st.FragmentsLost(); n > 0 {
		fmt.Fprintf(stderr, "teardown analyze: %d fragmented datagrams could not be reassembled (%d incomplete, %d over the limits, %d overlapping or inconsistent): their packets are not analyzed\n",
			n, st.FragIncomplete, st.FragEvicted, st.FragInvalid)
	}
	if werr != nil {
		fmt.Fprintf(stderr, "teardown analyze: write: %v\n", werr)
		return exitUsage
	}
	if page != nil {
		if code, ok := page.in.exitStatus(); ok {
			return code
		}
	}
	return exitOK
}

// drawnChoice says which connections an --html page draws, as the page
// states it: the flags --html-draw, --only and --filter.
func drawnChoice(draw, only, filter string) string {
	chose := "abnormal connections"
	if draw == "all" && only != "abnormal" {
		chose = "all connections"
	}
	if filter != "" {
		chose += " matching " + strings.Join(strings.Fields(filter), " ")
	}
	return chose
}

// progress draws a one-line progress report on a terminal.
type progress struct {
	w     io.Writer
	on    bool
	size  int64
	start time.Time
}

func newProgress(w io.Writer, want bool, size int64) *progress {
	f, ok := w.(*os.File)
	on := false
	if want && ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progress{w: w, on: on, size: size, start: time.Now()}
}

func (p *progress) show(read int64, records int) {
	if !p.on {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\r%d records, %d MB", records, read>>20)
	if p.size > 0 {
		fmt.Fprintf(&b, " of %d MB (%d%%)", p.size>>20, read*100/p.size)
	}
	fmt.Fprintf(&b, ", %.1fs ", time.Since(p.start).Seconds())
	io.WriteString(p.w, b.String())
}

func (p *progress) done() {
	if p.on {
		io.WriteString(p.w, "\r\033[K")
	}
}
