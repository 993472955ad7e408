//go:build !amd64 && !arm64

package prefetch

// ReadOnce asks for every cache line of b, to be read once; here it does
// nothing.
func ReadOnce(b []byte) {}

// Keep asks for every cache line of b, to be read soon and more than
// once; here it does nothing.
func Keep(b []byte) {}
