package watch

import (
	"strings"
	"testing"
)

func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"80", "80,443", " 1 ,65535", "0", "65536", "x", ",,", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ports, err := ParsePorts([]string{s})
		if err == nil {
			for _, p := range ports {
				if p == 0 {
					t.Fatalf("port 0 accepted from %q", s)
				}
			}
		}
		pids, err := ParsePIDs([]string{s})
		if err == nil {
			for _, p := range pids {
				if p <= 0 {
					t.Fatalf("pid %d accepted from %q", p, s)
				}
			}
		}
	})
}

func FuzzCgroup2Mount(f *testing.F) {
	f.Add(mountinfoHybrid)
	f.Add("41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
	f.Fuzz(func(t *testing.T, s string) {
		if p := cgroup2Mount(s); p != "" && !strings.Contains(s, "cgroup2") {
			t.Fatalf("mount %q found in text with no cgroup2", p)
		}
	})
}

const mountinfoHybrid = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

func TestCgroup2Mount(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{mountinfoHybrid, "/sys/fs/cgroup/unified"},
		{"29 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n", "/sys/fs/cgroup"},
		{"29 23 0:26 / /mnt/my\\040cgroups rw - cgroup2 none rw\n", "/mnt/my cgroups"},
		{"32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n", ""},
		{"", ""},
	} {
		if got := cgroup2Mount(tc.in); got != tc.want {
			t.Errorf("cgroup2Mount(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseLists(t *testing.T) {
	ports, err := ParsePorts([]string{"80,443", "8080"})
	if err != nil || len(ports) != 3 || ports[0] != 80 || ports[2] != 8080 {
		t.Errorf("ParsePorts: %v, %v", ports, err)
	}
	for _, bad := range []string{"0", "65536", "http", "-1"} {
		if _, err := ParsePorts([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParsePorts(%q): error %v, want one naming it", bad, err)
		}
	}
	if _, err := ParsePIDs([]string{"0"}); err == nil {
		t.Error("ParsePIDs accepted pid 0")
	}
}
