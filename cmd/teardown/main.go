// Command teardown makes the ways a connection ends visible, reproducible and
// explainable.
//
// Each face of the tool is a subcommand in a file of its own in this
// directory (lab.go, explain.go, proxy.go, ...). The command holds flags and
// wiring only: every decision is made by the packages it calls.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// A command is one subcommand of teardown.
type command struct {
	// summary is the one line shown by "teardown --help".
	summary string
	// run executes the subcommand with the arguments that follow its name
	// and returns the process exit code.
	run func(args []string, stdout, stderr io.Writer) int
}

// commands is filled by the init functions of the files in this directory.
var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("teardown: command registered twice: " + name)
	}
	commands[name] = c
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitDiffers = 1 // a comparison found a difference
	exitUsage   = 2 // bad usage or an unusable environment
)

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run([]string{"--help"}, stdout, stderr)
			}
		}
		usage(stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "teardown: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

// flagSet makes a subcommand's flag set. Its usage goes to stdout when the
// user asked for it (-h, --help), and to stderr after a mistake.
func flagSet(name string, args []string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			fs.SetOutput(stdout)
		}
	}
	return fs
}

func usage(w io.Writer) {
	fmt.Fprint(w, `teardown makes the ways a connection ends visible, reproducible and explainable.

Usage:
  teardown <command> [arguments]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Run "teardown <command> --help" for the arguments of a command.
`)
}
