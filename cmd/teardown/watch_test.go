package main

import (
	"strings"
	"testing"
)

func TestWatchUsage(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		out    string
		errOut string
	}{
		{args: []string{"watch", "--help"}, out: "Usage: teardown watch"},
		{args: []string{"watch", "--port", "0"}, code: exitUsage, errOut: `port "0": expected a number from 1 to 65535`},
		{args: []string{"watch", "--port", "80,x"}, code: exitUsage, errOut: `port "x"`},
		{args: []string{"watch", "--pid", "-3"}, code: exitUsage, errOut: `pid "-3": expected a positive number`},
		{args: []string{"watch", "--netns", "no-such-namespace"}, code: exitUsage, errOut: `network namespace "no-such-namespace"`},
		{args: []string{"watch", "--count", "-1"}, code: exitUsage, errOut: "must not be negative"},
		{args: []string{"watch", "extra"}, code: exitUsage, errOut: `unexpected argument "extra"`},
	} {
		code, out, errOut := run(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.errOut) {
			t.Errorf("teardown %s: exit %d, stdout %q, stderr %q; want exit %d, %q in stdout, %q in stderr",
				strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.out, tc.errOut)
		}
	}
	if _, out, _ := run("watch", "--help"); strings.Count(out, "Usage:") != 1 {
		t.Errorf("--help prints the usage %d times", strings.Count(out, "Usage:"))
	}
}
