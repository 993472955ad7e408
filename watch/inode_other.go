//go:build !unix

package watch

import "io/fs"

// inode reports false: this system has no inode numbers to name cgroups or
// namespaces by.
func inode(fs.FileInfo) (uint64, bool) { return 0, false }
