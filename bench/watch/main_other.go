//go:build !linux

package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	fmt.Fprintf(os.Stderr, "bench/watch: needs Linux (network namespaces and eBPF), this is %s\n", runtime.GOOS)
	os.Exit(1)
}
