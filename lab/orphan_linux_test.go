package lab_test

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A socket whose actor closed its descriptor while a dup of it stays open
// is no orphan: a file still refers to it, and /proc/net/tcp gives it an
// inode, as for any open socket. Once the last descriptor is closed the
// kernel finishes the connection alone (inode 0): then it is one.
func TestOrphanOnlyWhenNoDescriptor(t *testing.T) {
	// The sockets and the table read are this thread's namespace's.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, _ := tcpPair(t)
	d, err := unix.Dup(c)
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(c)
	pa, _ := unix.Getpeername(c)
	port, peer := sa.(*unix.SockaddrInet4).Port, pa.(*unix.SockaddrInet4).Port
	unix.Close(c)
	if ino := procInode(t, port, peer); ino == "0" || ino == "" {
		t.Fatalf("/proc/net/tcp gives the socket with a dup open inode %q, expected one", ino)
	}
	unix.Close(d)
	if ino := procInode(t, port, peer); ino != "0" {
		t.Fatalf("/proc/net/tcp gives the closed socket inode %q, expected 0", ino)
	}

	for _, r := range run(t, `scenario t/orphan-dup
title "an orphan is a socket no descriptor refers to"
on tcp4 tcp6
client dup as c2
client close
listener dup as l2
listener close
c2 close
`) {
		orphan := func(line int, actor string) bool {
			for _, s := range step(t, r, line).Sockets {
				if s.Actor == actor {
					return s.Orphan
				}
			}
			t.Fatalf("%s: no state of %s at line %d\n%s", r.Transport, actor, line, timeline(r))
			return false
		}
		got := fmt.Sprint(orphan(5, "client"), orphan(7, "listener"), orphan(8, "client"), orphan(8, "c2"))
		if want := fmt.Sprint(false, false, true, true); got != want {
			t.Errorf("%s: orphan (client with a dup, listener with a dup, client and c2 after both closed) %s, expected %s\n%s", r.Transport, got, want, timeline(r))
		}
	}
}

// procInode is the inode /proc/net/tcp of this thread's namespace gives
// the connection from local port to remote port peer, "" if it lists
// none. Both ports: an entry on the local port alone may be an earlier
// connection's TIME_WAIT (inode 0), to another peer.
func procInode(t *testing.T, port, peer int) string {
	t.Helper()
	f, err := os.Open("/proc/thread-self/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 9 && strings.HasSuffix(fs[1], fmt.Sprintf(":%04X", port)) && strings.HasSuffix(fs[2], fmt.Sprintf(":%04X", peer)) {
			return fs[9]
		}
	}
	return ""
}
