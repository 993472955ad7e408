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
	"runtime"
	"strconv"
	"sync"

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
// a small one makes each dump of the namespace's few sockets cheap. A new
// namespace takes the size from the one it is created in, so the setting is
// made in a parent namespace of its own, made once per size and kept for
// the process's life: the host's is left alone, and each new namespace
// costs one namespace, not two. A kernel without the sysctl gets the shared
// table.
func Enter(ehash int) error {
	if ehash > 0 {
		p, err := parent(ehash)
		if err != nil {
			return err
		}
		if err := unix.Setns(p, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter the parent namespace: %w", err)
		}
	}
	if err := unshare(); err != nil {
		return err
	}
	return LoopbackUp()
}

// parents holds, for each hash table size, a descriptor of the namespace
// new namespaces of that size are created in.
var parents struct {
	sync.Mutex
	fds map[int]int
}

// parent returns the descriptor of the namespace whose children get hash
// tables of ehash buckets, making it the first time.
func parent(ehash int) (int, error) {
	parents.Lock()
	defer parents.Unlock()
	if fd, ok := parents.fds[ehash]; ok {
		return fd, nil
	}
	type made struct {
		fd  int
		err error
	}
	c := make(chan made)
	go func() {
		// A thread of its own, ended with its goroutine (never unlocked):
		// the caller's stays where it is until it enters the parent.
		runtime.LockOSThread()
		if err := unshare(); err != nil {
			c <- made{-1, err}
			return
		}
		err := os.WriteFile("/proc/sys/net/ipv4/tcp_child_ehash_entries", []byte(strconv.Itoa(ehash)), 0)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			c <- made{-1, fmt.Errorf("set tcp_child_ehash_entries: %w", err)}
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			err = fmt.Errorf("open the parent namespace: %w", err)
		}
		c <- made{fd, err}
	}()
	m := <-c
	if m.err != nil {
		return -1, m.err
	}
	if parents.fds == nil {
		parents.fds = map[int]int{}
	}
	parents.fds[ehash] = m.fd
	return m.fd, nil
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
