package lab_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/observe/kernel"
)

// Two lab processes at once, one on tcp4 and one on tcp6, run the same
// scenario on the same ports in namespaces of their own: neither record
// holds an event of the other's family, and each holds its own RSTs. The
// observer is the one TEARDOWN_KERNEL_OBSERVER names (eBPF unset); with
// tracefs, which sees the whole host, this fails.
func TestConcurrentLabsKeepTheirOwnEvents(t *testing.T) {
	if !root() {
		t.Skip("namespaces and kernel tracing need root")
	}
	observer := os.Getenv(lab.ObserverEnv)
	if observer == "" || observer == "ebpf" {
		o, err := kernel.Open(kernel.Config{FilterNetns: true})
		if err != nil {
			t.Skipf("no eBPF observer here: %v", err)
		}
		o.Close()
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "teardown")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/teardown").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	const (
		scenarioID = "close-vs-shutdown/close"
		rounds     = 15
	)
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	for _, tr := range []string{"tcp4", "tcp6"} {
		wg.Go(func() {
			for i := 0; i < rounds && time.Now().Before(deadline); i++ {
				cmd := exec.Command(bin, "lab", "run", "--json", "--on", tr, scenarioID)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Errorf("%s round %d: %v\n%s", tr, i, err, stderr.Bytes())
					return
				}
				checkOwnEvents(t, tr, i, out)
			}
		})
	}
	wg.Wait()
}

// checkOwnEvents checks one "lab run --json" report of transport tr: every
// event's actor and peer is one of the run's or an address of its family,
// and the run's own RST is there.
func checkOwnEvents(t *testing.T, tr string, round int, out []byte) {
	t.Helper()
	var rep struct {
		Runs []struct {
			Scenario  string   `json:"scenario"`
			Transport string   `json:"transport"`
			Limits    []string `json:"limits"`
			Steps     []struct {
				Events []lab.Event `json:"events"`
			} `json:"steps"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%s round %d: %v", tr, round, err)
	}
	if len(rep.Runs) != 1 {
		t.Fatalf("%s round %d: %d runs, want 1", tr, round, len(rep.Runs))
	}
	run := rep.Runs[0]
	resets := 0
	for _, st := range run.Steps {
		for _, ev := range st.Events {
			for _, name := range []string{ev.Actor, ev.Peer} {
				ap, err := netip.ParseAddrPort(name)
				if err != nil {
					continue // an actor's name
				}
				if ap.Addr().Is4() != (tr == "tcp4") {
					t.Errorf("%s round %d: the record holds another run's event: %+v", tr, round, ev)
					break
				}
			}
			if ev.Name == "tcp_send_reset" {
				resets++
			}
		}
	}
	if resets == 0 {
		t.Errorf("%s round %d: no RST in the record (limits: %s)", tr, round, strings.Join(run.Limits, "; "))
	}
}
