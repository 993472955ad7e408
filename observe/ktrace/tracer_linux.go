package ktrace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/internal/stale"
)

// tracefsRoot is where tracefs is mounted, or mounted by us; debugfsRoot
// is where older systems expose it.
const (
	tracefsRoot = "/sys/kernel/tracing"
	debugfsRoot = "/sys/kernel/debug/tracing"
)

// syncTimeout bounds how long Sync waits for its marker; the marker comes
// back in microseconds unless tracing is broken.
const syncTimeout = 2 * time.Second

// instances counts the Tracers this process opened, to name their
// instances apart.
var instances atomic.Uint64

// Tracer owns a tracefs instance with the TCP tracepoints enabled and reads
// its trace_pipe. One Tracer per process is the intended use: the instance
// sees every namespace, and callers attribute its events. Its methods are
// safe for concurrent use.
type Tracer struct {
	mu      sync.Mutex
	dir     string // the instance directory
	pipe    int    // trace_pipe, non-blocking
	marker  int    // trace_marker
	enabled []string
	seq     uint64
	partial []byte  // an incomplete line read from trace_pipe
	pending []Event // events read after the previous Sync's marker
	lost    int     // events the kernel reported lost since the last Sync
	buf     []byte
}

// root returns the tracefs mount point, mounting tracefs at
// /sys/kernel/tracing if no mount is found.
func root() (string, error) {
	for _, r := range []string{tracefsRoot, debugfsRoot} {
		if _, err := os.Stat(filepath.Join(r, "instances")); err == nil {
			return r, nil
		}
	}
	if err := unix.Mount("nodev", tracefsRoot, "tracefs", 0, ""); err != nil {
		return "", fmt.Errorf("%w: tracefs is not mounted at %s and mounting it failed (%v); run as root or mount it: mount -t tracefs nodev %s",
			ErrUnavailable, tracefsRoot, err, tracefsRoot)
	}
	if _, err := os.Stat(filepath.Join(tracefsRoot, "instances")); err != nil {
		return "", fmt.Errorf("%w: tracefs at %s has no instances directory: %v", ErrUnavailable, tracefsRoot, err)
	}
	return tracefsRoot, nil
}

// The events a Tracer enables; required ones must exist.
var events = []struct {
	path     string
	required bool
	filter   string
}{
	{"tcp/tcp_send_reset", true, ""},
	{"tcp/tcp_receive_reset", false, ""},
	{"sock/inet_sock_set_state", true, "protocol == 6"},
	{"sock/inet_sk_error_report", false, "protocol == 6"},
}

// Open creates a tracing instance named teardown-<pid>-<n>, sets its clock
// to CLOCK_MONOTONIC, enables the TCP tracepoints and opens its trace_pipe.
// Events are recorded from then on, until Close. It mounts tracefs if it is
// missing and the process may; otherwise the error wraps ErrUnavailable.
func Open() (*Tracer, error) {
	r, err := root()
	if err != nil {
		return nil, fmt.Errorf("open kernel trace: %w", err)
	}
	name := fmt.Sprintf("teardown-%d-%d", os.Getpid(), instances.Add(1))
	t := &Tracer{dir: filepath.Join(r, "instances", name), pipe: -1, marker: -1, buf: make([]byte, 64<<10)}
	if err := os.Mkdir(t.dir, 0o700); err != nil {
		if errors.Is(err, os.ErrPermission) {
			err = fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		return nil, fmt.Errorf("open kernel trace: create instance: %w", err)
	}
	if err := t.setup(); err != nil {
		dir := t.dir
		t.release()
		return nil, fmt.Errorf("open kernel trace in %s: %w", dir, err)
	}
	return t, nil
}

func (t *Tracer) setup() error {
	if err := t.write("trace_clock", "mono"); err != nil {
		return err
	}
	for _, e := range events {
		dir := filepath.Join("events", e.path)
		if _, err := os.Stat(filepath.Join(t.dir, dir)); err != nil {
			if e.required {
				return fmt.Errorf("this kernel has no tracepoint %s: %w", e.path, err)
			}
			continue
		}
		// A filter the kernel rejects only costs noise; the events are
		// still right.
		if e.filter != "" {
			_ = t.write(filepath.Join(dir, "filter"), e.filter)
		}
		if err := t.write(filepath.Join(dir, "enable"), "1"); err != nil {
			return err
		}
		t.enabled = append(t.enabled, dir)
	}
	var err error
	if t.marker, err = unix.Open(filepath.Join(t.dir, "trace_marker"), unix.O_WRONLY|unix.O_CLOEXEC, 0); err != nil {
		return fmt.Errorf("open trace_marker: %w", err)
	}
	if t.pipe, err = unix.Open(filepath.Join(t.dir, "trace_pipe"), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err != nil {
		return fmt.Errorf("open trace_pipe: %w", err)
	}
	return nil
}

// write writes value to the instance's control file name.
func (t *Tracer) write(name, value string) error {
	if err := os.WriteFile(filepath.Join(t.dir, name), []byte(value), 0); err != nil {
		return fmt.Errorf("write %q to %s: %w", value, name, err)
	}
	return nil
}

// Dir returns the instance's directory in tracefs.
func (t *Tracer) Dir() string { return t.dir }

// Sync returns every event recorded since the previous Sync, in time order.
// It writes a unique marker into the trace and reads until the marker comes
// back; since the kernel merges its per-CPU buffers by time, every event
// that happened before Sync was called is then in the result, without any
// sleeping. Sync fails if the marker does not come back within two
// seconds. If the kernel reported lost events, Sync returns the events it
// has and an error wrapping ErrLost.
//
// Concurrent calls are serialised; each event is returned once, to
// whichever call reads it.
func (t *Tracer) Sync() ([]Event, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pipe < 0 {
		return nil, fmt.Errorf("sync kernel trace: %w", os.ErrClosed)
	}
	t.seq++
	mark := fmt.Sprintf("teardown-sync %s %d", filepath.Base(t.dir), t.seq)
	if _, err := unix.Write(t.marker, []byte(mark)); err != nil {
		return nil, fmt.Errorf("sync kernel trace: write trace_marker: %w", err)
	}
	deadline := time.Now().Add(syncTimeout)
	out := t.pending
	t.pending = nil
	for {
		n, err := unix.Read(t.pipe, t.buf)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := t.wait(deadline); err != nil {
				t.pending = out
				return nil, fmt.Errorf("sync kernel trace: marker %q: %w", mark, err)
			}
			continue
		case err != nil:
			t.pending = out
			return nil, fmt.Errorf("sync kernel trace: read trace_pipe: %w", err)
		}
		var found bool
		out, found = t.consume(out, t.buf[:n], mark)
		if found {
			return t.finish(out)
		}
	}
}

// consume parses the complete lines of b (after any partial line kept from
// the previous read) into events, and reports whether mark was among them.
// Events after the marker are kept for the next Sync.
func (t *Tracer) consume(evs []Event, b []byte, mark string) ([]Event, bool) {
	data := append(t.partial, b...)
	last := bytes.LastIndexByte(data, '\n')
	if last < 0 {
		t.partial = data
		return evs, false
	}
	t.partial = append([]byte(nil), data[last+1:]...)
	found := false
	for _, line := range strings.Split(string(data[:last]), "\n") {
		ev, ok, err := ParseLine(line)
		if err != nil {
			// A line this parser cannot read is passed on rather than
			// dropped: the caller sees it in Raw.
			ev, ok = Event{Name: Unparsed, Raw: line}, true
		}
		if !ok {
			continue
		}
		switch {
		case ev.Name == Marker && strings.HasPrefix(ev.Message, "teardown-sync "):
			// Our markers, including stale ones of a Sync that timed out.
			if ev.Message == mark {
				found = true
			}
			continue
		case ev.Name == Lost:
			t.lost += ev.Lost
		}
		if found {
			t.pending = append(t.pending, ev)
		} else {
			evs = append(evs, ev)
		}
	}
	return evs, found
}

// finish returns the events of one Sync, with ErrLost if events were lost.
func (t *Tracer) finish(evs []Event) ([]Event, error) {
	if t.lost > 0 {
		n := t.lost
		t.lost = 0
		return evs, fmt.Errorf("sync kernel trace: %w: %d events", ErrLost, n)
	}
	return evs, nil
}

// wait polls trace_pipe until it is readable or the deadline passes.
func (t *Tracer) wait(deadline time.Time) error {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("did not come back from trace_pipe within %v", syncTimeout)
		}
		fds := []unix.PollFd{{Fd: int32(t.pipe), Events: unix.POLLIN}}
		_, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll trace_pipe: %w", err)
		}
		return nil
	}
}

// Close disables the events, closes the files and removes the instance.
func (t *Tracer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dir == "" {
		return nil
	}
	err := t.release()
	if err != nil {
		return fmt.Errorf("close kernel trace: %w", err)
	}
	return nil
}

// release undoes whatever Open did; every step is tried whatever failed
// before, and the first error is returned.
func (t *Tracer) release() error {
	var errs []error
	if err := t.write("tracing_on", "0"); err != nil {
		errs = append(errs, err)
	}
	for _, dir := range t.enabled {
		if err := t.write(filepath.Join(dir, "enable"), "0"); err != nil {
			errs = append(errs, err)
		}
	}
	t.enabled = nil
	for _, fd := range []*int{&t.pipe, &t.marker} {
		if *fd >= 0 {
			if err := unix.Close(*fd); err != nil {
				errs = append(errs, err)
			}
			*fd = -1
		}
	}
	// The kernel refuses to remove an instance while a file in it is
	// open; ours are closed now.
	if err := unix.Rmdir(t.dir); err != nil && err != unix.ENOENT {
		errs = append(errs, fmt.Errorf("remove instance %s: %w", t.dir, err))
	}
	t.dir = ""
	return errors.Join(errs...)
}

// staleName matches the instances Open creates.
var staleName = regexp.MustCompile(`^teardown-([0-9]+)-[0-9]+$`)

// staleRetry bounds how long CleanStale waits for a dead run's instance to
// become removable: the kernel refuses rmdir (EBUSY) while a file in the
// instance is still open, as it is for the moment a killed process takes
// to close its descriptors.
const staleRetry = 500 * time.Millisecond

// CleanStale removes the tracing instances that Open created in processes
// that no longer run, as a crash or a SIGKILL leaves them (a process that
// was given a dead run's pid later does not keep its instance alive). Before removing
// one it turns its tracing and its events off, so that an instance that
// cannot be removed at least stops recording. It is meant for a program's
// start. The error names each instance it could not remove, and why.
func CleanStale() error {
	r, err := root()
	if err != nil {
		return fmt.Errorf("clean stale trace instances: %w", err)
	}
	dir := filepath.Join(r, "instances")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("clean stale trace instances: %w", err)
	}
	var errs []error
	for _, e := range entries {
		m := staleName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() {
			continue
		}
		info, err := e.Info()
		if err != nil || !stale.Gone(pid, info.ModTime()) {
			continue
		}
		if err := removeInstance(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean stale trace instances: %w", err)
	}
	return nil
}

// removeInstance turns an instance's tracing and events off and removes
// it, retrying for staleRetry while the kernel says it is busy. An
// instance that another process removes meanwhile (programs starting
// together each clean up) is gone, not left behind: the kernel answers
// for it with ENOENT, or with ENODEV while its removal is under way.
func removeInstance(path string) error {
	var errs []error
	for _, f := range []string{"tracing_on", "events/enable"} {
		if err := os.WriteFile(filepath.Join(path, f), []byte("0"), 0); err != nil && !gone(err) {
			errs = append(errs, fmt.Errorf("turn off %s: %w", f, err))
		}
	}
	deadline := time.Now().Add(staleRetry)
	for {
		err := unix.Rmdir(path)
		switch {
		case err == nil, gone(err):
			return nil
		case err == unix.EBUSY && time.Now().Before(deadline):
			time.Sleep(10 * time.Millisecond)
			continue
		}
		errs = append(errs, fmt.Errorf("rmdir: %w", err))
		return fmt.Errorf("instance %s left behind: %w", path, errors.Join(errs...))
	}
}

// gone reports whether err says a tracing instance, or a file in it, no
// longer exists.
func gone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENODEV)
}

// Reasons returns the RST reason names the running kernel's tcp_send_reset
// can print, read from its format file.
func Reasons() ([]string, error) {
	r, err := root()
	if err != nil {
		return nil, fmt.Errorf("read RST reasons: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(r, "events/tcp/tcp_send_reset/format"))
	if err != nil {
		return nil, fmt.Errorf("read RST reasons: %w", err)
	}
	return ParseReasons(string(b))
}

// Mono returns the current CLOCK_MONOTONIC time, the clock of Event.Mono,
// for stamping what the caller does on the same timeline.
func Mono() time.Duration {
	var ts unix.Timespec
	// CLOCK_MONOTONIC cannot fail on Linux.
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}
