package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestHelpOnce checks that every command prints its usage once, on
// stdout, for each way of asking.
func TestHelpOnce(t *testing.T) {
	for name := range commands {
		for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {"help", name}} {
			var out, errOut bytes.Buffer
			code := dispatch(args, &out, &errOut)
			if code != exitOK {
				t.Errorf("%v: exit %d, want %d", args, code, exitOK)
			}
			if n := strings.Count(out.String(), "Usage:"); n != 1 {
				t.Errorf("%v: usage printed %d times on stdout:\n%s", args, n, out.String())
			}
			if errOut.Len() != 0 {
				t.Errorf("%v: stderr %q, want nothing", args, errOut.String())
			}
		}
	}
}
