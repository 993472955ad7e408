//go:build !unix

package main

import "os"

// peakRSS returns 0: this system's process usage has no peak memory.
func peakRSS(*os.ProcessState) int64 { return 0 }
