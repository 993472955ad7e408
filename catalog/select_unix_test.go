//go:build unix

package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/scenario"
)

// TestSelectRefusesUnboundedInput names things whose reading blocks or
// never ends, and a file too large, and checks each is refused saying why,
// at once.
func TestSelectRefusesUnboundedInput(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.td")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.td")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	subdir := filepath.Join(dir, "dir.td")
	if err := os.Mkdir(subdir, 0o755); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.td")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: its size is past the bound without writing it.
	if err := f.Truncate(scenario.MaxSource + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct {
		path string
		is   error
		says string
	}{
		{fifo, scenario.ErrNotRegular, "named pipe"},
		{zero, scenario.ErrNotRegular, "character device"},
		{subdir, scenario.ErrNotRegular, "directory"},
		{big, scenario.ErrTooLarge, strconv.Itoa(scenario.MaxSource+1) + " bytes"},
	} {
		_, err := Select([]string{tc.path})
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("Select(%s): %v; want %v saying %q and the path", tc.path, err, tc.is, tc.says)
		}
	}
}
