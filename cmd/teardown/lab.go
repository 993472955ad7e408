package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/explain"
	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/report"
	"github.com/teardown-net/teardown/scenario"
)

func init() {
	register("lab", command{
		summary: "run scenarios on the kernel and compare them with their expectations",
		run:     runLab,
	})
}

const labUsage = `Usage:
  teardown lab list                        list the built-in scenarios
  teardown lab show ID                     print a scenario's source
  teardown lab run [ID|GLOB|FILE.td|- ...] run scenarios and print what happened
  teardown lab verify [same arguments]     run them and compare with their expectations
  teardown lab compare A.json B.json ...   line up reports of lab verify --json from several
                                           systems, call by call

With no scenario named, run and verify take the whole built-in catalog;
"-" reads a scenario from stdin.

Exit status of run and verify:
  0    every run matched (run: every run took place)
  1    verify: a run differs from its expectations
  2    bad usage, a scenario that does not parse, or an environment the
       lab cannot use
  3    the lab could not carry out a run (a lab error, such as running out
       of file descriptors); this says nothing of the kernel
  4    nothing ran: every selected run was skipped
  130  interrupted by SIGINT (Ctrl-C), 143 by SIGTERM, after releasing
       everything the lab held

Run "teardown lab run --help" for the flags of run and verify.
The scenario language is described in docs/scenario-language.md.
`

// Exit statuses of lab run and verify beside those every subcommand
// shares; an interrupted run exits with 128 plus the signal's number.
const (
	exitLabError   = 3 // the lab could not carry out a run
	exitNothingRan = 4 // every selected run was skipped
)

func runLab(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, labUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, labUsage)
		return exitOK
	case "list":
		return labList(args[1:], stdout, stderr)
	case "show":
		return labShow(args[1:], stdout, stderr)
	case "run":
		return labRun(args[1:], stdout, stderr, false)
	case "verify":
		return labRun(args[1:], stdout, stderr, true)
	case "compare":
		return labCompare(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "teardown lab: unknown subcommand %s\n\n%s", scenario.Quote(args[0]), labUsage)
	return exitUsage
}

func labList(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("lab list", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: teardown lab list\n\nLists the built-in scenarios: id, transports and title.")
	}
	if err := fs.Parse(args); err != nil {
		return helpOrUsage(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "teardown lab list: unexpected argument %s\n", scenario.Quote(fs.Arg(0)))
		return exitUsage
	}
	scs, err := catalog.Load()
	if err != nil {
		fmt.Fprintf(stderr, "teardown lab list: %v\n", errText(err))
		return exitUsage
	}
	width := 0
	for _, sc := range scs {
		width = max(width, len(sc.ID))
	}
	for _, sc := range scs {
		on := make([]string, len(sc.On))
		for i, t := range sc.On {
			on[i] = string(t)
		}
		fmt.Fprintf(stdout, "%-*s  %-44s  %s\n", width, sc.ID, strings.Join(on, ","), report.Escape(sc.Title))
	}
	return exitOK
}

func labShow(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("lab show", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: teardown lab show ID\n\nPrints the source of a built-in scenario (see \"teardown lab list\").")
	}
	if err := fs.Parse(args); err != nil {
		return helpOrUsage(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	src, err := catalog.Source(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "teardown lab show: %v\n", errText(err))
		return exitUsage
	}
	stdout.Write(src)
	return exitOK
}

func labCompare(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("lab compare", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: teardown lab compare A.json B.json ...

Lines up reports written by "teardown lab verify --json" (or run --json),
made on one system or several: one row per call of a scenario on a
transport, one column per report, each cell the result that system gave.
It marks the calls where the reports disagree, and checks the catalog's
documented values for a system (such as darwin) against a report from it.

Flags:
  -notable  show only the calls where the reports disagree or the catalog
            has a value for another system

Exit status: 0, or 1 when a report measured something other than a value
the catalog documents for its system, 2 on bad usage or an unreadable
report.
`)
	}
	notable := fs.Bool("notable", false, "show only the calls where the reports disagree or the catalog has a value for another system")
	names, err := parseInterspersed(fs, args)
	if err != nil {
		return helpOrUsage(err)
	}
	if len(names) == 0 {
		fs.Usage()
		return exitUsage
	}
	var ins []report.Input
	for _, name := range names {
		doc, err := readReport(name)
		if err != nil {
			fmt.Fprintf(stderr, "teardown lab compare: %s: %v\n", report.Escape(name), errText(err))
			return exitUsage
		}
		ins = append(ins, report.Input{Name: name, Doc: doc})
	}
	c := report.Compare(ins)
	c.Write(stdout, *notable)
	if c.Contradicted > 0 {
		return exitDiffers
	}
	return exitOK
}

func readReport(name string) (report.Document, error) {
	f, err := os.Open(name)
	if err != nil {
		return report.Document{}, err
	}
	defer f.Close()
	return report.ReadDocument(f)
}

func labRun(args []string, stdout, stderr io.Writer, verify bool) int {
	name := "run"
	if verify {
		name = "verify"
	}
	// Signals are caught from the first moment, before the lab holds
	// anything, so that none can end the process while it does.
	in := catchInterrupts(stderr, "teardown lab "+name)
	defer in.stop()
	fs := flagSet("lab "+name, args, stdout, stderr)
	on := fs.String("on", "", "run only on these transports (comma-separated: tcp4,tcp6,unix,unixpacket,socketpair,pipe, or tcp, local)")
	asJSON := fs.Bool("json", false, "write the report as JSON (schema "+report.Schema+")")
	all := fs.Bool("all", !verify, "write every run's timeline (verify writes only the runs that differ)")
	limit := fs.Duration("limit", 0, "per-step block limit, overriding each scenario's (default: the scenario's, 2s)")
	settle := fs.Duration("settle", 0, "bound on waiting for the kernel to settle after a step (default 1s)")
	parallel := fs.Int("parallel", 0, "runs at once (default 16×CPUs; fewer if the open-file limit leaves too few descriptors)")
	pcap := fs.String("pcap", "", "write a pcapng file per TCP run into this directory, each step a packet comment")
	noIsolation := fs.Bool("no-isolation", false, "run in this network namespace even as root")
	portable := fs.Bool("portable", false, "run with the portable runner, the one macOS and FreeBSD use: one run at a time, no namespaces, capture or tracing")
	htmlOut := fs.String("html", "", "also write the report as one self-contained HTML `file`: the matrix, and each run as a ladder diagram")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: teardown lab %s [flags] [ID|GLOB|FILE.td|- ...]\n\n", name)
		if verify {
			fmt.Fprintln(fs.Output(), "Runs scenarios and compares what the kernel did with their expectations.")
		} else {
			fmt.Fprintln(fs.Output(), "Runs scenarios and prints what the kernel did, step by step, beside what was expected.")
		}
		fmt.Fprint(fs.Output(), labRunHelp)
		fs.PrintDefaults()
	}
	names, err := parseInterspersed(fs, args)
	if err != nil {
		return helpOrUsage(err)
	}
	only, err := parseTransports(*on)
	if err != nil {
		fmt.Fprintf(stderr, "teardown lab %s: --on: %v\n", name, errText(err))
		return exitUsage
	}
	scs, err := catalog.Select(names)
	if err != nil {
		fmt.Fprintf(stderr, "teardown lab %s: %v\n", name, errText(err))
		return exitUsage
	}
	jobs := lab.Plan(scs, only)
	if len(jobs) == 0 {
		fmt.Fprintf(stderr, "teardown lab %s: nothing to run on %s\n", name, *on)
		return exitUsage
	}
	// From here the command makes things it must remove: a signal no
	// longer ends it at once.
	in.hold()
	var htmlFile *os.File
	if *htmlOut != "" {
		// A file beside the target, made before the runs so that a bad
		// path fails at once, and renamed only once it is whole: an
		// interrupted or failed run leaves nothing behind.
		if htmlFile, err = os.CreateTemp(filepath.Dir(*htmlOut), "."+filepath.Base(*htmlOut)+".*"); err != nil {
			fmt.Fprintf(stderr, "teardown lab %s: --html: %v\n", name, errText(err))
			return exitUsage
		}
		defer os.Remove(htmlFile.Name())
		defer htmlFile.Close()
	}
	if *pcap != "" {
		if err := os.MkdirAll(*pcap, 0o755); err != nil {
			fmt.Fprintf(stderr, "teardown lab %s: --pcap: %v\n", name, errText(err))
			return exitUsage
		}
	}
	l, err := lab.New(lab.Options{Parallel: *parallel, Limit: *limit, Settle: *settle, PcapDir: *pcap, NoIsolation: *noIsolation, Portable: *portable})
	if err != nil {
		fmt.Fprintf(stderr, "teardown lab %s: %v\n", name, errText(err))
		return exitUsage
	}
	defer l.Close()
	recs := l.Run(in.ctx, jobs)
	if code, ok := in.exitStatus(); ok {
		return code
	}
	if htmlFile != nil {
		if err := writeHTML(htmlFile, *htmlOut, recs, l.Limits()); err != nil {
			fmt.Fprintf(stderr, "teardown lab %s: --html: %v\n", name, errText(err))
			return exitUsage
		}
	}
	if *asJSON {
		if err := report.JSON(stdout, recs[0].Env.Kernel, l.Limits(), recs); err != nil {
			fmt.Fprintf(stderr, "teardown lab %s: %v\n", name, errText(err))
			return exitUsage
		}
	} else {
		report.Text(stdout, l.Limits(), recs, report.Options{Color: colorOK(stdout), All: *all})
	}
	s := report.Summarize(recs)
	switch {
	case s.Failed > 0:
		fmt.Fprintf(stderr, "teardown lab %s: the lab could not carry out %d of %d runs (lab errors, listed above)\n", name, s.Failed, s.Runs)
		return exitLabError
	case s.Skipped == s.Runs:
		fmt.Fprintf(stderr, "teardown lab %s: nothing ran: all %d selected runs were skipped (reasons listed above)\n", name, s.Runs)
		return exitNothingRan
	case verify && s.Differ > 0:
		return exitDiffers
	}
	return exitOK
}

// labRunHelp is the part of run's and verify's help after their first line.
var labRunHelp = fmt.Sprintf(`
With no scenario named, the whole built-in catalog runs; "-" reads a
scenario from stdin. A scenario file is at most %d MiB and %d lines,
quoted text at most %d MiB, any other word %d bytes.

Exit status: 0 all matched, 1 (verify) a difference, 2 bad usage or an
unusable environment, 3 a lab error, 4 nothing ran (every run skipped),
130 or 143 interrupted by SIGINT or SIGTERM. Ctrl-C ends the run and
releases everything the lab holds.

Flags:
`, scenario.MaxSource>>20, scenario.MaxLines, scenario.MaxText>>20, scenario.MaxWord)

// writeHTML writes the HTML report, with the explanation of each errno the
// runs show, into f, then renames f to path.
func writeHTML(f *os.File, path string, recs []*lab.Record, limits []string) error {
	base, err := explain.Load()
	if err != nil {
		return err
	}
	if err := report.HTML(f, recs, report.HTMLOptions{Kernel: recs[0].Env.Kernel, Limits: limits, Explain: base}); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; a report is for anyone to read.
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func parseTransports(s string) ([]scenario.Transport, error) {
	if s == "" {
		return nil, nil
	}
	var ts []scenario.Transport
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if g, ok := scenario.Groups[f]; ok {
			ts = append(ts, g...)
			continue
		}
		t := scenario.Transport(f)
		if !scenario.Guard(scenario.Transports).Has(t) {
			return nil, fmt.Errorf("unknown transport %s, expected tcp4, tcp6, unix, unixpacket, socketpair, pipe, tcp, local or all", scenario.Quote(f))
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// colorOK reports whether w is a terminal and the user has not asked for
// no colour (https://no-color.org).
func colorOK(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments, which it returns. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// errText is an error's message made safe for a terminal (a file name or
// a word of a scenario may hold escape sequences), line by line.
func errText(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = report.Escape(l)
	}
	return strings.Join(lines, "\n")
}

func helpOrUsage(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
