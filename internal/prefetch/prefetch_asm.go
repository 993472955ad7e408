//go:build amd64 || arm64

package prefetch

// ReadOnce asks for every cache line of b, to be read once: the lines go
// to the nearest cache and as little as possible to the others, so that
// streaming through a large buffer does not push out what the program
// keeps (PREFETCHNTA on amd64, PRFM PLDL1STRM on arm64).
//
//go:noescape
func ReadOnce(b []byte)

// Keep asks for every cache line of b, to be read soon and more than once:
// the lines go to every level of cache (PREFETCHT0 on amd64, PRFM
// PLDL1KEEP on arm64).
//
//go:noescape
func Keep(b []byte)
