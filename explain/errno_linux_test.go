package explain

import (
	"fmt"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLinuxErrnos checks the Linux numbers against the running system's
// own table (x/sys/unix), and that the texts Python and Rust print on Linux
// are built from the glibc text as those runtimes build them.
func TestLinuxErrnos(t *testing.T) {
	b := load(t)
	for _, e := range b.Entries {
		n, ok := e.Numbers[Linux]
		if !ok {
			continue
		}
		name := unix.ErrnoName(syscall.Errno(n))
		if !contains(e.Names[Linux], name) {
			t.Errorf("%s: linux number %d is %s, not one of %v", e.ID, n, name, e.Names[Linux])
		}
		var glibc string
		for _, tx := range e.Texts {
			if tx.By == "glibc" && tx.Lang == "" {
				glibc = tx.Text
			}
		}
		if glibc == "" {
			t.Errorf("%s: no glibc text", e.ID)
			continue
		}
		for _, tx := range e.Texts {
			var want string
			switch {
			case tx.OS != Linux:
				continue
			case tx.By == "python":
				want = fmt.Sprintf("[Errno %d] %s", n, glibc)
			case tx.By == "rust":
				want = fmt.Sprintf("%s (os error %d)", glibc, n)
			default:
				continue
			}
			if tx.Text != want {
				t.Errorf("%s: %s text %q, want %q", e.ID, tx.By, tx.Text, want)
			}
		}
	}
}
