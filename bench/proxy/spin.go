package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"time"
)

// spinEnv, set in the environment, makes this program a spinner: a process
// that keeps one CPU busy until it is killed.
const spinEnv = "BENCH_PROXY_SPIN"

// A spinner is a child process that keeps one CPU busy. Round trips through
// a proxy cross processes several times, and each crossing may have to wake
// a sleeping CPU; on a virtual machine that costs tens of microseconds. A
// busy CPU shows the round trip without most of that cost, as on a loaded
// machine, so the harness measures both.
type spinner struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startSpinner() (*spinner, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program to start a spinner: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), spinEnv+"=1")
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start a spinner: %w", err)
	}
	s := &spinner{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	// Let it reach its loop before anything is measured.
	time.Sleep(100 * time.Millisecond)
	return s, nil
}

func (s *spinner) stop() {
	s.cmd.Process.Kill()
	<-s.done
}

// spin keeps one CPU busy and never returns.
func spin() {
	runtime.GOMAXPROCS(1)
	var n uint64
	for {
		n++
	}
}
