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
// the one that has it is exiting or a zombie, or it started after the
// modification, so it is another process that was given the pid again. When it cannot tell, it says the
// maker still runs, so that nothing of a live process is removed.
func Gone(pid int, modified time.Time) bool {
	if pid <= 0 {
		return false
	}
	if err := unix.Kill(pid, 0); err == unix.ESRCH {
		return true
	}
	f, ok := statFields(pid)
	if !ok {
		return false
	}
	// A process that is exiting, or has exited and waits to be reaped
	// (for ever, under an init that reaps nothing), still has its pid.
	if f[0] == "Z" || f[0] == "X" || f[0] == "x" {
		return true
	}
	if flags, err := strconv.ParseUint(f[6], 10, 64); err == nil && flags&pfExiting != 0 {
		return true
	}
	start, ok := startTime(f)
	return ok && start.After(modified.Add(slack))
}

// pfExiting is the kernel's PF_EXITING flag of a task: it is being killed
// or is returning from its last call.
const pfExiting = 0x4

// statFields returns the fields of /proc/PID/stat after the command name,
// from the state (field 3) on; the slice has at least 20.
func statFields(pid int) ([]string, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted after its closing parenthesis.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(string(stat[i+1:]))
	return f, len(f) >= 20
}

// startTime returns when the process started, from its stat fields:
// starttime is field 22, the 20th from the state.
func startTime(f []string) (time.Time, bool) {
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
