package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/internal/stale"
	"github.com/teardown-net/teardown/netns"
	"github.com/teardown-net/teardown/observe/ktrace"
)

// environment is what this process may do, found out once by New.
type environment struct {
	kernel  string
	isolate bool           // runs get a network namespace of their own
	capture bool           // AF_PACKET capture works in a run's namespace
	tracer  kernelObserver // nil without tracing
	limits  []string
	// releasing counts what runs that have ended are still releasing.
	releasing sync.WaitGroup
}

// release runs f, which frees something a run that has ended held, while
// the next runs go on: closing a capture socket waits for an RCU grace
// period (packet_release calls synchronize_net), milliseconds in which a
// run's slot would otherwise stand idle.
func (env *environment) release(f func()) { env.releasing.Go(f) }

// released waits until everything given to release is freed.
func (env *environment) released() { env.releasing.Wait() }

func newEnvironment(opts Options) (*environment, error) {
	raiseFileLimit()
	removeStaleDirs()
	env := &environment{kernel: kernelRelease()}
	switch {
	case opts.NoIsolation:
		env.limits = append(env.limits, "isolation turned off: runs share this network namespace and use ephemeral ports")
	default:
		if err := tryNamespace(); err != nil {
			env.limits = append(env.limits, fmt.Sprintf("no network namespace per run (%v): runs share this namespace and use ephemeral ports", err))
		} else {
			env.isolate = true
		}
	}
	// Capturing in the shared namespace would mix the lab's packets with
	// the host's, so packets are captured only inside a run's own
	// namespace.
	env.capture = env.isolate && unix.Geteuid() == 0
	if !env.capture {
		env.limits = append(env.limits, "no packet capture: it needs root and a namespace per run; wire checks are left unchecked")
	}
	if unix.Geteuid() == 0 {
		// A run killed earlier may have left its instance behind, still
		// tracing every RST on the host: one that cannot be removed is
		// said, not ignored.
		if err := ktrace.CleanStale(); err != nil && !errors.Is(err, ktrace.ErrUnavailable) {
			env.limits = append(env.limits, err.Error())
		}
	}
	var err error
	if env.tracer, env.limits, err = openKernelObserver(env.isolate, env.limits); err != nil {
		return nil, err
	}
	return env, nil
}

// ObserverEnv names the environment variable that chooses the lab's
// kernel observer: "ebpf" or "tracefs"; unset, eBPF where the kernel
// allows it, else tracefs.
const ObserverEnv = "TEARDOWN_KERNEL_OBSERVER"

// openKernelObserver opens the eBPF observer, which sees only the lab's
// namespaces, or where it is refused the tracefs reader, which sees the
// whole host, and says so in limits.
func openKernelObserver(isolated bool, limits []string) (kernelObserver, []string, error) {
	choice := os.Getenv(ObserverEnv)
	var why string // why tracefs, when it is the fallback
	switch choice {
	case "", "ebpf":
		k, err := openKernelHub(isolated)
		if err == nil {
			if k.o.HasReason() && k.reasons == nil {
				limits = append(limits, "the kernel's RST reason names could not be read (neither BTF nor the tcp_send_reset format file gives them): reasons are shown as numbers and not checked")
			}
			return k, limits, nil
		}
		if choice == "ebpf" {
			return nil, append(limits, fmt.Sprintf("no kernel tracing (%v): RST reasons and state changes are not recorded", err)), nil
		}
		why = fmt.Sprintf("no eBPF kernel observer (%v)", err)
	case "tracefs":
		why = ObserverEnv + "=tracefs"
	default:
		return nil, nil, fmt.Errorf("%s=%q: expected ebpf or tracefs, or unset", ObserverEnv, choice)
	}
	hub, err := openTraceHub()
	if err != nil {
		return nil, append(limits, fmt.Sprintf("no kernel tracing (%v): RST reasons and state changes are not recorded", err)), nil
	}
	if hub.reasonsErr != nil {
		limits = append(limits, fmt.Sprintf("the kernel's RST reason names could not be read (%v): reasons are shown as numbers and not checked", hub.reasonsErr))
	}
	return hub, append(limits, why+": the kernel's account comes from tracefs, which sees every namespace, and another process's events on the run's ports can enter the record"), nil
}

func (env *environment) describe() Env {
	e := Env{OS: OS, Kernel: env.kernel, Isolated: env.isolate, Capture: env.capture, Trace: env.tracer != nil}
	if env.tracer != nil {
		e.Reasons = env.tracer.reasonNames()
	}
	return e
}

func (env *environment) close() error {
	if env.tracer != nil {
		return env.tracer.close()
	}
	return nil
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return string(bytes.TrimRight(u.Release[:], "\x00"))
}

// tryNamespace finds out whether this process can make network namespaces,
// on a thread that is thrown away afterwards.
func tryNamespace() error {
	done := make(chan error)
	go func() {
		// The thread is never unlocked: when this goroutine returns, the
		// runtime ends the thread and its namespace with it.
		runtime.LockOSThread()
		done <- enterNamespace()
	}()
	return <-done
}

// runHashBuckets is the size of each run's private TCP hash table: a run
// has a handful of sockets, and every settle dumps the whole table.
const runHashBuckets = 256

// enterNamespace moves the calling thread, which must be locked, into a new
// network namespace with its loopback interface up.
func enterNamespace() error { return netns.Enter(runHashBuckets) }

// tempDir makes the directory a run's unix sockets live in. Its name
// carries the process's id, so that removeStaleDirs can tell the
// directories of a process that died without removing them.
func tempDir() (string, error) {
	return os.MkdirTemp("", fmt.Sprintf("teardown-lab-%d-", os.Getpid()))
}

// removeStaleDirs removes the run directories of lab processes that no
// longer run, as a crash or a SIGKILL leaves them.
func removeStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "teardown-lab-*-*"))
	for _, d := range dirs {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), "teardown-lab-%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if st, err := os.Stat(d); err == nil && stale.Gone(pid, st.ModTime()) {
			os.RemoveAll(d)
		}
	}
}
