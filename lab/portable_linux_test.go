package lab_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/observe/wire"
	"github.com/teardown-net/teardown/scenario"
)

// The portable runner is the only one macOS and FreeBSD have; on Linux it
// runs the same catalog and must agree with it, and with the full runner,
// on everything it observes: no run differs, and every call it made gave
// the result the full runner's run of the same job recorded. As root it
// captures loopback, so wire checks are checked too. What it could
// not check is listed, so that a check that silently became unchecked
// shows in the log.
func TestPortableAgreesWithCatalog(t *testing.T) {
	scs, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	jobs := lab.Plan(scs, nil)
	fds, dirs := openFDs(t), ownTempDirs(t)
	port := newLab(t, lab.Options{Portable: true}).Run(context.Background(), jobs)
	if n := openFDs(t); n != fds {
		t.Errorf("%d descriptors open after the portable runs, %d before", n, fds)
	}
	if n := ownTempDirs(t); n != dirs {
		t.Errorf("%d run directories after the portable runs, %d before", n, dirs)
	}
	full := newLab(t, lab.Options{}).Run(context.Background(), jobs)

	unchecked := map[string]int{} // why → how many
	ran, wires := 0, 0
	for i, r := range port {
		name := r.Scenario + " on " + string(r.Transport)
		if !r.Env.Portable || r.Env.Capture != root() || r.Env.Trace || r.Env.Isolated {
			t.Fatalf("%s: env %+v, want a portable run without tracing or namespace, capturing as root only", name, r.Env)
		}
		switch r.Verdict {
		case lab.Skipped:
			unchecked["run skipped: "+r.Skip]++
			continue
		case lab.Match:
		default:
			t.Errorf("%s: %s %s limits %q\n%s", name, r.Verdict, r.Error, r.Limits, timeline(r))
			continue
		}
		ran++
		f := full[i]
		if f.Verdict == lab.Skipped {
			continue
		}
		results := map[int]string{}
		for _, st := range f.Steps {
			if st.Result != nil {
				results[st.Line] = st.Result.String()
			}
		}
		for _, st := range r.Steps {
			if st.Result != nil && st.Line > 0 && results[st.Line] != st.Result.String() {
				t.Errorf("%s line %d: the portable runner got %s, the full runner %s", name, st.Line, st.Result, results[st.Line])
			}
			if st.Kind == lab.StepExpect && st.Check != nil && st.Check.Expect.Kind == scenario.ExpectWire && st.Verdict != lab.Unchecked {
				wires++
			}
			if st.Kind == lab.StepExpect && st.Verdict == lab.Unchecked && !st.Skip {
				why := st.Check.Observed
				if st.Check.Note != "" {
					why = st.Check.Note
				}
				unchecked[fmt.Sprintf("expect %s: %s", st.Check.Expect.Kind, why)]++
			}
		}
	}
	if ran == 0 {
		t.Fatal("the portable runner ran nothing")
	}
	if root() && wires == 0 {
		t.Error("as root the portable runner captures loopback, yet it checked no wire expectation")
	}
	whys := make([]string, 0, len(unchecked))
	for w := range unchecked {
		whys = append(whys, w)
	}
	sort.Strings(whys)
	t.Logf("%d of %d runs matched, %d wire expectations checked; not checked by the portable runner:", ran, len(port), wires)
	for _, w := range whys {
		t.Logf("  %3d× %s", unchecked[w], w)
	}
}

// The portable runner needs no privilege: as nobody it runs the same
// scenarios to the same verdicts, and says what it cannot see.
func TestPortableWithoutRoot(t *testing.T) {
	if !root() {
		t.Skip("this test drops root")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "teardown")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/teardown").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "lab", "verify", "--portable", "close-unread/*", "peer-closed/*")
	cmd.Env = append(os.Environ(), "TMPDIR=/tmp", "HOME=/tmp")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("verify --portable as nobody: %v\n%s", err, out)
	}
	for _, want := range []string{"portable runner: no packet capture", "not checked here:", " 0 differ, 0 skipped"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// ownTempDirs counts this process's run directories: other processes on
// the machine make theirs in the same place.
func ownTempDirs(t *testing.T) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("teardown-lab-%d-*", os.Getpid())))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// As root the portable runner writes what it captured to the pcap file of
// each TCP run: the packets of the record's steps, no more (other
// processes' packets on the shared loopback are not the run's), no fewer.
func TestPortablePcap(t *testing.T) {
	if !root() {
		t.Skip("capture on the host's loopback needs root")
	}
	scs, err := catalog.Select([]string{"close-unread/read"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	recs := newLab(t, lab.Options{Portable: true, PcapDir: dir}).Run(context.Background(), lab.Plan(scs, []scenario.Transport{scenario.TCP4, scenario.TCP6}))
	for _, r := range recs {
		if r.Verdict != lab.Match || r.Pcap == "" {
			t.Fatalf("%s on %s: %s, pcap %q\n%s", r.Scenario, r.Transport, r.Verdict, r.Pcap, timeline(r))
		}
		want := 0
		for _, st := range r.Steps {
			want += len(st.Packets)
		}
		f, err := os.Open(r.Pcap)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := wire.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for {
			rec, err := rd.Next()
			if err != nil {
				break
			}
			if rec.Kind == wire.KindTCP {
				got++
			}
		}
		rd.Close()
		f.Close()
		// close-unread/read has a handshake, data, its ACK and the RST.
		if got != want || want < 6 {
			t.Errorf("%s on %s: %d TCP packets in %s, %d in the record (at least 6)", r.Scenario, r.Transport, got, r.Pcap, want)
		}
	}
}
