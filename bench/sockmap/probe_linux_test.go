package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
)

// TestProbe runs every check at a small size. The sockmap column reports
// what this kernel does, which the test does not judge; the direct and
// splice columns are teardown's own paths, which must deliver every byte.
func TestProbe(t *testing.T) {
	r, err := newRedirector()
	if errors.Is(err, os.ErrPermission) || errors.Is(err, ebpf.ErrNotSupported) {
		t.Skipf("this kernel or user cannot load the program: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	r.close()
	var out, errs bytes.Buffer
	if rc := run([]string{"-size-mib", "16", "-stall-mib", "64", "-rtt-n", "200"}, &out, &errs); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errs.String())
	}
	rows := 0
	for _, line := range strings.Split(out.String(), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) != 4 || !strings.HasPrefix(line, "| bytes delivered") {
			continue
		}
		rows++
		for i, name := range []string{"direct", "splice"} {
			if !strings.Contains(cells[i+1], "16.0 of 16.0 MiB, checksum matches") {
				t.Errorf("%s: %s: %q, want every byte", strings.TrimPrefix(cells[0], "| "), name, cells[i+1])
			}
		}
	}
	if rows != 2 {
		t.Errorf("%d rows of delivered bytes, want 2; output:\n%s", rows, out.String())
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-size-mib", "0"}, {"-rtt-n", "-1"}, {"extra"}, {"-nosuch"}} {
		var out, errs bytes.Buffer
		if rc := run(args, &out, &errs); rc != 2 || errs.Len() == 0 {
			t.Errorf("run %q: exit %d, stderr %q; want 2 and a message", args, rc, errs.String())
		}
	}
}
