//go:build !unix

package main

import (
	"os"
	"time"
)

// peakRSS returns 0: this system's process usage has no peak memory.
func peakRSS(*os.ProcessState) int64 { return 0 }

// start is when the process began, for cpuTime.
var start = time.Now()

// cpuTime is the wall time since the process began: this system's process
// usage has no CPU time here.
func cpuTime() time.Duration { return time.Since(start) }
