package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// labCapture holds five abnormal connections the lab made (see
// report/capture_test.go).
const labCapture = "../../report/testdata/lab-capture.pcapng"

func TestAnalyzeHTML(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.html")
	for _, tc := range []struct {
		args     []string
		code     int
		errOut   string
		sections int
		page     string
	}{
		{args: []string{"--html", out, labCapture}, sections: 5},
		{args: []string{"--html", out, "--html-draw", "all", "--filter", "port 20002", labCapture}, sections: 1, page: "all connections matching port 20002"},
		{args: []string{"--html", out, "--html-max", "2", labCapture}, sections: 2, page: "2 drawn, 3 more chosen and not drawn"},
		{args: []string{"--html", out, "--html-packets", "4", "--filter", "port 20005", labCapture}, sections: 1, page: "4 of its 11 packets drawn"},
		{args: []string{"--html", out, "--html-draw", "some", labCapture}, code: exitUsage, errOut: `--html-draw "some": expected abnormal or all`},
		{args: []string{"--html", out, "--html-packets", "0", labCapture}, code: exitUsage, errOut: "expected numbers of 1 or more"},
		{args: []string{"--html", filepath.Join(dir, "none", "out.html"), labCapture}, code: exitUsage, errOut: "--html:"},
	} {
		os.Remove(out)
		code, _, errOut := run(append([]string{"analyze"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.errOut) {
			t.Errorf("teardown analyze %s: exit %d, stderr %q; want %d, %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.errOut)
			continue
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
			t.Errorf("teardown analyze %s left %v behind", strings.Join(tc.args, " "), left)
		}
		b, err := os.ReadFile(out)
		if tc.code != exitOK {
			if err == nil {
				t.Errorf("teardown analyze %s failed and wrote %s", strings.Join(tc.args, " "), out)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(out); st.Mode().Perm() != 0o644 {
			t.Errorf("the page's mode is %v", st.Mode().Perm())
		}
		if n := strings.Count(string(b), `<section class="run conn"`); n != tc.sections || !strings.Contains(string(b), tc.page) {
			t.Errorf("teardown analyze %s: %d connections drawn, want %d, and %q in the page", strings.Join(tc.args, " "), n, tc.sections, tc.page)
		}
	}
}

// TestAnalyzeHTMLInterrupted reads a live capture from a pipe that stays
// open: SIGINT ends the reading, the page of what was read is written
// whole, and the exit status says the command was interrupted; also when
// the signal comes before the capture's first bytes.
func TestAnalyzeHTMLInterrupted(t *testing.T) {
	capture, err := os.ReadFile(labCapture)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		input []byte
	}{{"capture", capture}, {"nothing", nil}} {
		t.Run(tc.name, func(t *testing.T) { interruptHTML(t, tc.input) })
	}
}

// interruptHTML runs analyze --html on a pipe that holds input and stays
// open, sends SIGINT once the page's file is made, and checks the page.
func interruptHTML(t *testing.T, input []byte) {
	dir := t.TempDir()
	out := filepath.Join(dir, "live.html")
	cmd := asTeardown(t, "analyze", "--html", out, "-")
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if _, err := w.Write(input); err != nil {
		t.Fatal(err)
	}
	// The page's file beside its path is made once signals are caught.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if tmp, _ := filepath.Glob(filepath.Join(dir, ".live.html.*")); len(tmp) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("teardown analyze made no file for the page")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d (%v), want 130", code, err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "interrupted: a signal ended the reading") || !strings.HasSuffix(string(b), "</html>\n") {
		t.Errorf("the page does not say it was interrupted, or is not whole")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
