package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lab compare reads the JSON of lab verify from two runners and lines
// their calls up; bad inputs are usage errors.
func TestLabCompare(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, args ...string) string {
		t.Helper()
		code, out, errOut := run(append([]string{"lab", "verify", "--json", "close-unread/read"}, args...)...)
		if code != exitOK {
			t.Fatalf("lab verify %v: exit %d\n%s", args, code, errOut)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	full, port := write("full.json"), write("portable.json", "--portable")
	code, out, errOut := run("lab", "compare", full, port)
	if code != exitOK || !strings.Contains(out, "/portable") || !strings.Contains(out, "darwin: 0 ?") || !strings.Contains(out, "0 where they disagree") {
		t.Errorf("lab compare: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("lab", "compare", "--notable", full, port)
	if code != exitOK || strings.Contains(out, `client write "hello"`) || !strings.Contains(out, "client read 16") {
		t.Errorf("lab compare --notable: exit %d\n%s", code, out)
	}
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"schema":"other"}`), 0o644)
	for _, args := range [][]string{{}, {filepath.Join(dir, "nosuch.json")}, {filepath.Join(dir, "bad.json")}} {
		if code, _, errOut := run(append([]string{"lab", "compare"}, args...)...); code != exitUsage {
			t.Errorf("lab compare %v: exit %d, want %d: %s", args, code, exitUsage, errOut)
		}
	}
}
