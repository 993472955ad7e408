//go:build !linux

package main

import (
	"errors"
	"syscall"
)

var errNoProc = errors.New("not measured on this system (needs Linux /proc)")

func raiseFileLimit() (uint64, error)    { return 0, nil }
func childAttr() *syscall.SysProcAttr    { return nil }
func rss(pid int) (int64, error)         { return 0, errNoProc }
func openFiles(pid int) (int, error)     { return 0, errNoProc }
func contextSwitches(int) (int64, error) { return 0, errNoProc }
func cpuModel() string                   { return "unknown CPU" }
func kernelRelease() string              { return "" }
func loadAverage() string                { return "" }
