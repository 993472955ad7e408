package main

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// blockedScenario has a step that blocks until the limit, so that a signal
// is likely to find a run in the middle of one.
const blockedScenario = `scenario kill/blocked
title "a read that blocks until the step's limit"
on tcp4 tcp6 unix
limit 300ms
client write "x"   -> 1
server read 16     -> 1
client read 16     -> blocked
`

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the lab holds a tracing instance and namespaces only as root")
	}
	if _, err := os.Stat("/sys/kernel/tracing/instances"); err != nil {
		t.Skipf("no tracefs: %v", err)
	}
}

// leftovers lists what a lab process with that pid left behind on the
// host: tracing instances and run directories.
func leftovers(t *testing.T, pid int) []string {
	t.Helper()
	var left []string
	for _, pat := range []string{
		filepath.Join("/sys/kernel/tracing/instances", "teardown-"+strconv.Itoa(pid)+"-*"),
		filepath.Join(os.TempDir(), "teardown-lab-"+strconv.Itoa(pid)+"-*"),
	} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, m...)
	}
	return left
}

// netNamespaces returns the network namespaces the threads of pid are in,
// other than this process's.
func netNamespaces(pid int) map[string]bool {
	own, _ := os.Readlink("/proc/self/ns/net")
	out := map[string]bool{}
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/ns/net")
	for _, p := range tasks {
		if ns, err := os.Readlink(p); err == nil && ns != own {
			out[ns] = true
		}
	}
	return out
}

// liveNamespaces returns which of nss some process still holds, as a
// thread's namespace or an open descriptor.
func liveNamespaces(nss map[string]bool) []string {
	var live []string
	found := map[string]bool{}
	for _, pat := range []string{"/proc/[0-9]*/task/*/ns/net", "/proc/[0-9]*/fd/*"} {
		links, _ := filepath.Glob(pat)
		for _, p := range links {
			ns, err := os.Readlink(p)
			if err != nil || !nss[ns] || found[ns] || !ours(p) {
				continue
			}
			found[ns] = true
			live = append(live, ns+" held by "+p)
		}
	}
	return live
}

// ours reports whether the process of a /proc/PID/... path descends from
// this test. A lab's namespaces belong to its threads (no mount keeps one),
// so only a lab process or a child of one could keep them; and the kernel
// gives a freed namespace's inode number to new ones, which other packages'
// tests, run in parallel by go test, make all the time.
func ours(path string) bool {
	pid, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(path, "/proc/"), "/", 2)[0])
	for range 64 {
		if pid == os.Getpid() {
			return true
		}
		if pid <= 1 {
			return false
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		// The command name, in parentheses, may hold spaces; the parent's
		// pid is the second field after it.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 2 {
			return false
		}
		pid, _ = strconv.Atoi(f[1])
	}
	return false
}

// TestLabSignalsAtStart sends SIGINT or SIGTERM to lab runs at moments
// spread over their start and first steps, and checks that each ends by
// the signal's exit status (or finished first) and leaves nothing behind
// by itself, with no later run to clean up after it.
func TestLabSignalsAtStart(t *testing.T) {
	needRoot(t)
	td := filepath.Join(t.TempDir(), "blocked.td")
	if err := os.WriteFile(td, []byte(blockedScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	caught := 0
	for i := range 16 {
		sig := syscall.SIGINT
		if i%2 == 1 {
			sig = syscall.SIGTERM
		}
		delay := time.Duration(i) * 15 * time.Millisecond
		cmd := asTeardown(t, "lab", "run", td, "close-unread/*")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		start := time.Now()
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		took := time.Since(start)
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee) && ee.ExitCode() == 128+int(sig):
			caught++
			if !strings.Contains(stderr.String(), "interrupted by") {
				t.Errorf("%v after %v: exit %d but stderr does not say so: %s", sig, delay, ee.ExitCode(), stderr.String())
			}
		case errors.As(err, &ee) && ee.ExitCode() == -1:
			// Killed by the default action: only possible before the Go
			// runtime started, when nothing was held yet.
			t.Logf("%v after %v: taken by the default action (%v)", sig, delay, ee)
		default:
			t.Errorf("%v after %v: %v, want exit %d\n%s", sig, delay, err, 128+int(sig), stderr.String())
		}
		t.Logf("%v after %v: ended %v later", sig, delay, took.Round(time.Millisecond))
		if left := leftovers(t, cmd.Process.Pid); len(left) > 0 {
			t.Errorf("%v after %v left behind: %s", sig, delay, strings.Join(left, " "))
		}
	}
	if caught == 0 {
		t.Error("no run was ended by the lab's own handling of a signal")
	}
}

// TestLabSIGKILLLoop kills lab runs with SIGKILL at random moments, each
// next run starting as soon as the previous one is dead (half of them left
// unreaped, so that their pids still answer), and checks that
// after one more run nothing of the killed runs remains: no tracing
// instance, no run directory, no network namespace (and so none of the
// sockets in it).
func TestLabSIGKILLLoop(t *testing.T) {
	needRoot(t)
	td := filepath.Join(t.TempDir(), "blocked.td")
	if err := os.WriteFile(td, []byte(blockedScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)
	var pids []int
	var zombies []*exec.Cmd
	defer func() {
		for _, z := range zombies {
			z.Wait()
		}
	}()
	nss := map[string]bool{}
	for i := range 10 {
		delay := time.Duration(rng.Int64N(int64(600 * time.Millisecond)))
		cmd := asTeardown(t, "lab", "run", td, "close-unread/*", "net/peer-rebooted")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		for ns := range netNamespaces(cmd.Process.Pid) {
			nss[ns] = true
		}
		cmd.Process.Kill()
		pids = append(pids, cmd.Process.Pid)
		if i%2 == 1 {
			// Left unreaped until the end: a zombie keeps its pid, as
			// under an init that reaps nothing.
			zombies = append(zombies, cmd)
			continue
		}
		cmd.Wait()
	}
	cmd := asTeardown(t, "lab", "run", "peer-closed/read-eof", "--on", "tcp4")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the run after the kills: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("left behind")) {
		t.Errorf("the run after the kills could not clean up:\n%s", out)
	}
	for _, pid := range pids {
		if left := leftovers(t, pid); len(left) > 0 {
			t.Errorf("killed run %d left behind: %s", pid, strings.Join(left, " "))
		}
	}
	if len(nss) == 0 {
		t.Log("no kill found a run inside a namespace of its own")
	}
	if live := liveNamespaces(nss); len(live) > 0 {
		t.Errorf("namespaces of killed runs still exist: %s", strings.Join(live, "; "))
	}
}
