package watch

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// fileidKernfs is the file handle type of cgroupfs (FILEID_KERNFS): the
// handle is the cgroup's 64-bit id.
const fileidKernfs = 0xfe

// cgroupByID finds the path of the cgroup with this id under root by
// opening it by its file handle, as name_to_handle_at gives it: one system
// call, where a walk of the hierarchy reads every directory. It needs
// CAP_DAC_READ_SEARCH, as watch's root does.
func cgroupByID(root string, id uint64) (string, bool) {
	mnt, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", false
	}
	defer unix.Close(mnt)
	h := make([]byte, 8)
	binary.NativeEndian.PutUint64(h, id)
	fd, err := unix.OpenByHandleAt(mnt, unix.NewFileHandle(fileidKernfs, h), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return "", false
	}
	defer unix.Close(fd)
	p, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		return "", false
	}
	if p == root {
		return "/", true
	}
	rel, ok := strings.CutPrefix(p, root+"/")
	if !ok {
		return "", false // outside the mount this process sees
	}
	return "/" + rel, true
}
