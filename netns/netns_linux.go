// Package netns moves the calling thread into a fresh network namespace:
// what the lab gives each run, and what tests use to see only their own
// traffic and sockets.
//
// A namespace belongs to a thread, not to a process or a goroutine. The
// caller locks its goroutine to its OS thread (runtime.LockOSThread) and
// never unlocks it, so that the Go runtime ends the thread, and the
// namespace with it, when the goroutine returns.
package netns

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ErrPermission is wrapped by Enter when the process may not create
// namespaces (it needs CAP_SYS_ADMIN).
var ErrPermission = errors.New("creating a network namespace needs root (CAP_SYS_ADMIN)")

// Enter moves the calling thread, which must be locked, into a new network
// namespace whose loopback interface is up.
//
// When ehash > 0 the namespace gets a TCP established-socket hash table of
// its own with that many buckets, instead of sharing the host's (sysctl
// net.ipv4.tcp_child_ehash_entries, Linux 6.1). A sock_diag dump walks the
// whole table, and the host's may have hundreds of thousands of buckets, so
// a small one makes each dump of the namespace's few sockets cheap. The
// setting is made in a namespace created in between, which the new one
// inherits it from, so the host's is left alone. A kernel without the
// sysctl gets the shared table.
func Enter(ehash int) error {
	if ehash > 0 {
		if err := unshare(); err != nil {
			return err
		}
		err := os.WriteFile("/proc/sys/net/ipv4/tcp_child_ehash_entries", []byte(strconv.Itoa(ehash)), 0)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("set tcp_child_ehash_entries: %w", err)
		}
	}
	if err := unshare(); err != nil {
		return err
	}
	return LoopbackUp()
}

func unshare() error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("unshare(CLONE_NEWNET): %w: %w", err, ErrPermission)
		}
		return fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
	}
	return nil
}

// LoopbackUp brings up the loopback interface of the calling thread's
// namespace.
func LoopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: SIOCGIFFLAGS: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: SIOCSIFFLAGS: %w", err)
	}
	return nil
}
