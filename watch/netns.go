package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ResolveNetns turns a --netns argument into a network namespace's inode
// number: a number is one, a path names a namespace file (/proc/PID/ns/net,
// /run/netns/NAME), and a bare name is looked up in /run/netns.
func ResolveNetns(arg string) (uint32, error) {
	if n, err := strconv.ParseUint(arg, 10, 32); err == nil && n > 0 {
		return uint32(n), nil
	}
	p := arg
	if !strings.Contains(p, "/") {
		p = filepath.Join("/run/netns", p)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0, fmt.Errorf("network namespace %q: expected an inode number, a namespace file or a name in /run/netns: %w", arg, err)
	}
	ino, ok := inode(fi)
	if !ok {
		return 0, fmt.Errorf("network namespace %q: no inode number on this system", arg)
	}
	return uint32(ino), nil
}
