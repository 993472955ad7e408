package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/teardown-net/teardown/explain"
)

func init() {
	register("explain", command{
		summary: "say what an error, errno or log line means: wire, data loss, what to do",
		run:     runExplain,
	})
}

// explainStdin is where explain reads input when given none; tests swap it.
var explainStdin io.Reader = os.Stdin

// explainMaxInput bounds what explain reads from stdin.
const explainMaxInput = 1 << 20

func runExplain(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("explain", args, stdout, stderr)
	osName := fs.String("os", "", "read error `numbers` in this OS's numbering: linux, darwin (or macos), freebsd, windows; by default every OS's candidates are listed")
	asJSON := fs.Bool("json", false, "write the result as JSON (format in docs/explain.md)")
	texts := fs.Bool("texts", false, "also show what each C library, runtime and tool prints for the errors found, with sources in --json")
	list := fs.Bool("list", false, "list every entry of the knowledge base and exit")
	lines := fs.String("lines", "", "explain the log `FILE` (\"-\" for standard input) line by line: one answer per line that holds an error, then a summary")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: teardown explain [--os OS] [--json] [--texts] [TEXT...]
       teardown explain --lines FILE|- [--os OS] [--json]
       teardown explain --list

Explains the errors a connection can end with. TEXT is whatever you have: an
errno name (ECONNRESET), a number (104, WSA 10054), a message in any language
glibc, Go, Python, Java, Node, Rust, curl, nginx, HAProxy, Envoy, PostgreSQL,
MySQL, Redis or gRPC print, or a whole log line or stack trace. With no TEXT,
or TEXT "-", the input is read from standard input.

explain shows the evidence it matched, then for each error: what it means,
what happened on the wire, whether data may have been lost, and what to do.
When two answers are equally likely it says so and gives both.

With --lines, explain reads a whole log, text or JSON lines, as a stream
(any size, in bounded memory): it prints one answer per line that holds an
error, then a summary: how many lines of each error, the likely causes
(the keep-alive race, a server down, a failing path, timeouts) and the lab
scenario that reproduces the first. --json makes each answer and the
summary one JSON object per line.

explain reads at most 1 MiB of TEXT or standard input without --lines,
and says so when it cut the input.

It exits 0 when it found an error, 1 when it found none, 2 on bad usage.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// fs.Parse has printed the usage, to stdout (see flagSet).
			return exitOK
		}
		return exitUsage
	}
	opt := explain.Options{}
	switch o := strings.ToLower(*osName); o {
	case "":
	case "macos", "mac", "osx":
		opt.OS = explain.Darwin
	default:
		valid := false
		for _, known := range explain.OSes {
			valid = valid || o == known
		}
		if !valid {
			fmt.Fprintf(stderr, "teardown explain: --os %q: want one of %s (or macos)\n", *osName, strings.Join(explain.OSes, ", "))
			return exitUsage
		}
		opt.OS = o
	}
	base, err := explain.Load()
	if err != nil {
		fmt.Fprintf(stderr, "teardown explain: %v\n", err)
		return exitUsage
	}
	if *list {
		if fs.NArg() > 0 {
			fmt.Fprintln(stderr, "teardown explain: --list takes no TEXT")
			return exitUsage
		}
		w := bufio.NewWriter(stdout)
		for _, e := range base.Entries {
			fmt.Fprintf(w, "%-20s %-13s %s\n", e.ID, e.Kind, e.Title)
		}
		if err := w.Flush(); err != nil {
			return exitUsage
		}
		return exitOK
	}
	if *lines != "" {
		if fs.NArg() > 0 {
			fmt.Fprintln(stderr, "teardown explain: --lines takes no TEXT")
			return exitUsage
		}
		return explainLines(base, *lines, opt, *asJSON, stdout, stderr)
	}
	var input string
	if fs.NArg() == 0 || (fs.NArg() == 1 && fs.Arg(0) == "-") {
		b, err := io.ReadAll(io.LimitReader(explainStdin, explainMaxInput+1))
		if err != nil {
			fmt.Fprintf(stderr, "teardown explain: read standard input: %v\n", err)
			return exitUsage
		}
		if len(b) > explainMaxInput {
			fmt.Fprintf(stderr, "teardown explain: input longer than %d bytes: only the first %d were read; use --lines - to explain a whole log\n", explainMaxInput, explainMaxInput)
			b = b[:explainMaxInput]
		}
		input = string(b)
	} else {
		input = strings.Join(fs.Args(), " ")
		if len(input) > explainMaxInput {
			fmt.Fprintf(stderr, "teardown explain: input longer than %d bytes: only the first %d were read; use --lines to explain a whole log\n", explainMaxInput, explainMaxInput)
			input = input[:explainMaxInput]
		}
	}
	if strings.TrimSpace(input) == "" {
		fmt.Fprintln(stderr, "teardown explain: no input: give an error, a number or a log line, as arguments or on standard input")
		return exitUsage
	}
	res := base.Explain(input, opt)
	res.Texts = *texts
	if *asJSON {
		err = res.WriteJSON(stdout)
	} else {
		err = res.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "teardown explain: %v\n", err)
		return exitUsage
	}
	if len(res.Findings) == 0 {
		return exitDiffers
	}
	return exitOK
}

// explainLines runs explain over a log file or standard input.
func explainLines(base *explain.Base, name string, opt explain.Options, asJSON bool, stdout, stderr io.Writer) int {
	in := explainStdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "teardown explain: --lines: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		in = f
	}
	w := bufio.NewWriterSize(stdout, 64<<10)
	each := func(l explain.LineResult) error {
		if asJSON {
			return l.WriteJSON(w)
		}
		return l.WriteText(w)
	}
	sum, err := base.Lines(in, opt, each)
	if err == nil {
		if asJSON {
			err = sum.WriteJSON(w)
		} else {
			err = sum.WriteText(w)
		}
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "teardown explain: --lines %s: %v\n", name, err)
		return exitUsage
	}
	if sum.Errors == 0 {
		return exitDiffers
	}
	return exitOK
}
