//go:build !linux

package watch

// cgroupByID reports false: only Linux has cgroups.
func cgroupByID(root string, id uint64) (string, bool) { return "", false }
