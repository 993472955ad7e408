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
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: teardown explain [--os OS] [--json] [--texts] [TEXT...]
       teardown explain --list

Explains the errors a connection can end with. TEXT is whatever you have: an
errno name (ECONNRESET), a number (104, WSA 10054), a message in any language
glibc, Go, Python, Java, Node, Rust, curl, nginx, HAProxy, Envoy, PostgreSQL,
MySQL, Redis or gRPC print, or a whole log line or stack trace. With no TEXT,
or TEXT "-", the input is read from standard input.

explain shows the evidence it matched, then for each error: what it means,
what happened on the wire, whether data may have been lost, and what to do.
It exits 0 when it found an error, 1 when it found none, 2 on bad usage.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
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
	var input string
	if fs.NArg() == 0 || (fs.NArg() == 1 && fs.Arg(0) == "-") {
		b, err := io.ReadAll(io.LimitReader(explainStdin, explainMaxInput))
		if err != nil {
			fmt.Fprintf(stderr, "teardown explain: read standard input: %v\n", err)
			return exitUsage
		}
		input = string(b)
	} else {
		input = strings.Join(fs.Args(), " ")
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
