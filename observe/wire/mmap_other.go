//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package wire

import "os"

// mapFile maps nothing here: files are read.
func mapFile(*os.File) []byte { return nil }

func unmapFile([]byte) {}

func dropPages([]byte) {}
