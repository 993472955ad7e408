//go:build !unix && !windows

package sockerr

import "errors"

func setLingerZero(uintptr) error { return errors.ErrUnsupported }
