package watch

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CgroupRoot is where the cgroup v2 hierarchy is mounted on most systems;
// Cgroup2Root finds where it is on this one.
const CgroupRoot = "/sys/fs/cgroup"

// Cgroup2Root returns the mount point of the cgroup v2 hierarchy from
// /proc/self/mountinfo ("/sys/fs/cgroup/unified" on hybrid systems), or
// CgroupRoot when none is listed.
func Cgroup2Root() string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return CgroupRoot
	}
	if p := cgroup2Mount(string(b)); p != "" {
		return p
	}
	return CgroupRoot
}

// cgroup2Mount returns the first cgroup2 mount point in mountinfo text.
func cgroup2Mount(mountinfo string) string {
	for _, line := range strings.Split(mountinfo, "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) >= 5 && len(g) >= 1 && g[0] == "cgroup2" {
			return unescapeMount(f[4])
		}
	}
	return ""
}

// unescapeMount undoes mountinfo's octal escapes of spaces and tabs.
func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// rescanEvery bounds how often an unknown cgroup id makes the resolver walk
// the hierarchy again.
const rescanEvery = time.Second

// maxCgroups bounds a walk of the hierarchy.
const maxCgroups = 100000

// Cgroups names cgroup v2 ids by their paths under the hierarchy's root. A
// cgroup's id is the inode number of its directory.
type Cgroups struct {
	root string
	mu   sync.Mutex
	path map[uint64]string
	last time.Time
	// tried holds when each id not found was last looked for.
	tried map[uint64]time.Time
}

// NewCgroups returns a resolver for the hierarchy mounted at root.
func NewCgroups(root string) *Cgroups {
	return &Cgroups{root: root, path: map[uint64]string{}, tried: map[uint64]time.Time{}}
}

// Path returns the cgroup's path ("/system.slice/nginx.service", "/" for
// the root), or "" when no cgroup has that id now.
func (c *Cgroups) Path(id uint64) string {
	if id == 0 {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.path[id]; ok {
		return p
	}
	// A cgroup made since the last look (a container started): open it
	// by its id, unless that failed for this id within rescanEvery.
	if t, ok := c.tried[id]; !ok || time.Since(t) >= rescanEvery {
		if p, ok := cgroupByID(c.root, id); ok {
			delete(c.tried, id)
			c.path[id] = p
			return p
		}
		if len(c.tried) >= maxCgroups {
			clear(c.tried)
		}
		c.tried[id] = time.Now()
	}
	if time.Since(c.last) < rescanEvery {
		return ""
	}
	c.scan()
	return c.path[id]
}

func (c *Cgroups) scan() {
	c.last = time.Now()
	n := 0
	filepath.WalkDir(c.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if n++; n > maxCgroups {
			return filepath.SkipAll
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if ino, ok := inode(info); ok {
			rel := strings.TrimPrefix(p, c.root)
			if rel == "" {
				rel = "/"
			}
			c.path[ino] = rel
		}
		return nil
	})
}

// Resolve turns a --cgroup argument into a cgroup id: a number is an id,
// anything else a path, absolute or under the root. The kernel's filter
// matches the cgroups below it too, those made later included.
func (c *Cgroups) Resolve(arg string) (uint64, error) {
	if id, err := strconv.ParseUint(arg, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	p := arg
	if !strings.HasPrefix(p, c.root+"/") && p != c.root {
		p = filepath.Join(c.root, p)
	}
	if _, err := os.Stat(filepath.Join(p, "cgroup.procs")); err != nil {
		return 0, fmt.Errorf("cgroup %q: not a cgroup v2 directory (expected an id or a path under %s): %w", arg, c.root, err)
	}
	info, err := os.Stat(p)
	if err != nil {
		return 0, fmt.Errorf("cgroup %q: %w", arg, err)
	}
	id, ok := inode(info)
	if !ok {
		return 0, fmt.Errorf("cgroup %q: no inode number on this system", arg)
	}
	return id, nil
}
