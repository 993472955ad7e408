//go:build linux

package netns

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// A fresh namespace has only its own loopback, up, and a small hash table
// when asked, also the second time a size is asked for (made from the kept
// parent); each is a namespace of its own.
func TestEnter(t *testing.T) {
	seen := map[uint64]int{}
	for _, ehash := range []int{0, 1024, 1024, 512} {
		done := make(chan error)
		var ifaces []net.Interface
		var size []byte
		var ino uint64
		go func() {
			runtime.LockOSThread()
			if err := Enter(ehash); err != nil {
				done <- err
				return
			}
			var st unix.Stat_t
			err := unix.Stat("/proc/thread-self/ns/net", &st)
			ino = st.Ino
			if err == nil {
				ifaces, err = net.Interfaces()
			}
			if err == nil {
				size, err = os.ReadFile("/proc/sys/net/ipv4/tcp_ehash_entries")
			}
			done <- err
		}()
		err := <-done
		if errors.Is(err, ErrPermission) {
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(ifaces) != 1 || ifaces[0].Name != "lo" || ifaces[0].Flags&net.FlagUp == 0 {
			t.Errorf("ehash %d: interfaces %+v, want only lo, up", ehash, ifaces)
		}
		if prev, ok := seen[ino]; ok {
			t.Errorf("ehash %d: entered the namespace of ehash %d again (inode %d)", ehash, prev, ino)
		}
		seen[ino] = ehash
		if want := fmt.Sprintf("%d\n", ehash); ehash > 0 && string(size) != want {
			t.Errorf("ehash %d: the namespace's table has %q buckets, want %q", ehash, size, want)
		}
		if ehash == 0 && (string(size) == "1024\n" || string(size) == "512\n") {
			t.Errorf("ehash 0: the namespace got a private table")
		}
	}
}
