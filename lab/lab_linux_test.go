package lab_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/report"
	"github.com/teardown-net/teardown/scenario"
)

func newLab(t *testing.T, opts lab.Options) *lab.Lab {
	t.Helper()
	l, err := lab.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close the lab: %v", err)
		}
	})
	return l
}

func parse(t *testing.T, src string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse(t.Name()+".td", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func timeline(r *lab.Record) string {
	var b bytes.Buffer
	report.Timeline(&b, r, report.Options{})
	return b.String()
}

func root() bool { return os.Geteuid() == 0 }

// The built-in catalog is the lab's conformance suite: on this kernel every
// run must match, and together the runs must reproduce every seed.
func TestCatalogMatchesThisKernel(t *testing.T) {
	scs, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := newLab(t, lab.Options{})
	recs := l.Run(context.Background(), lab.Plan(scs, nil))
	for _, r := range recs {
		if r.Verdict != lab.Match {
			t.Errorf("%s on %s: %s\n%s", r.Scenario, r.Transport, r.Verdict, timeline(r))
		}
	}
	sum := report.Summarize(recs)
	for _, seed := range []string{
		"000_325bdd3517f7f05a.txt", "001_85100a8f6e5c0c67.txt", "002_c6fcfc34c2b6fccd.txt",
		"003_8fdb2453c9e3390d.txt", "004_c1973e0406ec7011.txt",
	} {
		if !strings.Contains(strings.Join(sum.Sources, " "), seed) {
			t.Errorf("no run reproduces seed %s", seed)
		}
	}
}

// The kernel's own account: what the wire, the socket states and the
// tracepoints recorded for a close with unread data.
func TestObservesWireStatesAndReasons(t *testing.T) {
	if !root() {
		t.Skip("capture and tracing need root")
	}
	sc, err := catalog.Get("close-unread/read")
	if err != nil {
		t.Fatal(err)
	}
	l := newLab(t, lab.Options{})
	for _, tr := range []scenario.Transport{scenario.TCP4, scenario.TCP6} {
		r := l.Run(context.Background(), []lab.Job{{Scenario: sc, Transport: tr}})[0]
		if !r.Env.Isolated || !r.Env.Capture || !r.Env.Trace {
			t.Fatalf("%s: as root the run should be isolated, captured and traced: %+v (limits %v)", tr, r.Env, l.Limits())
		}
		var closeStep *lab.Step
		for i := range r.Steps {
			if r.Steps[i].Op == scenario.OpClose {
				closeStep = &r.Steps[i]
			}
		}
		if closeStep == nil {
			t.Fatalf("%s: no close step recorded", tr)
		}
		var rst, reason bool
		for _, p := range closeStep.Packets {
			if p.From == "server" && p.To == "client" && strings.Contains(p.Flags, "R") {
				rst = true
			}
		}
		for _, ev := range closeStep.Events {
			if ev.Name == "tcp_send_reset" && ev.Actor == "server" && ev.Reason == "TCP_ABORT_ON_CLOSE" {
				reason = true
			}
		}
		if !rst || !reason {
			t.Errorf("%s: close step: RST captured %v, reason traced %v\n%s", tr, rst, reason, timeline(r))
		}
		setup := r.Steps[0]
		if len(setup.Packets) != 3 {
			t.Errorf("%s: setup should capture the three-way handshake, got %+v", tr, setup.Packets)
		}
	}
}

// SIGPIPE is a property of the thread that wrote. With many runs in
// parallel, each write must still report exactly its own.
func TestSIGPIPEIsAttributedToEachWrite(t *testing.T) {
	sc := parse(t, `
scenario test/sigpipe
title "writes after the peer closed, with and without MSG_NOSIGNAL"
on unix socketpair pipe tcp4
server close
tcp4: client write "first"
client write "a"
local,tcp4: client send "b" nosignal
client write "c"
local,tcp4: client send "d" nosignal
client write "e"
`)
	var jobs []lab.Job
	for range 12 {
		for _, tr := range sc.On {
			jobs = append(jobs, lab.Job{Scenario: sc, Transport: tr})
		}
	}
	l := newLab(t, lab.Options{Parallel: 16})
	raised := 0
	for _, r := range l.Run(context.Background(), jobs) {
		if r.Error != "" {
			t.Fatalf("%s: %s", r.Transport, r.Error)
		}
		for _, st := range r.Steps {
			if st.Kind != "op" || st.Skip || st.Op == scenario.OpClose {
				continue
			}
			want := st.Op == scenario.OpWrite && st.Result.Kind == scenario.ResultErrno && st.Result.Errno == "EPIPE"
			if st.Result.SIGPIPE != want {
				t.Errorf("%s line %d %q: SIGPIPE %v, want %v (result %s)", r.Transport, st.Line, st.Text, st.Result.SIGPIPE, want, st.Result)
			}
			if st.Result.SIGPIPE {
				raised++
			}
		}
	}
	if raised == 0 {
		t.Fatal("no write raised SIGPIPE: the test proves nothing")
	}
}

// A call that never completes is ended by the step's limit and reported
// blocked; the run goes on.
func TestBlockedCallEndsAtTheLimit(t *testing.T) {
	sc := parse(t, `
scenario test/blocked
title "blocked calls"
limit 30ms
on all
server read 16 -> blocked
client write "x" -> 1
server read 16 -> 1
`)
	l := newLab(t, lab.Options{})
	for _, r := range l.Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
			continue
		}
		if took := r.Steps[1].Took; took < 30*time.Millisecond {
			t.Errorf("%s: the blocked read returned after %v, before its limit", r.Transport, took)
		}
	}
}

// A cancelled run stops between steps and releases what it made.
func TestCancelStopsAndReleases(t *testing.T) {
	sc := parse(t, `
scenario test/cancel
title "many blocked reads"
limit 100ms
on tcp4 unix pipe
server read 16
server read 16
server read 16
server read 16
server read 16
server read 16
`)
	l := newLab(t, lab.Options{})
	before := openFDs(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(150*time.Millisecond, cancel)
	for _, r := range l.Run(ctx, lab.Plan([]*scenario.Scenario{sc}, nil)) {
		if !strings.Contains(r.Error, "stopped") {
			t.Errorf("%s: want the run stopped, got error %q, %d steps", r.Transport, r.Error, len(r.Steps))
		}
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open after the runs, %d before", after, before)
	}
}

// Whatever a run makes, it releases: descriptors, directories, and (when
// the lab closes) its tracing instance.
func TestReleasesEverything(t *testing.T) {
	scs, err := catalog.Select([]string{"close-unread/*", "accept/*", "connect/*", "read/*"})
	if err != nil {
		t.Fatal(err)
	}
	// The runs' directories go under a TMPDIR of the test's own, where no
	// other process makes any.
	t.Setenv("TMPDIR", t.TempDir())
	before := openFDs(t)
	dirs := tempDirs(t)
	l, err := lab.New(lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.Run(context.Background(), lab.Plan(scs, nil))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open after the runs, %d before", after, before)
	}
	if after := tempDirs(t); after > dirs {
		t.Errorf("%d lab directories left in %s, %d before", after, os.TempDir(), dirs)
	}
	inst, _ := filepath.Glob("/sys/kernel/tracing/instances/teardown-" + strconv.Itoa(os.Getpid()) + "-*")
	if len(inst) > 0 {
		t.Errorf("tracing instances left: %v", inst)
	}
}

// A crashed lab's run directories are removed when the next lab starts;
// those of a lab still running are not.
func TestRemovesStaleDirectories(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	// A pid above the kernel's limit never runs.
	dead := filepath.Join(tmp, "teardown-lab-4194305-123")
	alive := filepath.Join(tmp, "teardown-lab-"+strconv.Itoa(os.Getpid())+"-456")
	for _, d := range []string{dead, alive} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	newLab(t, lab.Options{})
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead lab's directory is still there: %v", err)
	}
	if _, err := os.Stat(alive); err != nil {
		t.Errorf("a running lab's directory was removed: %v", err)
	}
}

// A scenario written by a user, in a file, runs like a built-in one.
func TestUserScenarioFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mine.td")
	src := `# a half-close: the reply still comes back
scenario mine/half-close
title "the client half-closes and still gets its reply"
on tcp local
client write "question" -> 8
client shutdown wr -> ok
expect tcp: wire client>server F
server read 64 -> 8
server read 64 -> 0
server write "answer" -> 6
client read 64 -> 6
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	scs, err := catalog.Select([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	l := newLab(t, lab.Options{})
	recs := l.Run(context.Background(), lab.Plan(scs, nil))
	if len(recs) != 5 {
		t.Fatalf("%d runs, want 5 (tcp4 tcp6 unix unixpacket socketpair)", len(recs))
	}
	for _, r := range recs {
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
		if got := step(t, r, 11).Data; got != "answer" {
			t.Errorf("%s: the client read %q, want the reply", r.Transport, got)
		}
	}
}

// Without a namespace per run the lab shares loopback with the host and
// says what it cannot observe.
func TestSharedNamespace(t *testing.T) {
	scs, err := catalog.Select([]string{"close-unread/read", "peer-closed/*", "linger/zero"})
	if err != nil {
		t.Fatal(err)
	}
	l := newLab(t, lab.Options{NoIsolation: true})
	if !strings.Contains(strings.Join(l.Limits(), "\n"), "isolation turned off") {
		t.Errorf("limits do not say isolation is off: %v", l.Limits())
	}
	for _, r := range l.Run(context.Background(), lab.Plan(scs, nil)) {
		if r.Env.Isolated {
			t.Errorf("%s on %s ran isolated", r.Scenario, r.Transport)
		}
		if r.Verdict != lab.Match {
			t.Errorf("%s on %s: %s\n%s", r.Scenario, r.Transport, r.Verdict, timeline(r))
		}
	}
}

// An unprivileged user gets every result the kernel gives it, and a plain
// word about what the lab could not do.
func TestWithoutRoot(t *testing.T) {
	if !root() {
		t.Skip("this test drops root to show the unprivileged lab")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "teardown")
	build := exec.Command("go", "build", "-o", bin, "../cmd/teardown")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "lab", "verify", "close-unread/read", "peer-closed/write-nosignal")
	cmd.Env = append(os.Environ(), "TMPDIR=/tmp", "HOME=/tmp")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("verify as nobody: %v\n%s", err, out)
	}
	for _, want := range []string{"no network namespace per run", "no packet capture", "no kernel tracing", "0 differ"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func tempDirs(t *testing.T) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(os.TempDir(), "teardown-lab-*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}
