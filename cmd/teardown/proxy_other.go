//go:build !unix

package main

import (
	"errors"
	"fmt"
)

// raiseFileLimit has nothing to raise where there is no RLIMIT_NOFILE.
func raiseFileLimit() (uint64, error) {
	return 0, fmt.Errorf("open-file limit: %w", errors.ErrUnsupported)
}
