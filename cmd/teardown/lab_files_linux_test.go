package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// In a child, noFileEnv sets the open-file limit ("SOFT:HARD") and
// leaveFilesEnv opens /dev/null until only that many descriptors are left
// below the soft limit, as another job in the process would hold them.
const (
	noFileEnv     = "TEARDOWN_TEST_NOFILE"
	leaveFilesEnv = "TEARDOWN_TEST_LEAVE_FILES"
)

func init() {
	prepareChild = func() {
		if v := os.Getenv(noFileEnv); v != "" {
			var lim unix.Rlimit
			if _, err := fmt.Sscanf(v, "%d:%d", &lim.Cur, &lim.Max); err != nil {
				panic(err)
			}
			if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
				panic(err)
			}
		}
		if v := os.Getenv(leaveFilesEnv); v != "" {
			leave, _ := strconv.Atoi(v)
			var lim unix.Rlimit
			unix.Getrlimit(unix.RLIMIT_NOFILE, &lim)
			for {
				fd, err := unix.Open("/dev/null", unix.O_RDONLY, 0)
				if err != nil {
					panic(err)
				}
				if fd >= int(lim.Cur)-leave-1 {
					break
				}
			}
		}
	}
}

// TestLabFileLimit runs the lab with a low soft open-file limit and many
// runs asked at once: the lab raises the limit to the hard one and runs no
// more at once than fit, so every run matches.
func TestLabFileLimit(t *testing.T) {
	cmd := asTeardown(t, "lab", "verify", "close-unread/*", "peer-closed/*", "--parallel", "64")
	cmd.Env = append(cmd.Env, noFileEnv+"=40:200")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "runs at once instead of 64: the open-file limit is 200") {
		t.Errorf("the report does not say the runs were fewer at once, under the raised limit of 200:\n%s", out)
	}
}

// TestLabOutOfFiles leaves a run almost no descriptors: the runs that
// cannot be carried out are lab errors, with their own exit status, and
// never differences.
func TestLabOutOfFiles(t *testing.T) {
	cmd := asTeardown(t, "lab", "verify", "close-unread/read", "connect/refused", "--on", "tcp4,unix")
	cmd.Env = append(cmd.Env, noFileEnv+"=64:64", leaveFilesEnv+"=3")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitLabError {
		t.Fatalf("%v, want exit %d\n%s", err, exitLabError, out)
	}
	s := string(out)
	for _, want := range []string{"LAB ERROR", "lab errors (the lab could not carry these runs out)", "too many open files", "could not carry out"} {
		if !strings.Contains(s, want) {
			t.Errorf("the report does not say %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "DIFFERS") || !strings.Contains(s, "0 matched, 0 differ, 4 lab errors") {
		t.Errorf("a run the lab could not carry out is reported as a difference:\n%s", s)
	}
}
