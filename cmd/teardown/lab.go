package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/teardown-net/teardown/catalog"
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
  teardown lab list                      list the built-in scenarios
  teardown lab show ID                   print a scenario's source
  teardown lab run [ID|GLOB|FILE.td ...] run scenarios and print what happened
  teardown lab verify [same arguments]   run them and compare with their expectations

With no scenario named, run and verify take the whole built-in catalog.
verify exits 0 when everything matches, 1 on any difference, and 2 on bad
usage or an environment the lab cannot use.

Run "teardown lab run --help" for the flags of run and verify.
The scenario language is described in docs/scenario-language.md.
`

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
	}
	fmt.Fprintf(stderr, "teardown lab: unknown subcommand %q\n\n%s", args[0], labUsage)
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
		fmt.Fprintf(stderr, "teardown lab list: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	scs, err := catalog.Load()
	if err != nil {
		fmt.Fprintf(stderr, "teardown lab list: %v\n", err)
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
		fmt.Fprintf(stdout, "%-*s  %-44s  %s\n", width, sc.ID, strings.Join(on, ","), sc.Title)
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
		fmt.Fprintf(stderr, "teardown lab show: %v\n", err)
		return exitUsage
	}
	stdout.Write(src)
	return exitOK
}

func labRun(args []string, stdout, stderr io.Writer, verify bool) int {
	name := "run"
	if verify {
		name = "verify"
	}
	fs := flagSet("lab "+name, args, stdout, stderr)
	on := fs.String("on", "", "run only on these transports (comma-separated: tcp4,tcp6,unix,unixpacket,socketpair,pipe, or tcp, local)")
	asJSON := fs.Bool("json", false, "write the report as JSON (schema "+report.Schema+")")
	all := fs.Bool("all", !verify, "write every run's timeline (verify writes only the runs that differ)")
	limit := fs.Duration("limit", 0, "per-step block limit, overriding each scenario's (default: the scenario's, 2s)")
	settle := fs.Duration("settle", 0, "bound on waiting for the kernel to settle after a step (default 1s)")
	parallel := fs.Int("parallel", 0, "runs at once (default 8×CPUs)")
	pcap := fs.String("pcap", "", "write a pcapng file per TCP run into this directory, each step a packet comment")
	noIsolation := fs.Bool("no-isolation", false, "run in this network namespace even as root")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: teardown lab %s [flags] [ID|GLOB|FILE.td ...]\n\n", name)
		if verify {
			fmt.Fprintln(fs.Output(), "Runs scenarios and compares what the kernel did with their expectations.\nExit status: 0 all matched, 1 a difference, 2 bad usage or unusable environment.")
		} else {
			fmt.Fprintln(fs.Output(), "Runs scenarios and prints what the kernel did, step by step, beside what was expected.")
		}
		fmt.Fprintln(fs.Output(), "\nWith no scenario named, the whole built-in catalog runs.\n\nFlags:")
		fs.PrintDefaults()
	}
	names, err := parseInterspersed(fs, args)
	if err != nil {
		return helpOrUsage(err)
	}
	only, err := parseTransports(*on)
	if err != nil {
		fmt.Fprintf(stderr, "teardown lab %s: --on: %v\n", name, err)
		return exitUsage
	}
	scs, err := catalog.Select(names)
	if err != nil {
		fmt.Fprintf(stderr, "teardown lab %s: %v\n", name, err)
		return exitUsage
	}
	jobs := lab.Plan(scs, only)
	if len(jobs) == 0 {
		fmt.Fprintf(stderr, "teardown lab %s: nothing to run on %s\n", name, *on)
		return exitUsage
	}
	if *pcap != "" {
		if err := os.MkdirAll(*pcap, 0o755); err != nil {
			fmt.Fprintf(stderr, "teardown lab %s: --pcap: %v\n", name, err)
			return exitUsage
		}
	}
	l, err := lab.New(lab.Options{Parallel: *parallel, Limit: *limit, Settle: *settle, PcapDir: *pcap, NoIsolation: *noIsolation})
	if err != nil {
		fmt.Fprintf(stderr, "teardown lab %s: %v\n", name, err)
		return exitUsage
	}
	defer l.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	recs := l.Run(ctx, jobs)
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "teardown lab %s: interrupted\n", name)
		return exitUsage
	}
	if *asJSON {
		if err := report.JSON(stdout, recs[0].Env.Kernel, l.Limits(), recs); err != nil {
			fmt.Fprintf(stderr, "teardown lab %s: %v\n", name, err)
			return exitUsage
		}
	} else {
		report.Text(stdout, l.Limits(), recs, report.Options{Color: colorOK(stdout), All: *all})
	}
	if !verify {
		return exitOK
	}
	if s := report.Summarize(recs); s.Differ > 0 {
		return exitDiffers
	}
	return exitOK
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
			return nil, fmt.Errorf("unknown transport %q, expected tcp4, tcp6, unix, unixpacket, socketpair, pipe, tcp, local or all", f)
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

func helpOrUsage(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
