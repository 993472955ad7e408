//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// watchChild is teardown watch --json running as a child process, writing
// its records to a file. A pipe to this process made the bench, not watch,
// the bottleneck: its reader shares the process's CPUs with the generator's
// threads, and a full pipe blocked watch's writes, so that the kernel
// dropped events that watch would have kept up with.
type watchChild struct {
	cmd *exec.Cmd
	out *os.File
}

// startWatch starts watch with args, at niceness nice (0: as this process).
func startWatch(bin string, nice int, args ...string) (*watchChild, error) {
	out, err := os.CreateTemp("", "bench-watch-*.json")
	if err != nil {
		return nil, err
	}
	os.Remove(out.Name()) // the descriptors keep it until the count is done
	argv := append([]string{bin, "watch", "--json", "--metrics", "127.0.0.1:0"}, args...)
	if nice != 0 {
		// nice(1) execs watch: every thread the runtime starts has it.
		argv = append([]string{"nice", "-n", strconv.Itoa(nice)}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		out.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	w := &watchChild{cmd: cmd, out: out}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var lines []string
		for sc.Scan() {
			if strings.Contains(sc.Text(), "metrics on") {
				ready <- nil
			}
			lines = append(lines, sc.Text())
		}
		ready <- fmt.Errorf("teardown watch exited: %s", strings.Join(lines, "; "))
	}()
	select {
	case err := <-ready:
		if err != nil {
			out.Close()
			return nil, err
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
		return nil, fmt.Errorf("teardown watch did not start in 10s")
	}
	return w, nil
}

// watchCount is what watch wrote: records by event, and the events the
// kernel dropped as its lost records say.
type watchCount struct {
	sent, received, lost uint64
	cpu                  time.Duration
}

// stop ends watch with SIGTERM, then counts what it wrote; cpu is the user
// and system time watch used.
func (w *watchChild) stop() (watchCount, error) {
	defer w.out.Close()
	w.cmd.Process.Signal(syscall.SIGTERM)
	if err := w.cmd.Wait(); err != nil {
		return watchCount{}, fmt.Errorf("teardown watch: %w", err)
	}
	st := w.cmd.ProcessState
	c := watchCount{cpu: st.UserTime() + st.SystemTime()}
	if _, err := w.out.Seek(0, 0); err != nil {
		return c, err
	}
	sc := bufio.NewScanner(bufio.NewReaderSize(w.out, 1<<20))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var r struct {
		Lost uint64 `json:"lost"`
	}
	for sc.Scan() {
		b := sc.Bytes()
		switch {
		case bytes.Contains(b, []byte(`"event":"send_reset"`)):
			c.sent++
		case bytes.Contains(b, []byte(`"event":"receive_reset"`)):
			c.received++
		case bytes.Contains(b, []byte(`"event":"lost"`)):
			if err := json.Unmarshal(b, &r); err != nil {
				return c, fmt.Errorf("teardown watch's lost record %q: %w", b, err)
			}
			c.lost += r.Lost
		}
	}
	return c, sc.Err()
}
