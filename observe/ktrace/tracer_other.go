//go:build !linux

package ktrace

import (
	"fmt"
	"runtime"
	"time"
)

// Tracer reads the kernel's TCP tracepoints; on this system none can be
// opened.
type Tracer struct{}

func unavailable() error {
	return fmt.Errorf("%w: tracefs is Linux's, this is %s", ErrUnavailable, runtime.GOOS)
}

// Open reports ErrUnavailable.
func Open() (*Tracer, error) { return nil, unavailable() }

// Sync reports ErrUnavailable.
func (t *Tracer) Sync() ([]Event, error) { return nil, unavailable() }

// Dir returns "".
func (t *Tracer) Dir() string { return "" }

// Close does nothing.
func (t *Tracer) Close() error { return nil }

// CleanStale does nothing: there is no tracefs.
func CleanStale() error { return nil }

// Reasons reports ErrUnavailable.
func Reasons() ([]string, error) { return nil, unavailable() }

// Mono returns the time since the process started, a monotonic clock but
// not Linux's CLOCK_MONOTONIC.
func Mono() time.Duration { return time.Since(start) }

var start = time.Now()
