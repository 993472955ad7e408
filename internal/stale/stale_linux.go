package stale

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ticks is USER_HZ, the unit of a process's start time in /proc: 100 on
// every Linux, whatever the kernel's own HZ.
const ticks = 100

// slack covers the one-second precision of the boot time in /proc/stat:
// within it a process counts as old enough to be the maker.
const slack = time.Second

// Gone reports whether the process that made something named for pid, and
// last modified it at modified, no longer runs: no process has that pid,
// or the one that has it started after the modification, so it is another
// process that was given the pid again. When it cannot tell, it says the
// maker still runs, so that nothing of a live process is removed.
func Gone(pid int, modified time.Time) bool {
	if pid <= 0 {
		return false
	}
	if err := unix.Kill(pid, 0); err == unix.ESRCH {
		return true
	}
	start, ok := startTime(pid)
	return ok && start.After(modified.Add(slack))
}

// startTime returns when the process pid started, from /proc.
func startTime(pid int) (time.Time, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, false
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted after its closing parenthesis. starttime is field 22, the
	// 20th after it.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return time.Time{}, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return time.Time{}, false
	}
	since, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	boot, ok := bootTime()
	if !ok {
		return time.Time{}, false
	}
	return boot.Add(time.Duration(since) * time.Second / ticks), true
}

// bootTime returns when the system booted, from /proc/stat.
func bootTime() (time.Time, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.Unix(s, 0), true
		}
	}
	return time.Time{}, false
}
