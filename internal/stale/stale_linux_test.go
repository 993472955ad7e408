package stale

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestGone(t *testing.T) {
	self := os.Getpid()
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	later := exec.Command("sleep", "10")
	if err := later.Start(); err != nil {
		t.Fatal(err)
	}
	defer later.Wait()
	defer later.Process.Kill()
	now := time.Now()
	for _, tc := range []struct {
		name     string
		pid      int
		modified time.Time
		gone     bool
	}{
		{"this process, now", self, now, false},
		{"a process that has exited", exited.Process.Pid, now, true},
		{"a process started after the modification", later.Process.Pid, now.Add(-time.Hour), true},
		{"a process started before the modification", later.Process.Pid, now.Add(time.Minute), false},
		{"pid 0", 0, now, false},
	} {
		if got := Gone(tc.pid, tc.modified); got != tc.gone {
			t.Errorf("%s: Gone(%d, %v) = %v, want %v", tc.name, tc.pid, tc.modified, got, tc.gone)
		}
	}
}

// TestGoneZombie checks that a child that has exited and is not reaped yet
// is gone, though its pid still answers kill(pid, 0).
func TestGoneZombie(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, ok := statFields(cmd.Process.Pid)
		if ok && f[0] == "Z" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child did not become a zombie: %v", f)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !Gone(cmd.Process.Pid, time.Now()) {
		t.Error("a zombie is not gone")
	}
}
