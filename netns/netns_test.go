//go:build linux

package netns

import (
	"errors"
	"net"
	"os"
	"runtime"
	"testing"
)

// A fresh namespace has only its own loopback, up, and a small hash table
// when asked.
func TestEnter(t *testing.T) {
	for _, ehash := range []int{0, 1024} {
		done := make(chan error)
		var ifaces []net.Interface
		var size []byte
		go func() {
			runtime.LockOSThread()
			if err := Enter(ehash); err != nil {
				done <- err
				return
			}
			var err error
			ifaces, err = net.Interfaces()
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
		if ehash > 0 && string(size) != "1024\n" {
			t.Errorf("ehash %d: the namespace's table has %q buckets", ehash, size)
		}
		if ehash == 0 && string(size) == "1024\n" {
			t.Errorf("ehash 0: the namespace got a private table")
		}
	}
}
