package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// interrupts catches SIGINT and SIGTERM for a subcommand that holds things
// the kernel does not release by itself (a tracing instance). Until hold is
// called a signal ends the process at once, as its default action would,
// since nothing is held yet and a read of stdin may be blocking; from then
// on it cancels the context, so that the subcommand releases what it holds
// and exits with exitStatus.
type interrupts struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	stderr io.Writer
	prefix string

	mu      sync.Mutex
	holding bool
	sig     os.Signal
}

// catchInterrupts starts catching SIGINT and SIGTERM. prefix names the
// subcommand in the message written to stderr when one arrives.
func catchInterrupts(stderr io.Writer, prefix string) *interrupts {
	in := &interrupts{ch: make(chan os.Signal, 1), stderr: stderr, prefix: prefix}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	go in.wait()
	return in
}

func (in *interrupts) wait() {
	select {
	case s := <-in.ch:
		in.mu.Lock()
		defer in.mu.Unlock()
		in.sig = s
		fmt.Fprintf(in.stderr, "%s: interrupted by %s\n", in.prefix, signalName(s))
		if !in.holding {
			os.Exit(signalStatus(s))
		}
		in.cancel()
	case <-in.ctx.Done():
	}
}

// hold marks the moment from which a signal must not end the process
// before the subcommand has released what it is about to acquire. A
// signal that came before has ended the process already.
func (in *interrupts) hold() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.holding = true
}

// exitStatus returns the shell's status for the signal that arrived, 128
// plus its number, and false when none has.
func (in *interrupts) exitStatus() (int, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.sig == nil {
		return 0, false
	}
	return signalStatus(in.sig), true
}

// stop stops catching: from then on SIGINT and SIGTERM take their default
// action again.
func (in *interrupts) stop() {
	signal.Stop(in.ch)
	in.cancel()
}

func signalStatus(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 128
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
