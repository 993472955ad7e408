package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/analyze"
	"github.com/teardown-net/teardown/observe/wire"
)

func TestAnalyzeCommand(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		code    int
		errOut  string
		outWant string
	}{
		{args: []string{"analyze"}, code: exitUsage, errOut: "give one capture file"},
		{args: []string{"analyze", "--only", "weird", "x.pcap"}, code: exitUsage, errOut: `--only "weird": expected abnormal`},
		{args: []string{"analyze", "--filter", "port http", "x.pcap"}, code: exitUsage, errOut: `port "http": not a number`},
		{args: []string{"analyze", "/nonexistent.pcap"}, code: exitUsage, errOut: "no such file"},
		{args: []string{"analyze", "--help"}, outWant: "tcpdump -w - | teardown analyze -"},
		{args: []string{"analyze", "analyze_test.go"}, code: exitUsage, errOut: "expected a pcap or pcapng file"},
	} {
		code, out, errOut := run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.errOut) || !strings.Contains(out, tc.outWant) {
			t.Errorf("teardown %s: exit %d, stdout %q, stderr %q; want exit %d, %q in stdout, %q in stderr",
				strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.outWant, tc.errOut)
		}
	}
}

func TestAnalyzeHelpOnce(t *testing.T) {
	if _, out, _ := run("analyze", "--help"); strings.Count(out, "Usage:") != 1 {
		t.Errorf("--help shows the usage %d times:\n%s", strings.Count(out, "Usage:"), out)
	}
}

// TestAnalyzeDamaged checks that a capture cut in the middle of a record
// gives its connections, a count of damaged records and a clean exit.
func TestAnalyzeDamaged(t *testing.T) {
	name := "/usr/share/doc/python3-dpkt/examples/data/http.pcap"
	b, err := os.ReadFile(name)
	if err != nil {
		t.Skipf("%v (Debian package python3-dpkt)", err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("analyze", cut)
	if code != exitOK || !strings.Contains(out, "145.254.160.237:3372") || !strings.Contains(errOut, "1 damaged records skipped; the file is damaged at record") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestAnalyzeFragments checks that a capture with fragmented datagrams,
// one of them incomplete, says what became of them on stdout and warns of
// the lost one on stderr.
func TestAnalyzeFragments(t *testing.T) {
	name := filepath.Join("..", "..", "..", "shared", "zeek-parity", "traces", "tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap")
	if _, err := os.Stat(name); err != nil {
		t.Skipf("Zeek parity traces not found (%v): they live in the project's shared folder", err)
	}
	code, out, errOut := run("analyze", name)
	if code != exitOK || !strings.Contains(out, "10.131.47.185:1923") ||
		!strings.Contains(out, "fragmented datagrams: 36 reassembled, 4 incomplete, 0 over the limits, 0 overlapping or inconsistent; 0 fragments cut by the snap length") ||
		!strings.Contains(errOut, "4 fragmented datagrams could not be reassembled (4 incomplete,") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// labRecordRun is the part of the lab's JSON record the agreement test reads.
type labRecordRun struct {
	Scenario  string `json:"scenario"`
	Transport string `json:"transport"`
	Pcap      string `json:"pcap"`
	Steps     []struct {
		Actor  string `json:"actor"`
		Op     string `json:"op"`
		Result *struct {
			Kind  string `json:"kind"`
			Errno string `json:"errno"`
		} `json:"result"`
		Packets []struct {
			From  string `json:"from"`
			Flags string `json:"flags"`
		} `json:"packets"`
	} `json:"steps"`
}

// expectedCause is the cause analyze must find in each catalog scenario's
// capture, where the scenario is about one.
var expectedCause = map[string]string{
	"connect/refused":                  analyze.CauseRefused,
	"close-unread/read":                analyze.CauseCloseUnread,
	"close-unread/write":               analyze.CauseCloseUnread,
	"close-unread/partial-read":        analyze.CauseCloseUnread,
	"exit/unread":                      analyze.CauseCloseUnread,
	"linger/zero":                      analyze.CauseLingerZero,
	"rst/after-fin":                    analyze.CauseAbortAfterFIN,
	"peer-closed/write-epipe":          analyze.CauseWriteAfterFIN,
	"peer-closed/write-twice":          analyze.CauseWriteAfterFIN,
	"peer-closed/write-nosignal":       analyze.CauseWriteAfterFIN,
	"peer-closed/write-then-read":      analyze.CauseWriteAfterFIN,
	"net/peer-rebooted":                analyze.CauseNoSocket,
	"net/peer-vanished":                analyze.CauseVanished,
	"timer/keepalive":                  analyze.CauseKeepalive,
	"net/host-unreachable":             analyze.CauseUnreachable,
	"net/host-unreachable-established": analyze.CauseUnreachable,
	"rst/unread-received-data":         analyze.CauseLingerZero,
	"accept/rst-before-accept":         analyze.CauseLingerZero,
	"linger/nonzero-unread":            analyze.CauseCloseUnread,
	"close-vs-shutdown/close":          analyze.CauseWriteAfterFIN,
	"shutdown/wr":                      analyze.CauseOrderly,
	"shutdown/rdwr":                    analyze.CauseOrderly,
	"peer-closed/read-eof":             analyze.CauseHalfClose,
}

// wireErrno are the errnos that come from how a connection ended, which a
// capture can show; EBADF, EINTR, EAGAIN and the like are local.
var wireErrno = map[string]bool{
	"ECONNRESET": true, "EPIPE": true, "ECONNREFUSED": true, "ETIMEDOUT": true,
	"EHOSTUNREACH": true, "ENETUNREACH": true, "ECONNABORTED": true,
}

// TestAnalyzeAgreesWithLab runs the catalog's TCP scenarios with a capture
// each, then analyzes every capture: who sent the first RST (or FIN) must
// be who the lab's wire record says, the cause must be the scenario's, and
// the errno predicted for a side must be the first errno the lab measured
// for that side's calls.
func TestAnalyzeAgreesWithLab(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the lab's network namespaces and capture need root")
	}
	dir := t.TempDir()
	code, out, errOut := run("lab", "run", "--on", "tcp", "--pcap", dir, "--json", "--parallel", "4")
	if code != exitOK && code != exitDiffers {
		t.Fatalf("lab run: exit %d: %s", code, errOut)
	}
	var rec struct {
		Runs []labRecordRun `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("lab run --json: %v", err)
	}
	checked := 0
	for _, lr := range rec.Runs {
		conns := analyzeCapture(t, lr.Pcap)
		if conns == nil {
			continue
		}
		// Roles from the lab's wire record: the first SYN's sender
		// originates; the first RST and FIN senders end.
		var orig, firstRST, firstFIN string
		errnos := map[string]string{}
		finSent := map[string]bool{}
		for _, s := range lr.Steps {
			// Only the errors a connection's end gives can be told from
			// its packets; a write after the caller's own shutdown fails
			// locally (EPIPE) and sends nothing.
			if r := s.Result; r != nil && r.Kind == "errno" && errnos[s.Actor] == "" && wireErrno[r.Errno] &&
				!(r.Errno == "EPIPE" && finSent[s.Actor]) {
				errnos[s.Actor] = r.Errno
			}
			for _, p := range s.Packets {
				if strings.Contains(p.Flags, "F") {
					finSent[p.From] = true
				}
				if orig == "" && p.Flags == "S" {
					orig = p.From
				}
				if firstRST == "" && strings.Contains(p.Flags, "R") {
					firstRST = p.From
				}
				if firstFIN == "" && strings.Contains(p.Flags, "F") {
					firstFIN = p.From
				}
			}
		}
		if len(conns) != 1 || orig == "" {
			continue
		}
		c := conns[0]
		v := c.Verdict()
		role := func(actor string) string {
			if actor == orig {
				return analyze.ByOrig
			}
			return analyze.ByResp
		}
		t.Logf("%s: %s %s %s by %s, errno %s/%s, cause %s", lr.Scenario, c.ConnState(), c.History(), v.How, v.By, v.OrigErrno, v.RespErrno, v.Cause.ID)
		checked++
		switch {
		case firstRST != "" && (v.How == analyze.HowRST || v.How == analyze.HowRefused):
			if v.By != role(firstRST) {
				t.Errorf("%s: ended by %s, the lab's first RST came from %s (the %s)", lr.Scenario, v.By, firstRST, role(firstRST))
			}
		case firstRST != "":
			t.Errorf("%s: ended %s, but the lab saw an RST from %s", lr.Scenario, v.How, firstRST)
		case firstFIN != "" && v.By != role(firstFIN):
			t.Errorf("%s: ended %s by %s, the lab's first FIN came from %s", lr.Scenario, v.How, v.By, firstFIN)
		}
		if want, ok := expectedCause[lr.Scenario]; ok && v.Cause.ID != want {
			t.Errorf("%s: cause %s (%s), want %s", lr.Scenario, v.Cause.ID, v.Cause.Text, want)
		}
		for actor, errno := range errnos {
			got := v.RespErrno
			if role(actor) == analyze.ByOrig {
				got = v.OrigErrno
			}
			if actor != orig && actor != "server" {
				continue // a third socket (a listener, a second client)
			}
			if got != errno {
				t.Errorf("%s: predicted errno %s for %s, the lab measured %s", lr.Scenario, got, actor, errno)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d TCP runs had a capture with one connection", checked)
	}
}

// analyzeCapture returns the connections of a capture file, nil if there is
// none.
func analyzeCapture(t *testing.T, name string) []*analyze.Conn {
	if name == "" {
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	r, err := wire.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var conns []*analyze.Conn
	tr := analyze.NewTracker(analyze.Options{}, func(c *analyze.Conn) { conns = append(conns, c.Clone()) })
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		tr.Add(rec)
	}
	tr.Close()
	return conns
}
