//go:build !linux

package main

import (
	"fmt"
	"os"
)

// canForward says whether forwarders run here: they use Linux's blocking
// descriptors, and the figures they give are this machine's anyway.
const canForward = false

func forward(mode, upstream string) {
	fmt.Fprintln(os.Stderr, "forwarder: only on Linux")
	os.Exit(1)
}
