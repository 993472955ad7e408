//go:build unix

package main

import "syscall"

// raiseFileLimit raises the soft limit on open files to the hard limit: a
// proxied connection holds several descriptors, and the Go runtime leaves
// the soft limit one below the hard one. It returns the limit in force.
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, err
		}
	}
	return uint64(lim.Cur), nil
}
