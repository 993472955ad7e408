//go:build !linux

package main

import (
	"errors"
	"fmt"
	"io"
)

var errUnsupported = fmt.Errorf("sockmap redirection is Linux's: %w", errors.ErrUnsupported)

func probe(config, io.Writer, io.Writer) error { return errUnsupported }
