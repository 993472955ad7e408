package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

func TestLabCommand(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		out    string // in stdout
		errOut string // in stderr
	}{
		{args: []string{"lab", "list"}, out: "close-unread/read"},
		{args: []string{"lab", "show", "close-unread/read"}, out: "scenario close-unread/read"},
		{args: []string{"lab", "show", "close-unread/raed"}, code: exitUsage, errOut: `did you mean "close-unread/read"`},
		{args: []string{"lab", "--help"}, out: "teardown lab verify"},
		{args: []string{"lab"}, code: exitUsage, errOut: "Usage"},
		{args: []string{"lab", "frob"}, code: exitUsage, errOut: `unknown subcommand "frob"`},
		{args: []string{"lab", "verify", "--on", "tcp5"}, code: exitUsage, errOut: `unknown transport "tcp5"`},
		{args: []string{"lab", "verify", "peer-closed/read-eof", "--on", "pipe"}, out: "1 runs: 1 matched, 0 differ"},
		{args: []string{"lab", "run", "peer-closed/read-eof", "--on", "unix"}, out: "server read 16"},
		{args: []string{"lab", "verify", "nosuch/*"}, code: exitUsage, errOut: "matches no built-in scenario"},
		{args: []string{"lab", "verify", "close-unread/read", "--on", "pipe"}, code: exitUsage, errOut: "nothing to run"},
		{args: []string{"version"}, out: "teardown "},
		{args: []string{"--help"}, out: "lab "},
		{args: []string{"nope"}, code: exitUsage, errOut: `unknown command "nope"`},
	} {
		code, out, errOut := run(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.errOut) {
			t.Errorf("teardown %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), code, tc.code, out, errOut)
		}
	}
}

// verify exits 1 when the kernel does something a scenario does not
// expect; the scenario here expects what no kernel does.
func TestVerifyExitsOneOnDifference(t *testing.T) {
	path := t.TempDir() + "/wrong.td"
	os.WriteFile(path, []byte("scenario wrong/eof\ntitle \"a read after the peer closed returns 0, not 5\"\non unix\nclient close -> ok\nserver read 16 -> 5\n"), 0o644)
	code, out, errOut := run("lab", "verify", path)
	if code != exitDiffers || !strings.Contains(out, "≠ 0") || !strings.Contains(out, "expected 5") {
		t.Errorf("exit %d, want %d\n%s%s", code, exitDiffers, out, errOut)
	}
	code, _, errOut = run("lab", "verify", t.TempDir()+"/bad.td")
	if code != exitUsage || !strings.Contains(errOut, "bad.td") {
		t.Errorf("a missing file: exit %d: %s", code, errOut)
	}
}

func TestVerifyJSON(t *testing.T) {
	code, out, errOut := run("lab", "verify", "--json", "close-unread/read", "--on", "tcp4,unix")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Schema string `json:"schema"`
		Runs   []struct {
			Scenario, Transport, Verdict string
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Schema != "teardown.lab/v1" || len(doc.Runs) != 2 || doc.Runs[0].Verdict != "match" {
		t.Errorf("%+v", doc)
	}
}

func TestLabHTML(t *testing.T) {
	dir := t.TempDir()
	page := dir + "/lab.html"
	code, _, errOut := run("lab", "verify", "peer-closed/read-eof", "--on", "unix,pipe", "--html", page)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", `id="run-peer-closed-read-eof-unix"`, `id="run-peer-closed-read-eof-pipe"`, `<svg`, `class="call"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the page has no %s", want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want only the page", len(ents))
	}
	code, _, errOut = run("lab", "run", "peer-closed/read-eof", "--on", "unix", "--html", dir+"/no/such/dir/lab.html")
	if code != exitUsage || !strings.Contains(errOut, "--html") {
		t.Errorf("a page in a missing directory: exit %d: %s", code, errOut)
	}
}
