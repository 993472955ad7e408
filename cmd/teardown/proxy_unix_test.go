//go:build unix

package main

import (
	"syscall"
	"testing"
)

func TestRaiseFileLimit(t *testing.T) {
	n, err := raiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if uint64(lim.Cur) != uint64(lim.Max) || n != uint64(lim.Cur) {
		t.Errorf("after raiseFileLimit: soft %d, hard %d, returned %d; want soft = hard = returned", lim.Cur, lim.Max, n)
	}
}
