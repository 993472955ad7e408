package main

import (
	"os"
	"os/exec"
	"testing"
)

// asCommand, set in a child's environment, makes the test binary run as
// the teardown command: tests that send signals or limit descriptors need a
// process of its own.
const asCommand = "TEARDOWN_TEST_AS_COMMAND"

// prepareChild, when set, runs in such a child before the command.
var prepareChild func()

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		if prepareChild != nil {
			prepareChild()
		}
		os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// asTeardown returns the test binary set to run as "teardown args...".
func asTeardown(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), asCommand+"=1")
	return cmd
}
