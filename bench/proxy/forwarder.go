package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// The environment of a forwarder child: forwardEnv names the upstream,
// forwardModeEnv the mode (forwardBlock or forwardSpin).
const (
	forwardEnv     = "BENCH_PROXY_FORWARD"
	forwardModeEnv = "BENCH_PROXY_FORWARD_MODE"
)

// The modes of a forwarder.
const (
	// forwardBlock moves each direction with one OS thread in a blocking
	// read(2) and a write(2): the fewest system calls and wake-ups a proxy
	// process can spend on a message, with no event loop at all.
	forwardBlock = "blocking"
	// forwardSpin polls both sockets of a connection with non-blocking
	// reads from one OS thread that never sleeps: no wake-up at all, at the
	// price of a CPU kept busy while the connection is open.
	forwardSpin = "spinning"
)

// A forwarder is a child process of the harness that does nothing but
// forward bytes between a client and an upstream. It shows the least a
// round trip through a proxy process can cost on this machine, whatever
// the proxy does with the bytes: its round trips are measured like a
// proxy's, side by side.
type forwarder struct {
	name string
	addr string // where it listens
	cmd  *exec.Cmd
	done chan struct{}
}

// startForwarder runs this program as a forwarder to upstream in mode.
func startForwarder(mode, upstream string) (*forwarder, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program to start a forwarder: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), forwardEnv+"="+upstream, forwardModeEnv+"="+mode)
	cmd.SysProcAttr = childAttr()
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start a %s forwarder: %w", mode, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start a %s forwarder: %w", mode, err)
	}
	f := &forwarder{name: forwarderName(mode), cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(f.done) }()
	// Its first line is the address it listens on.
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		f.stop()
		return nil, fmt.Errorf("%s: read its address: %w", f.name, err)
	}
	f.addr = strings.TrimSpace(line)
	return f, nil
}

// forwarderName names the path through a forwarder in mode.
func forwarderName(mode string) string { return mode + " forwarder" }

func (f *forwarder) stop() {
	f.cmd.Process.Kill()
	<-f.done
}
