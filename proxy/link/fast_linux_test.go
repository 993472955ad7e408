package link

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// openPipes counts the pipe descriptors this process holds.
func openPipes(t *testing.T) int {
	t.Helper()
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, de := range des {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", de.Name())); err == nil && strings.HasPrefix(target, "pipe:") {
			n++
		}
	}
	return n
}

// TestIdleHoldsNoPipe: a connection whose bytes went through the splice
// path holds no pipe while it is idle, once the pool of spare pipes has been
// emptied by garbage collections; the links still carry bytes afterwards.
func TestIdleHoldsNoPipe(t *testing.T) {
	const links = 10
	base := openPipes(t) // the test's own output may go to pipes
	type ends struct{ client, server *net.TCPConn }
	var es []ends
	for range links {
		_, client, server, c := setup(t, nil)
		es = append(es, ends{client, server})
		msg := []byte("ping")
		for _, rw := range [][2]io.ReadWriter{{client, server}, {server, client}} {
			if _, err := rw[0].Write(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(rw[1], make([]byte, len(msg))); err != nil {
				t.Fatal(err)
			}
		}
		// The counters are added to just after the bytes are written.
		for deadline := time.Now().Add(hang); (c.Spliced[0].Load() == 0 || c.Spliced[1].Load() == 0) && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if c.Spliced[0].Load() == 0 || c.Spliced[1].Load() == 0 {
			t.Fatalf("spliced %d and %d bytes; want both directions on the splice path", c.Spliced[0].Load(), c.Spliced[1].Load())
		}
	}
	var n int
	for deadline := time.Now().Add(hang / 4); ; {
		// sync.Pool keeps its items for two collections; cleanups run
		// after the second.
		runtime.GC()
		runtime.GC()
		if n = openPipes(t) - base; n <= 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n > 0 {
		t.Errorf("%d idle links hold %d pipe descriptors; want none", links, n)
	}
	for i, e := range es {
		if _, err := e.client.Write([]byte("again")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(e.server, make([]byte, 5)); err != nil {
			t.Fatalf("link %d after its pipe went back: %v", i, err)
		}
	}
}
